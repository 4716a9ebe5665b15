import CSMSServer
import Crypto
import Foundation
import PnCTesting
import SwiftASN1
import Testing
import V2GPKI
import X509

/// SignCertificate(V2GCertificate) with an ISO 15118-2 and an ISO 15118-20 PKI: the CSR's curve picks the signer.
@Suite struct PKICertificateAuthorityProfileTests {
    static func makePKI(_ profile: PKIProfile) throws -> PKIDirectory {
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        return try PKIDirectory.create(
            at: NSTemporaryDirectory() + "pnc-csms-\(profile.rawValue)-\(UUID().uuidString.prefix(8))",
            configuration: .init(profile: profile, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options)
    }

    /// One -2 and one -20 PKI for the suite, made once off the cooperative pool.
    static let pkis = Task { try await offCooperativePool { (try makePKI(.iso15118_2), try makePKI(.iso15118_20)) } }

    static func csr(_ key: Certificate.PrivateKey, _ algorithm: Certificate.SignatureAlgorithm) throws -> String {
        try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("CS-ISO20-1"); OrganizationName("OpenPnC") },
            privateKey: key, attributes: .init(), signatureAlgorithm: algorithm
        ).serializeAsPEM().pemString
    }

    @Test("[OCPP2.0.1 A02 A03, ISO15118-20 TLS 1.3 SECC certificate] a secp521r1 CSR is signed by the -20 CPO Sub-CA 2 (ecdsa-with-SHA512, chain to the -20 V2G root), a secp256r1 CSR by the -2 one")
    func signsByCurve() async throws {
        let (pki2, pki20) = try await Self.pkis.value
        let ca = try PKICertificateAuthority(pkis: [pki2, pki20], validityDays: 30)

        let key521 = P521.Signing.PrivateKey()
        let chain20 = try CertificateFile.certificates(
            from: Array(try await ca.sign(csrPEM: try Self.csr(.init(key521), .ecdsaWithSHA512), certificateType: "V2GCertificate").utf8))
        #expect(chain20.count == 3)
        #expect(chain20[0].publicKey == Certificate.PublicKey(key521.publicKey))
        #expect(chain20[0].signatureAlgorithm == .ecdsaWithSHA512)
        #expect(chain20[0].issuer == (try pki20.authority(.cpoSubCA2)).certificate.subject)
        let result20 = await ChainValidator(roots: try pki20.roots()).validate(chain: chain20, at: Date(), role: .secc)
        #expect((try? result20.get()) != nil, "\(result20)")

        let key256 = P256.Signing.PrivateKey()
        let chain2 = try CertificateFile.certificates(
            from: Array(try await ca.sign(csrPEM: try Self.csr(.init(key256), .ecdsaWithSHA256), certificateType: "V2GCertificate").utf8))
        #expect(chain2[0].publicKey == Certificate.PublicKey(key256.publicKey))
        #expect(chain2[0].signatureAlgorithm == .ecdsaWithSHA256)
        #expect(chain2[0].issuer == (try pki2.authority(.cpoSubCA2)).certificate.subject)
    }

    @Test("[OCPP2.0.1 A02 A03] a CSR of a curve no profile uses (secp384r1) and a secp521r1 CSR without an ISO 15118-20 PKI are refused with invalidRequest naming the reason; two PKIs of one profile are a configuration error")
    func refusesOtherCurves() async throws {
        let (pki2, _) = try await Self.pkis.value
        let ca = try PKICertificateAuthority(pkis: [pki2], validityDays: 30)
        let p384 = try Self.csr(.init(P384.Signing.PrivateKey()), .ecdsaWithSHA384)
        do {
            _ = try await ca.sign(csrPEM: p384, certificateType: "V2GCertificate")
            Issue.record("signed a secp384r1 CSR")
        } catch let error as V2GPKIError {
            #expect(error.code == .invalidRequest)
            #expect(error.detail.contains("neither secp256r1 (ISO 15118-2) nor secp521r1 (ISO 15118-20)"))
        }
        let p521 = try Self.csr(.init(P521.Signing.PrivateKey()), .ecdsaWithSHA512)
        do {
            _ = try await ca.sign(csrPEM: p521, certificateType: "V2GCertificate")
            Issue.record("signed a secp521r1 CSR without a -20 PKI")
        } catch let error as V2GPKIError {
            #expect(error.code == .invalidRequest)
            #expect(error.detail.contains("no iso15118-20 PKI is configured (configured: iso15118-2)"))
        }
        #expect(throws: V2GPKIError.self) { try PKICertificateAuthority(pkis: [pki2, pki2], validityDays: 30) }
        #expect(throws: V2GPKIError.self) { try PKICertificateAuthority(pkis: [], validityDays: 30) }
    }
}
