import Foundation
public import ISO20Messages
public import PnCCore

/// What an ISO 15118-20 SECC needs to know about its charge point.
public struct ISO20SECCConfiguration: Sendable, Hashable {
    /// The EVSEID sent in SessionSetupRes (ISO 15118-20 `identifierType`, at most 255 characters).
    public var evseID: String
    /// The OCPP evseId this connector belongs to.
    public var evseIndex: Int
    public var capabilities: EVSECapabilities
    /// The token sent to the backend for EIM; nil sends the EVCCID as `MacAddress` token.
    public var externalIDToken: String?
    /// The least time between two transaction samples during the charge loop, in seconds (OCPP 2.0.1
    /// SampledDataTxUpdatedInterval; 60 s unless configured).
    public var transactionUpdateInterval: UInt64
    /// Plug & Charge: offered in AuthorizationSetupRes when set (and the machine has a 16-byte GenChallenge).
    public var pnc: ISO20PnCConfiguration?
    /// The control modes offered in ServiceDetailRes, one parameter set each (ID 1 scheduled, ID 2 dynamic).
    public var controlModes: [ISO20ControlMode] = [.scheduled]
    /// The power the EVSE makes available over time from ScheduleExchange on: the schedule of scheduled control mode
    /// and the SECC's own target in dynamic control mode. A negative power asks a BPT vehicle to discharge. Empty: the
    /// EVSE's maximum power for 24 hours.
    public var powerPlan: [ISO20PowerPlanEntry] = []
    /// PowerDeliveryReq Standby is accepted (else WARNING_StandbyNotAllowed).
    public var allowsStandby = true
    /// SessionStopReq Pause is accepted (else FAILED_PauseNotAllowed).
    public var allowsPause = true
    /// SessionStopReq ServiceRenegotiation is accepted (else FAILED_NoServiceRenegotiationSupported); sent as
    /// ServiceRenegotiationSupported in ServiceDiscoveryRes.
    public var supportsServiceRenegotiation = true
    /// A DC_PreChargeReq whose EVTargetVoltage exceeds the EVSE's maximum voltage: refused (default) or clamped.
    public var preChargeAboveMaximum: PreChargeAboveMaximum = .refuse

    public init(
        evseID: String, evseIndex: Int, capabilities: EVSECapabilities, externalIDToken: String? = nil,
        transactionUpdateInterval: UInt64 = 60, pnc: ISO20PnCConfiguration? = nil
    ) {
        self.pnc = pnc
        self.evseID = evseID
        self.evseIndex = evseIndex
        self.capabilities = capabilities
        self.externalIDToken = externalIDToken
        self.transactionUpdateInterval = transactionUpdateInterval
    }
}

/// The -20 session options of a station (copied into each session's ``ISO20SECCConfiguration``).
public struct ISO20SessionOptions: Sendable, Hashable {
    public var controlModes: [ISO20ControlMode]
    public var powerPlan: [ISO20PowerPlanEntry]
    public var allowsStandby: Bool
    public var allowsPause: Bool
    public var supportsServiceRenegotiation: Bool

    public init(
        controlModes: [ISO20ControlMode] = [.scheduled], powerPlan: [ISO20PowerPlanEntry] = [], allowsStandby: Bool = true,
        allowsPause: Bool = true, supportsServiceRenegotiation: Bool = true
    ) {
        self.controlModes = controlModes
        self.powerPlan = powerPlan
        self.allowsStandby = allowsStandby
        self.allowsPause = allowsPause
        self.supportsServiceRenegotiation = supportsServiceRenegotiation
    }
}

extension ISO20SECCConfiguration {
    /// Takes the station's -20 session options.
    public mutating func apply(_ options: ISO20SessionOptions) {
        self.controlModes = options.controlModes
        self.powerPlan = options.powerPlan
        self.allowsStandby = options.allowsStandby
        self.allowsPause = options.allowsPause
        self.supportsServiceRenegotiation = options.supportsServiceRenegotiation
    }
}

/// One step of an ``ISO20SECCConfiguration/powerPlan``: `powerW` for `durationSeconds` (negative: discharge).
public struct ISO20PowerPlanEntry: Hashable, Sendable {
    public var durationSeconds: UInt32
    public var powerW: Double

    public init(durationSeconds: UInt32, powerW: Double) {
        self.durationSeconds = durationSeconds
        self.powerW = powerW.isFinite ? powerW : 0
    }
}

/// What an SECC keeps of a session the vehicle paused (SessionStopReq Pause) so that a later SessionSetupReq with the
/// same SessionID and EVCCID joins it (OK_OldSessionJoined) and the backend's transaction goes on.
public struct ISO20PausedSession: Hashable, Sendable {
    public var sessionID: [UInt8]
    public var evccID: String
    public var traceID: TraceID
    public var transactionID: String?
    public var meter: MeterReading
    /// Seconds since 1970 when the session was paused.
    public var pausedAt: UInt64

    public init(
        sessionID: [UInt8], evccID: String, traceID: TraceID, transactionID: String?, meter: MeterReading, pausedAt: UInt64
    ) {
        self.sessionID = sessionID
        self.evccID = evccID
        self.traceID = traceID
        self.transactionID = transactionID
        self.meter = meter
        self.pausedAt = pausedAt
    }
}

/// The SECC side of an ISO 15118-20 AC or DC session (EIM or PnC; AC, DC, AC_BPT and DC_BPT; scheduled or dynamic
/// control mode; standby, pause, service and schedule renegotiation; EVSE notifications, see ``notify(_:)``) as a pure
/// state machine.
///
/// Inputs: ``received(_:now:)`` for each decoded request (`now` is the header timestamp source, seconds since
/// 1970), ``backendAnswered(_:)``/``backendFailed()`` for the authorization, ``controllerReplied(_:now:)`` for the
/// power electronics, ``sequenceTimerExpired()`` and ``transportClosed()``. The driver sends each response with its
/// ``ISO20Response/payloadType`` (0x8002 CommonMessages, 0x8004 DC).
///
/// Sequence (ISO 15118-20:2022 §8.8): SessionSetup → AuthorizationSetup → Authorization (Finished or the
/// refusal when the backend decides within the driver's budget, see ``decidedAuthorization(answering:now:)``;
/// Ongoing while it still decides) → ServiceDiscovery → ServiceDetail* → ServiceSelection → DC_ChargeParameterDiscovery →
/// ScheduleExchange → DC_CableCheck → DC_PreCharge → PowerDelivery (Start) → DC_ChargeLoop → PowerDelivery (Stop)
/// → DC_WeldingDetection → SessionStop.
public struct ISO20SECCStateMachine: Sendable {
    /// V2G_SECC_Sequence_Timeout (ISO 15118-20:2022 Table 207: 60 s).
    public static let sequenceTimeout: Duration = .seconds(60)
    /// The ServiceID of DC charging (ISO 15118-20:2022 Table 204: DC = 2).
    public static let dcServiceID: UInt16 = 2
    /// The ServiceID of AC charging (ISO 15118-20:2022 Table 204: AC = 1).
    public static let acServiceID: UInt16 = 1
    /// The parameter set of scheduled control mode (dynamic control mode is set 2 when offered).
    public static let parameterSetID: UInt16 = 1
    /// The parameter set of dynamic control mode.
    public static let dynamicParameterSetID: UInt16 = 2
    /// The ServiceIDs of bidirectional power transfer (ISO 15118-20:2022 Table 204: AC_BPT = 5, DC_BPT = 6).
    public static let acBPTServiceID: UInt16 = 5
    public static let dcBPTServiceID: UInt16 = 6
    /// The only schedule tuple offered.
    public static let scheduleTupleID: UInt32 = 1

