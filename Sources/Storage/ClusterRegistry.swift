import Logging
import PostgresKit
import SQLKit
import Synchronization

/// Where a station's live connection is held: the node and its lease.
public struct StationLocation: Sendable, Equatable {
    public let stationID: String
    public let nodeID: String
    /// The negotiated OCPP subprotocol (`ocpp2.0.1`, `ocpp1.6`).
    public let protocolVersion: String
    /// The node's lease (seconds since 1970); nil when the node is not registered any more (it left).
    public let leaseUntil: Double?

    /// Whether the node holding the connection was alive at `now` (its lease not expired).
    public func isLive(at now: Double) -> Bool { (leaseUntil ?? -1) >= now }
}

/// A command handed from the node that accepted it (origin) to the node holding the station (target).
public struct RemoteCommandRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Written by the origin, not yet taken by the target.
        case pending
        /// Taken by the target (sent to the station, answer awaited).
        case running
        /// The station answered with a CALLRESULT; ``result`` holds its payload.
        case answered
        /// The target could not deliver it or the station answered with an error; ``result`` holds the reason.
        case failed
    }

    public let id: String
    public let stationID: String
    public let originNode: String
    public let targetNode: String
    public let action: String
    /// The CALL payload (JSON text).
    public let payload: String
    public var state: State
    /// The CALLRESULT payload (JSON text) when answered, the reason when failed.
    public var result: String?
    public let createdAt: Double

    public init(
        id: String, stationID: String, originNode: String, targetNode: String, action: String, payload: String,
        state: State = .pending, result: String? = nil, createdAt: Double
    ) {
        self.id = id
        self.stationID = stationID
        self.originNode = originNode
        self.targetNode = targetNode
        self.action = action
        self.payload = payload
        self.state = state
        self.result = result
        self.createdAt = createdAt
    }
}

/// The station registry of the nodes sharing one database (scale-out): node leases, station locations, remote
/// commands. On PostgreSQL a write can notify a node's channel (`pg_notify`, delivered at commit).
extension SQLStore {
    /// The notification channel of a node on PostgreSQL: `pnc_node_` and the node id reduced to [a-z0-9_].
    public static func notificationChannel(nodeID: String) -> String {
        let safe = nodeID.lowercased().unicodeScalars.map { scalar -> Character in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
        }
        return "pnc_node_" + String(String(safe).prefix(50))
    }

    /// Whether writes can notify other nodes at once (PostgreSQL); otherwise nodes look for work by polling.
    public var notifies: Bool { dialect == .postgres }

    /// Joins (or rejoins) the cluster: stations this node id held before (a restart) are forgotten, the lease starts.
    public func joinCluster(nodeID: String, now: Double, leaseUntil: Double) async throws {
        _ = try await write { db in
            try await db.raw("DELETE FROM station_locations WHERE node_id = \(bind: nodeID)").run()
            try await db.raw(
                """
                INSERT INTO csms_nodes (node_id, started_at, lease_until) VALUES (\(bind: nodeID), \(bind: now), \(bind: leaseUntil))
                ON CONFLICT (node_id) DO UPDATE SET started_at = excluded.started_at, lease_until = excluded.lease_until
                """
            ).run()
            return true
        }
    }

