import CSMS
import ChargingStation
import Foundation
import ISO15118SECC
import Logging
import PnCServer
import Testing

func demoFolder() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-demo-test-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("pnc demo: PKI, CSMS and station in one process")
struct DemoTests {
    @Test("[OCPP2.0.1 A02 A03 M03 C01 E01-E06] happy path: roots installed, SECC certificate signed, session stored")
    func happy() async throws {
        let report = try await Demo.run(scenario: .happy, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
        #expect(Set(report.installedRoots) == ["V2GRootCertificate", "MORootCertificate"])
        let chain = try #require(report.seccCertificateChainPEM)
        #expect(chain.components(separatedBy: "BEGIN CERTIFICATE").count - 1 == 3)
        #expect(report.authorization?.status == .accepted)
        #expect(report.authorization?.detail == "CSMS: Accepted")
        let record = try #require(report.storedTransaction)
        #expect(record.eventCount == 5)
        #expect(record.stoppedReason == "EVDisconnected")
        #expect(report.storedEnergyWh == [12_000, 14_500, 17_000, 19_500, 20_000])
        // One trace id for the session's decision and its transaction events.
        let traces = Set(report.timeline.compactMap(\.traceID))
        #expect(traces.count == 1)
    }

    @Test("[OCPP2.0.1 C15 E04] csms-offline: local list decides with its reason, events replayed once")
    func csmsOffline() async throws {
        let report = try await Demo.run(
            scenario: .csmsOffline, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
        #expect(report.authorization?.status == .accepted)
        #expect(report.authorization?.detail?.hasPrefix("offline:") == true)
        let record = try #require(report.storedTransaction)
        #expect(record.eventCount == 5)
        #expect(record.lastSeqNo == 4)
        #expect(Demo.render(report).contains("TransactionEvents queued"))
    }
}