    public enum Action: Hashable, Sendable {
        case send(ISO20Response, expectNextWithin: Duration)
        /// Start ``ChargingBackend/authorize(_:)``; the answer comes back through
        /// ``ISO20SECCStateMachine/backendAnswered(_:)`` or ``ISO20SECCStateMachine/backendFailed()``. When it comes
        /// within the driver's budget, the driver sends ``ISO20SECCStateMachine/decidedAuthorization(answering:now:)``
        /// instead of this response (EVSEProcessing Ongoing); otherwise it sends this response and waits.
        case sendAndAuthorize(ISO20Response, expectNextWithin: Duration, BackendAuthorizationRequest)
        /// Send (CertificateInstallationRes with EVSEProcessing Ongoing), then relay the vehicle's request with
        /// ``ChargingBackend/exchangeCertificate(_:)``; the answer comes back through
        /// ``ISO20SECCStateMachine/certificateExchanged(_:)`` or ``ISO20SECCStateMachine/certificateExchangeFailed()``.
        case sendAndExchangeCertificate(ISO20Response, expectNextWithin: Duration, CertificateExchangeRequest)
        case sendAndClose(ISO20Response, CloseReason)
        /// Report energy transfer start (``ChargingBackend/transactionStarted(_:)``), send the message, and feed the
        /// transaction id to ``ISO20SECCStateMachine/transactionStarted(id:)``.
        case startTransaction(TransactionStart, thenSend: ISO20Response, expectNextWithin: Duration)
        /// Send the message and report the sample (``ChargingBackend/transactionUpdated(_:)``).
        case sendAndUpdateTransaction(ISO20Response, TransactionUpdate, expectNextWithin: Duration)
        /// Report the end (``ChargingBackend/transactionEnded(_:)``), send the message, and close.
        case endTransaction(TransactionEnd, thenSendAndClose: ISO20Response, CloseReason)
        case control(ControllerCommand)
        case close(CloseReason)
        case none
    }

    /// Work for the power electronics (shared with DIN SPEC 70121).
    public typealias ControllerCommand = SECCControllerCommand
    public typealias ControllerReply = SECCControllerReply

    public enum CloseReason: Hashable, Sendable {
        case sessionStopped
        /// SessionStopReq Pause: the session is kept in ``ISO20SECCStateMachine/pausedSession`` for a later
        /// SessionSetupReq with its SessionID.
        case sessionPaused
        case failed(ResponseCode)
        case sequenceTimeout
        case protocolViolation
        case transportClosed
    }

    struct Session: Sendable {
        var id: [UInt8]
        var evccID: String
        var authorization: AuthorizationState = .notRequested
        /// How the session was authorized, for the transaction record.
        var identification: BackendAuthorizationRequest.Identification?
        var evMaximumVoltageV: Double = 0
        var evMaximumPowerW: Double = 0
        var evMaximumDischargePowerW: Double = 0
        var evMaximumDischargeCurrentA: Double = 0
        /// The energy transfer service selected in ServiceSelection.
        var serviceID: UInt16 = 0
        var isDC: Bool { ISO20EnergyService(rawValue: self.serviceID)?.isDC ?? false }
        var isBPT: Bool { ISO20EnergyService(rawValue: self.serviceID)?.isBPT ?? false }
        /// The control mode of the selected parameter set.
        var controlMode: ISO20ControlMode = .scheduled
        /// The time anchor of the power plan (ScheduleExchangeRes).
        var planAnchor: UInt64 = 0
        /// The voltage of the last charge-loop regulation (DC), held during standby.
        var presentVoltageV: Double = 0
        /// PowerDeliveryReq ScheduleRenegotiation was accepted: the next ScheduleExchange leads straight to
        /// PowerDelivery (the output is up, no cable check or pre-charge).
        var renegotiatingSchedule = false

        /// PnC was chosen in AuthorizationReq.
        var isPnC = false
        /// A CertificateInstallationReq relayed to the backend.
        var installation: InstallationState = .none

        enum InstallationState: Sendable { case none, pending, answered(CertificateInstallationRes), failed }

        enum AuthorizationState: Sendable { case notRequested, pending, accepted, rejected(ResponseCode?) }
    }

    private enum Pending: Sendable {
        case cableCheck, preCharge, powerDeliveryStart, powerDeliveryStop, powerDeliveryStandby, welding
        /// PowerDeliveryReq ScheduleRenegotiation: the output goes to zero current before ScheduleExchange.
        case powerDeliveryScheduleRenegotiation
        /// A charge-loop regulation: the response's control mode, the AC target power, and whether the session is in
        /// standby.
        case loop(LoopKind, targetPowerW: Double, standby: Bool)
    }

    /// The control mode of a charge loop exchange.
    enum LoopKind: Sendable {
        case dcScheduled, dcDynamic, dcBPTScheduled, dcBPTDynamic, acScheduled, acDynamic, acBPTScheduled, acBPTDynamic
    }

    private enum State: Sendable {
        case awaitingSessionSetup
        case awaitingAuthorizationSetup(Session)
        case authorization(Session)
        case serviceDiscovery(Session)
        case serviceSelection(Session)
        case chargeParameterDiscovery(Session)
        case scheduleExchange(Session)
        case cableCheck(Session)
        case preCharge(Session)
        case charging(Session)
        /// PowerDeliveryReq Standby: contactors closed, no power until PowerDeliveryReq Start.
        case standby(Session)
        case stopped(Session)
        case waitingForController(Session, Pending)
        case closed
    }

    private var state: State = .awaitingSessionSetup
    private let configuration: ISO20SECCConfiguration
    private let proposedSessionID: [UInt8]
    /// The trace id of this session (a joined paused session keeps its own).
    public private(set) var traceID: TraceID
    private let pausedSessions: [ISO20PausedSession]
    /// The paused session this one joined (SessionSetupRes OK_OldSessionJoined); the driver forgets it.
    public private(set) var joinedSessionID: [UInt8]?
    /// Set when the vehicle paused this session (SessionStopReq Pause): the driver keeps it for a later SessionSetupReq.
    public private(set) var pausedSession: ISO20PausedSession?
    /// The backend's transaction id once energy transfer started.
    public private(set) var transactionID: String?
    private var lastMeter = MeterReading(energyWh: 0, powerW: 0)
    private var lastUpdateAt: UInt64 = 0
    /// The power plan in force (``ISO20SECCConfiguration/powerPlan``, replaced by a ScheduleRenegotiation notice's
    /// plan at the renegotiated ScheduleExchange).
    private var powerPlan: [ISO20PowerPlanEntry]
    private var renegotiatedPlan: [ISO20PowerPlanEntry]?
    /// The EVSE's notice to the vehicle while it is pending (sent in every charge-loop response until the vehicle
    /// reacts), with the time of the first response that carried it.
    private var notice: (request: ISO20EVSENotice, firstSentAt: UInt64?)?
    /// The notices the charge-loop responses carried, in order (each once).
    public private(set) var sentNotices: [ISO20EVSENotice] = []

    private let genChallenge: [UInt8]

    /// - Parameter genChallenge: 16 random bytes from the driver, sent in AuthorizationSetupRes when PnC is offered
    ///   (ISO 15118-20 GenChallenge); PnC is offered only with a configuration and 16 bytes.
    /// - Parameter pausedSessions: sessions paused on this EVSE that a SessionSetupReq may join.
    public init(
        configuration: ISO20SECCConfiguration, proposedSessionID: [UInt8], traceID: TraceID, genChallenge: [UInt8] = [],
        pausedSessions: [ISO20PausedSession] = []
    ) {
        self.pausedSessions = pausedSessions
        self.genChallenge = genChallenge
        self.configuration = configuration
        self.proposedSessionID = proposedSessionID
        self.traceID = traceID
        self.powerPlan = configuration.powerPlan
    }

