import CSMS
import CSMSServer
import Foundation
import OCPPMessages
import OCPPTransport
import Synchronization
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
                let deadline = ContinuousClock.now + .seconds(5)
                while station.calls.withLock({ $0.count }) < 2, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(200))
                let calls = station.calls.withLock { $0 }
                #expect(calls.map(\.0) == ["GetInstalledCertificateIds", "InstallCertificate"])
                let install = try V201.InstallCertificateRequest(json: try #require(calls.last?.1))
                #expect(install.certificateType == .moRootCertificate)
                #expect(install.certificate == moPEM)
            }
        }
    }
}
