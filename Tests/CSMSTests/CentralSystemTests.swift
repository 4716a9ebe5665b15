import CSMS
import Foundation
import Logging
import OCPPMessages
import Storage
import Testing

/// The functional blocks driven directly (no sockets) over the real SQL store, with a fixed clock.
func withCentralSystem(
    _ configure: (inout CSMSConfiguration) -> Void = { _ in }, _ body: @Sendable (CentralSystem, SQLStore) async throws -> Void
) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-cs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let store = try await SQLStore.openSQLite(path: folder.appendingPathComponent("db.sqlite").path, logger: Logger(label: "test"))
    var configuration = CSMSConfiguration()
    configure(&configuration)
    let fixed = try OCPPDateTime("2026-11-21T01:00:00.000Z")
    let system = CentralSystem(
        configuration: configuration, stations: store, transactions: store, tokens: store, certificateAuthority: nil,
        now: { fixed })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        try await body(system, store)
        try await store.close()
        try await group.waitForAll()
    }
}

extension CentralSystem {
    func call(_ action: String, _ json: String, _ session: inout StationSession) async throws -> CSMSReply {
        await handle(action: action, payload: try JSONValue.parse(json), session: &session)
    }
}

let boot201 = #"{"chargingStation":{"model":"M","vendorName":"V"},"reason":"PowerUp"}"#

@Suite struct CentralSystemTests {
    @Test("[B02] pendingUnknown: a new station is Pending with the retry interval; SecurityError until accepted")
    func pendingBoot() async throws {
        try await withCentralSystem({ $0.bootPolicy = .pendingUnknown; $0.bootRetryInterval = 42 }) { (system: CentralSystem, _: SQLStore) async throws -> Void in
            var session = StationSession(stationID: "CS-P", version: .v201)
            let reply = try await system.call("BootNotification", boot201, &session)
            guard case .result(let payload) = reply.outcome else { Issue.record("\(reply)"); return }
            let response = try V201.BootNotificationResponse(json: payload)
            #expect(response.status == .pending)
            #expect(response.interval == 42)
            #expect(response.currentTime.text == "2026-11-21T01:00:00.000Z")
            let heartbeat = try await system.call("Heartbeat", "{}", &session)
            #expect(heartbeat.outcome == .error(.securityError, "BootNotification not Accepted"))
        }
    }

