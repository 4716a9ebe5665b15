import CSMS
import Logging
import OCPPMessages
import Storage
import Synchronization

/// Settings of a CSMS node that shares its database with other nodes (scale-out).
public struct CSMSClusterConfiguration: Sendable {
    /// This node's id in the station registry; unique among the nodes (a restarted node may reuse its id).
    public var nodeID: String
    /// How long a node counts as alive after its last lease renewal. Default 15 s.
    public var lease: Duration = .seconds(15)
    /// How often the lease is renewed. Default 5 s.
    public var renewInterval: Duration = .seconds(5)
    /// How often the node looks for commands and answers without being notified: the safety net on PostgreSQL
    /// (notifications wake it at once), the delivery path on SQLite. Default: 1 s on PostgreSQL, 100 ms on SQLite.
    public var pollInterval: Duration?
    /// How long the accepting node waits for the node holding the station. Default 40 s (the OCPP call timeout of
    /// the holding node, 30 s by default, plus the hand-over).
    public var commandTimeout: Duration = .seconds(40)

    public init(nodeID: String) {
        self.nodeID = nodeID
    }
}

/// Scale-out routing of CSMS-initiated commands (DESIGN: Scale-out). Each node records in the database which stations
/// it holds and renews a lease; a command accepted by any node for a station held by another is stored as a remote
/// command, the holding node is woken (PostgreSQL NOTIFY, or its poll on SQLite), sends the CALL to the station and
/// stores the answer, and the accepting node is woken in turn and returns it (or a typed error, or a timeout).
final class ClusterRouter: Sendable {
    let configuration: CSMSClusterConfiguration
    let store: SQLStore
    /// The PostgreSQL URL for the LISTEN connection; nil: polling only (SQLite).
    let notificationURL: String?
    let logger: Logger
    let now: @Sendable () -> Double
    /// Sends a call to a station connected to this node: (station id, action, payload) → CALLRESULT payload.
    let deliver: @Sendable (String, String, JSONValue) async throws -> JSONValue
    private let waiters = Mutex<[String: CheckedContinuation<RemoteCommandRecord, any Error>]>([:])
    private let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation

    var nodeID: String { configuration.nodeID }

