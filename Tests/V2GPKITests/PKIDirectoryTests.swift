import Crypto
import Foundation
import SwiftASN1
import PnCTesting
import Testing
import X509
@testable import V2GPKI

@Suite struct PKIDirectoryTests {
    @Test("pnc pki init: every CA, leaf and OCSP responder on disk, keys encrypted, chains valid", arguments: PKIProfile.allCases)
    func createLayout(profile: PKIProfile) async throws {
        let root = Peers.temporaryDirectory("init")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = try PKIDirectory.create(
            at: root, configuration: .init(profile: profile, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: "s3cret", options: .fast
        )
        for role in CertificateRole.allCases where role.isCA {
            let ca = try pki.authority(role)
            #expect(CertificateLinter.lint(ca.certificate).hasErrors == false)
            #expect(FileManager.default.fileExists(atPath: "\(ca.directory!)/cert.der"))
            #expect(FileManager.default.fileExists(atPath: "\(ca.directory!)/ocsp/cert.pem"))
            let keyPEM = try String(contentsOfFile: "\(ca.directory!)/key.pem", encoding: .utf8)
            #expect(keyPEM.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        }
        let roots = try pki.roots()
        #expect(roots.count == 3)
        for (leaf, role) in [("secc", CertificateRole.secc), ("cps", .cps), ("contract", .contract), ("oem-prov", .oemProvisioning)] {
            let chain = try CertificateFile.certificates(atPath: "\(pki.leafDirectory(leaf))/chain.pem")
            #expect(chain.count == 3)
            let result = await ChainValidator(roots: roots).validate(chain: chain, at: Date(), role: role)
            #expect((try? result.get()) != nil, "\(leaf): \(result)")
            let key = try PrivateKeyFile.load(path: "\(pki.leafDirectory(leaf))/key.pem", password: "s3cret")
            #expect(key.publicKey == chain[0].publicKey)
        }
        #expect(throws: V2GPKIError.self) {
            try PKIDirectory.create(at: root, configuration: pki.configuration, password: "s3cret", options: .fast)
        }
        let reopened = try PKIDirectory(root: root, password: "s3cret")
        #expect(reopened.configuration == pki.configuration)
    }

    @Test("A wrong key password is a typed error, not a crash or a garbage key")
    func wrongPassword() throws {
        let root = Peers.temporaryDirectory("pw")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = try PKIDirectory.create(at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://x/o", crlBaseURL: "http://x/c"), password: "right", options: .fast)
        let wrong = try PKIDirectory(root: root, password: "wrong")
        do {
            _ = try wrong.authority(.moSubCA2)
            Issue.record("opened with a wrong password")
        } catch {
            #expect(error.code == .wrongPassword)
        }
        do {
            _ = try PKIDirectory(root: root, password: nil).authority(.moSubCA2)
            Issue.record("opened without a password")
        } catch {
            #expect(error.code == .wrongPassword)
        }
        _ = pki
    }

    @Test("Contract leaves by eMAID; SECC from a PKCS#10 CSR keeps CN and key, gets the profile's extensions")
    func issueFromCSR() throws {
        let root = Peers.temporaryDirectory("csr")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = try PKIDirectory.create(at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://x/o", crlBaseURL: "http://x/c"), password: nil, options: .fast)
        var rng = SystemRandomNumberGenerator()
        let contract = try pki.issueLeaf(
            name: "contract-2", role: .contract, commonName: "DEOPC0000000026", by: try pki.authority(.moSubCA2),
            validityDays: 30, now: Date(), using: &rng
        )
        #expect(CertificateLinter.lint(contract).findings.filter { $0.severity == .error }.isEmpty)

        let stationKey = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("CP001"); OrganizationName("Example CPO") },
            privateKey: Certificate.PrivateKey(stationKey), attributes: .init()
        )
        let pem = Array(try csr.serializeAsPEM().pemString.utf8)
        let ca = try pki.authority(.cpoSubCA2)
        let secc = try ca.issue(role: .secc, csr: pem, validityDays: 365, now: Date(), using: &rng)
        #expect(secc.publicKey == Certificate.PublicKey(stationKey.publicKey))
        let report = CertificateLinter.lint(secc, issuer: ca.certificate)
        #expect(report.role == .secc)
        #expect(!report.hasErrors, "\(report.findings)")
        #expect(secc.subject.description.contains("CN=CP001"))
        #expect(secc.subject.description.contains("O=Example CPO"))
    }

    @Test("A CSR with a bad signature, a garbage CSR and a P-384 CSR are refused with typed errors")
    func badCSRs() throws {
        let root = Peers.temporaryDirectory("badcsr")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = try PKIDirectory.create(at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://x/o", crlBaseURL: "http://x/c"), password: nil, options: .fast)
        let ca = try pki.authority(.cpoSubCA2)
        var rng = SystemRandomNumberGenerator()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("CP001") },
            privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()), attributes: .init()
        )
        var der = try csr.derBytes()
        der[der.count - 5] ^= 0x01  // inside the signature
        func code(_ bytes: [UInt8]) -> V2GPKIError.Code? {
            do { _ = try ca.issue(role: .secc, csr: bytes, validityDays: 1, now: Date(), using: &rng); return nil } catch { return error.code }
        }
        #expect(code(der) == .badSignature || code(der) == .malformedEncoding)
        #expect(code(Array("-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n-----END CERTIFICATE REQUEST-----\n".utf8)) == .malformedEncoding)
        #expect(code(Array(try csr.derBytes().prefix(40))) == .malformedEncoding)
        let p384 = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("CP001") },
            privateKey: Certificate.PrivateKey(P384.Signing.PrivateKey()), attributes: .init()
        )
        #expect(code(try p384.derBytes()) == .invalidRequest)
    }

    @Test("Truncated DER and wrong PEM armour give malformedEncoding")
    func badCertificateFiles() throws {
        let pki = try TestPKI()
        let der = try pki.leaves[.secc]!.derBytes
        for cut in [0, 1, 10, der.count / 2, der.count - 1] {
            #expect(throws: V2GPKIError.self) { try CertificateFile.certificates(from: Array(der.prefix(cut))) }
        }
        let pem = try CertificateFile.pem(pki.leaves[.secc]!)
        let wrongType = pem.replacingOccurrences(of: "CERTIFICATE", with: "PRIVATE KEY")
        let brokenEnd = pem.replacingOccurrences(of: "-----END CERTIFICATE-----", with: "-----END CERT-----")
        for text in [wrongType, brokenEnd] {
            do { _ = try CertificateFile.certificates(from: Array(text.utf8)); Issue.record("accepted") } catch {
                #expect(error.code == .malformedEncoding)
            }
        }
    }
}

extension CertificateSigningRequest {
    func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}

