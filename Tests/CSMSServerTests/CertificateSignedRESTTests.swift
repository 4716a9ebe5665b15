import CSMS
import CSMSServer
import Crypto
import Foundation
import OCPPMessages
import OCPPTransport
import Synchronization
import Testing
import X509

@Suite(.serialized) struct CertificateSignedRESTTests {
    /// A leaf under the test root, valid within [notBefore, notAfter], signed by `signer` (the root's key by default).
    static func leaf(
        _ pki: TestPKI, notBefore: Date = TestPKI.notBefore, notAfter: Date = TestPKI.notAfter,
        signer: P256.Signing.PrivateKey? = nil
    ) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x51]),
            publicKey: .init(TestPKI.key(0x33).publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: pki.root.subject, subject: try DistinguishedName { CommonName("CS-CS SECC") },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(),
            issuerPrivateKey: .init(signer ?? pki.rootKey))
    }

    static func body(_ chain: String, type: String = "V2GCertificate") -> String {
        JSONValue.object([JSONMember("certificateChain", .string(chain)), JSONMember("certificateType", .string(type))]).serializedString
    }

    @Test("[A02/A03 external CA] POST /api/v1/stations/{id}/certificate-signed checks the chain (400 malformed body, 422 not PEM, expired leaf, out of order, bad signature, CA as leaf, unknown certificateType; 409 station not connected) and sends CertificateSigned to the station, answering its status")
    func certificateSigned() async throws {
        let pki = try TestPKI()
        let rootPEM = try TestPKI.pem(pki.root)
        let good = try TestPKI.pem(try Self.leaf(pki)) + "\n" + rootPEM
        try await withCSMSAndHTTP { _, port, httpPort in
            let url = "http://127.0.0.1:\(httpPort)/api/v1/stations/CS-SIGNED/certificate-signed"
            // Not connected: the chain is fine, the station is not here.
            #expect(try await http("POST", url, body: Self.body(good)).0 == 409)
            let recorder = RecordingStation()
            try await OCPPClient.withConnection(configuration: station(port: port, id: "CS-SIGNED"), handler: recorder) { connection in
                _ = try await connection.call(bootRequest)
                #expect(try await http("POST", url, body: #"{"chain": "x"}"#).0 == 400)
                #expect(try await http("POST", url, body: "not json").0 == 400)
                let refusals: [(String, String, String)] = [
                    ("not PEM", Self.body("hello"), "not PEM"),
                    ("broken PEM", Self.body("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "does not parse"),
                    ("expired", Self.body(try TestPKI.pem(try Self.leaf(pki, notAfter: Date(timeIntervalSince1970: 1_740_000_000)))), "expired"),
                    ("not yet valid", Self.body(try TestPKI.pem(try Self.leaf(pki, notBefore: Date(timeIntervalSince1970: 2_000_000_000)))), "valid only from"),
                    ("root first", Self.body(rootPEM + "\n" + good), "is a CA"),
                    ("out of order", Self.body(good + "\n" + good), "followed by its issuer"),
                    ("bad signature", Self.body(try TestPKI.pem(try Self.leaf(pki, signer: TestPKI.key(0x44))) + "\n" + rootPEM), "does not verify"),
                    ("unknown type", Self.body(good, type: "MORootCertificate"), "certificateType"),
                ]
                for (name, body, reason) in refusals {
                    let (status, problem) = try await http("POST", url, body: body)
                    #expect(status == 422, "\(name)")
                    guard case .string(let detail)? = problem["detail"] else { Issue.record("\(name): no detail"); continue }
                    #expect(detail.contains(reason), "\(name): \(detail)")
                }
                #expect(recorder.calls.withLock { $0.filter { $0.0 == "CertificateSigned" }.count } == 0)
                let (status, answer) = try await http("POST", url, body: Self.body(good))
                #expect(status == 200)
                #expect(answer["status"] == .string("Accepted"))
                #expect(answer["certificateType"] == .string("V2GCertificate"))
                let sent = try #require(recorder.calls.withLock { $0.first { $0.0 == "CertificateSigned" }?.1 })
                #expect(sent["certificateChain"] == .string(good))
                #expect(sent["certificateType"] == .string("V2GCertificate"))
            }
        }
    }

    @Test("[A02/A03 external CA, 1.6 PnC DataTransfer] to a 1.6J station a V2GCertificate chain goes in DataTransfer org.openchargealliance.iso15118pnc (messageId CertificateSigned), a ChargingStationCertificate as the security whitepaper's CertificateSigned; the station's status is answered")
    func certificateSigned16() async throws {
        let pki = try TestPKI()
        let good = try TestPKI.pem(try Self.leaf(pki)) + "\n" + (try TestPKI.pem(pki.root))
        let recorder = StationWithV2GRoot(
            v2gRootID: CSMS.CertificateHashData(hashAlgorithm: "SHA256", issuerNameHash: "00", issuerKeyHash: "00", serialNumber: "01", responderURL: ""))
        try await withCSMSAndHTTP { _, port, httpPort in
            let url = "http://127.0.0.1:\(httpPort)/api/v1/stations/CS-SIGNED-16/certificate-signed"
            try await OCPPClient.withConnection(configuration: station(port: port, id: "CS-SIGNED-16", versions: [.v16]), handler: recorder) { connection in
                _ = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-16"))
                let (status, answer) = try await http("POST", url, body: Self.body(good))
                #expect(status == 200)
                #expect(answer["status"] == .string("Accepted"))
                let wrapped = try #require(recorder.calls.withLock { $0.first { $0.0 == "16:CertificateSigned" }?.1 })
                #expect(wrapped["certificateChain"] == .string(good))
                #expect(wrapped["certificateType"] == .string("V2GCertificate"))
                let (status2, answer2) = try await http("POST", url, body: Self.body(good, type: "ChargingStationCertificate"))
                #expect(status2 == 200)
                #expect(answer2["status"] == .string("Accepted"))
                let plain = recorder.calls.withLock { $0.filter { $0.0 == "CertificateSigned" }.map(\.1) }
                // The DataTransfer's inner call is recorded as CertificateSigned too; the plain one has no certificateType.
                #expect(plain.contains { $0["certificateChain"] == .string(good) && $0["certificateType"] == nil })
            }
        }
    }
}
