import CSMS
import ChargingStation
import Foundation
import EMSP
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
        let record = try #require(report.storedTransaction)
        #expect(record.eventCount == 5)
        #expect(record.stoppedReason == "EVDisconnected")
        #expect(report.storedEnergyWh == [12_000, 14_500, 17_000, 19_500, 20_000])
        // The SECC accepts the contract chain (MO root installed by the CSMS, OCSP good from the responder on loopback).
        #expect(report.contractRefusal == nil)
        // The CSMS checks the chain, OCSP against the responder on loopback and the eMSP contract: Accepted.
        let contract = try #require(report.contractAuthorization)
        #expect(contract.status == .accepted)
        #expect(contract.certificateStatus == .accepted)
        // Contract installation over OCPP (station → CSMS → eMSP/CPS): CPS-signed, key decrypts with the OEM key.
        let installation = try #require(report.contractInstallation)
        #expect(installation.ocppStatus == "Accepted")
        #expect(installation.iso15118ResponseCode == "OK")
        #expect(installation.eMAID == Demo.demoEMAID + "0")  // with its check digit (ISO 15118-2 Annex H)
        #expect(installation.cpsSignatureVerified)
        #expect(installation.contractKeyMatches)
        #expect(installation.issuedByMOSubCA2)
        let cdr = try #require(report.cdr)
        #expect(cdr.totalEnergyKWh == "8.000")
        #expect(cdr.lines.first?.amount.cents == 392)  // 8 kWh × 0.49
        #expect(cdr.totalInclVAT.cents == cdr.totalExclVAT.cents + cdr.vat.cents)
        let path = try #require(report.invoicePath)
        #expect(path.hasSuffix("/outbox/DE8AA001234567/\(report.invoiceNumber ?? "?").html"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(cdr.totalInclVAT.description))
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
        #expect(report.contractAuthorization?.certificateStatus == .noCertificateAvailable)
        #expect(Demo.render(report).contains("TransactionEvents queued"))
        #expect(report.invoicePath != nil)
    }
}

@Suite("pnc demo refusal scenarios: precise reason codes and the EIM fallback")
struct DemoRefusalTests {
    @Test(
        "[ISO15118-2 responseCodeType, OCPP2.0.1 C07] each refusal carries its ISO 15118 and OCPP code; EIM still charges",
        arguments: [
            (DemoScenario.revoked, "FAILED_CertificateRevoked", BackendAuthorizationDecision.CertificateStatus.certificateRevoked),
            (.expired, "FAILED_CertificateExpired", .certificateExpired),
            (.unknownRoot, "FAILED_NoCertificateAvailable", .noCertificateAvailable),
            (.tamperedSignature, "FAILED_CertChainError", .signatureError),
        ])
    func refusal(scenario: DemoScenario, code: String, status: BackendAuthorizationDecision.CertificateStatus) async throws {
        let report = try await Demo.run(scenario: scenario, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
        let refusal = try #require(report.contractRefusal)
        #expect(refusal.iso15118ResponseCode == code)
        #expect(refusal.certificateStatus == status)
        #expect(report.contractAuthorization?.status == .invalid)
        #expect(report.contractAuthorization?.certificateStatus == status)
        #expect(report.authorization?.status == .accepted)  // EIM fallback
        #expect(report.storedTransaction?.eventCount == 5)
        #expect(report.invoicePath != nil)
    }
}

/// Keeps every log record's message, label and `trace_id` metadata.
final class CapturedLogs: @unchecked Sendable {
    struct Entry: Sendable {
        var label: String
        var message: String
        var traceID: String?
    }
    private let lock = NSLock()
    private var entries: [Entry] = []
    func append(_ entry: Entry) { lock.withLock { entries.append(entry) } }
    var all: [Entry] { lock.withLock { entries } }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append(.init(label: label, message: "\(event.message)", traceID: merged["trace_id"].map { "\($0)" }))
    }
}

@Suite("pnc demo: one trace id from the SECC to the CSMS")
struct DemoTraceTests {
    @Test("[OCPP2.0.1 C07 M02] the trace id of the session's decisions is the one the CSMS logs for Authorize and Get15118EVCertificate")
    func traceIDReachesTheCSMS() async throws {
        let logs = CapturedLogs()
        let logger = Logger(label: "test.demo.trace") { CapturingLogHandler(label: $0, logs: logs) }
        let report = try await Demo.run(scenario: .happy, workDirectory: demoFolder(), logger: logger)
        let trace = try #require(Set(report.timeline.compactMap(\.traceID)).first)
        let csmsLines = logs.all.filter { $0.traceID == trace }
        // The CSMS side logged decisions under the station's trace id (it is carried in customData).
        #expect(!csmsLines.isEmpty)
        // Messages of the CSMS's decisions (not the station's own "Authorize answered").
        #expect(csmsLines.contains { $0.message == "plug and charge authorization accepted" })
        #expect(csmsLines.contains { $0.message == "Get15118EVCertificate accepted" })
    }
}
