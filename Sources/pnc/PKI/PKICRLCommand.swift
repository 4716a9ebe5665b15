import ArgumentParser
import Foundation
import V2GPKI

/// `pnc pki crl --ca DIR [--out FILE] [--next-update-hours N]`: issues the CA's next signed v2 CRL.
struct PKICRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl",
        abstract: "Issue a signed X.509 v2 CRL (RFC 5280) with CRL number, AKI and reason codes (ECDSA, or Ed448 per RFC 8410).")

    @Option(help: "The CA folder (cert.pem, key.pem, database.json).") var ca: String
    @Option(help: "Output file: DER, or PEM when it ends in .pem. Default: <ca>/crl.der.") var out: String?
    @Option(help: "Hours until nextUpdate.") var nextUpdateHours: Int = 24
    @OptionGroup var password: PasswordOptions

    func run() throws {
        guard (1...24 * 366).contains(nextUpdateHours) else {
            throw ValidationError("--next-update-hours must be between 1 and \(24 * 366)")
        }
        let directory = URL(fileURLWithPath: ca)
        let output = URL(fileURLWithPath: out ?? directory.appendingPathComponent("crl.der").path)
        do {
            let now = Date()
            let folder = try RevocationCAFolder(directory: directory, password: try password.resolve())
            let crl = try folder.issueCRL(thisUpdate: now, nextUpdate: now.addingTimeInterval(TimeInterval(nextUpdateHours) * 3600))
            let bytes = output.pathExtension.lowercased() == "pem" ? Data((try crl.pemString() + "\n").utf8) : Data(try crl.derBytes())
            try bytes.write(to: output, options: .atomic)
            let number = crl.tbsCertList.crlNumber?.hexString ?? "?"
            print("CRL number 0x\(number), \(crl.tbsCertList.revokedCertificates.count) revoked, written to \(output.path)")
        } catch let error as V2GPKIError {
            print("error \(error.code): \(error.detail)")
            throw ExitCode(1)
        }
    }
}
