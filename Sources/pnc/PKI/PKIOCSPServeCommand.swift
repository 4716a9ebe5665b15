import ArgumentParser
import Foundation
import PKIHTTP
import V2GPKI
import X509

/// `pnc pki ocsp-serve --port N --ca DIR...`: an RFC 6960 responder over HTTP for one or more CA folders.
struct PKIOCSPServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocsp-serve",
        abstract: "Serve OCSP (RFC 6960, POST and GET) for CA folders; revocations apply without restart.")

    @Option(help: "TCP port (0 picks a free one).") var port: Int = 8080
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(parsing: .upToNextOption, help: "CA folders to answer for.") var ca: [String]
    @Option(help: "Seconds between thisUpdate and nextUpdate of each answer.") var validitySeconds: Int = 3600
    @OptionGroup var password: PasswordOptions

    func run() async throws {
        guard !ca.isEmpty else { throw ValidationError("at least one --ca folder is needed") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (1...7 * 86_400).contains(validitySeconds) else {
            throw ValidationError("--validity-seconds must be between 1 and \(7 * 86_400)")
        }
        let folders: OCSPResponderFolders
        do {
            folders = try OCSPResponderFolders(
                directories: ca.map { URL(fileURLWithPath: $0) }, validity: TimeInterval(validitySeconds),
                password: try password.resolve())
        } catch let error as V2GPKIError {
            print("error \(error.code): \(error.detail)")
            throw ExitCode(1)
        }
        let server = try await OCSPHTTPServer.bind(host: host, port: port) { request in
            folders.respond(to: request, now: Date())
        }
        for folder in folders.issuers {
            let signer = folder.ocspSigner.map { "delegated responder \($0.certificate.subject)" } ?? "the CA key"
            say("answering for \(folder.certificate.subject), signed by \(signer)")
        }
        say("OCSP responder listening on http://\(host):\(server.port)/")
        try await server.run()
    }

    /// Writes a line unbuffered, so that a supervisor reading a pipe sees it at once.
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
