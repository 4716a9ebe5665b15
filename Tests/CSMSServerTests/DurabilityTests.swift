import CSMS
import Foundation
import Logging
import NIOCore
import NIOPosix
import OCPPMessages
import OCPPTransport
import Storage
import Synchronization
import PnCTesting
import Testing

let pncBinary = repositoryRoot + "/.build/debug/pnc"

/// A free loopback port (bound and released).
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// Starts `pnc csms` on `port` with `database`; returns once it accepts connections.
func startCSMSProcess(port: Int, database: String) async throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: pncBinary)
    process.arguments = ["csms", "--security-profile", "0", "--listen", "127.0.0.1:\(port)", "--database", database, "--rate-limit", "1000"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<200 {
        if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
            try? await channel.close()
            return process
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    process.terminate()
    throw CSMSError.make(.invalidCommand, "pnc csms did not start")
}

final class Acknowledged: Sendable {
    let events = Mutex<[(station: String, seq: Int)]>([])
}

let postgresAdminURL = ProcessInfo.processInfo.environment["PNC_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }  // an empty value counts as unset

@Suite(.serialized) struct DurabilityTests {
    @Test("kill -9 during 500 concurrent transactions (SQLite): after restart every acknowledged TransactionEvent is stored",
          .enabled(if: FileManager.default.isExecutableFile(atPath: pncBinary), "needs .build/debug/pnc: swift build"))
    func killDuringTransactionsSQLite() async throws {
        try await killDuringTransactions(database: temporaryDatabase())
    }

    @Test("kill -9 during 500 concurrent transactions (PostgreSQL): after restart every acknowledged TransactionEvent is stored",
          .enabled(if: FileManager.default.isExecutableFile(atPath: pncBinary), "needs .build/debug/pnc: swift build"),
          .enabled(if: postgresAdminURL != nil, "SKIPPED-PEER PostgreSQL: run dev/postgres-test-server.sh and export PNC_POSTGRES_URL"))
    func killDuringTransactionsPostgres() async throws {
        let admin = try #require(postgresAdminURL)
        let name = "pnc_durability_\(UInt32.random(in: 0...UInt32.max))"
        let (status, output) = try await Peers.runAsync("/usr/bin/psql", [admin, "-c", "CREATE DATABASE \(name)"])
        try #require(status == 0, "\(output)")
        var components = try #require(URLComponents(string: admin))
        components.path = "/" + name
        try await killDuringTransactions(database: try #require(components.string))
    }

    func killDuringTransactions(database: String) async throws {
        let port = try await freePort()
        let process = try await startCSMSProcess(port: port, database: database)
        let acknowledged = Acknowledged()
        let stations = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<stations {
                group.addTask {
                    let id = "DUR-\(index)"
                    var configuration = station(port: port, id: id)
                    configuration.callTimeout = .seconds(20)
                    try? await OCPPClient.withConnection(configuration: configuration, handler: RecordingStation()) { connection in
                        _ = try await connection.call(bootRequest)
                        for seq in 0..<10_000 {
                            let request = V201.TransactionEventRequest(
                                eventType: seq == 0 ? .started : .updated,
                                meterValue: [.init(sampledValue: [.init(value: Double(seq * 10))], timestamp: wallClock())],
                                timestamp: wallClock(), triggerReason: seq == 0 ? .authorized : .meterValuePeriodic, seqNo: seq,
                                transactionInfo: .init(transactionId: "TX-\(id)"), evse: .init(id: 1, connectorId: 1))
                            _ = try await connection.call(request)
                            acknowledged.events.withLock { $0.append((id, seq)) }
                        }
                    }
                }
            }
            // Let the load run, then kill the CSMS without warning.
            let deadline = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < deadline {
                let (count, distinct) = acknowledged.events.withLock { ($0.count, Set($0.map(\.station)).count) }
                if count >= 3000, distinct == stations { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try await group.waitForAll()
        }
        let acked = acknowledged.events.withLock { $0 }
        #expect(acked.count >= 3000)
        // Restart on the same database; a station replays its last acknowledged event (idempotent).
        let restarted = try await startCSMSProcess(port: port, database: database)
        defer { restarted.terminate(); restarted.waitUntilExit() }
        let last = try #require(acked.last)
        try await OCPPClient.withConnection(configuration: station(port: port, id: last.station), handler: RecordingStation()) { connection in
            _ = try await connection.call(bootRequest)
            _ = try await connection.call(
                V201.TransactionEventRequest(
                    eventType: .updated, timestamp: wallClock(), triggerReason: .meterValuePeriodic, seqNo: last.seq,
                    transactionInfo: .init(transactionId: "TX-\(last.station)")))
        }
        restarted.terminate()
        restarted.waitUntilExit()
        let store = try await SQLStore.open(database, logger: testLogger)
        var missing = 0
        var byStation: [String: Set<Int>] = [:]
        for transaction in try await store.transactions(stationID: nil, limit: 10_000, offset: 0) {
            let events = try await store.events(stationID: transaction.stationID, transactionID: transaction.transactionID)
            byStation[transaction.stationID] = Set(events.map(\.seqNo))
        }
        for event in acked where byStation[event.station]?.contains(event.seq) != true { missing += 1 }
        try await store.close()
        print("durability (\(database.hasPrefix("postgres") ? "PostgreSQL" : "SQLite")): \(acked.count) acknowledged TransactionEvents from \(Set(acked.map(\.station)).count) stations, \(missing) missing after kill -9")
        #expect(missing == 0)
        #expect(Set(acked.map(\.station)).count == stations)
    }
}
