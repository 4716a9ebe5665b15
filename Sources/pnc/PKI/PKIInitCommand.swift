import ArgumentParser
import Foundation
import PnCCore
import V2GPKI

struct PKIInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the complete test PKI: V2G, MO and OEM roots, two Sub-CAs each, SECC, CPS, contract and OEM provisioning leaves, an OCSP responder per CA."
    )

    enum Layout: String, ExpressibleByArgument { case openpnc, josev }

    @Option(help: "Output folder (must not hold a PKI yet).") var out: String
    @Option(help: "iso15118-2 (secp256r1/SHA-256) or iso15118-20 (secp521r1/SHA-512).") var profile: String = "iso15118-2"
    @Option(help: "Key algorithm: secp256r1 (-2), secp521r1 or ed448 (-20); default from the profile.") var algorithm: String?
    @Option(help: "Validity of leaf certificates in days (default per role).") var validityDays: Int?
    @Option(help: "Validity of CA certificates in days (default per role).") var caValidityDays: Int?
    @Option(help: "OCSP responder URL written into AIA.") var ocspURL = "http://127.0.0.1:8888/ocsp"
    @Option(help: "Base URL of the CRL distribution points (<base>/<ca>.crl).") var crlURL = "http://127.0.0.1:8888/crl"
    @Option(help: "eMAID of the contract leaf (check digit computed or checked).") var emaid: String?
    @Option(help: "PCID of the OEM provisioning leaf.") var pcid: String?
    @Option(help: "Also write josev: Josev's PKI_PATH layout under <out>/josev.") var layout: Layout = .openpnc
    @OptionGroup var password: PasswordOptions

    func run() throws {
        guard let profile = PKIProfile(rawValue: profile) else {
            throw ValidationError("--profile must be iso15118-2 or iso15118-20")
        }
        let keyAlgorithm = try algorithm.map { a in
            guard let v = KeyAlgorithm(rawValue: a) else { throw ValidationError("--algorithm must be secp256r1, secp521r1 or ed448") }
            guard v.isAllowed(in: profile) else { throw ValidationError("\(profile.rawValue) does not allow --algorithm \(a)") }
            return v
        }
        let password = try password.resolve()
        if layout == .josev && password == nil { throw ValidationError("--layout josev needs a password (Josev reads encrypted keys)") }
        var options = PKIDirectory.InitOptions(leafValidityDays: validityDays, caValidityDays: caValidityDays)
        if let emaid { options.contractEMAID = try EMAID(emaid) }
        if let pcid { options.pcid = try PCID(pcid) }
        let pki = try PKIDirectory.create(
            at: out, configuration: .init(profile: profile, ocspURL: ocspURL, crlBaseURL: crlURL, keyAlgorithm: keyAlgorithm),
            password: password,
            options: options
        )
        print("created \(profile.rawValue) PKI (\(pki.configuration.effectiveKeyAlgorithm.rawValue)) in \(out)")
        for role in CertificateRole.allCases where role.isCA {
            print("  ca/\(role.rawValue)")
        }
        print("  leaf/secc leaf/cps leaf/contract leaf/oem-prov; roots.pem; one ocsp/ responder per CA")
        if layout == .josev && pki.configuration.effectiveKeyAlgorithm == .ed448 {
            print("note: no Josev layout for Ed448 (Josev reads only the iso15118_2 folder)")
        } else if layout == .josev {
            if profile != .iso15118_2 { print("note: Josev reads only the iso15118_2 folder") }
            try JosevLayout.write(pki, to: "\(out)/josev", password: password!)
            print("  josev/iso15118_2/{certs,private_keys} (PKI_PATH=\(out)/josev/)")
        }
    }
}
