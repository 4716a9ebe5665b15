import Foundation
public import ISO15118SECC
public import ISO2Messages
public import Logging
import Foundation
import NIOCore
public import PnCCore
public import SAPMessages
import Synchronization
import V2GTP
public import V2GTransport
public import X509

/// What an SECC offers on every connection.
public struct SECCConfiguration: Sendable {
    public var evseID: String
    public var evseNumber: Int
    public var paymentOptions: [PaymentOption]
    /// The protocols offered in the SupportedAppProtocol handshake, most preferred first.
    public var protocols: [ApplicationProtocol]
    /// ISO 15118-20 Plug & Charge (MO roots, supported providers); offered when set and `paymentOptions` has
    /// `.contract`.
    public var iso20PnC: ISO20PnCConfiguration?
    /// The installed MO roots for Plug & Charge; Contract is accepted only when `paymentOptions` lists it and this is
    /// non-empty (ISO 15118-2 [V2G2-476]).
    public var contractRoots: [Certificate]
    /// When set, read at the start of every session instead of ``contractRoots`` (and of ``iso20PnC``'s MO roots):
    /// the MO roots a CSMS installs in and deletes from the station while it runs (OCPP 2.0.1 M04/M05).
    public var contractRootsProvider: (@Sendable () -> [Certificate])?
    /// Whether Contract sessions are asked for one signed MeteringReceipt ([V2G2-691]).
    public var requiresMeteringReceipt: Bool
    /// ISO 15118-20 control modes, power plan, standby, pause and service renegotiation.
    public var iso20Session = ISO20SessionOptions()
    /// ISO 15118-2 and ISO 15118-20: how long the first AuthorizationReq waits for the backend's decision before it
    /// is answered with EVSEProcessing Ongoing (the vehicle then repeats the request). Well inside the vehicle's 2 s
    /// V2G_EVCC_Msg_Timeout, so a backend that answers in time is answered Finished (or with its refusal) at once
    /// and saves the vehicle a repeated request.
    public var authorizationBudget: Duration = .seconds(1)
    /// DIN SPEC 70121 and ISO 15118-20: a PreCharge target above the EVSE's maximum voltage is refused with
    /// FAILED_WrongChargeParameter (default) or clamped to that maximum (`pnc station --precharge-above-maximum clamp`).
    public var preChargeAboveMaximum: PreChargeAboveMaximum = .refuse
    /// ISO 15118-2: after this many charge-loop requests the SECC asks once for a renegotiation
    /// (EVSENotification=ReNegotiation); nil never asks (`pnc station --renegotiate-after N`).
    public var renegotiateAfterChargeLoops: Int?
    /// ISO 15118-20: after this many charge-loop requests of a session the SECC asks the vehicle to act
    /// (EVSENotification with NotificationMaxDelay); nil never asks (`pnc station --notify-after N:NOTIFICATION`).
    public var iso20NoticeAfterChargeLoops: ISO20ScheduledNotice?

    public init(
        evseID: String, evseNumber: Int = 1, paymentOptions: [PaymentOption] = [.externalPayment],
        protocols: [ApplicationProtocol] = [.iso2], contractRoots: [Certificate] = [],
        requiresMeteringReceipt: Bool = false
    ) {
        self.evseID = evseID
        self.evseNumber = evseNumber
        self.paymentOptions = paymentOptions
        self.protocols = protocols
        self.contractRoots = contractRoots
        self.requiresMeteringReceipt = requiresMeteringReceipt
    }
}

/// The result of one SECC session.
public struct SECCSessionSummary: Sendable {
    public var protocolName: ApplicationProtocol?
    public var sessionID: String
    public var traceID: TraceID
    public var timeline: [TimelineEntry]
    /// Why the session ended, for logs and the CLI.
    public var ending: String
}

/// The machine a SupportedAppProtocol negotiation selected: the seam where the ISO 15118-20 and DIN SPEC 70121
/// machines plug into the same driver.
enum NegotiatedSECCMachine {
    case iso2(ISO2SECCStateMachine)
}

