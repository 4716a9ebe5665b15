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

/// The demo runs one at a time: each starts (and in csms-offline restarts) servers on loopback ports.
@Suite("pnc demo runs", .serialized, .timeLimit(.minutes(5))) struct DemoRuns {}

extension DemoRuns {
    @Suite("pnc demo: PKI, CSMS and station in one process")
    struct DemoTests {
        @Test("[OCPP2.0.1 A02 A03 M03 M02 C07 E01-E06, ISO15118-2 V2G2-897] happy path: EVCC and SECC over TLS install the contract through OCPP, then charge with it; transaction stored and invoiced")
        func happy() async throws {
            let report = try await Demo.run(scenario: .happy, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            #expect(Set(report.installedRoots) == ["V2GRootCertificate", "MORootCertificate"])
            let chain = try #require(report.seccCertificateChainPEM)
            #expect(chain.components(separatedBy: "BEGIN CERTIFICATE").count - 1 == 3)
            #expect(report.notRun.isEmpty)
            func line(_ step: String) -> DemoTimelineEntry? { report.timeline.first { $0.step.hasPrefix(step) } }
            // Plug-in 1: CertificateInstallationReq → SECC → OCPP Get15118EVCertificate → CSMS → eMSP/CPS → the EV stores it.
            let installation = try #require(report.contractInstallation)
            #expect(installation.iso15118ResponseCode == "OK")
            #expect(installation.ocppStatus == "Accepted")
            #expect(installation.eMAID == Demo.demoEMAID + "0")  // with its check digit (ISO 15118-2 Annex H)
            #expect(installation.issuedByMOSubCA2)
            #expect(line("plug-in 1 CertificateInstallationReq")?.outcome == "OK")
            let exchange = try #require(line("Get15118EVCertificate(Install)"))
            #expect(exchange.outcome.hasPrefix("Accepted"))
            #expect(exchange.traceID == line("plug-in 1 CertificateInstallationReq")?.traceID)
            // Plug-in 2 with the installed contract: PaymentDetails, signed Authorization, MeteringReceipt, SessionStop.
            #expect(line("plug-in 2 PaymentDetailsReq")?.outcome == "OK")
            // The CSMS decides within the SECC's authorization budget: one AuthorizationReq, answered Finished at once.
            #expect(authorizationAnswers(report) == ["OK/Finished"])
            #expect(line("plug-in 2 MeteringReceiptReq")?.outcome == "OK")
            #expect(line("plug-in 2 SessionStopReq")?.outcome == "OK")
            #expect(report.contractRefusal == nil)
            let contract = try #require(report.contractAuthorization)
            #expect(contract.status == .accepted)
            #expect(contract.certificateStatus == .accepted)
            #expect(report.authorization?.status == .accepted)
            // The CSMS stored the SECC's transaction with the metered energy.
            let record = try #require(report.storedTransaction, "\(Demo.render(report))")
            #expect(record.eventCount >= 2)
            #expect(record.stoppedReason != nil)
            let last = try #require(report.storedEnergyWh.last)
            #expect(last > (report.storedEnergyWh.first ?? 0))
            let cdr = try #require(report.cdr)
            #expect(cdr.totalEnergyKWh != "0.000")
            #expect(cdr.totalInclVAT.cents == cdr.totalExclVAT.cents + cdr.vat.cents)
            let path = try #require(report.invoicePath)
            #expect(path.hasSuffix("/outbox/\(Demo.demoEMAID)0/\(report.invoiceNumber ?? "?").html"))  // the contract's eMAID with its check digit
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains(cdr.totalInclVAT.description))
            // One trace id for plug-in 2: its V2G messages, the Authorize and the transaction events.
            let plugIn2 = Set(report.timeline.filter { $0.step.hasPrefix("plug-in 2") }.compactMap(\.traceID))
            #expect(plugIn2.count == 1)
            #expect(report.timeline.last?.traceID == plugIn2.first)
            // Stored state: plug-in 1 (installation, then charging with the new contract) and plug-in 2 each stored one
            // transaction, each invoiced to the installed eMAID.
            let second = try #require(report.plugIns.first { $0.label == "plug-in 2" })
            #expect(second.presentedEMAID == installation.eMAID)
            #expect(second.authorizations.map(\.status) == [.accepted])
            #expect(second.authorizations.map(\.certificateStatus) == [.accepted])
            #expect(second.transactionIDs.count == 1)
            #expect(report.certificateExchanges.map(\.status) == ["Accepted"])
            let charged = report.plugIns.flatMap(\.transactionIDs)
            #expect(charged.count == 2)
            #expect(Set(report.storedTransactions.map(\.transactionID)) == Set(charged))
            #expect(Set(report.invoicedEMAIDs.keys) == Set(charged))
            #expect(Set(report.invoicedEMAIDs.values) == [try #require(installation.eMAID)])
        }

