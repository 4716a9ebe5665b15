import CSMS
import CSMSServer
import Foundation
import OCPPMessages
import OCPPTransport
import Storage
import SwiftASN1
import Synchronization
import PnCTesting
import Testing
import X509

@Suite(.serialized) struct CertificateRenewalTests {
    @Test("[A02.FR.01/A03] the expiry of a V2G certificate the station accepted (CertificateSigned) is stored; inside the renewal window the CSMS sends TriggerMessage(SignV2GCertificate)")
    func renewsAheadOfExpiry() async throws {
        let pki = try TestPKI()
        try await withCSMSAndHTTP(
            certificateAuthority: TestCertificateAuthority(pki: pki), http: false,
            application: { configuration in
                configuration.certificateRenewalWindow = .seconds(36_500 * 86_400)
                configuration.certificateRenewalCheckInterval = .milliseconds(200)
            }
        ) { app, port, _ in
            let recorder = RecordingStation()
            let key = TestPKI.key(0x56)
            try await OCPPClient.withConnection(configuration: station(port: port), handler: recorder) { connection in
                _ = try await connection.call(bootRequest)
                let response = try await connection.call(
                    V201.SignCertificateRequest(csr: try TestPKI.csr(commonName: "CS-1", key: key), certificateType: .v2GCertificate))
                #expect(response.status == .accepted)
                #expect(await recorder.waitFor(["CertificateSigned", "TriggerMessage"]) == ["CertificateSigned", "TriggerMessage"])
            }
            let signed = try V201.CertificateSignedRequest(
                json: try #require(recorder.calls.withLock { $0.first { $0.0 == "CertificateSigned" } }?.1))
            let leaf = try Certificate(pemEncoded: signed.certificateChain)
            let stored = try await app.store.stationCertificates(expiringBefore: OCPPDateTime(secondsSince1970: 4_000_000_000))
            #expect(stored.count == 1)
            #expect(stored.first?.stationID == "CS-1")
            #expect(stored.first?.certificateType == "V2GCertificate")
            #expect(stored.first.map { abs($0.notAfter.secondsSince1970 - leaf.notValidAfter.timeIntervalSince1970) < 1 } == true)
            let trigger = try V201.TriggerMessageRequest(
                json: try #require(recorder.calls.withLock { $0.first { $0.0 == "TriggerMessage" } }?.1))
            #expect(trigger.requestedMessage == .signV2GCertificate)
            #expect(try await app.store.stationCertificates(expiringBefore: OCPPDateTime(secondsSince1970: 0)).isEmpty)
        }
    }

    @Test("[A02/A03 over 1.6 PnC DataTransfer] SignCertificate → CertificateSigned (both in DataTransfer iso15118pnc) stores the expiry; the renewal TriggerMessage(SignV2GCertificate) reaches the 1.6 station the same way")
    func renewsOver16() async throws {
        let pki = try TestPKI()
        let station = StationWithV2GRoot(
            v2gRootID: CSMS.CertificateHashData(hashAlgorithm: "SHA256", issuerNameHash: "00", issuerKeyHash: "00", serialNumber: "1", responderURL: ""))
        try await withCSMSAndHTTP(
            certificateAuthority: TestCertificateAuthority(pki: pki), http: false,
            application: { configuration in
                configuration.certificateRenewalWindow = .seconds(36_500 * 86_400)
                configuration.certificateRenewalCheckInterval = .milliseconds(200)
            }
        ) { app, port, _ in
            try await OCPPClient.withConnection(configuration: CSMSServerTests.station(port: port, versions: [.v16]), handler: station) { connection in
                _ = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-16"))
                let sign = V201.SignCertificateRequest(csr: try TestPKI.csr(commonName: "CP16", key: TestPKI.key(0x57)), certificateType: .v2GCertificate)
                let response = try await connection.call(
                    V16.DataTransferRequest(vendorId: "org.openchargealliance.iso15118pnc", messageId: "SignCertificate", data: sign.json.serializedString))
                #expect(response.status == .accepted)
                await pollWhile(every: .milliseconds(20)) { !station.calls.withLock({ $0.contains { $0.0 == "16:TriggerMessage" } }) }
            }
            let calls = station.calls.withLock { $0 }
            #expect(calls.contains { $0.0 == "16:CertificateSigned" })
            let trigger = try V201.TriggerMessageRequest(json: try #require(calls.first { $0.0 == "16:TriggerMessage" }?.1))
            #expect(trigger.requestedMessage == .signV2GCertificate)
            let stored = try await app.store.stationCertificates(expiringBefore: OCPPDateTime(secondsSince1970: 4_000_000_000))
            #expect(stored.map(\.stationID) == ["CS-1"])
        }
    }
}
