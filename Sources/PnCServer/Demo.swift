import CSMS
import CSMSServer
import ChargingStation
import Foundation
import ISO15118SECC
import Logging
import NIOCore
import OCPPMessages
import OCPPTransport
import PnCCore
import Storage
import SwiftASN1
import V2GPKI
import X509

/// One line of the demo's timeline: a hop between two actors, what crossed it, how long it took, the trace id of the
/// decision it belongs to and the outcome.
public struct DemoTimelineEntry: Sendable, Hashable {
    public var hop: String
    public var step: String
    public var milliseconds: Double
    public var traceID: String?
    public var outcome: String
}

/// What a demo run did and left behind.
public struct DemoReport: Sendable {
    public var scenario: DemoScenario
    public var timeline: [DemoTimelineEntry] = []
    public var workDirectory: String
    /// The OCPP AuthorizationStatus of the session's authorization and its reason.
    public var authorization: BackendAuthorizationDecision?
    public var transactionID: String?
    /// The transaction as the CSMS stored it.
    public var storedTransaction: TransactionRecord?
    public var storedEnergyWh: [Double] = []
    public var seccCertificateChainPEM: String?
    public var installedRoots: [String] = []
    /// Parts of the flow this build does not run yet, with the reason.
    public var notRun: [String] = []
}

public enum DemoScenario: String, Sendable, CaseIterable {
    /// Commissioning, then an EIM-authorized session with the CSMS reachable.
    case happy
    /// The CSMS goes away before the session: offline authorization, queued events, replay on return.
    case csmsOffline = "csms-offline"
}

/// Runs the chain in one process: a V2G PKI in a temporary folder, the CSMS (OCPP-J on 127.0.0.1, port 0, SQLite),
/// one charging station (our OCPP 2.0.1 client) through commissioning (roots installed, SECC certificate signed by
/// CPO Sub-CA 2) and one charging session, timing every hop.
public enum Demo {
    public static let stationID = "OPNC-DEMO-CS1"
    public static let demoToken = "DEMO-RFID-0001"

    public static func run(scenario: DemoScenario, workDirectory: String, logger: Logger) async throws -> DemoReport {
        var report = DemoReport(scenario: scenario, workDirectory: workDirectory)
        report.notRun = [
            "EV↔SECC (ISO 15118-2 session, CertificateInstallation, Plug & Charge authorization): the SECC/EVCC machines and network driver are not in this build",
            "CSMS↔EMSP/CPS (Get15118EVCertificate) and CSMS↔OCSP (C07): not wired in this build's CSMS",
            "CDR and invoice: the EMSP billing target is not in this build",
        ]
        func timed<T>(
            _ hop: String, _ step: String, trace: TraceID? = nil, _ body: () async throws -> T,
            outcome: (T) -> String
        ) async rethrows -> T {
            let start = ContinuousClock.now
            let value = try await body()
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            report.timeline.append(
                DemoTimelineEntry(hop: hop, step: step, milliseconds: ms, traceID: trace?.rawValue, outcome: outcome(value)))
            return value
        }

        // PKI.
        let pkiFolder = workDirectory + "/pki"
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        let pki = try await timed("PKI", "pnc pki init (V2G, MO, OEM roots, Sub-CAs, leaves)", {
            try PKIDirectory.create(
                at: pkiFolder,
                configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:8888/ocsp", crlBaseURL: "http://127.0.0.1:8888/crl"),
                password: nil, options: options)
        }, outcome: { _ in "created in \(pkiFolder)" })
        let v2gRoot = try pki.authority(.v2gRoot).certificate.serializeAsPEM().pemString
        let moRoot = try pki.authority(.moRoot).certificate.serializeAsPEM().pemString

        // CSMS.
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(10)
        configuration.databasePath = workDirectory + "/csms.sqlite"
        configuration.csms.rootCertificatesToInstall = [("V2GRootCertificate", v2gRoot), ("MORootCertificate", moRoot)]
        let authority = try PKICertificateAuthority(pki: pki, validityDays: 365)
        let csms = DemoCSMS(configuration: configuration, authority: authority, logger: logger)
        var running = try await timed("CSMS", "start (OCPP-J on 127.0.0.1, SQLite)", { try await csms.start(port: 0) },
            outcome: { "listening on 127.0.0.1:\($0.port)" })
        try await running.application.store.saveToken(IdTokenRecord(idToken: demoToken, type: "ISO14443", status: "Accepted"))
        let port = running.port

        // Station.
        var ocpp = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: stationID)
        ocpp.callTimeout = .seconds(10)
        ocpp.connectTimeout = .seconds(2)
        var stationConfiguration = StationConfiguration(ocpp: ocpp, dataDirectory: workDirectory + "/station")
        stationConfiguration.minimumBackOff = .milliseconds(200)
        stationConfiguration.serialNumber = "DEMO-0001"
        var policy = OfflineAuthorizationPolicy()
        policy.localAuthList = [demoToken: .accepted]
        stationConfiguration.offlinePolicy = policy
        let station = try OCPPChargingStation(configuration: stationConfiguration, logger: logger)
        let stationTask = Task { try await station.run() }
        defer { stationTask.cancel() }

