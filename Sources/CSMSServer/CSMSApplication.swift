import CSMS
import HTTPAPI
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import OCPPMessages
import OCPPTransport
import Storage
import Synchronization

/// Settings of a CSMS node.
public struct CSMSApplicationConfiguration: Sendable {
    public var server = OCPPServerConfiguration()
    public var csms = CSMSConfiguration()
    /// SQLite database file, or a `postgres://user:password@host:port/database` URL. Default `pnc-csms.sqlite`.
    public var databasePath = "pnc-csms.sqlite"
    /// Address of the REST API (host, port; port 0 picks one); nil: no REST API. Default nil.
    public var httpAddress: (host: String, port: Int)?
    /// Latency budget of Get15118EVCertificate (M02/M03): a provider answering later gives Failed. Default 3 s.
    public var evCertificateBudget: Duration = .seconds(3)
    /// A02/A03: a station certificate signed by the CSMS is renewed (TriggerMessage SignV2GCertificate) once it
    /// expires within this window. Default 30 days.
    public var certificateRenewalWindow: Duration = .seconds(30 * 86_400)
    /// How often the renewal check runs. Default 1 hour.
    public var certificateRenewalCheckInterval: Duration = .seconds(3_600)
    /// Scale-out: this node shares its database with other nodes, keeps the station registry and routes remote
    /// commands to the node holding the station. nil (the default): a single node.
    public var cluster: CSMSClusterConfiguration?

    public init() {}
}

/// A CSMS node: the OCPP-J server, the CSMS functional blocks and the SQL store, wired together.
public final class CSMSApplication: OCPPServerDelegate, StationAuthenticator, StationCommandSender, Sendable {
    public let centralSystem: CentralSystem
    public let store: SQLStore
    public let stations = ConnectedStations()
    let renewalWindow: Duration
    let renewalCheckInterval: Duration
    let logger: Logger
    /// Bills a transaction once its Ended event is stored; nil: no billing.
    let settlement: (any TransactionSettlement)?
    private let sessions = Mutex<[UInt64: StationSession]>([:])
    private let serverBox = Mutex<OCPPServer?>(nil)
    /// Scale-out routing; nil for a single node.
    let router: ClusterRouter?

    public init(
        configuration: CSMSApplicationConfiguration, store: SQLStore, certificateAuthority: (any CertificateAuthority)?,
        plugAndCharge: PlugAndChargeServices = PlugAndChargeServices(), settlement: (any TransactionSettlement)? = nil,
        logger: Logger, now: @escaping @Sendable () -> OCPPDateTime
    ) {
        self.store = store
        self.logger = logger
        self.settlement = settlement
        self.renewalWindow = configuration.certificateRenewalWindow
        self.renewalCheckInterval = configuration.certificateRenewalCheckInterval
        let deliver = DeliveryBox()
        if let cluster = configuration.cluster {
            let location = configuration.databasePath
            let isPostgres = location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
            self.router = ClusterRouter(
                configuration: cluster, store: store, notificationURL: isPostgres && store.notifies ? location : nil,
                logger: logger, now: { now().secondsSince1970 },
                deliver: { stationID, action, payload in try await deliver.send(stationID, action, payload) })
        } else {
            self.router = nil
        }
        var plugAndCharge = plugAndCharge
        if plugAndCharge.switches == nil { plugAndCharge.switches = store }
        if let provider = plugAndCharge.evCertificates {
            plugAndCharge.evCertificates = TimeBoundEVCertificateProvider(provider, budget: configuration.evCertificateBudget)
        }
        self.centralSystem = CentralSystem(
            configuration: configuration.csms, stations: store, transactions: store, tokens: store,
            certificateAuthority: certificateAuthority, plugAndCharge: plugAndCharge,
            makeTraceID: { Self.randomTraceID() }, now: now)
        deliver.application.withLock { $0 = WeakApplication(self) }
    }

    /// The node's id in the station registry (scale-out), nil for a single node.
    public var nodeID: String? { router?.nodeID }

