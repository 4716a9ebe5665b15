import Foundation
import ISO15118SECC
import Logging
import OCPPMessages
import OCPPTransport
import PnCCore
import Synchronization

/// A request from the CSMS that the station's owner (the SECC driver, a simulator) acts on.
public enum StationCommand: Sendable, Hashable {
    /// RequestStartTransaction (F01): start a session for this token on the EVSE.
    case remoteStart(idToken: String, type: String, evseID: Int?, remoteStartID: Int)
    /// RequestStopTransaction (F03).
    case remoteStop(transactionID: String)
    /// Reset (B11/B12): `onIdle` when transactions were running.
    case reset(immediate: Bool)
}

/// The charging station's OCPP 2.0.1 client, implementing the SECC's ``ChargingBackend`` port.
///
/// It keeps a connection to the CSMS (reconnecting with back-off, B10), boots (B01-B03, retrying Pending/Rejected
/// at the CSMS's interval), reports connector statuses (G01), sends heartbeats (G02), relays the SECC's
/// authorization (C01, C07), certificate (M02, M06) and transaction calls (E01-E09), and answers the CSMS's calls
/// (M03-M05 certificate store, A02/A03 SignCertificate/CertificateSigned, F01-F03, B11, B05/B06 variables).
///
/// Transaction events go through a durable ``OfflineJournal`` first and are delivered in order by the connection's
/// session; while the CSMS is unreachable they accumulate (flagged `offline`) and are replayed on reconnect.
/// Authorization while offline follows ``OfflineAuthorizationPolicy``. Each ``ChargingBackend`` call's trace id is
/// put in the OCPP message's `customData` (`{"vendorId":"org.openpnc","traceId":...}`).
public final class OCPPChargingStation: ChargingBackend, OCPPCallHandler, Sendable {
    public static let vendorID = "org.openpnc"

    public let configuration: StationConfiguration
    public let journal: OfflineJournal
    public let certificates: StationCertificateStore
    /// CSMS requests for the station's owner.
    public let commands: AsyncStream<StationCommand>
    let commandSink: AsyncStream<StationCommand>.Continuation
    let logger: Logger
    let now: @Sendable () -> Double

    /// A running transaction; kept in `<data>/transactions.json` so that seqNo continues after a restart.
    struct ActiveTransaction: Sendable, Codable {
        var evseID: Int
        var nextSeqNo: Int
        var idToken: String
        var idTokenType: String
    }
    struct State: Sendable {
        var connection: OCPPConnection?
        var registration: V201.RegistrationStatusEnum?
        var heartbeatInterval: Int
        var txUpdatedInterval: Int
        var policy: OfflineAuthorizationPolicy
        var transactions: [String: ActiveTransaction] = [:]
        var bootCount = 0
        var delivered = 0
    }
    let state: Mutex<State>

    /// Opens the journal and the certificate store under `configuration.dataDirectory`.
    /// - Throws: ``ChargingStationError`` `journal` when the journal cannot be opened.
    public init(
        configuration: StationConfiguration, logger: Logger,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) throws(ChargingStationError) {
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.journal = try OfflineJournal(path: configuration.dataDirectory + "/ocpp-journal.jsonl")
        self.certificates = StationCertificateStore(folder: configuration.dataDirectory + "/certificates")
        (self.commands, self.commandSink) = AsyncStream.makeStream(of: StationCommand.self)
        var initial = State(
            heartbeatInterval: configuration.heartbeatInterval, txUpdatedInterval: configuration.txUpdatedInterval,
            policy: configuration.offlinePolicy)
        if let data = FileManager.default.contents(atPath: configuration.dataDirectory + "/transactions.json"),
            let saved = try? JSONDecoder().decode([String: ActiveTransaction].self, from: data)
        {
            initial.transactions = saved
        }
        self.state = Mutex(initial)
    }

