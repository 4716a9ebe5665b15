import CSMS
import Foundation
import Logging
import OCPPMessages
import Storage
import Testing

func temporaryDatabase() -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-store-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("csms.sqlite").path
}

/// Runs `body` with an open store whose group-commit writer is running.
func withStore<T: Sendable>(path: String = temporaryDatabase(), _ body: @Sendable (SQLStore) async throws -> T) async throws -> T {
    try await withStore(open: { try await SQLStore.openSQLite(path: path, logger: Logger(label: "test.storage")) }, body)
}

func withStore<T: Sendable>(open: () async throws -> SQLStore, _ body: @Sendable (SQLStore) async throws -> T) async throws -> T {
    let store = try await open()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        let result = try await body(store)
        try await store.close()
        try await group.waitForAll()
        return result
    }
}

func event(_ station: String, _ transaction: String, _ seq: Int, type: String = "Updated") throws -> TransactionEventRecord {
    TransactionEventRecord(
        stationID: station, transactionID: transaction, seqNo: seq, eventType: type,
        timestamp: try OCPPDateTime("2026-11-21T01:00:00Z"), triggerReason: "MeterValuePeriodic", payload: "{}")
}

@Suite struct SQLStoreTests {
    @Test("Migrations are numbered and applied once: reopening a database keeps its data and applies nothing twice")
    func migrationsAndReopen() async throws {
        let path = temporaryDatabase()
        try await withStore(path: path) { (store: SQLStore) async throws -> Void in
            try await store.saveStation(StationRecord(id: "CS-1", protocolVersion: "ocpp2.0.1", vendor: "V", model: "M", registration: .accepted))
            #expect(try await store.record(try event("CS-1", "T1", 0, type: "Started"), samples: []))
        }
        try await withStore(path: path) { (store: SQLStore) async throws -> Void in
            #expect(try await store.station(id: "CS-1")?.model == "M")
            #expect(try await store.transaction(stationID: "CS-1", transactionID: "T1")?.eventCount == 1)
            #expect(try await store.schemaVersions() == [1, 2, 3, 4, 5, 6, 7, 100])  // 2: eMSP, 3: PnC switch and station certificates, 4: variables and 1.6 starts, 5: station registry, 6: transaction summary trigger (SQLite), 7: readonly of 1.6 configuration keys, 100: billing
        }
    }

    @Test("[E] TransactionEvents are idempotent by (station, transactionId, seqNo): a replay returns false and changes nothing")
    func idempotent() async throws {
        try await withStore { (store: SQLStore) async throws -> Void in
            let sample = MeterSample(stationID: "CS-1", transactionID: "T1", evseID: 1, timestamp: try OCPPDateTime("2026-11-21T01:00:00Z"), measurand: "Energy.Active.Import.Register", value: 10)
            #expect(try await store.record(try event("CS-1", "T1", 0, type: "Started"), samples: [sample]))
            #expect(try await store.record(try event("CS-1", "T1", 0, type: "Started"), samples: [sample]) == false)
            #expect(try await store.record(try event("CS-2", "T1", 0, type: "Started"), samples: []))  // other station
            #expect(try await store.transaction(stationID: "CS-1", transactionID: "T1")?.eventCount == 1)
            #expect(try await store.meterSamples(stationID: "CS-1", transactionID: "T1", limit: 10).count == 1)
        }
    }

    @Test("Group commit: 500 concurrent writers are all stored, each acknowledged once")
    func concurrentWriters() async throws {
        try await withStore { (store: SQLStore) async throws -> Void in
            let acknowledged = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<500 {
                    group.addTask { try await store.record(try event("CS-\(index % 50)", "T\(index)", index % 7), samples: []) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(acknowledged == 500)
            let stored = try await store.transactions(stationID: nil, limit: 1000, offset: 0)
            #expect(stored.count == 500)
        }
    }

    @Test("Group commit: a write that fails (NOT NULL violated by a NaN sample) gets queryFailed; the writes batched with it are stored")
    func failingWriterIsolated() async throws {
        try await withStore { (store: SQLStore) async throws -> Void in
            let outcomes = try await withThrowingTaskGroup(of: Result<Bool, StorageError>.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let sample = MeterSample(
                            stationID: "CS-F", transactionID: "T\(index)", evseID: 1, timestamp: try OCPPDateTime("2026-11-21T01:00:00Z"),
                            measurand: "Energy.Active.Import.Register", value: index == 37 ? .nan : Double(index))
                        do {
                            return .success(try await store.record(try event("CS-F", "T\(index)", 0, type: "Started"), samples: [sample]))
                        } catch let error as StorageError {
                            return .failure(error)
                        }
                    }
                }
                return try await group.reduce(into: [Result<Bool, StorageError>]()) { $0.append($1) }
            }
            let failures = outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
            #expect(failures.map(\.code) == [.queryFailed])
            #expect(outcomes.count { if case .success(true) = $0 { true } else { false } } == 99)
            let stored = try await store.transactions(stationID: "CS-F", limit: 1000, offset: 0)
            #expect(stored.count == 99)
            #expect(!stored.contains { $0.transactionID == "T37" })
        }
    }

    @Test("1.6 transaction ids are unique and increasing under concurrency")
    func transactionIDs16() async throws {
        try await withStore { (store: SQLStore) async throws -> Void in
            let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 { group.addTask { try await store.allocateTransactionID16() } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 50)
            #expect(ids.min() == 1 && ids.max() == 50)
        }
    }

    @Test("Tokens and station credentials round-trip")
    func tokensAndCredentials() async throws {
        try await withStore { (store: SQLStore) async throws -> Void in
            try await store.saveToken(IdTokenRecord(idToken: "A", type: "ISO14443", status: "Blocked"))
            #expect(try await store.token("A")?.status == "Blocked")
            #expect(try await store.token("B") == nil)
            try await store.setPasswordHash(stationID: "CS-1", hash: "h1")
            try await store.setPasswordHash(stationID: "CS-1", hash: "h2")
            #expect(try await store.passwordHash(stationID: "CS-1") == "h2")
        }
    }
}