    /// A fresh 128-bit trace id in hex.
    static func randomTraceID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        let text = String(high, radix: 16) + ":" + String(low, radix: 16)
        let parts = text.split(separator: ":").map { String(repeating: "0", count: 16 - $0.count) + $0 }
        return parts.joined()
    }

    func log(_ decisions: [CSMSDecision]) {
        for decision in decisions {
            var metadata: Logger.Metadata = ["trace_id": "\(decision.traceID)"]
            for (key, value) in decision.metadata { metadata[key] = "\(value)" }
            let level: Logger.Level = switch decision.level {
            case .info: .info
            case .notice: .notice
            case .warning: .warning
            }
            logger.log(level: level, "\(decision.message)", metadata: metadata)
        }
    }

    /// Opens the SQLite store, binds the server and serves until cancelled. `onListening` receives the bound port.
    public static func run(
        configuration: CSMSApplicationConfiguration, certificateAuthority: (any CertificateAuthority)? = nil,
        plugAndCharge: PlugAndChargeServices = PlugAndChargeServices(),
        settlement: (@Sendable (SQLStore) throws -> any TransactionSettlement)? = nil,
        logger: Logger, onListening: @Sendable (CSMSApplication, Int) async -> Void = { _, _ in }
    ) async throws {
        let store = try await SQLStore.open(configuration.databasePath, logger: logger)
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: certificateAuthority,
            plugAndCharge: plugAndCharge, settlement: try settlement?(store), logger: logger,
            now: { OCPPDateTime(secondsSince1970: Double(DispatchWallClock.nowNanoseconds()) / 1e9) })
        try await application.run(server: configuration.server, http: configuration.httpAddress, onListening: onListening)
    }

    /// Binds the server, runs the store's writer and the server until cancelled, then closes the store.
    public func run(
        server configuration: OCPPServerConfiguration, http: (host: String, port: Int)? = nil,
        onHTTPListening: @escaping @Sendable (Int) async -> Void = { _ in },
        onListening: @Sendable (CSMSApplication, Int) async -> Void
    ) async throws {
        let storeTask = Task { await self.store.run() }
        let server: OCPPServer
        do {
            // A cluster node joins the registry before it accepts stations.
            try await router?.join()
            server = try await OCPPServer.bind(configuration: configuration, authenticator: self, delegate: self, logger: logger)
        } catch {
            store.stopWriter()
            await storeTask.value
            try? await store.close()
            throw error
        }
        serverBox.withLock { $0 = server }
        await onListening(self, server.port)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    await withTaskCancellationHandler {
                        await storeTask.value
                    } onCancel: {
                        self.store.stopWriter()
                    }
                }
                group.addTask { try await server.run() }
                if let router {
                    group.addTask {
                        await withTaskCancellationHandler {
                            await router.run()
                        } onCancel: {
                            router.finish()
                        }
                    }
                }
                group.addTask { await self.renewCertificates() }
                if let http {
                    let api = CSMSRESTAPI(
                        stations: store, transactions: store, sender: self,
                        plugAndChargeSwitches: centralSystem.plugAndCharge.switches, variables: store,
                        signedChains: PEMSignedChainChecker(clock: centralSystem.now))
                    let application = Application(
                        router: api.router(),
                        configuration: .init(address: .hostname(http.host, port: http.port), serverName: "OpenPnC CSMS"),
                        onServerRunning: { channel in await onHTTPListening(channel.localAddress?.port ?? http.port) },
                        logger: logger)
                    group.addTask { try await application.run() }
                }
            }
        } catch {
            router?.finish()
            try? await store.close(leavingCluster: router?.nodeID)
            throw error
        }
        router?.finish()
        try? await store.close(leavingCluster: router?.nodeID)
    }

    // MARK: StationAuthenticator

    public func authenticate(stationID: String, password: String) async -> Bool {
        guard let hash = try? await store.passwordHash(stationID: stationID) else { return false }
        return PasswordHash.verify(password: password, hash: hash)
    }

    // MARK: OCPPServerDelegate

    public func connectionOpened(_ connection: OCPPConnection) async {
        sessions.withLock { $0[connection.connectionNumber] = StationSession(stationID: connection.stationID, version: connection.version) }
        await stations.opened(connection)
        await router?.stationConnected(connection.stationID, version: connection.version)
        logger.debug("station connected", metadata: ["ocpp.station_id": "\(connection.stationID)", "ocpp.version": "\(connection.version.rawValue)"])
    }

    public func connectionClosed(_ connection: OCPPConnection) async {
        _ = sessions.withLock { $0.removeValue(forKey: connection.connectionNumber) }
        if await stations.closed(connection) {
            await router?.stationDisconnected(connection.stationID)
        }
        logger.debug("station disconnected", metadata: ["ocpp.station_id": "\(connection.stationID)"])
    }

    public func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        // The reader of one connection handles its CALLs one after the other, so the session is never shared.
        var session = sessions.withLock { $0[connection.connectionNumber] }
            ?? StationSession(stationID: connection.stationID, version: connection.version)
        let reply = await centralSystem.handle(action: action, payload: payload, session: &session)
        sessions.withLock { $0[connection.connectionNumber] = session }
        if settlement != nil, case .result = reply.outcome, let ended = Self.endedTransaction(action: action, payload: payload) {
            await settle(stationID: connection.stationID, transactionID: ended.transactionID, traceID: ended.traceID)
        }
        log(reply.decisions)
        let outcome: OCPPCallReply.Outcome
        switch reply.outcome {
        case .result(let payload): outcome = .result(payload)
        case .error(let code, let text): outcome = .error(code, text)
        }
        guard !reply.followUps.isEmpty else { return OCPPCallReply(outcome) }
        let calls = reply.followUps
        let logger = self.logger
        let centralSystem = self.centralSystem
        return OCPPCallReply(outcome) { connection in
            var queue = calls[...]
            var sent = 0
            while let call = queue.popFirst(), sent < 64 {
                sent += 1
                do {
                    let result = try await connection.call(action: call.action, payload: call.payload)
                    queue.append(contentsOf: centralSystem.callsAfter(call, result: result, version: connection.version))
                    await self.recordAnswer(call: call, result: result, stationID: connection.stationID, version: connection.version)
                    logger.debug("csms call answered", metadata: ["ocpp.station_id": "\(connection.stationID)", "ocpp.action": "\(call.action)", "result": "\(result.serializedString.prefix(200))"])
                } catch {
                    logger.debug("csms call failed", metadata: ["ocpp.station_id": "\(connection.stationID)", "ocpp.action": "\(call.action)", "error": "\(error)"])
                }
            }
        }
    }

    /// Stores what a station's answer to a CSMS-initiated call tells: the expiry of a certificate it accepted
    /// (A02/A03) and the variables it reported (B05/B06).
    func recordAnswer(call: CSMSCall, result: JSONValue, stationID: String, version: OCPPVersion) async {
        await recordSignedCertificate(call: call, result: result, stationID: stationID)
        let variables = centralSystem.reportedVariables(call: call, result: result, stationID: stationID, version: version)
        guard !variables.isEmpty else { return }
        do {
            try await store.saveVariables(variables)
        } catch {
            logger.error("reported variables not stored", metadata: ["ocpp.station_id": "\(stationID)", "error": "\(error)"])
        }
    }

    /// A02/A03: after a station accepted CertificateSigned (2.0.1, or the 1.6 PnC DataTransfer carrying it), the
    /// leaf's notAfter is stored for renewal.
    func recordSignedCertificate(call: CSMSCall, result: JSONValue, stationID: String) async {
        var request: V201.CertificateSignedRequest?
        var accepted = false
        if call.action == V201.CertificateSignedRequest.action {
            request = try? V201.CertificateSignedRequest(json: call.payload)
            accepted = (try? V201.CertificateSignedResponse(json: result))?.status == .accepted
        } else if call.action == V16.DataTransferRequest.action, let transfer = try? V16.DataTransferRequest(json: call.payload),
            transfer.vendorId == CentralSystem.pnc16VendorID, transfer.messageId == V201.CertificateSignedRequest.action,
            let data = transfer.data, let inner = try? JSONValue.parse(data)
        {
            request = try? V201.CertificateSignedRequest(json: inner)
            let response = try? V16.DataTransferResponse(json: result)
            accepted = response?.status == .accepted
                && (response?.data.flatMap { try? JSONValue.parse($0) }.flatMap { try? V201.CertificateSignedResponse(json: $0) }?.status ?? .accepted) == .accepted
        }
        guard let request, accepted,
            let notAfter = PEMLeaf.notAfter(request.certificateChain)
        else { return }
        let record = StationCertificateRecord(
            stationID: stationID, certificateType: request.certificateType?.rawValue ?? "ChargingStationCertificate",
            notAfter: notAfter)
        do {
            try await store.saveStationCertificate(record)
        } catch {
            logger.error("station certificate expiry not stored", metadata: ["ocpp.station_id": "\(stationID)", "error": "\(error)"])
        }
    }

    /// A02/A03: every check interval, stations whose certificate expires within the window are asked to renew it.
    func renewCertificates() async {
        let window = Double(renewalWindow.components.seconds) + Double(renewalWindow.components.attoseconds) / 1e18
        while !Task.isCancelled {
            do { try await Task.sleep(for: renewalCheckInterval) } catch { return }
            guard let due = try? await centralSystem.certificatesToRenew(repository: store, window: window) else { continue }
            for record in due {
                guard let connection = await stations.connection(stationID: record.stationID) else { continue }
                let call = CentralSystem.renewalCall(for: record, version: connection.version)
                let traceID = Self.randomTraceID()
                do {
                    let result = try await connection.call(action: call.action, payload: call.payload)
                    logger.notice(
                        "certificate renewal triggered",
                        metadata: ["ocpp.station_id": "\(record.stationID)", "certificate_type": "\(record.certificateType)",
                                   "not_after": "\(record.notAfter.text)", "trace_id": "\(traceID)",
                                   "result": "\(result.serializedString.prefix(200))"])
                } catch {
                    logger.warning(
                        "certificate renewal trigger failed",
                        metadata: ["ocpp.station_id": "\(record.stationID)", "trace_id": "\(traceID)", "error": "\(error)"])
                }
            }
        }
    }

    /// The negotiated version of the station when it is connected here or, in a cluster, to a live node.
    public func connectedVersion(of stationID: String) async -> OCPPVersion? {
        if let version = await stations.connection(stationID: stationID)?.version { return version }
        guard let router, let location = try? await router.liveLocation(of: stationID) else { return nil }
        return OCPPVersion(rawValue: location.protocolVersion)
    }

    /// Sends a CSMS-initiated CALL to a station and returns the CALLRESULT payload (remote control). In a cluster a
    /// station connected to another node gets the call through that node.
    /// - Throws: ``CSMSError`` `invalidCommand` when the station is not connected here (single node); in a cluster
    ///   `stationOffline`, `remoteCommandFailed` or `remoteCommandTimeout`; or the transport's error.
    public func send(_ call: CSMSCall, to stationID: String) async throws -> JSONValue {
        guard let connection = await stations.connection(stationID: stationID) else {
            if let router {
                return try await router.send(call, to: stationID, traceID: Self.randomTraceID())
            }
            throw CSMSError.make(.invalidCommand, "station \(stationID) is not connected")
        }
        let result = try await connection.call(action: call.action, payload: call.payload)
        await recordAnswer(call: call, result: result, stationID: stationID, version: connection.version)
        return result
    }
}

