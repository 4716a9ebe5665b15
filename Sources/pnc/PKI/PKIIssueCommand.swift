import ArgumentParser
import Foundation
import PnCCore
import V2GPKI
import X509

struct PKIIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue one leaf from an existing PKI: contract (by eMAID), secc (from a PKCS#10 CSR or a new key), oem (by PCID), cps."
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable { case contract, secc, oem, cps }

    @Argument(help: "contract | secc | oem | cps") var kind: Kind
    @Option(help: "PKI folder made by `pnc pki init`.") var pki: String
    @Option(help: "eMAID of the contract (contract).") var emaid: String?
    @Option(help: "PCID of the vehicle (oem).") var pcid: String?
    @Option(help: "PKCS#10 request, PEM or DER (secc): the certificate is written to --out.") var csr: String?
    @Option(help: "Certificate output file for --csr (PEM).") var out: String?
    @Option(help: "Common name (secc, cps without CSR).") var commonName: String?
    @Option(help: "Folder name under leaf/ (default derived from the identity).") var name: String?
    @Option(help: "Validity in days (default per role).") var validityDays: Int?
    @OptionGroup var password: PasswordOptions

    func run() throws {
        let directory = try PKIDirectory(root: pki, password: try password.resolve())
        let role: CertificateRole
        let cn: String
        switch kind {
        case .contract:
            guard let emaid else { throw ValidationError("contract needs --emaid") }
            role = .contract
            cn = try EMAID(emaid).normalized
        case .oem:
            guard let pcid else { throw ValidationError("oem needs --pcid") }
            role = .oemProvisioning
            cn = try PCID(pcid).value
        case .secc:
            role = .secc
            cn = commonName ?? CertificateRole.secc.defaultCommonName
        case .cps:
            role = .cps
            cn = commonName ?? CertificateRole.cps.defaultCommonName
        }
        let days = validityDays ?? role.defaultValidityDays
        var rng = SystemRandomNumberGenerator()
        if directory.configuration.effectiveKeyAlgorithm == .ed448 {
            guard csr == nil else { throw ValidationError("--csr is not supported for Ed448 PKIs yet") }
            let folder = name ?? "\(kind.rawValue)-\(cn.filter { $0.isLetter || $0.isNumber })"
            let certificate = try directory.issueEd448Leaf(
                name: folder, role: role, commonName: cn, validityDays: days, now: Date(), using: &rng
            )
            print("issued Ed448 \(role.rawValue) serial \(certificate.serialNumber) CN=\(cn) -> \(directory.leafDirectory(folder))")
            return
        }
        let ca = try directory.authority(role.issuerRole!)
        if let csr {
            guard role == .secc || role == .cps else { throw ValidationError("--csr is for secc and cps certificates") }
            guard let data = FileManager.default.contents(atPath: csr) else { throw ValidationError("cannot read \(csr)") }
            let certificate = try ca.issue(role: role, csr: Array(data), validityDays: days, now: Date(), using: &rng)
            let pem = try CertificateFile.pemBundle([certificate] + ca.chainBelowRoot)
            if let out {
                try Data(pem.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
                print("issued \(role.rawValue) serial \(certificate.serialNumber) for \(certificate.subject) -> \(out) (leaf + Sub-CAs)")
            } else {
                print(pem, terminator: "")
            }
            return
        }
        let folder = name ?? "\(kind.rawValue)-\(cn.filter { $0.isLetter || $0.isNumber })"
        let certificate = try directory.issueLeaf(
            name: folder, role: role, commonName: cn, by: ca, validityDays: days, now: Date(), using: &rng
        )
        print("issued \(role.rawValue) serial \(certificate.serialNumber) CN=\(cn) -> \(directory.leafDirectory(folder))")
    }
}