    /// Writes the running transactions (atomically) after a change.
    func persistTransactions() throws {
        let snapshot = state.withLock { $0.transactions }
        let path = configuration.dataDirectory + "/transactions.json"
        do {
            try StationCertificateStore.atomicWrite(try JSONEncoder().encode(snapshot), to: path)
        } catch {
            throw ChargingStationError.make(.journal, "cannot write \(path)", cause: error)
        }
    }

    // MARK: Status

    /// True while a connection is open and the boot was accepted.
    public var isOnline: Bool { state.withLock { $0.connection != nil } }
    /// The last BootNotification answer's status.
    public var registrationStatus: V201.RegistrationStatusEnum? { state.withLock { $0.registration } }
    /// BootNotifications sent so far (including retries).
    public var bootCount: Int { state.withLock { $0.bootCount } }
    /// Journal messages delivered to the CSMS so far.
    public var deliveredCount: Int { state.withLock { $0.delivered } }
    public var heartbeatInterval: Int { state.withLock { $0.heartbeatInterval } }
    public var offlinePolicy: OfflineAuthorizationPolicy {
        get { state.withLock { $0.policy } }
    }
    public func setOfflinePolicy(_ policy: OfflineAuthorizationPolicy) { state.withLock { $0.policy = policy } }

    /// Waits until `condition` holds, polling every 20 ms, at most `timeout`. Returns whether it held.
    public func wait(
        timeout: Duration = .seconds(10), until condition: @Sendable (OCPPChargingStation) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    // MARK: Connection

    /// Connects and serves until the task is cancelled, reconnecting with back-off after every loss.
    public func run() async throws {
        var client = ReconnectingOCPPClient(configuration: configuration.ocpp)
        client.minimumBackOff = configuration.minimumBackOff
        client.randomRange = configuration.minimumBackOff / 4
        defer { commandSink.finish() }
        try await client.run(handler: self, clock: ContinuousClock()) { connection in
            do {
                try await self.session(connection)
            } catch is CancellationError {
                self.state.withLock { $0.connection = nil }
                throw CancellationError()
            } catch {
                self.state.withLock { $0.connection = nil }
                self.logger.info(
                    "CSMS connection lost", metadata: ["ocpp.station_id": "\(connection.stationID)", "error": "\(error)"])
                throw error
            }
            self.state.withLock { $0.connection = nil }
            return false
        }
    }

    func session(_ connection: OCPPConnection) async throws {
        // B01-B03: boot, retrying at the CSMS's interval until Accepted.
        while true {
            try Task.checkCancellation()
            let request = V201.BootNotificationRequest(
                chargingStation: .init(
                    serialNumber: configuration.serialNumber, model: configuration.model,
                    vendorName: configuration.vendorName, firmwareVersion: configuration.firmwareVersion),
                reason: state.withLock { $0.bootCount == 0 } ? .powerUp : .applicationReset)
            state.withLock { $0.bootCount += 1 }
            let response = try await connection.call(request)
            state.withLock { $0.registration = response.status }
            logger.info(
                "BootNotification answered",
                metadata: ["ocpp.station_id": "\(connection.stationID)", "status": "\(response.status.rawValue)"])
            if response.status == .accepted {
                if response.interval > 0 { state.withLock { $0.heartbeatInterval = response.interval } }
                break
            }
            try await Task.sleep(for: .seconds(max(1, response.interval)))
        }
        state.withLock { $0.connection = connection }
        for evse in 1...max(1, configuration.evseCount) {
            _ = try await connection.call(statusNotification(evse: evse))
        }
        var lastHeartbeat = ContinuousClock.now
        while !Task.isCancelled {
            try await flush(connection)
            let interval = state.withLock { $0.heartbeatInterval }
            if ContinuousClock.now - lastHeartbeat >= .seconds(max(1, interval)) {
                _ = try await connection.call(V201.HeartbeatRequest())
                lastHeartbeat = ContinuousClock.now
            }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    func statusNotification(evse: Int) -> V201.StatusNotificationRequest {
        let occupied = state.withLock { $0.transactions.values.contains { $0.evseID == evse } }
        return V201.StatusNotificationRequest(
            timestamp: OCPPDateTime(secondsSince1970: now()), connectorStatus: occupied ? .occupied : .available,
            evseId: evse, connectorId: 1)
    }

    /// Delivers the journal's pending messages in order. A message the CSMS refuses with a CALLERROR is logged and
    /// dropped (it would block the queue forever); a lost connection leaves it pending.
    func flush(_ connection: OCPPConnection) async throws {
        for entry in journal.pending {
            do {
                _ = try await connection.call(action: entry.action, payload: entry.payload)
            } catch let error as OCPPTransportError where error.code == .callError {
                logger.error(
                    "CSMS refused a queued message; dropped",
                    metadata: ["ocpp.action": "\(entry.action)", "journal.n": "\(entry.number)", "error": "\(error)"])
            }
            try journal.acknowledge(entry.number)
            state.withLock { $0.delivered += 1 }
        }
    }

    /// The open connection, or an `offline` error.
    func liveConnection() throws(ChargingStationError) -> OCPPConnection {
        guard let connection = state.withLock({ $0.connection }) else {
            throw .make(.offline, "not connected to the CSMS")
        }
        return connection
    }

    static func customData(_ traceID: TraceID) -> V201.CustomData {
        V201.CustomData(vendorId: vendorID, additionalProperties: [JSONMember("traceId", .string(traceID.rawValue))])
    }

    /// Sends a CALL; transport failures (closed, timeout) become ``ChargingStationError`` `offline`.
    func send<Request: OCPPRequestPayload>(_ request: Request) async throws -> Request.Response {
        let connection = try liveConnection()
        do {
            return try await connection.call(request)
        } catch let error as OCPPTransportError where error.code != .callError && error.code != .invalidResponse {
            state.withLock { if $0.connection === connection { $0.connection = nil } }
            throw ChargingStationError.make(.offline, "CSMS unreachable: \(error)", cause: error)
        }
    }

    // MARK: ChargingBackend

    public func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision {
        let metadata: Logger.Metadata = ["trace_id": "\(request.traceID)", "evse": "\(request.evseID)"]
        let authorize: V201.AuthorizeRequest
        switch request.identification {
        case .contract(let eMAID, let chain, let hashData):
            authorize = V201.AuthorizeRequest(
                customData: Self.customData(request.traceID), idToken: V201.IdToken(idToken: eMAID, type: .eMAID),
                certificate: hashData.isEmpty && !chain.isEmpty && chain.utf8.count <= 5500 ? chain : nil,
                iso15118CertificateHashData: hashData.isEmpty
                    ? nil
                    : hashData.prefix(4).map {
                        V201.OCSPRequestData(
                            hashAlgorithm: V201.HashAlgorithmEnum(rawValue: $0.hashAlgorithm.rawValue) ?? .sha256,
                            issuerNameHash: $0.issuerNameHash, issuerKeyHash: $0.issuerKeyHash,
                            serialNumber: $0.serialNumber, responderURL: $0.responderURL)
                    })
        case .external(let idToken, let type):
            authorize = V201.AuthorizeRequest(
                customData: Self.customData(request.traceID),
                idToken: V201.IdToken(idToken: idToken, type: V201.IdTokenEnum(rawValue: type) ?? .central))
        }
        do {
            let response = try await send(authorize)
            let status = BackendAuthorizationDecision.Status(rawValue: response.idTokenInfo.status.rawValue) ?? .invalid
            let certificateStatus = response.certificateStatus.flatMap {
                BackendAuthorizationDecision.CertificateStatus(rawValue: $0.rawValue)
            }
            logger.info(
                "Authorize answered",
                metadata: metadata.merging(
                    ["status": "\(status.rawValue)", "certificate_status": "\(certificateStatus?.rawValue ?? "-")"],
                    uniquingKeysWith: { $1 }))
            return BackendAuthorizationDecision(
                status: status, certificateStatus: certificateStatus,
                detail: "CSMS: \(status.rawValue)" + (certificateStatus.map { ", certificate \($0.rawValue)" } ?? ""))
        } catch let error as ChargingStationError where error.code == .offline {
            let decision = state.withLock { $0.policy }.decide(request.identification)
            logger.info(
                "Authorize decided offline",
                metadata: metadata.merging(
                    ["status": "\(decision.status.rawValue)", "reason": "\(decision.detail ?? "")"],
                    uniquingKeysWith: { $1 }))
            return decision
        }
    }

    public func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        let call = V201.Get15118EVCertificateRequest(
            customData: Self.customData(request.traceID), iso15118SchemaVersion: request.schemaVersion,
            action: request.action == .install ? .install : .update,
            exiRequest: Data(request.exiRequest).base64EncodedString())
        do {
            let response = try await send(call)
            guard response.status == .accepted else {
                return CertificateExchangeResult(
                    status: .failed, exiResponse: [],
                    detail: "CSMS: Failed" + (response.statusInfo.map { " (\($0.reasonCode))" } ?? ""))
            }
            guard let exi = Data(base64Encoded: response.exiResponse), !exi.isEmpty else {
                throw ChargingStationError.make(.invalidAnswer, "exiResponse is not base64")
            }
            return CertificateExchangeResult(status: .accepted, exiResponse: Array(exi), detail: "CSMS: Accepted")
        } catch let error as ChargingStationError where error.code == .offline {
            return CertificateExchangeResult(status: .failed, exiResponse: [], detail: "offline: \(error.detail)")
        }
    }

    public func certificateStatus(_ request: CertificateStatusRequest) async throws -> CertificateStatusResult {
        let hash = request.hashData
        let call = V201.GetCertificateStatusRequest(
            customData: Self.customData(request.traceID),
            ocspRequestData: V201.OCSPRequestData(
                hashAlgorithm: V201.HashAlgorithmEnum(rawValue: hash.hashAlgorithm.rawValue) ?? .sha256,
                issuerNameHash: hash.issuerNameHash, issuerKeyHash: hash.issuerKeyHash,
                serialNumber: hash.serialNumber, responderURL: hash.responderURL))
        do {
            let response = try await send(call)
            guard response.status == .accepted, let text = response.ocspResult,
                let der = Data(base64Encoded: text)
            else { return CertificateStatusResult(status: .failed, ocspResponse: []) }
            return CertificateStatusResult(status: .accepted, ocspResponse: Array(der))
        } catch let error as ChargingStationError where error.code == .offline {
            return CertificateStatusResult(status: .failed, ocspResponse: [])
        }
    }

    static func idToken(_ identification: BackendAuthorizationRequest.Identification) -> V201.IdToken {
        switch identification {
        case .contract(let eMAID, _, _): V201.IdToken(idToken: eMAID, type: .eMAID)
        case .external(let token, let type): V201.IdToken(idToken: token, type: V201.IdTokenEnum(rawValue: type) ?? .central)
        }
    }

    static func energy(_ wh: Double, power: Double?, soc: Int?, context: V201.ReadingContextEnum, at time: Double)
        -> V201.MeterValue
    {
        var samples = [
            V201.SampledValue(
                value: wh, context: context, measurand: .energyActiveImportRegister,
                unitOfMeasure: V201.UnitOfMeasure(unit: "Wh"))
        ]
        if let power { samples.append(V201.SampledValue(value: power, context: context, measurand: .powerActiveImport)) }
        if let soc { samples.append(V201.SampledValue(value: Double(soc), context: context, measurand: .soC)) }
        return V201.MeterValue(sampledValue: samples, timestamp: OCPPDateTime(secondsSince1970: time))
    }

    /// Journals a TransactionEvent durably (delivered in order by the session).
    func enqueue(_ event: V201.TransactionEventRequest) throws {
        var event = event
        event.offline = isOnline ? nil : true
        try journal.append(action: "TransactionEvent", payload: event.json)
    }

    public func transactionStarted(_ event: TransactionStart) async throws -> String {
        let transactionID = UUID().uuidString.lowercased()
        let idToken = Self.idToken(event.identification)
        state.withLock {
            $0.transactions[transactionID] = ActiveTransaction(
                evseID: event.evseID, nextSeqNo: 1, idToken: idToken.idToken, idTokenType: idToken.type.rawValue)
        }
        try persistTransactions()
        try enqueue(
            V201.TransactionEventRequest(
                customData: Self.customData(event.traceID), eventType: .started,
                meterValue: [Self.energy(event.meterStartWh, power: nil, soc: nil, context: .transactionBegin, at: event.timestamp)],
                timestamp: OCPPDateTime(secondsSince1970: event.timestamp), triggerReason: .authorized, seqNo: 0,
                transactionInfo: V201.Transaction(transactionId: transactionID, chargingState: .charging),
                evse: V201.EVSE(id: event.evseID, connectorId: 1), idToken: idToken))
        logger.info(
            "transaction started",
            metadata: ["trace_id": "\(event.traceID)", "transaction_id": "\(transactionID)", "session_id": "\(event.sessionID)"])
        return transactionID
    }

    func nextSeqNo(_ transactionID: String) -> Int {
        state.withLock { state in
            guard var transaction = state.transactions[transactionID] else { return 1 }
            defer { transaction.nextSeqNo += 1; state.transactions[transactionID] = transaction }
            return transaction.nextSeqNo
        }
    }

    public func transactionUpdated(_ event: TransactionUpdate) async throws {
        let seqNo = nextSeqNo(event.transactionID)
        try persistTransactions()
        try enqueue(
            V201.TransactionEventRequest(
                customData: Self.customData(event.traceID), eventType: .updated,
                meterValue: [
                    Self.energy(
                        event.meterWh, power: event.powerW, soc: event.stateOfCharge, context: .samplePeriodic,
                        at: event.timestamp)
                ],
                timestamp: OCPPDateTime(secondsSince1970: event.timestamp), triggerReason: .meterValuePeriodic,
                seqNo: seqNo, transactionInfo: V201.Transaction(transactionId: event.transactionID, chargingState: .charging)))
    }

    public func transactionEnded(_ event: TransactionEnd) async throws {
        let seqNo = nextSeqNo(event.transactionID)
        let evseID = state.withLock { $0.transactions.removeValue(forKey: event.transactionID)?.evseID }
        try persistTransactions()
        let trigger: V201.TriggerReasonEnum =
            switch event.reason {
            case .evDisconnected: .evCommunicationLost
            case .remote: .remoteStop
            case .deAuthorized: .deauthorized
            case .stoppedByEV: .stopAuthorized
            default: .abnormalCondition
            }
        try enqueue(
            V201.TransactionEventRequest(
                customData: Self.customData(event.traceID), eventType: .ended,
                meterValue: [Self.energy(event.meterStopWh, power: nil, soc: nil, context: .transactionEnd, at: event.timestamp)],
                timestamp: OCPPDateTime(secondsSince1970: event.timestamp), triggerReason: trigger, seqNo: seqNo,
                transactionInfo: V201.Transaction(
                    transactionId: event.transactionID, chargingState: .idle,
                    stoppedReason: V201.ReasonEnum(rawValue: event.reason.rawValue) ?? .other),
                evse: evseID.map { V201.EVSE(id: $0, connectorId: 1) }))
        logger.info(
            "transaction ended",
            metadata: ["trace_id": "\(event.traceID)", "transaction_id": "\(event.transactionID)", "reason": "\(event.reason.rawValue)"])
    }

    /// Transactions started and not yet ended.
    public var activeTransactionIDs: [String] { state.withLock { Array($0.transactions.keys) } }
}