/// Runs SECC sessions: on each connection, SupportedAppProtocol, then the negotiated session machine, executing its
/// actions against the ``ChargingBackend`` and the ``EVSEController`` and logging each transition with
/// `v2g.session_id` and `pnc.trace_id`.
public struct SECCService: Sendable {
    public let configuration: SECCConfiguration
    public let backend: any ChargingBackend
    public let controller: any EVSEController
    public let logger: Logger
    /// V2G_SECC_Sequence_Timeout (ISO 15118-2 §9.6, 60 s); shorter values are for tests only.
    public let sequenceTimeout: Duration
    /// ISO 15118-20 sessions paused here, shared by every connection of this service.
    public let iso20PausedSessions: PausedSessions<ISO20PausedSession>
    /// ISO 15118-2 sessions paused here, shared by every connection of this service.
    public let pausedSessions: PausedSessions<ISO2PausedSession>
    /// Notices the charger posts for the vehicle of the running -20 session (EVSENotification).
    public let iso20Notices: ISO20NoticeBoard

    public init(
        configuration: SECCConfiguration, backend: any ChargingBackend, controller: any EVSEController, logger: Logger,
        sequenceTimeout: Duration = ISO2Timing.sequenceTimeout,
        pausedSessions: PausedSessions<ISO2PausedSession> = PausedSessions(),
        iso20PausedSessions: PausedSessions<ISO20PausedSession> = PausedSessions(),
        iso20Notices: ISO20NoticeBoard = ISO20NoticeBoard()
    ) {
        self.iso20Notices = iso20Notices
        self.pausedSessions = pausedSessions
        self.iso20PausedSessions = iso20PausedSessions
        self.configuration = configuration
        self.backend = backend
        self.controller = controller
        self.logger = logger
        self.sequenceTimeout = sequenceTimeout
    }

    /// Accepts connections until the server closes or the task is cancelled; each session runs in its own child task.
    public func run(server: V2GServer, onSession: @escaping @Sendable (SECCSessionSummary) -> Void = { _ in }) async throws {
        try await server.run { connection in
            let summary = try await self.handle(connection)
            onSession(summary)
        }
    }

