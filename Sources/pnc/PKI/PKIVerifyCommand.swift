import ArgumentParser
import Foundation
import V2GPKI
import X509

struct PKIVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Validate a chain the ISO 15118 way: at most two Sub-CAs, pathLen, validity, signatures, role, revocation."
    )

    @Option(name: .customLong("root"), help: "Trust anchor file(s) (PEM bundle or DER); repeatable.") var roots: [String]
    @Option(help: "Chain file: leaf first, then Sub-CAs (PEM bundle), or several DER files via repeated --chain.")
    var chain: [String]
    @Option(help: "Validation time, ISO 8601 (default now).") var at: String?
    @Option(help: "Role the leaf must have (contract, secc, oem-prov, cps, ...).") var role: String?
    @Option(help: "CRL file(s) (DER or PEM) covering every CA below the root: revocation is then required.")
    var crl: [String] = []

    func run() async throws {
        let time = try validationTime()
        let expected = try role.map { r in
            guard let v = CertificateRole(rawValue: r) else { throw ValidationError("unknown --role \(r)") }
            return v
        }
        var anchors: [Certificate] = []
        var certificates: [Certificate] = []
        do {
            for file in roots { anchors += try CertificateFile.certificates(atPath: file) }
            for file in chain { certificates += try CertificateFile.certificates(atPath: file) }
        } catch {
            // swift-certificates reads no Ed448 keys: an ISO 15118-20 Ed448 chain goes to the Ed448 validator.
            guard error.code == .malformedEncoding, let (ed448Roots, ed448Chain) = try? loadEd448() else { throw error }
            guard crl.isEmpty else { throw ValidationError("--crl is not supported for Ed448 chains yet") }
            switch Ed448ChainValidator(roots: ed448Roots).validateOffline(chain: ed448Chain, at: time, role: expected) {
            case .success(let validated):
                print("ok: \(validated.role?.rawValue ?? "leaf") \(validated.leaf.subject) <- \(validated.subCAs.count) Sub-CA(s) <- \(validated.root.subject) (Ed448)")
                return
            case .failure(let failure):
                print("invalid: \(failure)")
                throw ExitCode(1)
            }
        }
        try await verify(anchors: anchors, certificates: certificates, time: time, expected: expected)
    }

    func loadEd448() throws -> ([Ed448Certificate], [Ed448Certificate]) {
        var anchors: [Ed448Certificate] = []
        var certificates: [Ed448Certificate] = []
        for file in roots { anchors += try CertificateFile.ed448Certificates(atPath: file) }
        for file in chain { certificates += try CertificateFile.ed448Certificates(atPath: file) }
        return (anchors, certificates)
    }

    func validationTime() throws -> Date {
        let time: Date
        if let at {
            guard let parsed = ISO8601DateFormatter().date(from: at) else { throw ValidationError("--at is not ISO 8601: \(at)") }
            time = parsed
        } else {
            time = Date()
        }
        return time
    }

    func verify(anchors: [Certificate], certificates: [Certificate], time: Date, expected: CertificateRole?) async throws {
        var revocation = ChainValidator.RevocationPolicy.none
        if !crl.isEmpty {
            var lists: [CertificateList] = []
            for file in crl {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read --crl \(file)") }
                do { lists.append(try CertificateList(pemOrDER: Array(data))) } catch {
                    throw ValidationError("--crl \(file) is not a CRL: \(error)")
                }
            }
            revocation = .required(CRLRevocationChecker(crls: lists))
        }
        switch await ChainValidator(roots: anchors).validate(chain: certificates, at: time, role: expected, revocation: revocation) {
        case .success(let validated):
            print("ok: \(validated.role?.rawValue ?? "leaf") \(validated.leaf.subject) <- \(validated.subCAs.count) Sub-CA(s) <- \(validated.root.subject)")
        case .failure(let failure):
            print("invalid: \(failure)")
            throw ExitCode(1)
        }
    }
}
