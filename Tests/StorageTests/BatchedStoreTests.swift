import CSMS
import Logging
import OCPPMessages
import Storage
import Testing

/// Concurrent TransactionEvents (the group commit inserts a batch's events with multi-row statements) and
/// concurrent token look-ups (answered by shared `IN (...)` reads) give what one-by-one writes and reads give.
func checkBatchedWritesAndReads(_ store: SQLStore) async throws {
    let time = try OCPPDateTime("2026-11-21T01:00:00Z")
    // 120 transactions × (Started 0, Updated 1), each event sent three times, all at once: several events of one
    // transaction and replays of one event end up in the same batch.
    let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
        for copy in 0..<3 {
            for index in 0..<120 {
                for seq in 0..<2 {
                    group.addTask {
                        let record = TransactionEventRecord(
                            stationID: "CS-B\(index % 30)", transactionID: "B\(index)", seqNo: seq,
                            eventType: seq == 0 ? "Started" : "Updated", timestamp: time, triggerReason: "Authorized",
                            idToken: seq == 0 ? "TOKEN\(index)" : nil, evseID: 1, payload: "{\"copy\":\(copy)}")
                        let sample = MeterSample(
                            stationID: record.stationID, transactionID: record.transactionID, evseID: 1, timestamp: time,
                            measurand: "Energy.Active.Import.Register", value: Double(seq))
                        return ("\(record.stationID)/\(record.transactionID)/\(seq)", try await store.record(record, samples: [sample]))
                    }
                }
            }
        }
        return try await group.reduce(into: [String: Int]()) { counts, outcome in
            counts[outcome.0, default: 0] += outcome.1 ? 1 : 0
        }
    }
    #expect(outcomes.count == 240)
    #expect(outcomes.values.allSatisfy { $0 == 1 })  // each event stored once, its replays answered false
    let transactions = try await store.transactions(stationID: nil, limit: 1000, offset: 0).filter { $0.transactionID.hasPrefix("B") }
    #expect(transactions.count == 120)
    #expect(transactions.allSatisfy { $0.eventCount == 2 && $0.lastSeqNo == 1 && $0.startedAt == time && $0.evseID == 1 })
    #expect(transactions.allSatisfy { $0.idToken == "TOKEN" + $0.transactionID.dropFirst() })
    for index in [0, 59, 119] {
        let samples = try await store.meterSamples(stationID: "CS-B\(index % 30)", transactionID: "B\(index)", limit: 10)
        #expect(samples.map(\.value).sorted() == [0, 1])
        #expect(try await store.events(stationID: "CS-B\(index % 30)", transactionID: "B\(index)").map(\.seqNo) == [0, 1])
    }

    for index in 0..<60 {
        try await store.saveToken(IdTokenRecord(idToken: "TK\(index)", type: "ISO14443", status: index % 2 == 0 ? "Accepted" : "Blocked"))
    }
    let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
        for request in 0..<600 {
            group.addTask { (request % 150, try await store.token("TK\(request % 150)")?.status) }
        }
        return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
    }
    #expect(answers.count == 600)
    for (index, status) in answers {
        #expect(status == (index >= 60 ? nil : index % 2 == 0 ? "Accepted" : "Blocked"))
    }
    // A token saved after an answer is seen by the next look-up.
    try await store.saveToken(IdTokenRecord(idToken: "TK100", type: "ISO14443", status: "Accepted"))
    #expect(try await store.token("TK100")?.status == "Accepted")
}

@Suite struct BatchedStoreTests {
    @Test("[E] SQLite: batched TransactionEvents are idempotent, in order per transaction; batched token reads are exact")
    func sqlite() async throws {
        try await withStore { (store: SQLStore) async throws -> Void in try await checkBatchedWritesAndReads(store) }
    }

    @Test("[E] PostgreSQL: the same", .enabled(if: postgresAdminURL != nil, Comment(rawValue: postgresMissing)))
    func postgres() async throws {
        let url = try await freshPostgresDatabase()
        try await withStore(open: { try await SQLStore.open(url, logger: Logger(label: "test.pg")) }) { (store: SQLStore) async throws -> Void in
            try await checkBatchedWritesAndReads(store)
        }
    }
}
