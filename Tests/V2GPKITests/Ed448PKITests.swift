import Ed448
import Foundation
import PnCCore
import PnCTesting
import SwiftASN1
import Testing
import X509
@testable import V2GPKI

/// One Ed448 PKI for the suite: creating it signs 26 certificates with the (debug-built) Ed448 code.
enum Ed448Fixture {
    static let now = Date()
    static let root: String = {
        let root = Peers.temporaryDirectory("ed448pki")
        do {
            _ = try PKIDirectory.create(
                at: root,
                configuration: .init(
                    profile: .iso15118_20, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl",
                    keyAlgorithm: .ed448),
                password: "pw", options: .fast, now: now)
        } catch {
            Issue.record("Ed448 PKI creation failed: \(error)")
        }
        return root
    }()
    static let leaves: [(String, CertificateRole)] = [
        ("secc", .secc), ("cps", .cps), ("contract", .contract), ("oem-prov", .oemProvisioning),
    ]
}

@Suite struct Ed448PKITests {
    @Test("[ISO 15118-20] pnc pki init --algorithm ed448: every certificate is id-Ed448, lints clean under -20, and every leaf chain validates to its root with its role")
    func hierarchy() throws {
        let root = Ed448Fixture.root
        let roots = try CertificateFile.ed448Certificates(atPath: "\(root)/roots.pem")
        #expect(roots.count == 3)
        let validator = Ed448ChainValidator(roots: roots)
        for (name, role) in Ed448Fixture.leaves {
            let chain = try CertificateFile.ed448Certificates(atPath: "\(root)/leaf/\(name)/chain.pem")
            #expect(chain.count == 3)
            let result = validator.validateOffline(chain: chain, at: Ed448Fixture.now, role: role)
            let validated = try result.get()
            #expect(validated.role == role)
            #expect(validated.subCAs.count == 2)
            for (index, certificate) in (chain + [validated.root]).enumerated() {
                #expect(certificate.signatureAlgorithmIsEd448)
                let issuer = index + 1 < chain.count ? chain[index + 1] : (index + 1 == chain.count ? validated.root : nil)
                let report = CertificateLinter.lint(certificate, issuer: issuer)
                #expect(report.profile == .iso15118_20)
                #expect(report.findings.filter { $0.severity != .info }.isEmpty, "\(name) #\(index): \(report.findings)")
            }
        }
        for role in CertificateRole.allCases where role.isCA {
            let ocsp = try CertificateFile.ed448Certificates(atPath: "\(root)/ca/\(role.rawValue)/ocsp/cert.pem")[0]
            #expect(CertificateLinter.detectRole(ocsp) == .ocspSigner)
            #expect(!CertificateLinter.lint(ocsp).hasErrors, "\(role.rawValue) OCSP")
        }
        // The SECC and contract certificates stay within the -20 certificateType (1600 bytes).
        let contract = try CertificateFile.ed448Certificates(atPath: "\(root)/leaf/contract/cert.der")[0]
        #expect(contract.derBytes.count <= 1600)
        let configuration = try PKIDirectory(root: root, password: "pw").configuration
        #expect(configuration.effectiveKeyAlgorithm == .ed448)
    }

    @Test("[ISO 15118-20] an Ed448 contract leaf issued later from MO Sub-CA 2 (by eMAID) validates, lints clean and is recorded; CSR-less secc too; a second leaf of the same name is refused")
    func issueLater() throws {
        let directory = try PKIDirectory(root: Ed448Fixture.root, password: "pw")
        var rng = SeededRandom(seed: 4481)
        let emaid = try EMAID("DE8AA001234567")
        let contract = try directory.issueEd448Leaf(
            name: "contract-DE8AA0012345670", role: .contract, commonName: emaid.normalized, validityDays: 30,
            now: Ed448Fixture.now, using: &rng)
        let chain = try CertificateFile.ed448Certificates(atPath: "\(directory.leafDirectory("contract-DE8AA0012345670"))/chain.pem")
        #expect(chain.first == contract)
        let roots = try directory.ed448Roots()
        let validated = try Ed448ChainValidator(roots: roots).validateOffline(chain: chain, at: Ed448Fixture.now, role: .contract).get()
        #expect(validated.subCAs.count == 2)
        #expect(!CertificateLinter.lint(contract, issuer: chain[1]).hasErrors)
        let database = try String(contentsOfFile: "\(directory.caDirectory(.moSubCA2))/database.json", encoding: .utf8)
        #expect(database.contains(contract.serialNumber.hexString))
        let key = try directory.keyStore.ed448SigningKey(label: "leaf/contract-DE8AA0012345670/key")
        #expect(key.publicKey == contract.publicKey)
        _ = try directory.issueEd448Leaf(name: "secc-2", role: .secc, commonName: "DE*OPC*E2", validityDays: 30, now: Ed448Fixture.now, using: &rng)
        do {
            _ = try directory.issueEd448Leaf(name: "secc-2", role: .secc, commonName: "DE*OPC*E2", validityDays: 30, now: Ed448Fixture.now, using: &rng)
            Issue.record("a second leaf of the same name was issued")
        } catch {
            #expect(error.code == .invalidRequest)
        }
        do {
            _ = try directory.issueEd448Leaf(name: "ca", role: .moSubCA2, commonName: "x", validityDays: 30, now: Ed448Fixture.now, using: &rng)
            Issue.record("a CA was issued as a leaf")
        } catch {
            #expect(error.code == .invalidRequest)
        }
    }