    init(
        configuration: CSMSClusterConfiguration, store: SQLStore, notificationURL: String?, logger: Logger,
        now: @escaping @Sendable () -> Double,
        deliver: @escaping @Sendable (String, String, JSONValue) async throws -> JSONValue
    ) {
        self.configuration = configuration
        self.store = store
        self.notificationURL = notificationURL
        self.logger = logger
        self.now = now
        self.deliver = deliver
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Joins the registry (the node's earlier locations are dropped, its lease starts). Needs the store's writer running.
    func join() async throws {
        let time = now()
        try await store.joinCluster(nodeID: nodeID, now: time, leaseUntil: time + Self.seconds(configuration.lease))
    }

    /// Renews the lease, listens for notifications, polls, and handles commands and answers until cancelled.
    func run() async {
        let poll = configuration.pollInterval ?? (store.notifies ? .seconds(1) : .milliseconds(100))
        await withDiscardingTaskGroup { group in
            group.addTask { await self.renewLeases() }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: poll) } catch { return }
                    self.wake()
                }
            }
            if let url = notificationURL {
                group.addTask { await self.listen(url: url) }
            }
            for await _ in wakeups {
                await processInbox(group: &group)
            }
        }
    }

    /// Stops the loops (the node is stopping); pending waits fail.
    func finish() {
        wakeupContinuation.finish()
        let pending = waiters.withLock { waiters in
            let all = waiters
            waiters = [:]
            return all
        }
        for (_, continuation) in pending {
            continuation.resume(throwing: CSMSError.make(.remoteCommandFailed, "the node is stopping"))
        }
    }

    func wake() { wakeupContinuation.yield() }

    private func renewLeases() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.renewInterval) } catch { return }
            let time = now()
            do {
                try await store.renewLease(
                    nodeID: nodeID, leaseUntil: time + Self.seconds(configuration.lease), keepCommandsSince: time - 86_400)
            } catch {
                logger.warning("cluster lease not renewed", metadata: ["node_id": "\(nodeID)", "error": "\(error)"])
            }
        }
    }

    /// LISTENs on the node's channel; after a lost connection it connects again (the poll covers the gap).
    private func listen(url: String) async {
        while !Task.isCancelled {
            do {
                let notifications = try await ClusterNotifications.open(url: url, nodeID: nodeID, logger: logger)
                do {
                    try await withTaskCancellationHandler {
                        try await notifications.run(onListening: { self.wake() }, wake: { self.wake() })
                    } onCancel: {
                        Task { await notifications.close() }
                    }
                } catch {
                    if !Task.isCancelled {
                        logger.warning("cluster notifications lost", metadata: ["node_id": "\(nodeID)", "error": "\(error)"])
                    }
                }
                await notifications.close()
            } catch {
                logger.warning("cluster notifications unavailable", metadata: ["node_id": "\(nodeID)", "error": "\(error)"])
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    /// Takes the commands addressed to this node (each delivered in its own task) and hands finished answers to the
    /// callers waiting for them.
    private func processInbox(group: inout DiscardingTaskGroup) async {
        do {
            for command in try await store.claimRemoteCommands(targetNode: nodeID) {
                group.addTask { await self.execute(command) }
            }
            let waiting = waiters.withLock { Array($0.keys) }
            for record in try await store.finishedRemoteCommands(ids: waiting) {
                let continuation = waiters.withLock { $0.removeValue(forKey: record.id) }
                continuation?.resume(returning: record)
            }
        } catch {
            logger.warning("cluster inbox not read", metadata: ["node_id": "\(nodeID)", "error": "\(error)"])
        }
    }

    /// Delivers a command taken from the inbox to the station and stores the answer for the accepting node.
    private func execute(_ command: RemoteCommandRecord) async {
        let state: RemoteCommandRecord.State
        let result: String
        do {
            // The accepting node gave up on a command older than its timeout: sending it now would act on the station
            // after the caller was told it failed.
            guard now() - command.createdAt < Self.seconds(configuration.commandTimeout) else {
                throw CSMSError.make(.remoteCommandTimeout, "expired before node \(nodeID) took it")
            }
            let payload = try JSONValue.parse(command.payload)
            result = try await deliver(command.stationID, command.action, payload).serializedString
            state = .answered
        } catch {
            result = "\(error)"
            state = .failed
        }
        logger.debug(
            "remote command delivered",
            metadata: ["node_id": "\(nodeID)", "origin_node": "\(command.originNode)", "ocpp.station_id": "\(command.stationID)",
                       "ocpp.action": "\(command.action)", "state": "\(state.rawValue)"])
        do {
            try await store.answerRemoteCommand(id: command.id, originNode: command.originNode, state: state, result: result, at: now())
        } catch {
            logger.error("remote command answer not stored", metadata: ["node_id": "\(nodeID)", "id": "\(command.id)", "error": "\(error)"])
        }
    }

    /// Where the station is connected, when a live node holds it.
    func liveLocation(of stationID: String) async throws -> StationLocation? {
        guard let location = try await store.stationLocation(stationID: stationID), location.isLive(at: now()) else { return nil }
        return location
    }

    /// Records that this node holds the station's connection.
    func stationConnected(_ stationID: String, version: OCPPVersion) async {
        do {
            try await store.setStationLocation(stationID: stationID, nodeID: nodeID, protocolVersion: version.rawValue, at: now())
        } catch {
            logger.error("station location not stored", metadata: ["ocpp.station_id": "\(stationID)", "error": "\(error)"])
        }
    }

    /// Forgets the station's location unless another node took it over.
    func stationDisconnected(_ stationID: String) async {
        do {
            try await store.clearStationLocation(stationID: stationID, nodeID: nodeID)
        } catch let error as StorageError where error.code == .closed {
            return  // the node is stopping: leaving the registry removes every location it held
        } catch {
            logger.error("station location not cleared", metadata: ["ocpp.station_id": "\(stationID)", "error": "\(error)"])
        }
    }

    /// Hands the call to the node holding the station and returns the station's CALLRESULT payload.
    /// - Throws: ``CSMSError`` `stationOffline` (no live node holds it), `remoteCommandFailed` (not delivered, or the
    ///   station answered with a CALLERROR), `remoteCommandTimeout`.
    func send(_ call: CSMSCall, to stationID: String, traceID: String) async throws -> JSONValue {
        guard let location = try await store.stationLocation(stationID: stationID) else {
            throw CSMSError.make(.stationOffline, "station \(stationID) is not connected to any node")
        }
        guard location.isLive(at: now()) else {
            throw CSMSError.make(
                .stationOffline, "station \(stationID) was held by node \(location.nodeID), which stopped renewing its lease")
        }
        guard location.nodeID != nodeID else {
            throw CSMSError.make(.stationOffline, "station \(stationID) is not connected to this node any more")
        }
        let record = RemoteCommandRecord(
            id: traceID, stationID: stationID, originNode: nodeID, targetNode: location.nodeID, action: call.action,
            payload: call.payload.serializedString, createdAt: now())
        try await store.enqueueRemoteCommand(record)
        logger.debug(
            "remote command handed over",
            metadata: ["node_id": "\(nodeID)", "target_node": "\(location.nodeID)", "ocpp.station_id": "\(stationID)",
                       "ocpp.action": "\(call.action)", "trace_id": "\(traceID)"])
        let timeout = configuration.commandTimeout
        let timer = Task {
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            let continuation = self.waiters.withLock { $0.removeValue(forKey: record.id) }
            continuation?.resume(
                throwing: CSMSError.make(
                    .remoteCommandTimeout,
                    "node \(location.nodeID) holding station \(stationID) did not answer \(call.action) within \(timeout)"))
        }
        defer { timer.cancel() }
        let answer = try await withCheckedThrowingContinuation { continuation in
            waiters.withLock { $0[record.id] = continuation }
            wake()  // an answer stored before the wait began is found by the next inbox read
        }
        switch answer.state {
        case .answered:
            do {
                return try JSONValue.parse(answer.result ?? "")
            } catch {
                throw CSMSError.make(.remoteCommandFailed, "node \(location.nodeID) stored an unreadable answer", cause: error)
            }
        default:
            throw CSMSError.make(
                .remoteCommandFailed, "node \(location.nodeID): \(call.action) to \(stationID) failed: \(answer.result ?? "no reason")")
        }
    }
}