    public var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    // MARK: - Inputs

    /// A request from the vehicle; `now` is the time for the response headers (seconds since 1970-01-01 UTC).
    public mutating func received(_ request: ISO20Request, now: UInt64) -> Action {
        switch self.state {
        case .closed:
            return .none
        case .awaitingSessionSetup:
            guard case .sessionSetup(let setup) = request else {
                return self.fail(request, sessionID: request.header.sessionID, code: .failedSequenceError, now: now)
            }
            // A paused session's SessionID with the same EVCCID joins it; an unknown or zero SessionID starts a new
            // session with the SECC's id.
            let requested = setup.header.sessionID
            var session = Session(id: self.proposedSessionID, evccID: setup.evccID)
            var code = ResponseCode.okNewSessionEstablished
            if requested.contains(where: { $0 != 0 }),
                let paused = self.pausedSessions.first(where: { $0.sessionID == requested && $0.evccID == setup.evccID })
            {
                session = Session(id: paused.sessionID, evccID: setup.evccID)
                code = .okOldSessionJoined
                self.joinedSessionID = paused.sessionID
                self.traceID = paused.traceID
                self.transactionID = paused.transactionID
                self.lastMeter = paused.meter
            }
            self.state = .awaitingAuthorizationSetup(session)
            let response = SessionSetupRes(
                header: Self.header(session.id, now), responseCode: code, evseID: self.configuration.evseID)
            return .send(.sessionSetup(response), expectNextWithin: Self.sequenceTimeout)
        case .waitingForController(let session, _):
            return self.fail(request, sessionID: session.id, code: .failedSequenceError, now: now)
        case .awaitingAuthorizationSetup(let session), .authorization(let session), .serviceDiscovery(let session),
            .serviceSelection(let session), .chargeParameterDiscovery(let session), .scheduleExchange(let session),
            .cableCheck(let session), .preCharge(let session), .charging(let session), .standby(let session),
            .stopped(let session):
            guard request.header.sessionID == session.id else {
                return self.fail(request, sessionID: session.id, code: .failedUnknownSession, now: now)
            }
            return self.handle(request, in: session, now: now)
        }
    }

    public mutating func backendAnswered(_ decision: BackendAuthorizationDecision) -> Action {
        if decision.status == .accepted, decision.certificateStatus.map({ $0 == .accepted }) ?? true {
            self.setAuthorization(.accepted)
        } else {
            self.setAuthorization(.rejected(Self.pncCode(decision)))
        }
        return .none
    }

    /// The backend's transaction id for this session (answer to
    /// ``Action/startTransaction(_:thenSend:expectNextWithin:)``).
    public mutating func transactionStarted(id: String) -> Action {
        self.transactionID = id
        return .none
    }

    /// The meter register after a controller command; the driver reads it before feeding the reply, and the
    /// transaction start, samples and end report it.
    public mutating func meterSampled(_ reading: MeterReading) {
        self.lastMeter = reading
    }

    /// The OCPP iso15118SchemaVersion of a relayed -20 request.
    public static let schemaVersion = "urn:iso:std:iso:15118:-20:CommonMessages"

    /// The backend's answer to ``Action/sendAndExchangeCertificate(_:expectNextWithin:_:)``: a CertificateInstallationRes
    /// (CommonMessages EXI) answers the vehicle's next request under this session's header; anything else counts as a
    /// failure.
    public mutating func certificateExchanged(_ result: CertificateExchangeResult) -> Action {
        guard result.status == .accepted, let document = try? ISO20CommonMessagesDocument(exi: result.exiResponse),
            case .certificateInstallationRes(let res) = document
        else { return self.certificateExchangeFailed() }
        self.setInstallation(.answered(res))
        return .none
    }

    /// The backend failed or did not answer in time: the vehicle's next CertificateInstallationReq gets FAILED.
    public mutating func certificateExchangeFailed() -> Action {
        self.setInstallation(.failed)
        return .none
    }

    public mutating func backendFailed() -> Action {
        self.setAuthorization(.rejected(nil))
        return .none
    }

    /// The answer to the AuthorizationReq that started ``Action/sendAndAuthorize(_:expectNextWithin:_:)`` when the
    /// backend decided (``backendAnswered(_:)`` or ``backendFailed()``) before the driver sent that action's Ongoing
    /// response: EVSEProcessing Finished, or the refusal with its response code, in place of Ongoing. Nil while the
    /// decision is pending or when the machine is not in the authorization phase (the driver then sends Ongoing and
    /// the vehicle repeats AuthorizationReq).
    public mutating func decidedAuthorization(answering request: ISO20Request, now: UInt64) -> Action? {
        guard case .authorization(let session) = self.state, case .authorization = request,
            request.header.sessionID == session.id
        else { return nil }
        switch session.authorization {
        case .notRequested, .pending: return nil
        case .accepted, .rejected:
            return self.authorizationProgress(request, session: session, header: Self.header(session.id, now), now: now)
        }
    }

