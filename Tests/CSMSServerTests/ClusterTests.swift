import CSMS
import CSMSServer
import Foundation
import NIOCore
import OCPPMessages
import OCPPTransport
import PnCTesting
import Storage
import Synchronization
import Testing

/// A CSMS node of a cluster running in this process: its own OCPP and REST sockets, a shared database.
struct ClusterNode: Sendable {
    let application: CSMSApplication
    let port: Int
    let httpPort: Int
    let task: Task<Void, any Error>

    var api: String { "http://127.0.0.1:\(httpPort)/api/v1" }

    /// Starts a node on 127.0.0.1 (ports picked by the system) with `database` shared with the other nodes.
    static func start(
        database: String, nodeID: String, configure: (inout CSMSClusterConfiguration) -> Void = { _ in }
    ) async throws -> ClusterNode {
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(5)
        configuration.databasePath = database
        var cluster = CSMSClusterConfiguration(nodeID: nodeID)
        cluster.commandTimeout = .seconds(10)
        configure(&cluster)
        configuration.cluster = cluster
        let store = try await SQLStore.open(database, logger: testLogger)
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: nil, logger: testLogger, now: wallClock)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let (httpPorts, httpContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = configuration.server
        let task = Task {
            defer {
                continuation.finish()
                httpContinuation.finish()
            }
            try await application.run(server: server, http: ("127.0.0.1", 0), onHTTPListening: { httpContinuation.yield($0) }) {
                _, port in continuation.yield(port)
            }
        }
        var iterator = ports.makeAsyncIterator()
        var httpIterator = httpPorts.makeAsyncIterator()
        guard let port = await iterator.next(), let httpPort = await httpIterator.next() else {
            _ = try await task.value
            throw CSMSError.make(.invalidCommand, "node \(nodeID) did not start")
        }
        return ClusterNode(application: application, port: port, httpPort: httpPort, task: task)
    }

    /// Stops the node in order (its stations are disconnected, it leaves the registry) and waits until it has.
    func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// A fresh database on the test PostgreSQL server.
func freshClusterDatabase() async throws -> String {
    let admin = try #require(postgresAdminURL)
    let name = "pnc_cluster_\(UInt32.random(in: 0...UInt32.max))"
    let (status, output) = try await Peers.runAsync("/usr/bin/psql", [admin, "-c", "CREATE DATABASE \(name)"])
    try #require(status == 0, "\(output)")
    var components = try #require(URLComponents(string: admin))
    components.path = "/" + name
    return try #require(components.string)
}

@Suite(.serialized) struct ClusterTests {
    @Test("[DESIGN Scale-out] PostgreSQL: a REST command sent to node A reaches the station on node B (LISTEN/NOTIFY) and returns its answer; B stopped: a clear 409; reconnect to A loses no transaction event",
          .enabled(if: postgresAdminURL != nil, "SKIPPED-PEER PostgreSQL: run dev/postgres-test-server.sh and export PNC_POSTGRES_URL"))
    func postgresCluster() async throws {
        try await commandAcrossNodes(database: try await freshClusterDatabase())
    }

    @Test("[DESIGN Scale-out] SQLite WAL shared by two nodes: a command sent to node A reaches the station on node B (polling), B stopped: 409, reconnect to A loses nothing")
    func sqliteCluster() async throws {
        try await commandAcrossNodes(database: temporaryDatabase())
    }