        let online = await timed("SECC↔CSMS", "BootNotification → Accepted, StatusNotification", {
            await station.wait(timeout: .seconds(10)) { $0.isOnline }
        }, outcome: { $0 ? "Accepted" : "not accepted within 10 s" })
        guard online else { throw ChargingStationErrorBridge.failed("the station did not boot") }
        report.installedRoots = await timed("CSMS→SECC", "InstallCertificate ×2 (V2G, MO roots), GetInstalledCertificateIds", {
            _ = await station.wait(timeout: .seconds(10)) { (try? $0.certificates.installed().count) == 2 }
            return ((try? station.certificates.installed()) ?? []).map(\.type)
        }, outcome: { "installed: \($0.joined(separator: ", "))" })
        report.seccCertificateChainPEM = try await timed(
            "CSMS↔PKI", "TriggerMessage(SignV2GCertificate) → SignCertificate(CSR) → CPO Sub-CA 2 → CertificateSigned", {
                _ = try await running.application.send(
                    CSMSCall(V201.TriggerMessageRequest(requestedMessage: .signV2GCertificate)), to: stationID)
                _ = await station.wait(timeout: .seconds(10)) { $0.certificates.seccChainPEM() != nil }
                return station.certificates.seccChainPEM()
            }, outcome: { $0 == nil ? "no certificate" : "SECC chain stored (leaf + CPO Sub-CA 2 + Sub-CA 1)" })

        // Session.
        var generator = SystemRandomNumberGenerator()
        let trace = TraceID.random(using: &generator)
        if scenario == .csmsOffline {
            await timed("CSMS", "stopped (unreachable)", { await running.stop() }, outcome: { "down" })
        }
        let decision = try await timed("SECC↔CSMS", "Authorize (EIM \(demoToken))", trace: trace, {
            try await station.authorize(
                .init(identification: .external(idToken: demoToken, type: "ISO14443"), evseID: 1, traceID: trace))
        }, outcome: { "\($0.status.rawValue) — \($0.detail ?? "")" })
        report.authorization = decision
        guard decision.status == .accepted else { return report }
        let start = Date().timeIntervalSince1970
        let transactionID = try await timed("SECC→CSMS", "TransactionEvent Started (journaled)", trace: trace, {
            try await station.transactionStarted(
                .init(
                    evseID: 1, sessionID: "DEMO", identification: .external(idToken: demoToken, type: "ISO14443"),
                    meterStartWh: 12_000, timestamp: start, traceID: trace))
        }, outcome: { "transactionId \($0)" })
        report.transactionID = transactionID
        for step in 1...3 {
            try await station.transactionUpdated(
                .init(
                    transactionID: transactionID, meterWh: 12_000 + Double(step) * 2_500, powerW: 50_000,
                    stateOfCharge: 30 + step * 10, timestamp: start + Double(step) * 180, traceID: trace))
        }
        try await station.transactionEnded(
            .init(transactionID: transactionID, meterStopWh: 20_000, reason: .evDisconnected, timestamp: start + 600, traceID: trace))
        if scenario == .csmsOffline {
            report.timeline.append(
                DemoTimelineEntry(
                    hop: "SECC", step: "offline journal", milliseconds: 0, traceID: trace.rawValue,
                    outcome: "\(station.journal.pending.count) TransactionEvents queued (fsync'd)"))
            running = try await timed("CSMS", "started again on the same port", { try await csms.start(port: port) },
                outcome: { "listening on 127.0.0.1:\($0.port)" })
        }
        let delivered = await timed("SECC→CSMS", "TransactionEvent Started/Updated×3/Ended delivered", trace: trace, {
            await station.wait(timeout: .seconds(20)) { $0.isOnline && $0.journal.pending.isEmpty }
        }, outcome: { $0 ? "stored by the CSMS (idempotent by transactionId+seqNo)" : "still queued" })
        if delivered {
            report.storedTransaction = try await running.application.store.transaction(
                stationID: stationID, transactionID: transactionID)
            report.storedEnergyWh = try await running.application.store.meterSamples(
                stationID: stationID, transactionID: transactionID, limit: 100
            ).filter { $0.measurand == "Energy.Active.Import.Register" }.map(\.value).sorted()
        }
        stationTask.cancel()
        _ = await stationTask.result
        await running.stop()
        return report
    }

    /// The report as text: the timeline, then what the CSMS stored and what was not run.
    public static func render(_ report: DemoReport) -> String {
        var lines = ["OpenPnC demo — scenario \(report.scenario.rawValue) (work folder \(report.workDirectory))", ""]
        for entry in report.timeline {
            let ms = String(format: "%8.1f ms", entry.milliseconds)
            let trace = entry.traceID.map { " trace=\($0)" } ?? ""
            lines.append("\(ms)  \(entry.hop.padding(toLength: 10, withPad: " ", startingAt: 0))  \(entry.step): \(entry.outcome)\(trace)")
        }
        lines.append("")
        if let record = report.storedTransaction {
            lines.append(
                "CSMS transaction \(record.transactionID): \(record.eventCount) events, last seqNo \(record.lastSeqNo), stopped \(record.stoppedReason ?? "-"), energy register \(report.storedEnergyWh.map { String(Int($0)) }.joined(separator: " → ")) Wh")
        }
        if !report.notRun.isEmpty {
            lines.append("Not run in this build:")
            lines += report.notRun.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

enum ChargingStationErrorBridge: Error {
    case failed(String)
}

/// The CSMS of the demo: can be stopped and started again on the same port and database.
struct DemoCSMS: Sendable {
    let configuration: CSMSApplicationConfiguration
    let authority: PKICertificateAuthority
    let logger: Logger

    struct Running: Sendable {
        let application: CSMSApplication
        let port: Int
        let task: Task<Void, any Error>
        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    func start(port: Int) async throws -> Running {
        var server = configuration.server
        server.port = port
        let store = try await SQLStore.openSQLite(path: configuration.databasePath, logger: logger)
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: authority, logger: logger,
            now: { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await application.run(server: server) { _, port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        return Running(application: application, port: bound, task: task)
    }
}