    public mutating func controllerReplied(_ reply: ControllerReply, now: UInt64) -> Action {
        guard case .waitingForController(let session, let pending) = self.state else {
            preconditionFailure("controller reply without a pending command in \(self.state)")
        }
        let header = Self.header(session.id, now)
        let next = Self.sequenceTimeout
        switch (pending, reply) {
        case (.cableCheck, .isolation(let level)):
            switch level {
            case .valid, .warning, .noIMD:
                self.state = .cableCheck(session)
                return .send(.dcCableCheck(DC_CableCheckRes(header: header, responseCode: .ok, evseProcessing: .finished)), expectNextWithin: next)
            case .invalid, .fault:
                self.state = .closed
                return .sendAndClose(.dcCableCheck(DC_CableCheckRes(header: header, responseCode: .failed, evseProcessing: .finished)), .failed(.failed))
            }
        case (.preCharge, .output(let m)):
            self.state = .preCharge(session)
            return .send(.dcPreCharge(DC_PreChargeRes(header: header, responseCode: .ok, evsePresentVoltage: RationalNumber(m.voltageV))), expectNextWithin: next)
        case (.powerDeliveryStart, .contactorsSet):
            self.state = .charging(session)
            self.lastUpdateAt = now
            if self.transactionID != nil {
                // A joined paused session or a renegotiated service: the backend's transaction goes on.
                return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
            }
            let start = TransactionStart(
                evseID: self.configuration.evseIndex, sessionID: Self.hex(session.id),
                identification: session.identification ?? .external(idToken: session.evccID, type: "MacAddress"),
                meterStartWh: self.lastMeter.energyWh, timestamp: Double(now), traceID: self.traceID)
            return .startTransaction(
                start, thenSend: .powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
        case (.powerDeliveryStop, .contactorsSet):
            self.state = .stopped(session)
            return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
        case (.powerDeliveryStandby, .output):
            self.state = .standby(session)
            return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
        case (.powerDeliveryScheduleRenegotiation, .output):
            var session = session
            session.renegotiatingSchedule = true
            self.state = .scheduleExchange(session)
            return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
        case (.loop(let kind, let targetPowerW, let standby), .output(let m)):
            var session = session
            if session.isDC { session.presentVoltageV = m.voltageV }
            self.state = standby ? .standby(session) : .charging(session)
            let response = self.carryingNotice(ISO20Responses.chargeLoop(
                kind, header: header, measurement: m, targetPowerW: targetPowerW, phases: self.phases,
                capabilities: self.configuration.capabilities), now: now)
            return self.sample(response, now: now)
        case (.welding, .output(let m)):
            self.state = .stopped(session)
            return .send(.dcWeldingDetection(DC_WeldingDetectionRes(header: header, responseCode: .ok, evsePresentVoltage: RationalNumber(m.voltageV))), expectNextWithin: next)
        default:
            self.state = .closed
            let zero = RationalNumber(exponent: 0, value: 0)
            let response: ISO20Response
            switch pending {
            case .cableCheck: response = .dcCableCheck(DC_CableCheckRes(header: header, responseCode: .failed, evseProcessing: .finished))
            case .preCharge: response = .dcPreCharge(DC_PreChargeRes(header: header, responseCode: .failed, evsePresentVoltage: zero))
            case .powerDeliveryStart, .powerDeliveryStop, .powerDeliveryStandby, .powerDeliveryScheduleRenegotiation:
                response = .powerDelivery(PowerDeliveryRes(header: header, responseCode: .failedPowerDeliveryNotApplied))
            case .loop(let kind, _, _):
                response = ISO20Responses.isDC(kind)
                    ? ISO20Responses.failedChargeLoop(header, .failed) : ISO20Responses.failedACChargeLoop(header, .failed)
            case .welding: response = .dcWeldingDetection(DC_WeldingDetectionRes(header: header, responseCode: .failed, evsePresentVoltage: zero))
            }
            return .sendAndClose(response, .failed(response.responseCode))
        }
    }

    /// V2G_SECC_Sequence_Timer expired: the session ends without a message.
    public mutating func sequenceTimerExpired() -> Action {
        switch self.state {
        case .closed, .waitingForController: return .none
        default:
            self.state = .closed
            return .close(.sequenceTimeout)
        }
    }

    public mutating func transportClosed() -> Action {
        self.state = .closed
        return .none
    }

    // MARK: - Requests

    private mutating func handle(_ request: ISO20Request, in session: Session, now: UInt64) -> Action {
        var session = session
        let header = Self.header(session.id, now)
        let next = Self.sequenceTimeout
        let capabilities = self.configuration.capabilities
        switch (self.state, request) {
        case (.awaitingAuthorizationSetup, .authorizationSetup):
            self.state = .authorization(session)
            let response: AuthorizationSetupRes
            if let pnc = self.offeredPnC {
                let providers = pnc.supportedProviders.isEmpty ? nil : SupportedProvidersList(providerID: pnc.supportedProviders)
                response = AuthorizationSetupRes(
                    header: header, responseCode: .ok, authorizationServices: [.eim, .pnC],
                    certificateInstallationService: pnc.certificateInstallation,
                    choice: .pnCASResAuthorizationMode(
                        PnC_ASResAuthorizationMode(genChallenge: self.genChallenge, supportedProviders: providers)))
            } else {
                response = AuthorizationSetupRes(
                    header: header, responseCode: .ok, authorizationServices: [.eim],
                    certificateInstallationService: false, choice: .eimASResAuthorizationMode(EIM_ASResAuthorizationMode()))
            }
            return .send(.authorizationSetup(response), expectNextWithin: next)

        case (.authorization, .authorization(let authorization)):
            if case .pnCAReqAuthorizationMode(let mode) = authorization.choice, authorization.selectedAuthorizationService == .pnC {
                guard let pnc = self.offeredPnC else {
                    return self.fail(request, sessionID: session.id, code: .warningAuthorizationSelectionInvalid, now: now)
                }
                guard case .notRequested = session.authorization else {
                    return self.authorizationProgress(request, session: session, header: header, now: now)
                }
                let outcome = ISO20ContractAuthorizationRules.check(
                    mode, signature: authorization.header.signature, challenge: self.genChallenge, configuration: pnc,
                    at: Date(timeIntervalSince1970: Double(now)))
                switch outcome {
                case .refused(let code):
                    return self.fail(request, sessionID: session.id, code: code, now: now)
                case .accepted(let contract):
                    let identification = BackendAuthorizationRequest.Identification.contract(
                        eMAID: contract.eMAID, certificateChainPEM: contract.certificateChainPEM, hashData: contract.hashData)
                    session.authorization = .pending
                    session.isPnC = true
                    session.identification = identification
                    self.state = .authorization(session)
                    let backend = BackendAuthorizationRequest(
                        identification: identification, evseID: self.configuration.evseIndex, traceID: self.traceID)
                    let response = AuthorizationRes(header: header, responseCode: .ok, evseProcessing: .ongoing)
                    return .sendAndAuthorize(.authorization(response), expectNextWithin: next, backend)
                }
            }
            guard authorization.selectedAuthorizationService == .eim, !session.isPnC,
                case .eimAReqAuthorizationMode = authorization.choice
            else {
                // [V2G20-...] a service that was not offered.
                return self.fail(request, sessionID: session.id, code: .warningAuthorizationSelectionInvalid, now: now)
            }
            switch session.authorization {
            case .notRequested:
                session.authorization = .pending
                self.state = .authorization(session)
                let token = self.configuration.externalIDToken ?? session.evccID
                let identification = BackendAuthorizationRequest.Identification.external(
                    idToken: token, type: self.configuration.externalIDToken == nil ? "MacAddress" : "Local")
                session.identification = identification
                self.state = .authorization(session)
                let backend = BackendAuthorizationRequest(
                    identification: identification, evseID: self.configuration.evseIndex, traceID: self.traceID)
                let response = AuthorizationRes(header: header, responseCode: .ok, evseProcessing: .ongoing)
                return .sendAndAuthorize(.authorization(response), expectNextWithin: next, backend)
            case .pending, .accepted, .rejected:
                return self.authorizationProgress(request, session: session, header: header, now: now)
            }

        case (.authorization, .certificateInstallation(let installation)):
            // Installation comes before AuthorizationReq, and only when CertificateInstallationService was offered.
            guard let pnc = self.offeredPnC, pnc.certificateInstallation, case .notRequested = session.authorization else {
                return self.fail(request, sessionID: session.id, code: .failedSequenceError, now: now)
            }
            let ongoing = ISO20Response.certificateInstallation(
                ISO20Responses.certificateInstallation(header, code: .ok, processing: .ongoing))
            switch session.installation {
            case .none:
                let exi: [UInt8]
                do { exi = try ISO20CommonMessagesDocument.certificateInstallationReq(installation).exiEncoded() } catch {
                    return self.fail(request, sessionID: session.id, code: .failed, now: now)
                }
                session.installation = .pending
                self.state = .authorization(session)
                let relay = CertificateExchangeRequest(
                    action: .install, schemaVersion: Self.schemaVersion, exiRequest: exi,
                    maximumContractCertificateChains: Int(installation.maximumContractCertificateChains),
                    prioritizedEMAIDs: installation.prioritizedEMAIDs?.emaID ?? [], traceID: self.traceID)
                return .sendAndExchangeCertificate(ongoing, expectNextWithin: next, relay)
            case .pending:
                return .send(ongoing, expectNextWithin: next)
            case .answered(var res):
                // The eMSP's answer under this session's header; its signature covers SignedInstallationData only.
                res.header.sessionID = session.id
                res.header.timeStamp = now
                session.installation = .none
                self.state = .authorization(session)
                return .send(.certificateInstallation(res), expectNextWithin: next)
            case .failed:
                return self.fail(request, sessionID: session.id, code: .failed, now: now)
            }

        case (.serviceDiscovery, .serviceDiscovery):
            self.state = .serviceSelection(session)
            let response = ServiceDiscoveryRes(
                header: header, responseCode: .ok,
                serviceRenegotiationSupported: self.configuration.supportsServiceRenegotiation,
                energyTransferServiceList: ServiceList(service: self.offeredServices.map { Service(serviceID: $0, freeService: false) }))
            return .send(.serviceDiscovery(response), expectNextWithin: next)

        case (.serviceSelection, .serviceDetail(let detail)):
            guard self.offeredServices.contains(detail.serviceID) else {
                return self.fail(request, sessionID: session.id, code: .failedServiceIDInvalid, now: now)
            }
            let response = ISO20Responses.serviceDetail(
                header, service: ISO20EnergyService(rawValue: detail.serviceID) ?? .dc, configuration: self.configuration,
                parameterSets: self.parameterSets)
            return .send(.serviceDetail(response), expectNextWithin: next)

        case (.serviceSelection, .serviceSelection(let selection)):
            let selected = selection.selectedEnergyTransferService
            guard self.offeredServices.contains(selected.serviceID),
                let mode = self.parameterSets.first(where: { $0.id == selected.parameterSetID })?.mode,
                selection.selectedVASList?.selectedService.isEmpty ?? true
            else {
                return self.fail(request, sessionID: session.id, code: .failedServiceSelectionInvalid, now: now)
            }
            session.serviceID = selected.serviceID
            session.controlMode = mode
            self.state = .chargeParameterDiscovery(session)
            return .send(.serviceSelection(ServiceSelectionRes(header: header, responseCode: .ok)), expectNextWithin: next)

        case (.chargeParameterDiscovery, .acChargeParameterDiscovery(let discovery)) where session.isBPT:
            guard !session.isDC, case .bptACCPDReqEnergyTransferMode(let ev) = discovery.acCPDReqEnergyTransferMode,
                ev.evMaximumChargePower.doubleValue > 0, ev.evMaximumDischargePower.doubleValue >= 0
            else {
                // Unidirectional parameters for a session that selected AC_BPT, or impossible limits.
                return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
            }
            session.evMaximumPowerW = ev.evMaximumChargePower.doubleValue
            session.evMaximumDischargePowerW = ev.evMaximumDischargePower.doubleValue
            self.state = .scheduleExchange(session)
            let response = AC_ChargeParameterDiscoveryRes(
                header: header, responseCode: .ok,
                acCPDResEnergyTransferMode: .bptACCPDResEnergyTransferMode(BPT_AC_CPDResEnergyTransferMode(
                    evseMaximumChargePower: RationalNumber(capabilities.maximumPowerW),
                    evseMinimumChargePower: RationalNumber(capabilities.minimumCurrentA * capabilities.nominalVoltageV),
                    evseNominalFrequency: RationalNumber(50),
                    evseMaximumDischargePower: RationalNumber(capabilities.maximumDischargePowerW),
                    evseMinimumDischargePower: RationalNumber(0))))
            return .send(.acChargeParameterDiscovery(response), expectNextWithin: next)

        case (.chargeParameterDiscovery, .acChargeParameterDiscovery(let discovery)):
            guard !session.isDC, case .acCPDReqEnergyTransferMode(let ev) = discovery.acCPDReqEnergyTransferMode else {
                return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
            }
            session.evMaximumPowerW = ev.evMaximumChargePower.doubleValue
            guard session.evMaximumPowerW > 0 else {
                return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
            }
            self.state = .scheduleExchange(session)
            let response = AC_ChargeParameterDiscoveryRes(
                header: header, responseCode: .ok,
                acCPDResEnergyTransferMode: .acCPDResEnergyTransferMode(AC_CPDResEnergyTransferMode(
                    evseMaximumChargePower: RationalNumber(capabilities.maximumPowerW),
                    evseMinimumChargePower: RationalNumber(capabilities.minimumCurrentA * capabilities.nominalVoltageV),
                    evseNominalFrequency: RationalNumber(50))))
            return .send(.acChargeParameterDiscovery(response), expectNextWithin: next)

        case (.chargeParameterDiscovery, .dcChargeParameterDiscovery(let discovery)) where session.isBPT:
            guard session.isDC, case .bptDCCPDReqEnergyTransferMode(let ev) = discovery.dcCPDReqEnergyTransferMode,
                ev.evMaximumVoltage.doubleValue >= capabilities.minimumVoltageV,
                ev.evMinimumVoltage.doubleValue <= capabilities.maximumVoltageV,
                ev.evMaximumDischargePower.doubleValue >= 0, ev.evMaximumDischargeCurrent.doubleValue >= 0
            else {
                // Unidirectional parameters for a session that selected DC_BPT, or a voltage range that does not fit.
                return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
            }
            session.evMaximumVoltageV = ev.evMaximumVoltage.doubleValue
            session.evMaximumPowerW = ev.evMaximumChargePower.doubleValue
            session.evMaximumDischargePowerW = ev.evMaximumDischargePower.doubleValue
            session.evMaximumDischargeCurrentA = ev.evMaximumDischargeCurrent.doubleValue
            self.state = .scheduleExchange(session)
            let response = DC_ChargeParameterDiscoveryRes(
                header: header, responseCode: .ok,
                dcCPDResEnergyTransferMode: .bptDCCPDResEnergyTransferMode(BPT_DC_CPDResEnergyTransferMode(
                    evseMaximumChargePower: RationalNumber(capabilities.maximumPowerW),
                    evseMinimumChargePower: RationalNumber(0),
                    evseMaximumChargeCurrent: RationalNumber(capabilities.maximumCurrentA),
                    evseMinimumChargeCurrent: RationalNumber(capabilities.minimumCurrentA),
                    evseMaximumVoltage: RationalNumber(capabilities.maximumVoltageV),
                    evseMinimumVoltage: RationalNumber(capabilities.minimumVoltageV),
                    evseMaximumDischargePower: RationalNumber(capabilities.maximumDischargePowerW),
                    evseMinimumDischargePower: RationalNumber(0),
                    evseMaximumDischargeCurrent: RationalNumber(capabilities.maximumDischargeCurrentA),
                    evseMinimumDischargeCurrent: RationalNumber(0))))
            return .send(.dcChargeParameterDiscovery(response), expectNextWithin: next)

        case (.chargeParameterDiscovery, .dcChargeParameterDiscovery(let discovery)):
            guard session.isDC, case .dcCPDReqEnergyTransferMode(let ev) = discovery.dcCPDReqEnergyTransferMode else {
                // BPT parameters for a session that selected plain DC.
                return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
            }
            guard ev.evMaximumVoltage.doubleValue >= capabilities.minimumVoltageV,
                ev.evMinimumVoltage.doubleValue <= capabilities.maximumVoltageV
            else {
                return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
            }
            session.evMaximumVoltageV = ev.evMaximumVoltage.doubleValue
            session.evMaximumPowerW = ev.evMaximumChargePower.doubleValue
            self.state = .scheduleExchange(session)
            let response = DC_ChargeParameterDiscoveryRes(
                header: header, responseCode: .ok,
                dcCPDResEnergyTransferMode: .dcCPDResEnergyTransferMode(DC_CPDResEnergyTransferMode(
                    evseMaximumChargePower: RationalNumber(capabilities.maximumPowerW),
                    evseMinimumChargePower: RationalNumber(0),
                    evseMaximumChargeCurrent: RationalNumber(capabilities.maximumCurrentA),
                    evseMinimumChargeCurrent: RationalNumber(capabilities.minimumCurrentA),
                    evseMaximumVoltage: RationalNumber(capabilities.maximumVoltageV),
                    evseMinimumVoltage: RationalNumber(capabilities.minimumVoltageV))))
            return .send(.dcChargeParameterDiscovery(response), expectNextWithin: next)

        case (.scheduleExchange, .scheduleExchange(let exchange)):
            if session.renegotiatingSchedule, let plan = self.renegotiatedPlan {
                self.powerPlan = plan
                self.renegotiatedPlan = nil
            }
            let choice: ScheduleExchangeRes.Choice
            switch (session.controlMode, exchange.choice) {
            case (.scheduled, .scheduledSEReqControlMode):
                choice = .scheduledSEResControlMode(ISO20Responses.schedule(
                    plan: self.plan(session), maximumPowerW: capabilities.maximumPowerW,
                    dischargeLimitW: session.isBPT ? capabilities.maximumDischargePowerW : nil, now: now,
                    supportingPoints: exchange.maximumSupportingPoints))
            case (.dynamic, .dynamicSEReqControlMode(let ev)):
                choice = .dynamicSEResControlMode(Dynamic_SEResControlMode(
                    departureTime: ev.departureTime, minimumSOC: ev.minimumSOC, targetSOC: ev.targetSOC))
            default:
                // The control mode of the request is not the one of the selected parameter set.
                return self.fail(request, sessionID: session.id, code: .failed, now: now)
            }
            session.planAnchor = now
            // AC has no cable check or pre-charge: the next request is PowerDelivery Start; neither has a renegotiated
            // schedule (the DC output is still up).
            let renegotiated = session.renegotiatingSchedule
            session.renegotiatingSchedule = false
            self.state = session.isDC && !renegotiated ? .cableCheck(session) : .preCharge(session)
            let response = ScheduleExchangeRes(header: header, responseCode: .ok, evseProcessing: .finished, choice: choice)
            return .send(.scheduleExchange(response), expectNextWithin: next)

        case (.cableCheck, .dcCableCheck):
            self.state = .waitingForController(session, .cableCheck)
            return .control(.cableCheck(voltageV: min(session.evMaximumVoltageV, capabilities.maximumVoltageV)))

        case (.cableCheck, .dcPreCharge(let preCharge)) where session.isDC,
            (.preCharge, .dcPreCharge(let preCharge)) where session.isDC:
            var target = preCharge.evTargetVoltage.doubleValue
            if target > capabilities.maximumVoltageV {
                guard self.configuration.preChargeAboveMaximum == .clampToMaximum else {
                    return self.fail(request, sessionID: session.id, code: .failedWrongChargeParameter, now: now)
                }
                target = capabilities.maximumVoltageV
            }
            self.state = .waitingForController(session, .preCharge)
            return .control(.deliver(OutputTarget(voltageV: target, currentA: 2)))

        case (.preCharge, .powerDelivery(let delivery)):
            switch delivery.chargeProgress {
            case .start where delivery.evProcessing == .ongoing:
                // The vehicle is still preparing its power profile: acknowledged, power starts with a Finished Start.
                return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
            case .start:
                self.state = .waitingForController(session, .powerDeliveryStart)
                return .control(.setContactors(closed: true))
            case .stop:
                self.state = .stopped(session)
                return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
            case .standby, .scheduleRenegotiation:
                return self.fail(request, sessionID: session.id, code: .failed, now: now)
            }

        case (.charging, .acChargeLoop(let loop)) where !session.isDC, (.standby, .acChargeLoop(let loop)) where !session.isDC:
            if let late = self.noticeOverdue(request, session: session, now: now) { return late }
            let standby = self.inStandby
            switch ISO20LoopRules.ac(loop, session: session, plannedPowerW: self.plannedPower(session, now: now), configuration: self.configuration) {
            case .failure(let refusal):
                return self.fail(request, sessionID: session.id, code: refusal.code, now: now)
            case .success(let (kind, power)):
                let target = standby ? 0 : power
                self.state = .waitingForController(session, .loop(kind, targetPowerW: target, standby: standby))
                let current = target / max(capabilities.nominalVoltageV * self.phases, 1)
                return .control(.deliver(OutputTarget(voltageV: capabilities.nominalVoltageV, currentA: current)))
            }

        case (.charging, .dcChargeLoop(let loop)) where session.isDC, (.standby, .dcChargeLoop(let loop)) where session.isDC:
            if let late = self.noticeOverdue(request, session: session, now: now) { return late }
            let standby = self.inStandby
            switch ISO20LoopRules.dc(loop, session: session, plannedPowerW: self.plannedPower(session, now: now), configuration: self.configuration) {
            case .failure(let refusal):
                return self.fail(request, sessionID: session.id, code: refusal.code, now: now)
            case .success(let (kind, target)):
                self.state = .waitingForController(session, .loop(kind, targetPowerW: 0, standby: standby))
                return .control(.deliver(standby ? OutputTarget(voltageV: target.voltageV, currentA: 0) : target))
            }

        case (.charging, .powerDelivery(let delivery)):
            if let refused = self.noticeRefuses(delivery.chargeProgress, request, session: session, now: now) { return refused }
            switch delivery.chargeProgress {
            case .stop:
                self.state = .waitingForController(session, .powerDeliveryStop)
                return .control(.setContactors(closed: false))
            case .scheduleRenegotiation:
                return self.renegotiateSchedule(session)
            case .standby:
                guard self.configuration.allowsStandby else {
                    // The session goes on charging.
                    return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .warningStandbyNotAllowed)), expectNextWithin: next)
                }
                // Contactors stay closed; the output goes to zero current until PowerDeliveryReq Start.
                self.state = .waitingForController(session, .powerDeliveryStandby)
                let voltage = session.isDC ? session.presentVoltageV : capabilities.nominalVoltageV
                return .control(.deliver(OutputTarget(voltageV: voltage, currentA: 0)))
            case .start:
                return self.fail(request, sessionID: session.id, code: .failed, now: now)
            }