    /// Runs one V2G communication session on an accepted connection and closes it.
    public func handle(_ connection: V2GConnection) async throws -> SECCSessionSummary {
        var random = SystemRandomNumberGenerator()
        let traceID = TraceID.random(using: &random)
        let sessionID = (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
        let genChallenge = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        var logger = self.logger
        logger[metadataKey: "pnc.trace_id"] = "\(traceID)"
        logger[metadataKey: "v2g.session_id"] = "\(sessionID.hexString)"
        let started = ContinuousClock.now
        var timeline: [TimelineEntry] = []
        func stamp() -> Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        }
        var selected: ApplicationProtocol?
        var joinedSessionID: [UInt8]?
        var ending = "connection closed by the vehicle"
        // V2G_SECC_Sequence_Timer: a watchdog closes the channel when no request arrives in time; the loop below
        // then ends and the machine gets sequenceTimerExpired().
        let timer = SessionTimer(window: self.sequenceTimeout, closing: connection.channel.channel)
        timer.arm()
        // The transaction the session starts or joins; one it leaves open is ended below.
        let tracker = SessionTransaction()
        do {
        defer { timer.disarm() }
        func rearm() { timer.arm() }
        let timedOut = timer
        do {
        try await SessionTransaction.$current.withValue(tracker) {
        try await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            // SupportedAppProtocol (ISO 15118-2 §8.2).
            guard let first = try await frames.next() else { return }
            guard first.payloadType == .exi, case .supportedAppProtocolReq(let sap) = try first.payload.exiDecoded(SAPDocument.init(exi:))
            else {
                ending = "first message is not SupportedAppProtocolReq"
                return
            }
            timeline.append(.init(milliseconds: stamp(), direction: .received, message: "SupportedAppProtocolReq"))
            let implemented = self.configuration.protocols.filter {
                $0 == .iso2 || $0 == .din || $0 == .iso20DC || $0 == .iso20AC
            }
            let outcome = AppProtocolNegotiation.response(to: sap, supported: implemented)
            try await outbound.write(
                V2GTPFrame(payloadType: .exi, payload: try ByteBuffer(exiEncoding: SAPDocument.supportedAppProtocolRes(outcome.response).exiEncode(into:))))
            timeline.append(.init(milliseconds: stamp(), direction: .sent, message: "SupportedAppProtocolRes", responseCode: outcome.response.responseCode.rawValue))
            selected = outcome.selected
            rearm()
            guard let chosen = outcome.selected else {
                ending = "Failed_NoNegotiation"
                return
            }
            logger[metadataKey: "v2g.protocol"] = "\(chosen.rawValue)"
            logger.debug("secc protocol negotiated")
            let capabilities = await self.controller.capabilities()
            if chosen == .din {
                ending = try await self.runDIN(
                    frames: &frames, outbound: outbound, capabilities: capabilities, sessionID: sessionID,
                    traceID: traceID, logger: logger, timeline: &timeline, stamp: stamp, rearm: rearm,
                    timedOut: { timedOut.expired })
                return
            }
            if chosen == .iso20DC || chosen == .iso20AC {
                ending = try await self.runISO20(
                    frames: &frames, outbound: outbound, capabilities: capabilities, sessionID: sessionID,
                    traceID: traceID, logger: logger, timeline: &timeline, stamp: stamp, rearm: rearm,
                    timedOut: { timedOut.expired })
                return
            }
            let resumable = await self.resumable(self.pausedSessions, logger: logger)
            var machine: NegotiatedSECCMachine = .iso2(
                ISO2SECCStateMachine(
                    configuration: .init(
                        evseID: self.configuration.evseID, evseNumber: self.configuration.evseNumber,
                        capabilities: capabilities, paymentOptions: self.configuration.paymentOptions,
                        contractRoots: self.configuration.contractRootsProvider?() ?? self.configuration.contractRoots,
                        requiresMeteringReceipt: self.configuration.requiresMeteringReceipt),
                    proposedSessionID: sessionID, traceID: traceID, genChallenge: genChallenge,
                    resumable: resumable))
            var chargeLoops = 0
            while let frame = try await frames.next() {
                switch machine {
                case .iso2(var iso2):
                    guard case .v2gMessage(let request) = try frame.payload.exiDecoded(ISO2Document.init(exi:)) else {
                        ending = "not an ISO 15118-2 V2G_Message"
                        return
                    }
                    let (name, detail) = MessageName.of(request)
                    timeline.append(.init(milliseconds: stamp(), direction: .received, message: name, responseCode: detail))
                    let now = Self.unixTime()
                    var action = iso2.received(request, now: now)
                    if let joined = iso2.resumed, name == "SessionSetupReq" {
                        if let record = self.pausedSessions.remove(sessionID: joined.sessionID, evccID: joined.evccID),
                            let transactionID = record.transactionID
                        {
                            SessionTransaction.current?.opened(transactionID, traceID: record.traceID, meterWh: record.meterStopWh)
                        }
                        joinedSessionID = joined.sessionID
                        logger[metadataKey: "v2g.session_id"] = "\(joined.sessionID.hexString)"
                        logger[metadataKey: "pnc.trace_id"] = "\(joined.traceID)"
                        logger.info("secc paused session joined")
                    }
                    if name == "CurrentDemandReq" || name == "ChargingStatusReq" {
                        chargeLoops += 1
                        if let after = self.configuration.renegotiateAfterChargeLoops, chargeLoops == after {
                            iso2.requestRenegotiation()
                        }
                    }
                    var finished = false
                    while true {
                        logger.debug("secc transition", metadata: ["v2g.request": "\(name)", "v2g.action": "\(Self.describe(action))"])
                        switch action {
                        case .send(let message, _):
                            try await Self.write(message, outbound, &timeline, stamp)
                            action = .none
                        case .sendAndClose(let message):
                            try await Self.write(message, outbound, &timeline, stamp)
                            ending = "session ended after \(MessageName.of(message).1 ?? "a failed response")"
                            SessionTransaction.current?.stationEnded()
                            finished = true
                        case .authorize(let request, let ongoing, let window):
                            // The backend is asked before the AuthorizationReq is answered: a decision within the
                            // budget is answered at once (Finished or the FAILED code); a slower one gets Ongoing,
                            // and the vehicle's repeated AuthorizationReq gets the decision.
                            let asked = try await self.authorizeWithinBudget(request, logger: logger) {
                                try await Self.write(ongoing, outbound, &timeline, stamp)
                                rearm()
                            }
                            if let decision = asked.decision { _ = iso2.backendAuthorized(decision) } else { _ = iso2.backendFailed() }
                            action =
                                asked.answeredOngoing
                                ? .none
                                : iso2.decidedAuthorization(now: Self.unixTime()) ?? .send(ongoing, expectNextWithin: window)
                        case .exchangeCertificate(var request):
                            request.exiRequest = Array(buffer: frame.payload)
                            if let result = await self.exchange(request, logger: logger) {
                                action = iso2.certificateExchanged(result)
                            } else {
                                action = iso2.certificateExchangeFailed()
                            }
                        case .controller(let question):
                            let answer = await self.ask(question)
                            action = iso2.controllerAnswered(answer, now: Self.unixTime())
                        case .startTransaction(let start, let message, _):
                            let id = await self.startTransaction(start, fallbackID: "local-\(sessionID.hexString)", logger: logger)
                            _ = iso2.transactionStarted(id: id)
                            try await Self.write(message, outbound, &timeline, stamp)
                            action = .none
                        case .sendAndUpdateTransaction(let message, let update, _):
                            try await Self.write(message, outbound, &timeline, stamp)
                            await self.reportUpdate(update, logger: logger)
                            action = .none
                        case .endTransaction(let end, let message):
                            await self.reportEnd(end, logger: logger)
                            try await Self.write(message, outbound, &timeline, stamp)
                            ending = "SessionStop"
                            finished = true
                        case .close(let reason):
                            ending = "closed: \(reason)"
                            SessionTransaction.current?.stationEnded()
                            finished = true
                        case .none:
                            break
                        }
                        if finished { break }
                        if case .none = action { break }
                    }
                    machine = .iso2(iso2)
                    rearm()
                    if let paused = iso2.paused, finished {
                        await self.keepPaused(paused, in: self.pausedSessions, logger: logger)
                        ending = "paused"
                        logger.info("secc session paused")
                    }
                    if finished { return }
                }
            }
            if case .iso2(var iso2) = machine {
                if timedOut.expired {
                    ending = "closed: \(Self.describe(iso2.sequenceTimerExpired()))"
                } else {
                    _ = iso2.transportClosed()
                }
            }
        }
        }
        } catch where timedOut.expired {
            ending = "closed: V2G_SECC_Sequence_Timeout"
        }
        } catch {
            // The connection failed under the session (a write to a closed channel, a TLS or framing error): the
            // session ends here, and so does a transaction it left open.
            ending = "closed by an error: \(error)"
            logger.info("secc session ended by an error", metadata: ["pnc.error": "\(error)"])
        }
        await self.endUnfinished(tracker, reason: tracker.stopReason(sequenceTimerExpired: timer.expired), logger: logger)
        logger.debug("secc session ended", metadata: ["v2g.ending": "\(ending)"])
        return SECCSessionSummary(
            protocolName: selected, sessionID: (joinedSessionID ?? sessionID).hexString, traceID: traceID, timeline: timeline,
            ending: ending)
    }

    /// The paused sessions a vehicle may join when a session starts; those older than the store's lifetime are
    /// dropped and their transactions ended.
    func resumable<Session>(_ store: PausedSessions<Session>, logger: Logger) async -> [Session] {
        let kept = store.current(now: Self.unixTime())
        for expired in kept.expired { await self.endPaused(expired, logger: logger) }
        return kept.resumable
    }

    /// Keeps a session the vehicle paused; when that drops the oldest one (store full), its transaction ends.
    func keepPaused<Session>(_ paused: Session, in store: PausedSessions<Session>, logger: Logger) async {
        // The transaction stays open with the paused session.
        if let transactionID = paused.transactionID { SessionTransaction.current?.closed(transactionID) }
        if let dropped = store.keep(paused) { await self.endPaused(dropped, logger: logger) }
    }

    /// A paused session that was dropped without a resume: its transaction ends (reason Timeout).
    func endPaused(_ paused: some PausedSessionRecord, logger: Logger) async {
        guard let transactionID = paused.transactionID else { return }
        await self.reportEnd(
            TransactionEnd(
                transactionID: transactionID, meterStopWh: paused.meterStopWh, reason: .timeout,
                timestamp: Self.unixTime(), traceID: paused.traceID),
            logger: logger)
    }

    /// How long the backend may take for a certificate exchange: the EV waits 5 s for CertificateInstallationRes /
    /// CertificateUpdateRes (ISO 15118-2 Table 109, V2G_EVCC_Msg_Timeout), the SECC gives up a little earlier.
    public static let certificateExchangeDeadline: Duration = .milliseconds(4_500)

    func exchangeWithDeadline(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        try await withThrowingTaskGroup(of: CertificateExchangeResult?.self) { group in
            group.addTask { try await self.backend.exchangeCertificate(request) }
            group.addTask {
                try await Task.sleep(for: Self.certificateExchangeDeadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw CancellationError()
            }
            return result
        }
    }

    private func ask(_ question: ISO2SECCStateMachine.ControllerRequest) async -> ISO2SECCStateMachine.ControllerAnswer {
        do {
            switch question {
            case .cableCheck(let voltage):
                return .isolation(try await self.controller.cableCheck(voltage: voltage))
            case .deliver(let target):
                let output = try await self.controller.deliver(target)
                return .output(output, try await self.controller.meterReading())
            case .setContactors(let closed):
                try await self.controller.setContactors(closed: closed)
                return .contactorsSet(try await self.controller.meterReading())
            }
        } catch {
            self.logger.debug("secc controller failed", metadata: ["pnc.error": "\(error)"])
            return .failed
        }
    }

    static func write(
        _ message: V2GMessage, _ outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, _ timeline: inout [TimelineEntry],
        _ stamp: () -> Double
    ) async throws {
        let payload = try ByteBuffer(exiEncoding: ISO2Document.v2gMessage(message).exiEncode(into:))
        try await outbound.write(V2GTPFrame(payloadType: .exi, payload: payload))
        let (name, code) = MessageName.of(message)
        timeline.append(.init(milliseconds: stamp(), direction: .sent, message: name, responseCode: code))
    }

    static func describe(_ action: ISO2SECCStateMachine.Action) -> String {
        switch action {
        case .send(let m, _): "send \(MessageName.of(m).0)"
        case .sendAndClose(let m): "sendAndClose \(MessageName.of(m).0)"
        case .authorize: "authorize"
        case .controller(let q): "controller \(q)"
        case .startTransaction: "startTransaction"
        case .sendAndUpdateTransaction: "sendAndUpdateTransaction"
        case .endTransaction: "endTransaction"
        case .exchangeCertificate(let r): "exchangeCertificate \(r.action.rawValue)"
        case .close(let r): "close \(r)"
        case .none: "none"
        }
    }

    static func unixTime() -> Double {
        Date().timeIntervalSince1970
    }
}
