import CSMS
import Foundation
import Logging
import OCPPMessages
import Storage
import Testing

/// Exercises a VariableRepository with 2.0.1 variables and 1.6 configuration keys of one station: one upsert serves
/// both; a record without a value or readonly flag keeps what was stored before.
func exerciseVariableRepository(_ store: SQLStore) async throws {
    let t1 = try OCPPDateTime("2026-11-21T01:00:00Z")
    let t2 = try OCPPDateTime("2026-11-21T01:05:00Z")
    try await store.saveVariables([
        VariableRecord(
            stationID: "CP-1", configurationKey: "NumberOfConnectors", readonly: true, value: "2",
            attributeStatus: "Accepted", source: .getConfiguration, reportedAt: t1),
        VariableRecord(
            stationID: "CP-1", configurationKey: "HeartbeatInterval", readonly: false, value: "300",
            attributeStatus: "Accepted", source: .getConfiguration, reportedAt: t1),
        VariableRecord(
            stationID: "CP-1", component: "OCPPCommCtrlr", variable: "HeartbeatInterval", value: "60",
            attributeStatus: "Accepted", source: .getVariables, reportedAt: t1),
    ])
    // A refusal (no value, no flag) and an accepted write (value, no flag).
    try await store.saveVariables([
        VariableRecord(
            stationID: "CP-1", configurationKey: "NumberOfConnectors", readonly: nil, value: nil,
            attributeStatus: "Rejected", source: .changeConfiguration, reportedAt: t2),
        VariableRecord(
            stationID: "CP-1", configurationKey: "HeartbeatInterval", readonly: nil, value: "120",
            attributeStatus: "Accepted", source: .changeConfiguration, reportedAt: t2),
    ])
    let stored = try await store.variables(stationID: "CP-1", limit: 100, offset: 0)
    #expect(stored.count == 3)
    // Ordered by component: the 1.6 keys (empty component) first, by key.
    #expect(stored.map(\.variable) == ["HeartbeatInterval", "NumberOfConnectors", "HeartbeatInterval"])
    let connectors = try #require(stored.first { $0.variable == "NumberOfConnectors" })
    #expect(connectors.value == "2" && connectors.readonly == true)
    #expect(connectors.attributeStatus == "Rejected" && connectors.source == .changeConfiguration && connectors.reportedAt == t2)
    let interval = try #require(stored.first { $0.component == "" && $0.variable == "HeartbeatInterval" })
    #expect(interval.value == "120" && interval.readonly == false && interval.source == .changeConfiguration)
    let variable = try #require(stored.first { $0.component == "OCPPCommCtrlr" })
    #expect(variable.value == "60" && variable.readonly == nil && variable.source == .getVariables)
    #expect(try await store.variables(stationID: "CP-1", limit: 1, offset: 2).map(\.component) == ["OCPPCommCtrlr"])
    #expect(try await store.variables(stationID: "CP-2", limit: 100, offset: 0).isEmpty)
}

@Suite struct VariableRepositoryTests {
    @Test("[OCPP1.6 §5.3/§5.8, OCPP2.0.1 B05/B06] SQLite: configuration keys and variables in one table (migration 7 adds readonly); refusals keep the value and flag known before; kept across a reopen")
    func sqlite() async throws {
        let path = temporaryDatabase()
        try await withStore(path: path) { (store: SQLStore) async throws -> Void in
            try await exerciseVariableRepository(store)
        }
        try await withStore(path: path) { (store: SQLStore) async throws -> Void in
            let stored = try await store.variables(stationID: "CP-1", limit: 100, offset: 0)
            #expect(stored.first { $0.variable == "NumberOfConnectors" }?.readonly == true)
        }
    }

    @Test("[OCPP1.6 §5.3/§5.8, OCPP2.0.1 B05/B06] PostgreSQL: the same repository behaviour", .enabled(if: postgresAdminURL != nil, Comment(rawValue: postgresMissing)))
    func postgres() async throws {
        let url = try await freshPostgresDatabase()
        try await withStore(open: { try await SQLStore.open(url, logger: Logger(label: "test.pg")) }) { (store: SQLStore) async throws -> Void in
            try await exerciseVariableRepository(store)
        }
    }
}
