import ArgumentParser
import Foundation
import V2GPKI
import X509

/// `pnc pki revoke SERIAL --ca DIR --reason REASON`: records a revocation in the CA's database.
struct PKIRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a certificate issued by a CA (RFC 5280 reason); OCSP and the next CRL show it.",
        discussion: "Reasons: \(CRLReason.allCases.map(\.name).joined(separator: ", ")).")

    @Argument(help: "Serial number in hex (as openssl prints it; ':' separators and 0x allowed).") var serial: String
    @Option(help: "The CA folder (cert.pem, key.pem, database.json).") var ca: String
    @Option(help: "RFC 5280 CRLReason name.") var reason: String = "unspecified"

    func run() throws {
        guard let reason = CRLReason(name: reason) else {
            throw ValidationError("unknown reason \"\(self.reason)\"; one of \(CRLReason.allCases.map(\.name).joined(separator: ", "))")
        }
        let directory = URL(fileURLWithPath: ca)
        do {
            let serial = try Certificate.SerialNumber(hexString: serial)
            let file = CertificateDatabaseFile(caDirectory: directory)
            let now = Date()
            try file.revoke(serial: serial, reason: reason, at: now)
            print("revoked \(serial.hexString) (\(reason.name)) at \(ISO8601DateFormatter().string(from: now))")
        } catch let error as V2GPKIError {
            print("error \(error.code): \(error.detail)")
            throw ExitCode(1)
        }
    }
}
