import CSMS
import CSMSServer
import Foundation
import OCPPMessages
import OCPPTransport
import Synchronization
import PnCTesting
import Testing
import V2GPKI

/// A station that already holds the V2G root and reports it in GetInstalledCertificateIds.
final class StationWithV2GRoot: OCPPCallHandler {
    let calls = Mutex<[(String, JSONValue)]>([])
    let v2gRootID: CSMS.CertificateHashData
    init(v2gRootID: CSMS.CertificateHashData) { self.v2gRootID = v2gRootID }

    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        calls.withLock { $0.append((action, payload)) }
        switch action {
        case "GetInstalledCertificateIds":
            let id = V201.CertificateHashData(
                hashAlgorithm: .sha256, issuerNameHash: v2gRootID.issuerNameHash.uppercased(),
                issuerKeyHash: v2gRootID.issuerKeyHash, serialNumber: v2gRootID.serialNumber)
            return .result(
                V201.GetInstalledCertificateIdsResponse(
                    status: .accepted, certificateHashDataChain: [.init(certificateHashData: id, certificateType: .v2GRootCertificate)]))
        case "InstallCertificate": return .result(V201.InstallCertificateResponse(status: .accepted))
        case "CertificateSigned": return .result(V201.CertificateSignedResponse(status: .accepted))
        case "TriggerMessage": return .result(V201.TriggerMessageResponse(status: .accepted))
        case "DataTransfer":
            // 1.6 PnC: the 2.0.1 request travels in `data`; answer with the 2.0.1 response the same way.
            guard let transfer = try? V16.DataTransferRequest(json: payload), let messageID = transfer.messageId,
                let data = transfer.data, let inner = try? JSONValue.parse(data)
            else { return .result(V16.DataTransferResponse(status: .rejected)) }
            calls.withLock { $0.append(("16:" + messageID, inner)) }
            let reply = await handle(action: messageID, payload: inner, on: connection)
            guard case .result(let answer) = reply.outcome else { return .result(V16.DataTransferResponse(status: .unknownMessageId)) }
            return .result(V16.DataTransferResponse(status: .accepted, data: answer.serializedString))
        default: return .error(.notImplemented, action)
        }
    }
}