        @Test("[ISO15118-2 §8.4.3.11 V2G2-552, OCPP2.0.1 M03 C07] update: inside its renewal window the vehicle sends CertificateUpdateReq over TLS → Get15118EVCertificate(Update) Accepted → CertificateUpdateRes OK; it charges with the new certificate, which C07 accepts against the eMSP's record; both sessions stored and invoiced to the contract")
        func update() async throws {
            let report = try await Demo.run(scenario: .update, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            let installed = try #require(report.contractInstallation?.eMAID, "\(Demo.render(report))")
            #expect(report.certificateExchanges.map(\.action) == ["Install", "Update"])
            #expect(report.certificateExchanges.map(\.status) == ["Accepted", "Accepted"])
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 2 CertificateUpdateReq") && $0.outcome == "OK" })
            let first = try #require(report.plugIns.first { $0.label == "plug-in 1" })
            let second = try #require(report.plugIns.first { $0.label == "plug-in 2" })
            let newSerial = try #require(second.newContractSerial)
            #expect(newSerial != first.newContractSerial)
            #expect(second.succeeded)
            #expect(authorizationAnswers(report) == ["OK/Finished"])
            #expect(second.authorizations.map(\.status) == [.accepted])
            #expect(second.authorizations.map(\.certificateStatus) == [.accepted])
            let transaction = try #require(second.transactionIDs.first)
            let charged = report.plugIns.flatMap(\.transactionIDs)
            #expect(charged.count == 2)
            #expect(Set(report.storedTransactions.map(\.transactionID)) == Set(charged))
            #expect(report.invoicedEMAIDs[transaction] == installed)
            #expect(Set(report.invoicedEMAIDs.keys) == Set(charged))
        }

        @Test("[OCPP2.0.1 C15 E04] csms-offline through the real EV leg: the CSMS stops after the installation, the station refuses the contract offline and accepts the EV's EIM token from its local list with the reason, the session charges, the journal is replayed once the CSMS is back")
        func csmsOffline() async throws {
            let report = try await Demo.run(
                scenario: .csmsOffline, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            #expect(report.authorization?.status == .accepted)
            #expect(report.authorization?.detail?.hasPrefix("offline:") == true)
            #expect(report.notRun.isEmpty)  // the EVCC over TLS to the SECC, as in the other scenarios
            #expect(report.contractInstallation?.iso15118ResponseCode == "OK")  // installed while the CSMS was up
            let record = try #require(report.storedTransaction, "\(Demo.render(report))")  // the journal replayed once the CSMS was back
            #expect(record.eventCount >= 2)
            #expect(record.lastSeqNo == record.eventCount - 1)
            #expect(record.stoppedReason != nil)
            #expect(report.contractAuthorization?.certificateStatus == .noCertificateAvailable)
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 3 (EIM fallback) SessionStopReq") && $0.outcome == "OK" })
            #expect(Demo.render(report).contains("TransactionEvents queued"))
            #expect(report.invoicePath != nil)
            #expect(report.plugIns.first { $0.label == "plug-in 2" }?.failedResponseCode != nil)
            expectStoredState(report, refused: "plug-in 2")
        }
    }
}

extension DemoRuns {
    @Suite("pnc demo refusal scenarios: precise reason codes and the EIM fallback")
    struct DemoRefusalTests {
        @Test(
            "[ISO15118-2 PaymentDetailsRes responseCodeType, OCPP2.0.1 C07] expired and tampered-signature through the real path: the EVCC presents the contract over TLS, the SECC's chain check refuses it with its precise code before any Authorize; the EIM session charges",
            arguments: [
                (DemoScenario.expired, "FAILED_CertificateExpired", BackendAuthorizationDecision.CertificateStatus.certificateExpired),
                (.tamperedSignature, "FAILED_CertChainError", .certChainError),
            ])
        func refusal(scenario: DemoScenario, code: String, status: BackendAuthorizationDecision.CertificateStatus) async throws {
            let report = try await Demo.run(scenario: scenario, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            #expect(report.notRun.isEmpty)
            #expect(report.contractInstallation?.iso15118ResponseCode == "OK")
            let refusal = try #require(report.contractRefusal)
            #expect(refusal.iso15118ResponseCode == code)
            #expect(refusal.certificateStatus == status)
            #expect(report.contractAuthorization == nil)  // the SECC refused the chain itself: no Authorize for it
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 2 PaymentDetailsReq") && $0.outcome == code })
            #expect(report.authorization?.status == .accepted)  // EIM fallback (plug-in 3)
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 3 (EIM fallback) SessionStopReq") && $0.outcome == "OK" })
            #expect((report.storedTransaction?.eventCount ?? 0) >= 2)
            #expect(report.invoicePath != nil)
            let plugIn2 = try #require(report.plugIns.first { $0.label == "plug-in 2" })
            #expect(plugIn2.failedResponseCode == code)
            #expect(plugIn2.authorizations.isEmpty)
            expectStoredState(report, refused: "plug-in 2")
        }

        @Test("[ISO15118-2 AuthorizationRes, OCPP2.0.1 C07] revoked: the installed contract revoked at MO Sub-CA 2 → OCSP revoked → CSMS CertificateRevoked → SECC FAILED_CertificateRevoked; the EIM session charges")
        func revoked() async throws {
            let report = try await Demo.run(scenario: .revoked, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            #expect(report.contractInstallation?.iso15118ResponseCode == "OK")
            let refusal = try #require(report.contractRefusal)
            #expect(refusal.iso15118ResponseCode == "FAILED_CertificateRevoked")
            #expect(refusal.certificateStatus == .certificateRevoked)
            #expect(report.contractAuthorization?.status == .invalid)
            #expect(report.contractAuthorization?.certificateStatus == .certificateRevoked)
            // The refusal is the first and only AuthorizationRes (decided within the SECC's authorization budget).
            #expect(authorizationAnswers(report) == ["FAILED_CertificateRevoked/Finished"])
            #expect(report.authorization?.status == .accepted)  // EIM fallback (plug-in 3)
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 3 (EIM fallback) SessionStopReq") && $0.outcome == "OK" })
            #expect((report.storedTransaction?.eventCount ?? 0) >= 2)
            #expect(report.invoicePath != nil)
            let plugIn2 = try #require(report.plugIns.first { $0.label == "plug-in 2" })
            #expect(plugIn2.authorizations.map(\.status) == [.invalid])
            #expect(plugIn2.authorizations.map(\.certificateStatus) == [.certificateRevoked])
            expectStoredState(report, refused: "plug-in 2")
        }

        @Test("[ISO15118-2 PaymentServiceSelection, OCPP2.0.1 M04] unknown-root: the CSMS deletes the MO root, the SECC no longer offers Contract payment; the EIM session charges")
        func unknownRoot() async throws {
            let report = try await Demo.run(scenario: .unknownRoot, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            #expect(report.contractInstallation?.iso15118ResponseCode == "OK")
            let refusal = try #require(report.contractRefusal)
            #expect(refusal.iso15118ResponseCode == "FAILED_PaymentSelectionInvalid")
            #expect(report.contractAuthorization == nil)  // no Authorize for a contract the SECC cannot check
            #expect(report.authorization?.status == .accepted)
            #expect(report.invoicePath != nil)
            let plugIn2 = try #require(report.plugIns.first { $0.label == "plug-in 2" })
            #expect(plugIn2.failedResponseCode == "FAILED_PaymentSelectionInvalid")
            #expect(plugIn2.authorizations.isEmpty)
            expectStoredState(report, refused: "plug-in 2")
        }
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

extension DemoRuns {
    @Suite("pnc demo: one trace id from the SECC to the CSMS")
    struct DemoTraceTests {
        @Test("[OCPP2.0.1 C07 M02] the trace id of the session's decisions is the one the CSMS logs for Authorize and Get15118EVCertificate")
        func traceIDReachesTheCSMS() async throws {
            let logs = CapturedLogs()
            let logger = Logger(label: "test.demo.trace") { CapturingLogHandler(label: $0, logs: logs) }
            let report = try await Demo.run(scenario: .happy, workDirectory: demoFolder(), logger: logger)
            let trace = try #require(report.timeline.first { $0.step.hasPrefix("Get15118EVCertificate") }?.traceID)
            let csmsLines = logs.all.filter { $0.traceID == trace }
            // The CSMS side logged decisions under the station's trace id (it is carried in customData).
            #expect(!csmsLines.isEmpty)
            // Messages of the CSMS's decisions (not the station's own "Authorize answered").
            #expect(csmsLines.contains { $0.message == "plug and charge authorization accepted" })
            #expect(csmsLines.contains { $0.message == "Get15118EVCertificate accepted" })
        }
    }
}

/// What every refusal of the vehicle's contract must leave behind: the refused plug-in started no transaction and sent
/// the OCPP answers given; the CSMS stored (SQLite) and invoiced exactly the transactions of the plug-ins that charged.
func expectStoredState(_ report: DemoReport, refused label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let refused = report.plugIns.first { $0.label == label }
    #expect(refused?.succeeded == false, sourceLocation: sourceLocation)
    #expect(refused?.transactionIDs == [], "the refused plug-in started a transaction", sourceLocation: sourceLocation)
    let charged = Set(report.plugIns.filter(\.succeeded).flatMap(\.transactionIDs))
    #expect(!charged.isEmpty, sourceLocation: sourceLocation)
    #expect(Set(report.storedTransactions.map(\.transactionID)) == charged, "\(Demo.render(report))", sourceLocation: sourceLocation)
    #expect(report.storedTransactions.allSatisfy { $0.stoppedReason != nil && $0.eventCount >= 2 }, sourceLocation: sourceLocation)
    #expect(Set(report.invoicedEMAIDs.keys) == charged, "every charged transaction has its CDR and invoice, no other", sourceLocation: sourceLocation)
}

extension DemoRuns {
    @Suite("pnc demo refusals of a misbehaving vehicle, an unknown contract, an unreachable CPS; the choice among contracts")
    struct DemoRefusalEndToEndTests {
        @Test(
            "[ISO15118-2 V2G2-475 AuthorizationRes, OCPP2.0.1 C07] wrong GenChallenge / tampered AuthorizationReq signature: a real EVCC over TLS signs a foreign GenChallenge or alters its signature; the SECC answers FAILED_ChallengeInvalid / FAILED_SignatureError without any Authorize; no transaction, CDR or invoice for that plug-in; the EIM session charges and is billed",
            arguments: [
                (DemoScenario.wrongChallenge, "FAILED_ChallengeInvalid"),
                (.tamperedAuthorization, "FAILED_SignatureError"),
            ])
        func misbehavingVehicle(scenario: DemoScenario, code: String) async throws {
            let report = try await Demo.run(scenario: scenario, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            #expect(report.contractInstallation?.iso15118ResponseCode == "OK")
            let plugIn2 = try #require(report.plugIns.first { $0.label == "plug-in 2" }, "\(Demo.render(report))")
            #expect(plugIn2.presentedEMAID == report.contractInstallation?.eMAID)
            #expect(plugIn2.failedResponseCode == code)
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 2 PaymentDetailsReq") && $0.outcome == "OK" })
            #expect(report.timeline.contains { $0.step.hasPrefix("plug-in 2 AuthorizationReq") && $0.outcome.hasPrefix(code) })
            #expect(plugIn2.authorizations.isEmpty)  // refused by the SECC: no OCPP Authorize at all
            #expect(report.contractAuthorization == nil)
            let eim = try #require(report.plugIns.first { $0.label == "plug-in 3 (EIM fallback)" })
            #expect(eim.succeeded)
            #expect(eim.authorizations.map(\.status) == [.accepted])
            #expect(report.authorization?.status == .accepted)
            expectStoredState(report, refused: "plug-in 2")
        }

        @Test("[ISO15118-2 AuthorizationRes, OCPP2.0.1 C07] unknown eMAID: a valid certificate of MO Sub-CA 2 for an eMAID the eMSP does not know → CSMS Authorize Unknown / NoCertificateAvailable → SECC FAILED_NoCertificateAvailable; no transaction for it; the EIM session charges")
        func unknownEMAID() async throws {
            let report = try await Demo.run(scenario: .unknownEMAID, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            let plugIn2 = try #require(report.plugIns.first { $0.label == "plug-in 2" }, "\(Demo.render(report))")
            #expect(plugIn2.presentedEMAID == "DE8AA999999990")
            #expect(plugIn2.failedResponseCode == "FAILED_NoCertificateAvailable")
            #expect(authorizationAnswers(report) == ["FAILED_NoCertificateAvailable/Finished"])
            #expect(plugIn2.authorizations.map(\.status) == [.unknown])
            #expect(plugIn2.authorizations.map(\.certificateStatus) == [.noCertificateAvailable])
            #expect(report.contractAuthorization?.status == .unknown)
            #expect(report.authorization?.status == .accepted)  // EIM fallback
            #expect(!report.invoicedEMAIDs.values.contains("DE8AA999999990"))
            expectStoredState(report, refused: "plug-in 2")
        }

        @Test("[OCPP2.0.1 M02, ISO15118-2 CertificateInstallationRes] CPS down: the eMSP's CPS does not answer → CSMS Get15118EVCertificate Failed within its budget → SECC CertificateInstallationRes FAILED, the session ends; the EIM session charges and is billed")
        func cpsDown() async throws {
            let report = try await Demo.run(scenario: .cpsDown, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            let installation = try #require(report.contractInstallation, "\(Demo.render(report))")
            #expect(installation.ocppStatus == "Failed")
            #expect(installation.iso15118ResponseCode == "FAILED")
            #expect(installation.eMAID == nil)
            let exchange = try #require(report.certificateExchanges.first)
            #expect(exchange.status == "Failed")
            // The CSMS's budget answered, not the station's OCPP call timeout (10 s).
            let budget = Double(Demo.evCertificateBudget.components.seconds) * 1000
            #expect(exchange.milliseconds >= budget * 0.9)
            #expect(exchange.milliseconds < budget + 4_000)
            let plugIn1 = try #require(report.plugIns.first)
            #expect(plugIn1.label == "plug-in 1")
            #expect(plugIn1.failedResponseCode == "FAILED")
            #expect(plugIn1.authorizations.isEmpty)
            let eim = try #require(report.plugIns.first { $0.label == "plug-in 2 (EIM fallback)" })
            #expect(eim.succeeded)
            #expect(eim.authorizations.map(\.status) == [.accepted])
            #expect(report.authorization?.status == .accepted)
            #expect(report.invoicePath != nil)
            expectStoredState(report, refused: "plug-in 1")
        }

        @Test("[ISO15118-2 PaymentDetailsRes, OCPP2.0.1 C07 M05] multi-contract: the vehicle prefers a contract of a second MO whose root the station lacks (FAILED_NoCertificateAvailable, no Authorize, no transaction), then picks its other contract: that eMAID is authorized (Accepted/Accepted) and billed")
        func multiContract() async throws {
            let report = try await Demo.run(scenario: .multiContract, workDirectory: demoFolder(), logger: Logger(label: "test.demo"))
            let installed = try #require(report.contractInstallation?.eMAID, "\(Demo.render(report))")
            let plugIn2 = try #require(report.plugIns.first { $0.label == "plug-in 2" })
            #expect(plugIn2.presentedEMAID == Demo.foreignEMAID)
            #expect(plugIn2.failedResponseCode == "FAILED_NoCertificateAvailable")
            #expect(plugIn2.authorizations.isEmpty)
            let next = try #require(report.plugIns.first { $0.label == "plug-in 3 (next contract)" })
            #expect(next.presentedEMAID == installed)
            #expect(next.succeeded)
            #expect(next.authorizations.map(\.status) == [.accepted])
            #expect(next.authorizations.map(\.certificateStatus) == [.accepted])
            let transaction = try #require(next.transactionIDs.first)
            #expect(report.invoicedEMAIDs[transaction] == installed)
            #expect(report.cdr?.session.eMAID == installed)
            #expect(!report.invoicedEMAIDs.values.contains(Demo.foreignEMAID))
            expectStoredState(report, refused: "plug-in 2")
        }
    }
}

/// The answers to plug-in 2's AuthorizationReqs. The SECC answers the first one with the CSMS's decision when that comes
/// within its 1 s authorization budget (a few milliseconds on loopback); on a machine loaded past that budget it answers
/// Ongoing first, which is left out here, so that only the decision and any further requests are compared.
func authorizationAnswers(_ report: DemoReport) -> [String] {
    let answers = report.timeline.filter { $0.step.hasPrefix("plug-in 2 AuthorizationReq") }.map(\.outcome)
    return answers.first == "OK/Ongoing" ? Array(answers.dropFirst()) : answers
}
