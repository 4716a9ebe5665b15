import CSMS
import Foundation
import Logging
import OCPPMessages
import PostgresKit
import Storage
import Testing

/// The admin URL of a PostgreSQL server for tests (`dev/postgres-test-server.sh` starts one on 127.0.0.1).
let postgresAdminURL = ProcessInfo.processInfo.environment["PNC_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }  // an empty value counts as unset
let postgresMissing = "SKIPPED-PEER PostgreSQL: run dev/postgres-test-server.sh and export PNC_POSTGRES_URL it prints"

/// Creates an empty database on the test server and returns its URL.
func freshPostgresDatabase() async throws -> String {
    let admin = try #require(postgresAdminURL)
    let components = try #require(URLComponents(string: admin))
    let configuration = PostgresConnection.Configuration(
        host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: components.user ?? "postgres",
        password: components.password, database: "postgres", tls: .disable)
    let connection = try await PostgresConnection.connect(configuration: configuration, id: 99, logger: Logger(label: "test.pg"))
    let name = "pnc_test_\(UInt32.random(in: 0...UInt32.max))"
    try await connection.sql().raw("CREATE DATABASE \(unsafeRaw: name)").run()
    try await connection.close()
    var url = components
    url.path = "/" + name
    return try #require(url.string)
}

@Suite(.serialized) struct PostgresStoreTests {
    @Test("PostgreSQL: migrations, idempotent TransactionEvents, 500 concurrent writers, 1.6 ids, reopen",
          .enabled(if: postgresAdminURL != nil, Comment(rawValue: postgresMissing)))
    func postgres() async throws {
        let url = try await freshPostgresDatabase()
        try await withStore(open: { try await SQLStore.open(url, logger: Logger(label: "test.pg")) }) { (store: SQLStore) async throws -> Void in
            #expect(try await store.schemaVersions() == [1, 2, 3, 4, 5, 6, 7, 100])
            try await store.saveStation(StationRecord(id: "CS-1", protocolVersion: "ocpp2.0.1", vendor: "V", model: "M", registration: .accepted))
            let sample = MeterSample(stationID: "CS-1", transactionID: "T1", evseID: 1, timestamp: try OCPPDateTime("2026-11-21T01:00:00Z"), measurand: "Energy.Active.Import.Register", value: 10.5)
            #expect(try await store.record(try event("CS-1", "T1", 0, type: "Started"), samples: [sample]))
            #expect(try await store.record(try event("CS-1", "T1", 0, type: "Started"), samples: [sample]) == false)
            let acknowledged = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<500 {
                    group.addTask { try await store.record(try event("CS-\(index % 50)", "P\(index)", index % 7), samples: []) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(acknowledged == 500)
            let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await store.allocateTransactionID16() } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 20)
        }
        try await withStore(open: { try await SQLStore.open(url, logger: Logger(label: "test.pg")) }) { (store: SQLStore) async throws -> Void in
            #expect(try await store.station(id: "CS-1")?.model == "M")
            #expect(try await store.transactions(stationID: nil, limit: 1000, offset: 0).count == 501)
            #expect(try await store.meterSamples(stationID: "CS-1", transactionID: "T1", limit: 10).map(\.value) == [10.5])
            #expect(try await store.schemaVersions() == [1, 2, 3, 4, 5, 6, 7, 100])
        }
    }
}