        case (.standby, .powerDelivery(let delivery)):
            if let refused = self.noticeRefuses(delivery.chargeProgress, request, session: session, now: now) { return refused }
            switch delivery.chargeProgress {
            case .start:
                // Leaving standby: the contactors are still closed, the next charge loop regulates again.
                self.state = .charging(session)
                return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
            case .standby:
                return .send(.powerDelivery(PowerDeliveryRes(header: header, responseCode: .ok)), expectNextWithin: next)
            case .stop:
                self.state = .waitingForController(session, .powerDeliveryStop)
                return .control(.setContactors(closed: false))
            case .scheduleRenegotiation:
                return self.renegotiateSchedule(session)
            }

        case (.stopped, .dcWeldingDetection) where session.isDC:
            self.state = .waitingForController(session, .welding)
            return .control(.deliver(OutputTarget(voltageV: 0, currentA: 0)))

        case (.stopped, .sessionStop(let stop)), (.serviceDiscovery, .sessionStop(let stop)),
            (.scheduleExchange, .sessionStop(let stop)), (.cableCheck, .sessionStop(let stop)),
            (.preCharge, .sessionStop(let stop)):
            let response = ISO20Response.sessionStop(SessionStopRes(header: header, responseCode: .ok))
            var stopReason = TransactionStopReason.stoppedByEV
            if let notice = self.notice?.request {
                // The vehicle ends the session the way the EVSE asked, or terminates it; anything else is out of
                // sequence.
                switch (notice.notification, stop.chargingSession) {
                case (_, .terminate), (.pause, .pause), (.serviceRenegotiation, .serviceRenegotiation),
                    (.scheduleRenegotiation, _), (.exitStandby, _), (.meteringConfirmation, _):
                    break
                default:
                    return self.fail(request, sessionID: session.id, code: .failedSequenceError, now: now)
                }
                if notice.notification == .terminate { stopReason = notice.stopReason }
                self.notice = nil
            }
            switch stop.chargingSession {
            case .terminate:
                break
            case .pause:
                guard self.configuration.allowsPause else {
                    return self.fail(request, sessionID: session.id, code: .failedPauseNotAllowed, now: now)
                }
                // The transaction stays open; a SessionSetupReq with this SessionID joins the session again.
                self.state = .closed
                self.pausedSession = ISO20PausedSession(
                    sessionID: session.id, evccID: session.evccID, traceID: self.traceID,
                    transactionID: self.transactionID, meter: self.lastMeter, pausedAt: now)
                return .sendAndClose(response, .sessionPaused)
            case .serviceRenegotiation:
                guard self.configuration.supportsServiceRenegotiation else {
                    return self.fail(request, sessionID: session.id, code: .failedNoServiceRenegotiationSupported, now: now)
                }
                // Back to ServiceDiscovery on the same connection, still authorized; the transaction goes on.
                var renegotiated = Session(id: session.id, evccID: session.evccID)
                renegotiated.authorization = .accepted
                renegotiated.identification = session.identification
                renegotiated.isPnC = session.isPnC
                self.state = .serviceDiscovery(renegotiated)
                return .send(response, expectNextWithin: next)
            }
            self.state = .closed
            guard let transactionID = self.transactionID else { return .sendAndClose(response, .sessionStopped) }
            let end = TransactionEnd(
                transactionID: transactionID, meterStopWh: self.lastMeter.energyWh, reason: stopReason,
                timestamp: Double(now), traceID: self.traceID)
            return .endTransaction(end, thenSendAndClose: response, .sessionStopped)