/// A call handed over by another node, for a station connected here: validated for the station's version, then sent.
extension CSMSApplication {
    func deliverLocally(stationID: String, action: String, payload: JSONValue) async throws -> JSONValue {
        guard let connection = await stations.connection(stationID: stationID) else {
            throw CSMSError.make(.stationOffline, "station \(stationID) is not connected to node \(nodeID ?? "")")
        }
        let call = try CSMSCall(action: action, payload: payload, version: connection.version)
        let result = try await connection.call(action: call.action, payload: call.payload)
        await recordAnswer(call: call, result: result, stationID: stationID, version: connection.version)
        return result
    }
}

/// The application, reached by the router it owns without a reference cycle.
struct WeakApplication: Sendable {
    weak var application: CSMSApplication?
    init(_ application: CSMSApplication) { self.application = application }
}

final class DeliveryBox: Sendable {
    let application = Mutex<WeakApplication?>(nil)

    func send(_ stationID: String, _ action: String, _ payload: JSONValue) async throws -> JSONValue {
        guard let application = application.withLock({ $0?.application }) else {
            throw CSMSError.make(.stationOffline, "the node is stopping")
        }
        return try await application.deliverLocally(stationID: stationID, action: action, payload: payload)
    }
}

/// Wall-clock time for the composition root (the domain gets it injected).
enum DispatchWallClock {
    static func nowNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
