import CSMSServer
import Crypto
import Foundation
import SwiftASN1
import Testing
import V2GPKI
import X509

@Suite struct PKICertificateAuthorityTests {
    static func makePKI() throws -> (PKIDirectory, String) {
        let root = NSTemporaryDirectory() + "pnc-csms-pki-\(UUID().uuidString.prefix(8))"
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        let pki = try PKIDirectory.create(
            at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: "pw", options: options
        )
        return (pki, root)
    }

    @Test("A02/A03: SignCertificate(V2GCertificate) with a real CSR gets a chain that validates as an SECC certificate to the V2G root")
    func signsV2GCertificate() async throws {
        let (pki, root) = try Self.makePKI()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ca = try PKICertificateAuthority(pki: pki, validityDays: 30)
        let stationKey = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("CP001"); OrganizationName("Example CPO") },
            privateKey: Certificate.PrivateKey(stationKey), attributes: .init()
        )
        let pem = try await ca.sign(csrPEM: try csr.serializeAsPEM().pemString, certificateType: "V2GCertificate")
        let chain = try CertificateFile.certificates(from: Array(pem.utf8))
        #expect(chain.count == 3)
        #expect(chain[0].publicKey == Certificate.PublicKey(stationKey.publicKey))
        let result = await ChainValidator(roots: try pki.roots()).validate(chain: chain, at: Date(), role: .secc)
        #expect((try? result.get()) != nil, "\(result)")
        #expect(try pki.authority(.cpoSubCA2).status(of: chain[0].serialNumber) == .good)
    }

    @Test("A CSR that is not PKCS#10 and a ChargingStationCertificate request are refused with typed errors")
    func refusals() async throws {
        let (pki, root) = try Self.makePKI()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ca = try PKICertificateAuthority(pki: pki, validityDays: 30)
        let stub = "-----BEGIN CERTIFICATE REQUEST-----\n" + Data("stub-csr".utf8).base64EncodedString() + "\n-----END CERTIFICATE REQUEST-----\n"
        do { _ = try await ca.sign(csrPEM: stub, certificateType: "V2GCertificate"); Issue.record("signed a stub") } catch let error as V2GPKIError {
            #expect(error.code == .malformedEncoding)
        }
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("CP001") },
            privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()), attributes: .init()
        )
        do {
            _ = try await ca.sign(csrPEM: try csr.serializeAsPEM().pemString, certificateType: "ChargingStationCertificate")
            Issue.record("signed a ChargingStationCertificate with the V2G PKI")
        } catch let error as V2GPKIError {
            #expect(error.code == .invalidRequest)
        }
        #expect(throws: V2GPKIError.self) { try PKICertificateAuthority(pki: try PKIDirectory(root: root, password: "wrong"), validityDays: 1) }
    }
}