    @Test("[ISO 15118-2 Annex F] lint rejects Ed448 under -2 (SIG-ALG, KEY-CURVE); -2 PKIs cannot be Ed448")
    func rejectedUnderISO2() throws {
        let secc = try CertificateFile.ed448Certificates(atPath: "\(Ed448Fixture.root)/leaf/secc/cert.pem")[0]
        let report = CertificateLinter.lint(secc, profile: .iso15118_2)
        #expect(report.has(.signatureAlgorithm))
        #expect(report.has(.publicKey))
        let dir = Peers.temporaryDirectory("ed448iso2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try PKIDirectory.create(
                at: dir, configuration: .init(profile: .iso15118_2, ocspURL: "http://x/o", crlBaseURL: "http://x/c", keyAlgorithm: .ed448),
                password: nil, options: .fast)
            Issue.record("an iso15118-2 Ed448 PKI was created")
        } catch {
            #expect(error.code == .unsupportedAlgorithm)
        }
    }

    @Test("[ISO 15118-20] Ed448 chain failures carry the precise reason: bad signature, expired, not yet valid, unknown root, wrong role, empty")
    func failures() throws {
        let root = Ed448Fixture.root
        let roots = try CertificateFile.ed448Certificates(atPath: "\(root)/roots.pem")
        let chain = try CertificateFile.ed448Certificates(atPath: "\(root)/leaf/contract/chain.pem")
        let validator = Ed448ChainValidator(roots: roots)
        var tampered = chain[0].derBytes
        tampered[tampered.count - 10] ^= 0x01  // inside the signature value
        let forged = try Ed448Certificate(derEncoded: tampered)
        func failure(_ result: Result<ValidatedEd448Chain, ChainValidationFailure>) -> ChainValidationFailure? {
            if case .failure(let f) = result { return f }
            return nil
        }
        guard case .badSignature = failure(validator.validateOffline(chain: [forged] + chain.dropFirst(), at: Ed448Fixture.now)) else {
            Issue.record("a forged signature was not reported as badSignature")
            return
        }
        let late = Ed448Fixture.now.addingTimeInterval(20 * 365 * 86_400)
        guard case .expired = failure(validator.validateOffline(chain: chain, at: late)) else {
            Issue.record("expiry not reported")
            return
        }
        guard case .notYetValid = failure(validator.validateOffline(chain: chain, at: Ed448Fixture.now.addingTimeInterval(-86_400))) else {
            Issue.record("not-yet-valid not reported")
            return
        }
        let v2gOnly = Ed448ChainValidator(roots: roots.filter { CertificateLinter.detectRole($0) == .v2gRoot })
        guard case .unknownRoot = failure(v2gOnly.validateOffline(chain: chain, at: Ed448Fixture.now)) else {
            Issue.record("unknown root not reported")
            return
        }
        guard case .wrongRole(_, .secc, .contract) = failure(validator.validateOffline(chain: chain, at: Ed448Fixture.now, role: .secc)) else {
            Issue.record("wrong role not reported")
            return
        }
        guard case .emptyChain = failure(validator.validateOffline(chain: [], at: Ed448Fixture.now)) else {
            Issue.record("empty chain not reported")
            return
        }
        // A root of the wrong key under the right name fails as a bad signature.
        let moRoot = roots.first { CertificateLinter.detectRole($0) == .moRoot }!
        var rng = SeededRandom(seed: 448)
        let impostorKey = Ed448.PrivateKey(using: &rng)
        let impostor = try CertificateIssuer(profile: .iso15118_20).issueEd448(
            Ed448IssuanceRequest(
                role: .moRoot, subject: moRoot.subject, publicKey: impostorKey.publicKey, serialNumber: moRoot.serialNumber,
                notBefore: moRoot.notValidBefore, notAfter: moRoot.notValidAfter),
            issuer: nil, issuerKey: impostorKey)
        let withImpostor = Ed448ChainValidator(roots: [impostor])
        switch failure(withImpostor.validateOffline(chain: chain, at: Ed448Fixture.now)) {
        case .badSignature, .unknownRoot: break
        case let other: Issue.record("impostor root gave \(String(describing: other))")
        }
    }

    @Test("[RFC 8410] Ed448 keys are encrypted PKCS#8: right password opens and matches the certificate, wrong or none is wrongPassword")
    func keys() throws {
        let root = Ed448Fixture.root
        let store = SoftwareKeyStore(directory: root, password: "pw")
        let key = try store.ed448SigningKey(label: "leaf/contract/key")
        let certificate = try CertificateFile.ed448Certificates(atPath: "\(root)/leaf/contract/cert.pem")[0]
        #expect(key.publicKey == certificate.publicKey)
        let text = try String(contentsOfFile: "\(root)/leaf/contract/key.pem", encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        for password in ["nope", nil] as [String?] {
            do {
                _ = try PrivateKeyFile.loadEd448(pem: text, password: password)
                Issue.record("opened with \(String(describing: password))")
            } catch {
                #expect(error.code == .wrongPassword)
            }
        }
        // Plain PKCS#8 round trip, and the RFC 8410 bytes: 30 47 02 01 00 30 05 06 03 2B 65 71 04 3B 04 39 ‖ seed.
        let plain = try PrivateKeyFile.pem(for: key, password: nil, salt: [], iv: [])
        let document = try PEMDocument(pemString: plain)
        #expect(Array(document.derBytes.prefix(16)) == [0x30, 0x47, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x71, 0x04, 0x3B, 0x04, 0x39])
        #expect(Array(document.derBytes.dropFirst(16)) == key.seed)
        #expect(try PrivateKeyFile.loadEd448(pem: plain, password: nil) == key)
        // An EC key is not an Ed448 key.
        let ecPEM = try PrivateKeyFile.pem(for: TestPKI.key(for: .contract, profile: .iso15118_2), password: nil, salt: [], iv: [])
        do {
            _ = try PrivateKeyFile.loadEd448(pem: ecPEM, password: nil)
            Issue.record("a P-256 key loaded as Ed448")
        } catch {
            #expect(error.code == .unsupportedAlgorithm)
        }
    }

    @Test("[RFC 5280] the Ed448 certificate reader: EC certificates are unsupportedAlgorithm; truncations and bit flips are typed errors, never a crash")
    func parser() throws {
        let der = try CertificateFile.ed448Certificates(atPath: "\(Ed448Fixture.root)/leaf/secc/cert.der")[0].derBytes
        var rng = SeededRandom(seed: 20)
        for _ in 0..<300 {
            var mutated = der
            if Bool.random(using: &rng) {
                mutated = Array(mutated.prefix(Int.random(in: 0..<der.count, using: &rng)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<mutated.count, using: &rng)
                    mutated[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            }
            do { _ = try Ed448Certificate(derEncoded: mutated) } catch {
                #expect([.malformedEncoding, .unsupportedAlgorithm].contains(error.code))
            }
        }
        let ec = try #require(try TestPKI(profile: .iso15118_20).leaves[.contract]).derBytes
        do {
            _ = try Ed448Certificate(derEncoded: ec)
            Issue.record("a P-521 certificate parsed as Ed448")
        } catch {
            #expect(error.code == .unsupportedAlgorithm)
        }
    }

    @Test("[RFC 5280 §4.1.2.5] validity encodes as UTCTime before 2050 and GeneralizedTime from 2050, and reads back")
    func times() throws {
        for seconds in [0.0, 951_782_400, 2_524_607_999, 2_524_608_000, 4_102_444_800] {
            let date = Date(timeIntervalSince1970: seconds)
            var serializer = DER.Serializer()
            try X509Time.serialize(date, into: &serializer)
            let node = try DER.parse(serializer.serializedBytes)
            #expect(node.identifier == (seconds < 2_524_608_000 ? .utcTime : .generalizedTime))
            #expect(try X509Time.date(node) == date)
        }
    }
}