    /// Extends the node's lease; also drops remote commands older than `keepCommandsSince`.
    public func renewLease(nodeID: String, leaseUntil: Double, keepCommandsSince: Double) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO csms_nodes (node_id, started_at, lease_until) VALUES (\(bind: nodeID), \(bind: leaseUntil), \(bind: leaseUntil))
                ON CONFLICT (node_id) DO UPDATE SET lease_until = excluded.lease_until
                """
            ).run()
            try await db.raw("DELETE FROM remote_commands WHERE created_at < \(bind: keepCommandsSince)").run()
            return true
        }
    }

    /// Leaves the cluster (orderly stop): the node and the locations of its stations are removed.
    public func leaveCluster(nodeID: String) async throws {
        _ = try await write { db in
            try await db.raw("DELETE FROM station_locations WHERE node_id = \(bind: nodeID)").run()
            try await db.raw("DELETE FROM csms_nodes WHERE node_id = \(bind: nodeID)").run()
            return true
        }
    }

    /// Records that `nodeID` holds the station's connection (a newer connection elsewhere replaces an older one).
    public func setStationLocation(stationID: String, nodeID: String, protocolVersion: String, at time: Double) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO station_locations (station_id, node_id, protocol_version, connected_at)
                VALUES (\(bind: stationID), \(bind: nodeID), \(bind: protocolVersion), \(bind: time))
                ON CONFLICT (station_id) DO UPDATE SET node_id = excluded.node_id,
                protocol_version = excluded.protocol_version, connected_at = excluded.connected_at
                """
            ).run()
            return true
        }
    }

    /// Forgets the station's location if `nodeID` still holds it (a reconnect to another node is left alone).
    public func clearStationLocation(stationID: String, nodeID: String) async throws {
        _ = try await write { db in
            try await db.raw("DELETE FROM station_locations WHERE station_id = \(bind: stationID) AND node_id = \(bind: nodeID)").run()
            return true
        }
    }

    /// Where the station is connected, with the lease of the node holding it; nil when no node holds it.
    public func stationLocation(stationID: String) async throws -> StationLocation? {
        try await reader.raw(
            """
            SELECT l.station_id, l.node_id, l.protocol_version, n.lease_until FROM station_locations l
            LEFT JOIN csms_nodes n ON n.node_id = l.node_id WHERE l.station_id = \(bind: stationID)
            """
        ).all().first.map { row in
            StationLocation(
                stationID: try row.decode(column: "station_id", as: String.self),
                nodeID: try row.decode(column: "node_id", as: String.self),
                protocolVersion: try row.decode(column: "protocol_version", as: String.self),
                leaseUntil: try row.decode(column: "lease_until", as: Double?.self))
        }
    }

    /// The number of stations each live node holds at `now`, by node id.
    public func stationsPerNode(now: Double) async throws -> [String: Int] {
        let rows = try await reader.raw(
            """
            SELECT l.node_id, COUNT(*) AS stations FROM station_locations l JOIN csms_nodes n ON n.node_id = l.node_id
            WHERE n.lease_until >= \(bind: now) GROUP BY l.node_id
            """
        ).all()
        var counts: [String: Int] = [:]
        for row in rows {
            counts[try row.decode(column: "node_id", as: String.self)] = try row.decode(column: "stations", as: Int.self)
        }
        return counts
    }

    /// Stores a command for its target node and, on PostgreSQL, notifies the target's channel at commit.
    public func enqueueRemoteCommand(_ c: RemoteCommandRecord) async throws {
        let notifies = self.notifies
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO remote_commands (id, station_id, origin_node, target_node, action, payload, state, result, created_at)
                VALUES (\(bind: c.id), \(bind: c.stationID), \(bind: c.originNode), \(bind: c.targetNode), \(bind: c.action),
                \(bind: c.payload), \(bind: c.state.rawValue), \(bind: c.result), \(bind: c.createdAt))
                """
            ).run()
            if notifies {
                try await db.raw("SELECT pg_notify(\(bind: Self.notificationChannel(nodeID: c.targetNode)), \(bind: c.id))").run()
            }
            return true
        }
    }

    /// Takes the pending commands addressed to `nodeID` (each is taken by one node once: pending → running).
    public func claimRemoteCommands(targetNode nodeID: String) async throws -> [RemoteCommandRecord] {
        // A read first: most calls find nothing and need no write transaction.
        let waiting = try await reader.raw(
            "SELECT id FROM remote_commands WHERE target_node = \(bind: nodeID) AND state = 'pending' LIMIT 1"
        ).all()
        guard !waiting.isEmpty else { return [] }
        let box = Mutex<[RemoteCommandRecord]>([])
        _ = try await write { db in
            let rows = try await db.raw(
                """
                UPDATE remote_commands SET state = 'running' WHERE target_node = \(bind: nodeID) AND state = 'pending'
                RETURNING id, station_id, origin_node, target_node, action, payload, state, result, created_at
                """
            ).all()
            let records = try rows.map(Self.remoteCommand)
            box.withLock { $0 = records }
            return true
        }
        return box.withLock { $0 }
    }

    /// Stores the target's answer and, on PostgreSQL, notifies the origin's channel at commit.
    public func answerRemoteCommand(id: String, originNode: String, state: RemoteCommandRecord.State, result: String, at time: Double) async throws {
        let notifies = self.notifies
        _ = try await write { db in
            try await db.raw(
                """
                UPDATE remote_commands SET state = \(bind: state.rawValue), result = \(bind: result), answered_at = \(bind: time)
                WHERE id = \(bind: id)
                """
            ).run()
            if notifies {
                try await db.raw("SELECT pg_notify(\(bind: Self.notificationChannel(nodeID: originNode)), \(bind: id))").run()
            }
            return true
        }
    }

    /// The commands among `ids` that have been answered or have failed.
    public func finishedRemoteCommands(ids: [String]) async throws -> [RemoteCommandRecord] {
        guard !ids.isEmpty else { return [] }
        var finished: [RemoteCommandRecord] = []
        var start = 0
        while start < ids.count {  // bounded statement size
            let chunk = ids[start..<min(start + 100, ids.count)]
            start += 100
            var query = SQLQueryString(
                "SELECT id, station_id, origin_node, target_node, action, payload, state, result, created_at FROM remote_commands WHERE state IN ('answered', 'failed') AND id IN (")
            for (offset, id) in chunk.enumerated() {
                if offset > 0 { query.appendLiteral(", ") }
                query.appendInterpolation("\(bind: id)" as SQLQueryString)
            }
            query.appendLiteral(")")
            finished += try await reader.raw(query).all().map(Self.remoteCommand)
        }
        return finished
    }

    static func remoteCommand(_ row: any SQLRow) throws -> RemoteCommandRecord {
        RemoteCommandRecord(
            id: try row.decode(column: "id", as: String.self),
            stationID: try row.decode(column: "station_id", as: String.self),
            originNode: try row.decode(column: "origin_node", as: String.self),
            targetNode: try row.decode(column: "target_node", as: String.self),
            action: try row.decode(column: "action", as: String.self),
            payload: try row.decode(column: "payload", as: String.self),
            state: RemoteCommandRecord.State(rawValue: try row.decode(column: "state", as: String.self)) ?? .failed,
            result: try row.decode(column: "result", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Double.self))
    }
}

/// A dedicated PostgreSQL connection that LISTENs on a node's channel (scale-out): each notification wakes the node.
public final class ClusterNotifications: Sendable {
    let connection: PostgresConnection
    public let channel: String

    private init(connection: PostgresConnection, channel: String) {
        self.connection = connection
        self.channel = channel
    }

    /// Connects to the PostgreSQL database at `url` for the node's channel.
    public static func open(url: String, nodeID: String, logger: Logger) async throws -> ClusterNotifications {
        let configuration = try SQLStore.postgresConfiguration(url: url)
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 3, logger: logger)
            return ClusterNotifications(connection: connection, channel: SQLStore.notificationChannel(nodeID: nodeID))
        } catch {
            throw StorageError.make(.openFailed, "cannot open the notification connection", cause: error)
        }
    }

    /// Listens until cancelled, calling `onListening` once LISTEN is in place and `wake` for every notification.
    public func run(onListening: @Sendable () async -> Void, wake: @Sendable () async -> Void) async throws {
        try await connection.listen(on: channel) { notifications in
            await onListening()
            for try await _ in notifications { await wake() }
        }
    }

    public func close() async {
        try? await connection.close()
    }
}