        default:
            return self.fail(request, sessionID: session.id, code: .failedSequenceError, now: now)
        }
    }

    // MARK: - Helpers

    /// A repeated AuthorizationReq: Ongoing while the backend decides, then Finished or the refusal.
    private mutating func authorizationProgress(
        _ request: ISO20Request, session: Session, header: MessageHeader, now: UInt64
    ) -> Action {
        let next = Self.sequenceTimeout
        switch session.authorization {
        case .notRequested, .pending:
            return .send(.authorization(AuthorizationRes(header: header, responseCode: .ok, evseProcessing: .ongoing)), expectNextWithin: next)
        case .accepted:
            self.state = .serviceDiscovery(session)
            return .send(.authorization(AuthorizationRes(header: header, responseCode: .ok, evseProcessing: .finished)), expectNextWithin: next)
        case .rejected(let code):
            let fallback: ResponseCode = session.isPnC ? .warningGeneralPnCAuthorizationError : .warningEIMAuthorizationFailure
            return self.fail(request, sessionID: session.id, code: session.isPnC ? (code ?? fallback) : fallback, now: now)
        }
    }

    /// PnC is offered when configured and the driver gave a 16-byte GenChallenge.
    private var offeredPnC: ISO20PnCConfiguration? {
        self.genChallenge.count == 16 ? self.configuration.pnc : nil
    }

    /// The -20 AuthorizationRes code for a backend refusal of a contract (OCPP 2.0.1 AuthorizeResponse).
    static func pncCode(_ decision: BackendAuthorizationDecision) -> ResponseCode {
        switch decision.certificateStatus {
        case .signatureError: return .failedSignatureError
        case .certificateExpired: return .warningCertificateExpired
        case .certificateRevoked, .contractCancelled: return .warningCertificateRevoked
        case .noCertificateAvailable: return .warningNoCertificateAvailable
        case .certChainError: return .warningCertificateValidationError
        case .accepted, .none: break
        }
        switch decision.status {
        case .unknown: return .warningEMSPUnknown
        case .expired: return .warningCertificateExpired
        default: return .warningGeneralPnCAuthorizationError
        }
    }

    /// Sends a charge loop response, with a transaction sample when the update interval has passed.
    private mutating func sample(_ response: ISO20Response, now: UInt64) -> Action {
        guard let transactionID = self.transactionID,
            now >= self.lastUpdateAt, now - self.lastUpdateAt >= self.configuration.transactionUpdateInterval
        else {
            return .send(response, expectNextWithin: Self.sequenceTimeout)
        }
        self.lastUpdateAt = now
        let update = TransactionUpdate(
            transactionID: transactionID, meterWh: self.lastMeter.energyWh, powerW: self.lastMeter.powerW,
            stateOfCharge: nil, timestamp: Double(now), traceID: self.traceID)
        return .sendAndUpdateTransaction(response, update, expectNextWithin: Self.sequenceTimeout)
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// The energy transfer services this EVSE offers, by ServiceID: AC and DC by its transfer modes, AC_BPT and
    /// DC_BPT when its power electronics can discharge.
    private var offeredServices: [UInt16] {
        let capabilities = self.configuration.capabilities
        let transfers = capabilities.energyTransfers
        var services: [UInt16] = []
        if transfers.contains(where: { $0 == .acSinglePhase || $0 == .acThreePhase }) { services.append(Self.acServiceID) }
        if transfers.contains(where: { $0.isDC && $0 != .dcBPT }) { services.append(Self.dcServiceID) }
        if capabilities.canDischarge(.acBPT) { services.append(Self.acBPTServiceID) }
        if capabilities.canDischarge(.dcBPT) { services.append(Self.dcBPTServiceID) }
        return services
    }

    /// The parameter sets of ServiceDetailRes: one per offered control mode (scheduled is always offered).
    private var parameterSets: [(id: UInt16, mode: ISO20ControlMode)] {
        var sets: [(id: UInt16, mode: ISO20ControlMode)] = [(Self.parameterSetID, .scheduled)]
        if self.configuration.controlModes.contains(.dynamic) { sets.append((Self.dynamicParameterSetID, .dynamic)) }
        return sets
    }

    private var inStandby: Bool {
        if case .standby = self.state { return true }
        return false
    }

    /// The power plan in force: the configured (or renegotiated) one, or the EVSE's maximum for 24 hours.
    private func plan(_ session: Session) -> [ISO20PowerPlanEntry] {
        let plan = self.powerPlan
        return plan.isEmpty ? [ISO20PowerPlanEntry(durationSeconds: 86_400, powerW: self.configuration.capabilities.maximumPowerW)] : plan
    }

    /// The power the plan gives at `now` (from the ScheduleExchange anchor), the EVSE's maximum after its end;
    /// never below the discharge limit, and not negative for a unidirectional service.
    private func plannedPower(_ session: Session, now: UInt64) -> Double {
        let capabilities = self.configuration.capabilities
        var elapsed = now > session.planAnchor ? now - session.planAnchor : 0
        var power = capabilities.maximumPowerW
        for entry in self.plan(session) {
            if elapsed < UInt64(entry.durationSeconds) {
                power = entry.powerW
                break
            }
            elapsed -= UInt64(entry.durationSeconds)
        }
        let lower = session.isBPT ? -capabilities.maximumDischargePowerW : 0
        return min(max(power, lower), capabilities.maximumPowerW)
    }

    /// AC phases used for power figures.
    private var phases: Double { self.configuration.capabilities.energyTransfers.contains(.acThreePhase) ? 3 : 1 }

    static func header(_ sessionID: [UInt8], _ now: UInt64) -> MessageHeader {
        MessageHeader(sessionID: sessionID, timeStamp: now)
    }

    private mutating func setInstallation(_ value: Session.InstallationState) {
        if case .authorization(var session) = self.state, case .pending = session.installation {
            session.installation = value
            self.state = .authorization(session)
        }
    }

    private mutating func setAuthorization(_ value: Session.AuthorizationState) {
        if case .authorization(var session) = self.state {
            session.authorization = value
            self.state = .authorization(session)
        }
    }

    private mutating func fail(_ request: ISO20Request, sessionID: [UInt8], code: ResponseCode, now: UInt64) -> Action {
        self.state = .closed
        let response = ISO20Responses.failed(
            answering: request, header: Self.header(sessionID, now), code: code, configuration: self.configuration)
        return .sendAndClose(response, .failed(code))
    }
}

