import ArgumentParser
import Foundation
import V2GPKI
import X509

struct PKILintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check certificates against the ISO 15118-2/-20 profiles; each finding names its rule. Exit 1 on any error."
    )

    @Argument(help: "Certificate files (PEM bundles or DER).") var files: [String]
    @Option(help: "Role to check against (default: detected from DC and basicConstraints).") var role: String?
    @Option(help: "iso15118-2 or iso15118-20 (default: from the key).") var profile: String?

    func run() throws {
        let role = try role.map { r in
            guard let v = CertificateRole(rawValue: r) else {
                throw ValidationError("--role is one of \(CertificateRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
        let profile = try profile.map { p in
            guard let v = PKIProfile(rawValue: p) else { throw ValidationError("--profile is iso15118-2 or iso15118-20") }
            return v
        }
        var errors = 0
        for file in files {
            let certificates: [Certificate]
            do { certificates = try CertificateFile.certificates(atPath: file) } catch {
                // swift-certificates reads no Ed448 keys: try the Ed448 reader before reporting.
                if let ed448 = try? CertificateFile.ed448Certificates(atPath: file) {
                    errors += lintEd448(ed448, file: file, role: role, profile: profile)
                    continue
                }
                print("\(file): error: [PARSE] \(error.detail)")
                errors += 1
                continue
            }
            for (index, certificate) in certificates.enumerated() {
                let issuer = index + 1 < certificates.count ? certificates[index + 1] : nil
                let report = CertificateLinter.lint(certificate, role: role, profile: profile, issuer: issuer)
                let label = certificates.count > 1 ? "\(file)#\(index + 1)" : file
                let head = "\(label): \(report.role?.rawValue ?? "unknown role") \(report.profile?.rawValue ?? "unknown profile") \(certificate.subject)"
                if report.findings.isEmpty {
                    print("\(head): ok")
                } else {
                    print(head)
                    for finding in report.findings { print("  \(finding)") }
                }
                if report.hasErrors { errors += 1 }
            }
        }
        if errors > 0 { throw ExitCode(1) }
    }

    /// Lints Ed448 certificates; returns how many have errors.
    func lintEd448(_ certificates: [Ed448Certificate], file: String, role: CertificateRole?, profile: PKIProfile?) -> Int {
        var errors = 0
        for (index, certificate) in certificates.enumerated() {
            let issuer = index + 1 < certificates.count ? certificates[index + 1] : nil
            let report = CertificateLinter.lint(certificate, role: role, profile: profile, issuer: issuer)
            let label = certificates.count > 1 ? "\(file)#\(index + 1)" : file
            let head = "\(label): \(report.role?.rawValue ?? "unknown role") \(report.profile?.rawValue ?? "unknown profile") Ed448 \(certificate.subject)"
            if report.findings.isEmpty {
                print("\(head): ok")
            } else {
                print(head)
                for finding in report.findings { print("  \(finding)") }
            }
            if report.hasErrors { errors += 1 }
        }
        return errors
    }
}