    func commandAcrossNodes(database: String) async throws {
        let nodeA = try await ClusterNode.start(database: database, nodeID: "node-a")
        let nodeB = try await ClusterNode.start(database: database, nodeID: "node-b")
        let recorder = RecordingStation()
        let started = V201.TransactionEventRequest(
            eventType: .started, timestamp: wallClock(), triggerReason: .authorized, seqNo: 0,
            transactionInfo: .init(transactionId: "TX-CL"))
        try await OCPPClient.withConnection(configuration: station(port: nodeB.port, id: "CS-CL"), handler: recorder) { connection in
            _ = try await connection.call(bootRequest)
            _ = try await connection.call(started)
            #expect(await nodeA.application.connectedVersion(of: "CS-CL") == .v201)

            // Node A does not hold the station: the command goes through the database to node B and back.
            let (status, answer) = try await http(
                "POST", "\(nodeA.api)/stations/CS-CL/commands/RequestStartTransaction",
                body: #"{"idToken":{"idToken":"A1","type":"Central"},"remoteStartId":7}"#)
            #expect(status == 200)
            #expect(answer["status"] == .string("Accepted"))
            #expect(answer["transactionId"] == .string("R-1"))
            #expect(recorder.calls.withLock { $0.map(\.0) }.contains("RequestStartTransaction"))
            let (_, list) = try await http("GET", "\(nodeA.api)/stations")
            guard case .array(let stations) = list else { Issue.record("not an array"); return }
            #expect(stations.first?["connected"] == .bool(true))

            // A CALLERROR of the station comes back as a failure with its reason.
            let (failedStatus, failed) = try await http("POST", "\(nodeA.api)/stations/CS-CL/commands/Reset", body: #"{"type":"Immediate"}"#)
            #expect(failedStatus == 502)
            #expect(failed["detail"]?.stringValue?.contains("node-b") == true)

            // A command older than the command timeout (its caller has given up) is not sent to the station.
            let store = nodeA.application.store
            try await store.enqueueRemoteCommand(
                RemoteCommandRecord(
                    id: "stale-1", stationID: "CS-CL", originNode: "node-a", targetNode: "node-b", action: "TriggerMessage",
                    payload: #"{"requestedMessage":"Heartbeat"}"#, createdAt: Date().timeIntervalSince1970 - 60))
            var stale: [RemoteCommandRecord] = []
            try await pollWhile(every: .milliseconds(50)) {
                stale = try await store.finishedRemoteCommands(ids: ["stale-1"])
                return stale.isEmpty
            }
            #expect(stale.first?.state == .failed)
            #expect(stale.first?.result?.contains("expired") == true)
            #expect(!recorder.calls.withLock { $0.map(\.0) }.contains("TriggerMessage"))

            // Node B stops: it disconnects its stations and leaves the registry; A refuses with 409 at once.
            await nodeB.stop()
            let (offlineStatus, offline) = try await http("POST", "\(nodeA.api)/stations/CS-CL/commands/Reset", body: #"{"type":"Immediate"}"#)
            #expect(offlineStatus == 409)
            #expect(offline["detail"]?.stringValue?.contains("not connected") == true)
            do {
                let direct = try await nodeA.application.send(CSMSCall(V201.ResetRequest(type: .immediate)), to: "CS-CL")
                Issue.record("sent to a station no node holds: \(direct)")
            } catch let error as CSMSError {
                #expect(error.code == .stationOffline)
            }
        }

        // The station reconnects to node A, replays its unacknowledged event and goes on: nothing is lost.
        try await OCPPClient.withConnection(configuration: station(port: nodeA.port, id: "CS-CL"), handler: recorder) { connection in
            _ = try await connection.call(bootRequest)
            _ = try await connection.call(started)
            _ = try await connection.call(
                V201.TransactionEventRequest(
                    eventType: .updated, timestamp: wallClock(), triggerReason: .meterValuePeriodic, seqNo: 1,
                    transactionInfo: .init(transactionId: "TX-CL")))
            let (status, answer) = try await http(
                "POST", "\(nodeA.api)/stations/CS-CL/commands/RequestStartTransaction",
                body: #"{"idToken":{"idToken":"A2","type":"Central"},"remoteStartId":8}"#)
            #expect(status == 200)
            #expect(answer["status"] == .string("Accepted"))
        }
        let transaction = try await nodeA.application.store.transaction(stationID: "CS-CL", transactionID: "TX-CL")
        #expect(transaction?.eventCount == 2)
        #expect(transaction?.lastSeqNo == 1)
        #expect(try await nodeA.application.store.events(stationID: "CS-CL", transactionID: "TX-CL").map(\.seqNo) == [0, 1])
        await nodeA.stop()
    }

    @Test("[DESIGN Scale-out] a node whose lease expired (crashed) holds nothing: stationOffline; a live node that never answers: remoteCommandTimeout (504)",
          .enabled(if: postgresAdminURL != nil, "SKIPPED-PEER PostgreSQL: run dev/postgres-test-server.sh and export PNC_POSTGRES_URL"))
    func deadAndMuteNodes() async throws {
        let database = try await freshClusterDatabase()
        let nodeA = try await ClusterNode.start(database: database, nodeID: "node-a") { $0.commandTimeout = .seconds(2) }
        let store = nodeA.application.store
        let now = Date().timeIntervalSince1970
        // A node that crashed a minute ago: its lease ran out, its registry entries stay behind.
        try await store.joinCluster(nodeID: "crashed", now: now - 120, leaseUntil: now - 60)
        try await store.setStationLocation(stationID: "CS-DEAD", nodeID: "crashed", protocolVersion: "ocpp2.0.1", at: now - 100)
        // A node whose lease is fresh but which never takes its commands.
        try await store.joinCluster(nodeID: "mute", now: now, leaseUntil: now + 3_600)
        try await store.setStationLocation(stationID: "CS-MUTE", nodeID: "mute", protocolVersion: "ocpp2.0.1", at: now)

        #expect(await nodeA.application.connectedVersion(of: "CS-DEAD") == nil)
        do {
            _ = try await nodeA.application.send(CSMSCall(V201.ResetRequest(type: .immediate)), to: "CS-DEAD")
            Issue.record("sent through a dead node")
        } catch let error as CSMSError {
            #expect(error.code == .stationOffline)
            #expect(error.detail.contains("lease"))
        }
        let (status, answer) = try await http("POST", "\(nodeA.api)/stations/CS-MUTE/commands/Reset", body: #"{"type":"Immediate"}"#)
        #expect(status == 504)
        #expect(answer["detail"]?.stringValue?.contains("mute") == true)
        #expect(try await store.stationsPerNode(now: now) == ["mute": 1])
        await nodeA.stop()
    }
}