// MARK: - EVSE notifications

/// A request of the EVSE to the vehicle (ISO 15118-20 EVSEStatus in charge-loop responses): the notification and the
/// NotificationMaxDelay within which the vehicle reacts.
///
/// The vehicle's reactions the SECC accepts: ScheduleRenegotiation → PowerDeliveryReq ScheduleRenegotiation, then
/// ScheduleExchange and PowerDelivery Start; ServiceRenegotiation → PowerDeliveryReq Stop (DC: welding detection) and
/// SessionStopReq ServiceRenegotiation, back to ServiceDiscovery; Terminate → PowerDeliveryReq Stop and SessionStopReq
/// Terminate; Pause → PowerDeliveryReq Stop and SessionStopReq Pause; ExitStandby (only in standby) → PowerDeliveryReq
/// Start. Ending the energy transfer (PowerDeliveryReq Stop, SessionStopReq Terminate) is always accepted.
public struct ISO20EVSENotice: Hashable, Sendable {
    public var notification: EvseNotification
    /// NotificationMaxDelay in seconds: a charge-loop request later than this after the first response that carried
    /// the notification is answered FAILED and ends the session.
    public var maxDelaySeconds: UInt16
    /// ScheduleRenegotiation: the power plan from the renegotiated ScheduleExchange on (its schedule, and the dynamic
    /// targets); nil keeps the plan.
    public var powerPlan: [ISO20PowerPlanEntry]?
    /// Terminate: the reason the backend's transaction ends with.
    public var stopReason: TransactionStopReason