@Suite(.serialized) struct CommissioningTests {
    @Test("[M05.FR.01 → M01.FR.01] after an Accepted boot the CSMS reads the installed certificate ids and installs only the missing MO root (the V2G root is already there)")
    func reconciles() async throws {
        let (pki, root) = try PKICertificateAuthorityTests.makePKI()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let v2gPEM = try String(contentsOfFile: "\(pki.caDirectory(.v2gRoot))/cert.pem", encoding: .utf8)
        let moPEM = try String(contentsOfFile: "\(pki.caDirectory(.moRoot))/cert.pem", encoding: .utf8)
        let v2gID = try CSMS.CertificateHashData.rootID(pem: v2gPEM)
        let station = StationWithV2GRoot(v2gRootID: v2gID)
        try await withCSMS(configure: { csms in
            csms.rootCertificatesToInstall = [("V2GRootCertificate", v2gPEM), ("MORootCertificate", moPEM)]
            for pem in [v2gPEM, moPEM] { csms.rootCertificateIDs[pem] = try? CSMS.CertificateHashData.rootID(pem: pem) }
        }) { _, port in
            try await OCPPClient.withConnection(configuration: CSMSServerTests.station(port: port), handler: station) { connection in
                _ = try await connection.call(bootRequest)
                await pollWhile(every: .milliseconds(20)) { station.calls.withLock({ $0.count }) < 2 }
                try await Task.sleep(for: .milliseconds(200))
                let calls = station.calls.withLock { $0 }
                #expect(calls.map(\.0) == ["GetInstalledCertificateIds", "InstallCertificate"])
                let install = try V201.InstallCertificateRequest(json: try #require(calls.last?.1))
                #expect(install.certificateType == .moRootCertificate)
                #expect(install.certificate == moPEM)
            }
        }
    }

    @Test("[M05/M01 over 1.6 PnC DataTransfer] a 1.6 station gets GetInstalledCertificateIds then only the missing MO root, each wrapped in DataTransfer org.openchargealliance.iso15118pnc")
    func reconciles16() async throws {
        let (pki, root) = try PKICertificateAuthorityTests.makePKI()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let v2gPEM = try String(contentsOfFile: "\(pki.caDirectory(.v2gRoot))/cert.pem", encoding: .utf8)
        let moPEM = try String(contentsOfFile: "\(pki.caDirectory(.moRoot))/cert.pem", encoding: .utf8)
        let station = StationWithV2GRoot(v2gRootID: try CSMS.CertificateHashData.rootID(pem: v2gPEM))
        try await withCSMS(configure: { csms in
            csms.rootCertificatesToInstall = [("V2GRootCertificate", v2gPEM), ("MORootCertificate", moPEM)]
            for pem in [v2gPEM, moPEM] { csms.rootCertificateIDs[pem] = try? CSMS.CertificateHashData.rootID(pem: pem) }
        }) { _, port in
            try await OCPPClient.withConnection(
                configuration: CSMSServerTests.station(port: port, versions: [.v16]), handler: station
            ) { connection in
                _ = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-16"))
                await pollWhile(every: .milliseconds(20)) { station.calls.withLock({ $0.filter { $0.0.hasPrefix("16:") }.count }) < 2 }
                try await Task.sleep(for: .milliseconds(200))
                let calls = station.calls.withLock { $0.filter { $0.0.hasPrefix("16:") } }
                #expect(calls.map(\.0) == ["16:GetInstalledCertificateIds", "16:InstallCertificate"])
                let install = try V201.InstallCertificateRequest(json: try #require(calls.last?.1))
                #expect(install.certificateType == .moRootCertificate)
            }
        }
    }

    @Test("[M05 over 1.6 PnC DataTransfer] root certificate installation on boot: without known root ids a 1.6 station gets InstallCertificate for every root, then GetInstalledCertificateIds, each in DataTransfer org.openchargealliance.iso15118pnc")
    func installsRoots16() async throws {
        let (pki, root) = try PKICertificateAuthorityTests.makePKI()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let v2gPEM = try String(contentsOfFile: "\(pki.caDirectory(.v2gRoot))/cert.pem", encoding: .utf8)
        let moPEM = try String(contentsOfFile: "\(pki.caDirectory(.moRoot))/cert.pem", encoding: .utf8)
        let station = StationWithV2GRoot(v2gRootID: try CSMS.CertificateHashData.rootID(pem: v2gPEM))
        try await withCSMS(configure: { csms in
            csms.rootCertificatesToInstall = [("V2GRootCertificate", v2gPEM), ("MORootCertificate", moPEM)]
        }) { _, port in
            try await OCPPClient.withConnection(
                configuration: CSMSServerTests.station(port: port, id: "CP-16R", versions: [.v16]), handler: station
            ) { connection in
                _ = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-16"))
                await pollWhile(every: .milliseconds(20)) { station.calls.withLock({ $0.filter { $0.0.hasPrefix("16:") }.count }) < 3 }
                try await Task.sleep(for: .milliseconds(200))
                var wire = 0
                var calls: [(String, JSONValue)] = []
                for call in station.calls.withLock({ $0 }) {
                    if call.0 == "DataTransfer" { wire += 1 }
                    if call.0.hasPrefix("16:") { calls.append(call) }
                }
                // On the wire: three PnC DataTransfers (the station's handler then records the 2.0.1 call inside each).
                #expect(wire == 3)
                #expect(calls.map { $0.0 } == ["16:InstallCertificate", "16:InstallCertificate", "16:GetInstalledCertificateIds"])
                let installed = try calls.prefix(2).map { try V201.InstallCertificateRequest(json: $0.1) }
                #expect(installed.map(\.certificateType) == [.v2GRootCertificate, .moRootCertificate])
                #expect(installed.map(\.certificate) == [v2gPEM, moPEM])
            }
        }
    }
}