    @Test("A CSMS-to-station action sent by a station is NotSupported; notifications are acknowledged with {}")
    func directions() async throws {
        try await withCentralSystem { (system: CentralSystem, _: SQLStore) async throws -> Void in
            var session = StationSession(stationID: "CS-1", version: .v201)
            _ = try await system.call("BootNotification", boot201, &session)
            let reset = try await system.call("Reset", #"{"type":"Immediate"}"#, &session)
            guard case .error(let code, _) = reset.outcome else { Issue.record("\(reset)"); return }
            #expect(code == .notSupported)
            let security = try await system.call("SecurityEventNotification", #"{"type":"StartupOfTheDevice","timestamp":"2026-11-21T01:00:00Z"}"#, &session)
            #expect(security.outcome == .result(.object([])))
            let invalid = try await system.call("Heartbeat", #"{"x":1}"#, &session)
            guard case .error(let invalidCode, _) = invalid.outcome else { Issue.record("\(invalid)"); return }
            #expect(invalidCode == .formatViolation)
        }
    }

    @Test("[1.6] Authorize of an unknown tag is Invalid; a replayed StopTransaction is stored once")
    func v16() async throws {
        try await withCentralSystem { (system: CentralSystem, store: SQLStore) async throws -> Void in
            var session = StationSession(stationID: "CP-16", version: .v16)
            _ = try await system.call("BootNotification", #"{"chargePointVendor":"V","chargePointModel":"M"}"#, &session)
            let authorize = try await system.call("Authorize", #"{"idTag":"NOPE"}"#, &session)
            guard case .result(let payload) = authorize.outcome else { Issue.record("\(authorize)"); return }
            #expect(try V16.AuthorizeResponse(json: payload).idTagInfo.status == .invalid)
            try await store.saveToken(IdTokenRecord(idToken: "TAG", type: "idTag", status: "Accepted"))
            let start = try await system.call("StartTransaction", #"{"connectorId":1,"idTag":"TAG","meterStart":0,"timestamp":"2026-11-21T01:00:00Z"}"#, &session)
            guard case .result(let started) = start.outcome else { Issue.record("\(start)"); return }
            let id = try V16.StartTransactionResponse(json: started).transactionId
            let stop = #"{"meterStop":900,"timestamp":"2026-11-21T02:00:00Z","transactionId":\#(id)}"#
            _ = try await system.call("StopTransaction", stop, &session)
            _ = try await system.call("StopTransaction", stop, &session)
            let record = try #require(try await store.transaction(stationID: "CP-16", transactionID: String(id)))
            #expect(record.eventCount == 2)
            #expect(record.endedAt?.text == "2026-11-21T02:00:00Z")
        }
    }

    @Test("[1.6 StartTransaction replay] the same StartTransaction replayed after a reconnect (connector, idTag, meterStart, timestamp) gets the same transactionId and one transaction is stored; another start gets a new id")
    func startTransactionReplay16() async throws {
        try await withCentralSystem { (system: CentralSystem, store: SQLStore) async throws -> Void in
            try await store.saveToken(IdTokenRecord(idToken: "TAG", type: "idTag", status: "Accepted"))
            let start = #"{"connectorId":2,"idTag":"TAG","meterStart":1500,"timestamp":"2026-11-21T01:00:00Z"}"#
            func transactionID(_ json: String, _ session: inout StationSession) async throws -> Int {
                let reply = try await system.call("StartTransaction", json, &session)
                guard case .result(let payload) = reply.outcome else { throw CSMSError.make(.invalidCommand, "\(reply)") }
                let response = try V16.StartTransactionResponse(json: payload)
                #expect(response.idTagInfo.status == .accepted)
                return response.transactionId
            }
            var first = StationSession(stationID: "CP-R", version: .v16)
            _ = try await system.call("BootNotification", #"{"chargePointVendor":"V","chargePointModel":"M"}"#, &first)
            let id = try await transactionID(start, &first)
            // The station lost the answer, reconnects (a new session) and sends the same StartTransaction again.
            var second = StationSession(stationID: "CP-R", version: .v16)
            #expect(try await transactionID(start, &second) == id)
            #expect(try await transactionID(start, &second) == id)
            let stored = try await store.transactions(stationID: "CP-R", limit: 10, offset: 0)
            #expect(stored.map(\.transactionID) == [String(id)])
            #expect(stored.first?.eventCount == 1)
            #expect(try await store.events(stationID: "CP-R", transactionID: String(id)).count == 1)
            #expect(try await store.meterSamples(stationID: "CP-R", transactionID: String(id), limit: 10).map(\.value) == [1500])
            // A different start (later timestamp), and the same start from another station, are new transactions.
            let later = #"{"connectorId":2,"idTag":"TAG","meterStart":1500,"timestamp":"2026-11-21T01:05:00Z"}"#
            let next = try await transactionID(later, &second)
            #expect(next != id)
            var other = StationSession(stationID: "CP-S", version: .v16)
            _ = try await system.call("BootNotification", #"{"chargePointVendor":"V","chargePointModel":"M"}"#, &other)
            let foreign = try await transactionID(start, &other)
            #expect(Set([id, next, foreign]).count == 3)
            #expect(try await store.transactions(stationID: "CP-R", limit: 10, offset: 0).count == 2)
        }
    }

    @Test("SignCertificate without a certificate authority is Rejected (no CertificateSigned follows)")
    func signWithoutCA() async throws {
        try await withCentralSystem { (system: CentralSystem, _: SQLStore) async throws -> Void in
            var session = StationSession(stationID: "CS-1", version: .v201)
            _ = try await system.call("BootNotification", boot201, &session)
            let reply = try await system.call("SignCertificate", #"{"csr":"x"}"#, &session)
            guard case .result(let payload) = reply.outcome else { Issue.record("\(reply)"); return }
            #expect(try V201.SignCertificateResponse(json: payload).status == .rejected)
            #expect(reply.followUps.isEmpty)
        }
    }

    @Test("Remote control calls are validated against the request schema of the station's version")
    func remoteCommands() throws {
        let start = try CSMSCall(action: "RequestStartTransaction", payload: try JSONValue.parse(#"{"idToken":{"idToken":"A","type":"Central"},"remoteStartId":7}"#), version: .v201)
        #expect(start.action == "RequestStartTransaction")
        #expect(throws: OCPPMessagesError.self) {
            _ = try CSMSCall(action: "RequestStartTransaction", payload: .object([]), version: .v201)
        }
        #expect(throws: OCPPMessagesError.self) {
            _ = try CSMSCall(action: "RequestStartTransaction", payload: .object([]), version: .v16)  // not a 1.6 action
        }
        _ = try CSMSCall(action: "RemoteStartTransaction", payload: try JSONValue.parse(#"{"idTag":"A"}"#), version: .v16)
    }
}
