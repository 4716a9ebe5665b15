import ArgumentParser
import Foundation

/// Where the private-key password comes from: a file, or the environment variable `PNC_PKI_PASSWORD`.
struct PasswordOptions: ParsableArguments {
    @Option(help: "File whose first line is the private-key password (else $PNC_PKI_PASSWORD).")
    var passwordFile: String?

    @Flag(help: "Write keys unencrypted (throw-away test PKIs only).")
    var insecureNoPassword = false

    /// The password, or nil when keys are (to be) unencrypted. Fails when neither source is set.
    func resolve() throws -> String? {
        if insecureNoPassword { return nil }
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw ValidationError("cannot read --password-file \(passwordFile)")
            }
            let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard !line.isEmpty else { throw ValidationError("--password-file \(passwordFile) is empty") }
            return line
        }
        if let env = ProcessInfo.processInfo.environment["PNC_PKI_PASSWORD"], !env.isEmpty { return env }
        throw ValidationError("give --password-file FILE, set PNC_PKI_PASSWORD, or pass --insecure-no-password")
    }
}