    public init(
        _ notification: EvseNotification, maxDelaySeconds: UInt16 = 10, powerPlan: [ISO20PowerPlanEntry]? = nil,
        stopReason: TransactionStopReason = .local
    ) {
        self.notification = notification
        self.maxDelaySeconds = maxDelaySeconds
        self.powerPlan = powerPlan
        self.stopReason = stopReason
    }
}

extension ISO20SECCStateMachine {
    /// The answer to ``notify(_:)``.
    public enum NoticeAnswer: Hashable, Sendable {
        /// The next charge-loop response carries it.
        case accepted
        case refused(String)
    }

    /// The notification the SECC waits for the vehicle to react to, nil when none.
    public var pendingNotification: EvseNotification? { self.notice?.request.notification }

    /// The EVSE asks the vehicle to act: the next charge-loop response (DC or AC, any control mode, BPT included) and
    /// the following ones carry EVSEStatus with the notification and its NotificationMaxDelay until the vehicle
    /// reacts. Refused outside the charge loop, while another notification is pending, for ExitStandby outside
    /// standby, for Pause or ServiceRenegotiation when the configuration does not allow them, and for
    /// MeteringConfirmation (MeteringConfirmationReq is not implemented).
    public mutating func notify(_ notice: ISO20EVSENotice) -> NoticeAnswer {
        if let pending = self.notice { return .refused("\(pending.request.notification.rawValue) is still pending") }
        let standby: Bool
        switch self.state {
        case .charging: standby = false
        case .standby: standby = true
        case .waitingForController(_, .loop(_, _, let inStandby)): standby = inStandby
        default: return .refused("not in the charge loop")
        }
        switch notice.notification {
        case .exitStandby where !standby: return .refused("the vehicle is not in standby")
        case .pause where !self.configuration.allowsPause: return .refused("pausing is not allowed")
        case .serviceRenegotiation where !self.configuration.supportsServiceRenegotiation:
            return .refused("service renegotiation is not supported")
        case .meteringConfirmation: return .refused("MeteringConfirmationReq is not implemented")
        default: break
        }
        if notice.notification == .scheduleRenegotiation, let plan = notice.powerPlan { self.renegotiatedPlan = plan }
        self.notice = (notice, nil)
        return .accepted
    }

    /// The charge-loop response with the pending notification in EVSEStatus.
    fileprivate mutating func carryingNotice(_ response: ISO20Response, now: UInt64) -> ISO20Response {
        guard var pending = self.notice else { return response }
        if pending.firstSentAt == nil {
            pending.firstSentAt = now
            self.notice = pending
            self.sentNotices.append(pending.request)
        }
        let status = EVSEStatus(
            notificationMaxDelay: pending.request.maxDelaySeconds, evseNotification: pending.request.notification)
        switch response {
        case .dcChargeLoop(var r):
            r.evseStatus = status
            return .dcChargeLoop(r)
        case .acChargeLoop(var r):
            r.evseStatus = status
            return .acChargeLoop(r)
        default:
            return response
        }
    }

    /// A charge-loop request after NotificationMaxDelay: the vehicle did not react in time. FAILED, and the
    /// transaction ends (Timeout).
    fileprivate mutating func noticeOverdue(_ request: ISO20Request, session: Session, now: UInt64) -> Action? {
        guard let pending = self.notice, let sent = pending.firstSentAt,
            now > sent + UInt64(pending.request.maxDelaySeconds)
        else { return nil }
        self.notice = nil
        self.state = .closed
        let response = ISO20Responses.failed(
            answering: request, header: Self.header(session.id, now), code: .failed, configuration: self.configuration)
        guard let transactionID = self.transactionID else { return .sendAndClose(response, .failed(.failed)) }
        let end = TransactionEnd(
            transactionID: transactionID, meterStopWh: self.lastMeter.energyWh, reason: .timeout, timestamp: Double(now),
            traceID: self.traceID)
        return .endTransaction(end, thenSendAndClose: response, .failed(.failed))
    }

    /// A PowerDeliveryReq while a notification is pending: the reaction it asks for, or ending the energy transfer
    /// (Stop), goes on (nil); anything else is FAILED_SequenceError.
    fileprivate mutating func noticeRefuses(
        _ progress: ChargeProgress, _ request: ISO20Request, session: Session, now: UInt64
    ) -> Action? {
        guard let pending = self.notice?.request.notification else { return nil }
        switch (pending, progress) {
        case (.scheduleRenegotiation, .scheduleRenegotiation), (.exitStandby, .start),
            (.scheduleRenegotiation, .stop), (.exitStandby, .stop):
            // Reacted (or the vehicle ends the transfer instead): nothing more to wait for.
            self.notice = nil
            return nil
        case (.terminate, .stop), (.pause, .stop), (.serviceRenegotiation, .stop):
            // The SessionStopReq that follows must match.
            return nil
        case (.scheduleRenegotiation, .start) where self.inStandby:
            // Leaving standby first; the renegotiation is still asked for.
            return nil
        default:
            return self.fail(request, sessionID: session.id, code: .failedSequenceError, now: now)
        }
    }

    /// PowerDeliveryReq ScheduleRenegotiation (asked for by the EVSE or by the vehicle): zero current, then
    /// ScheduleExchange and PowerDelivery Start without cable check or pre-charge; the transaction goes on.
    fileprivate mutating func renegotiateSchedule(_ session: Session) -> Action {
        self.state = .waitingForController(session, .powerDeliveryScheduleRenegotiation)
        let voltage = session.isDC ? session.presentVoltageV : self.configuration.capabilities.nominalVoltageV
        return .control(.deliver(OutputTarget(voltageV: voltage, currentA: 0)))
    }
}
