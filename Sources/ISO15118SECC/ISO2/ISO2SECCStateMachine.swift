import Foundation
public import ISO2Messages
public import PnCCore
public import X509

/// The ISO 15118-2 SECC session from SessionSetup to SessionStop (ISO 15118-2:2014 §8.4, §8.8), as a
/// pure value: one `mutating func` per input, each returning an ``Action``.
///
/// This stage covers external identification (EIM) for AC and DC: SessionSetup, ServiceDiscovery,
/// PaymentServiceSelection, Authorization (Finished or the refusal when the backend decides within the driver's
/// budget, see ``decidedAuthorization(now:)``; EVSEProcessing=Ongoing while it still decides) and
/// ChargeParameterDiscovery with an SAScheduleList built from the EVSE's capabilities, CableCheck and PreCharge (DC),
/// PowerDelivery Start/Stop with the transaction record, the charge loop (CurrentDemand, ChargingStatus),
/// WeldingDetection and SessionStop. Controller and backend work are actions whose answers come back as inputs. Messages that arrive out of
/// order are answered with FAILED_SequenceError; a SessionID other than the session's with FAILED_UnknownSession;
/// both end the session.
public struct ISO2SECCStateMachine: Sendable {
    /// What the SECC offers in this session.
    public struct Configuration: Hashable, Sendable {
        /// The EVSEID sent in SessionSetupRes (ISO 15118-2 Annex H form, e.g. `DE*ABC*E1234`).
        public var evseID: String
        /// The EVSE number at the station, for the backend (OCPP evseId).
        public var evseNumber: Int
        public var capabilities: EVSECapabilities
        /// The payment options offered, in the SECC's order (Contract is offered only over TLS; the driver decides).
        public var paymentOptions: [PaymentOption]
        /// The installed MO root certificates that contract chains must end in (Contract payment, [V2G2-476]).
        /// Contract is accepted only when this is non-empty.
        public var contractRoots: [Certificate]
        /// Whether the SECC asks for a signed MeteringReceipt in the charge loop of Contract sessions
        /// (ReceiptRequired, [V2G2-691]).
        public var requiresMeteringReceipt: Bool

        public init(
            evseID: String, evseNumber: Int, capabilities: EVSECapabilities, paymentOptions: [PaymentOption],
            contractRoots: [Certificate] = [], requiresMeteringReceipt: Bool = false
        ) {
            self.evseID = evseID
            self.evseNumber = evseNumber
            self.capabilities = capabilities
            self.paymentOptions = paymentOptions
            self.contractRoots = contractRoots
            self.requiresMeteringReceipt = requiresMeteringReceipt
        }
    }

    /// Why the SECC closes the connection without an answer.
    public enum CloseReason: Hashable, Sendable {
        case sequenceTimeout
        case ongoingTimeout
        case transportClosed
    }

    /// What the driver does next.
    public enum Action: Hashable, Sendable {
        /// Send the message and (re)arm V2G_SECC_Sequence_Timer with `expectNextWithin`.
        case send(V2GMessage, expectNextWithin: Duration)
        /// Send the message, then close the connection.
        case sendAndClose(V2GMessage)
        /// Ask the backend (``ChargingBackend/authorize(_:)``), then feed the answer to ``backendAuthorized(_:)`` or
        /// ``backendFailed()``. When it comes within the driver's budget, the driver answers the AuthorizationReq with
        /// ``decidedAuthorization(now:)`` (Finished or the refusal) instead of `thenSend` (EVSEProcessing Ongoing);
        /// otherwise it sends `thenSend`, and the vehicle's repeated AuthorizationReq gets the decision.
        case authorize(BackendAuthorizationRequest, thenSend: V2GMessage, expectNextWithin: Duration)
        /// Ask the EVSE controller, then feed the answer to ``controllerAnswered(_:now:)``.
        case controller(ControllerRequest)
        /// Report energy transfer start (``ChargingBackend/transactionStarted(_:)``), send the message, and feed the
        /// transaction id to ``transactionStarted(id:)``.
        case startTransaction(TransactionStart, thenSend: V2GMessage, expectNextWithin: Duration)
        /// Send the message and report the sample (``ChargingBackend/transactionUpdated(_:)``).
        case sendAndUpdateTransaction(V2GMessage, TransactionUpdate, expectNextWithin: Duration)
        /// Report the end (``ChargingBackend/transactionEnded(_:)``), send the message, and close.
        case endTransaction(TransactionEnd, thenSendAndClose: V2GMessage)
        /// Relay the certificate installation or update request (``ChargingBackend/exchangeCertificate(_:)``), then
        /// feed the answer to ``certificateExchanged(_:)`` or, on error or when the driver's deadline passes,
        /// ``certificateExchangeFailed()``. `exiRequest` is the machine's encoding of the received message; a driver
        /// that holds the received bytes sends those instead.
        case exchangeCertificate(CertificateExchangeRequest)
        case close(CloseReason)
        case none
    }

    /// A question for the EVSE controller.
    public enum ControllerRequest: Hashable, Sendable {
        /// ``EVSEController/cableCheck(voltage:)``.
        case cableCheck(voltageV: Double)
        /// ``EVSEController/deliver(_:)`` followed by ``EVSEController/meterReading()``.
        case deliver(OutputTarget)
        /// ``EVSEController/setContactors(closed:)`` followed by ``EVSEController/meterReading()``.
        case setContactors(closed: Bool)
    }

    /// The EVSE controller's answer to a ``ControllerRequest``.
    public enum ControllerAnswer: Hashable, Sendable {
        case isolation(IsolationLevel)
        case output(OutputMeasurement, MeterReading)
        case contactorsSet(MeterReading)
        /// The controller reported an error; the pending request is answered with FAILED.
        case failed
    }

    /// Where the session is; each case names the next request it accepts.
    enum Phase: Hashable, Sendable {
        case awaitingSessionSetup
        case awaitingServiceDiscovery
        case awaitingPaymentServiceSelection
        case awaitingPaymentDetails
        /// A CertificateInstallationReq or CertificateUpdateReq waits for the backend.
        case waitingForCertificateExchange(BodyElement)
        case awaitingAuthorization(AuthorizationProgress)
        case awaitingChargeParameterDiscovery
        case chargeParameterDiscovered
        case cableChecked
        case preCharged
        case charging
        case stopped
        /// A request waits for the controller; `request` is answered when it replies.
        case waitingForController(BodyElement)
        case closed
    }

    enum AuthorizationProgress: Hashable, Sendable {
        case notAsked
        case pending(since: Double)
        case decided(BackendAuthorizationDecision)
    }

    public let configuration: Configuration
    /// The SessionID of this session: the proposed one, or that of a paused session the vehicle joined.
    public private(set) var sessionID: [UInt8]
    public private(set) var traceID: TraceID
    /// Paused sessions a SessionSetupReq may join (same SessionID and EVCCID).
    private let resumable: [ISO2PausedSession]
    /// The paused session this one joined (SessionSetupRes OK_OldSessionJoined), nil for a new session.
    public private(set) var resumed: ISO2PausedSession?
    /// Set when the vehicle paused this session (SessionStopReq ChargingSession=Pause): the driver keeps it for a
    /// resume.
    public private(set) var paused: ISO2PausedSession?
    /// The backend's decision carried over from the joined session; reused when the identification is the same.
    private var carriedDecision: BackendAuthorizationDecision?
    /// The SECC asked for a renegotiation (EVSENotification=ReNegotiation in the charge loop) and the vehicle has
    /// not yet answered with PowerDeliveryReq Renegotiate.
    public private(set) var renegotiationRequested = false
    /// A renegotiation (EV- or SECC-triggered) runs: ChargeParameterDiscovery, then PowerDelivery Start without a
    /// new cable check or pre-charge (DC).
    private var renegotiating = false
    /// Completed renegotiations in this session.
    public private(set) var renegotiations = 0
    private(set) var phase: Phase = .awaitingSessionSetup
    /// The EVCCID (MAC address) from SessionSetupReq.
    public private(set) var evccID: [UInt8] = []
    public private(set) var selectedPayment: PaymentOption?
    public private(set) var selectedEnergyTransfer: EnergyTransferMode?
    /// The backend's transaction id once energy transfer started.
    public private(set) var transactionID: String?
    private var identification: BackendAuthorizationRequest.Identification?
    /// The GenChallenge for PaymentDetailsRes (16 bytes of the caller's randomness, [V2G2-825]).
    private let genChallenge: [UInt8]
    /// The contract accepted in PaymentDetailsReq (Contract payment only).
    private var contract: AcceptedContract?
    private var receiptAsked = false
    /// The backend's decision once the vehicle was answered with it (kept for a paused session).
    private var authorizationDecision: BackendAuthorizationDecision?
    private var evMaximumVoltageV: Double = 0
    private var lastMeter = MeterReading(energyWh: 0, powerW: 0)
    private var lastUpdateAt: Double = 0
    private var lastEVSoC: Int?
    /// How often the charge loop reports a sample to the backend, in seconds.
    public static let updateInterval: Double = 60

    /// - Parameters:
    ///   - proposedSessionID: 8 bytes from the caller's randomness (the SessionID the SECC assigns in SessionSetupRes).
    ///   - genChallenge: 16 bytes of the caller's randomness, sent in PaymentDetailsRes and expected back in the
    ///     signed AuthorizationReq (Contract payment). Without it a Contract session is refused with FAILED.
    ///   - resumable: sessions paused at this EVSE; a SessionSetupReq with one's SessionID and EVCCID joins it.
    public init(
        configuration: Configuration, proposedSessionID: [UInt8], traceID: TraceID, genChallenge: [UInt8] = [],
        resumable: [ISO2PausedSession] = []
    ) {
        self.configuration = configuration
        self.sessionID = proposedSessionID
        self.traceID = traceID
        self.genChallenge = genChallenge
        self.resumable = resumable
    }

    /// Whether the session has ended.
    public var isClosed: Bool { self.phase == .closed }

    private var header: MessageHeader { MessageHeader(sessionID: self.sessionID) }

    private func message(_ body: BodyElement) -> V2GMessage {
        V2GMessage(header: self.header, body: Body(bodyElement: body))
    }

    private mutating func fail(_ request: BodyElement, _ code: ResponseCode) -> Action {
        self.phase = .closed
        guard let body = ISO2FailedResponse.body(answering: request, code: code, evseID: self.configuration.evseID)
        else { return .close(.transportClosed) }
        return .sendAndClose(self.message(body))
    }

    private func send(_ body: BodyElement) -> Action {
        .send(self.message(body), expectNextWithin: ISO2Timing.sequenceTimeout)
    }

    /// A request from the vehicle.
    /// - Parameters:
    ///   - now: the driver's clock, seconds since 1970-01-01 UTC (EVSETimeStamp, Ongoing timeout).
    public mutating func received(_ request: V2GMessage, now: Double) -> Action {
        guard let body = request.body.bodyElement else {
            self.phase = .closed
            return .close(.transportClosed)
        }
        if case .closed = self.phase { return .none }
        if case .awaitingSessionSetup = self.phase {
            guard case .sessionSetupReq(let req) = body else { return self.fail(body, .failedSequenceError) }
            self.evccID = req.evccID
            self.phase = .awaitingServiceDiscovery
            if request.header.sessionID.contains(where: { $0 != 0 }),
                let paused = self.resumable.first(where: { $0.sessionID == request.header.sessionID && $0.evccID == req.evccID })
            {
                // The vehicle comes back to its paused session: same SessionID, authorization and transaction. It goes
                // through service discovery, payment selection, authorization and charge parameters again.
                self.join(paused)
                return self.send(
                    .sessionSetupRes(
                        SessionSetupRes(
                            responseCode: .okOldSessionJoined, evseID: self.configuration.evseID,
                            evseTimeStamp: Int64(now.rounded(.down)))))
            }
            // Any other SessionID (zero, unknown, or another vehicle's) starts a new session.
            return self.send(
                .sessionSetupRes(
                    SessionSetupRes(
                        responseCode: .okNewSessionEstablished, evseID: self.configuration.evseID,
                        evseTimeStamp: Int64(now.rounded(.down)))))
        }
        // A second SessionSetupReq is out of sequence whatever SessionID it carries.
        if case .sessionSetupReq = body { return self.fail(body, .failedSequenceError) }
        guard request.header.sessionID == self.sessionID else { return self.fail(body, .failedUnknownSession) }
        switch (self.phase, body) {
        case (.awaitingServiceDiscovery, .serviceDiscoveryReq):
            self.phase = .awaitingPaymentServiceSelection
            return self.send(.serviceDiscoveryRes(ServiceDiscoveryRules.response(self.configuration)))
        case (.awaitingPaymentServiceSelection, .serviceDetailReq(let req)):
            // ISO 15118-2 §8.4.3.4: details only for services listed in ServiceDiscoveryRes; this SECC lists the
            // charge service (ServiceID 1), which has no parameter sets.
            guard req.serviceID == 1 else { return self.fail(body, .failedServiceIDInvalid) }
            return self.send(.serviceDetailRes(ServiceDetailRes(responseCode: .ok, serviceID: req.serviceID)))
        case (.awaitingPaymentServiceSelection, .paymentServiceSelectionReq(let req)):
            let code = PaymentServiceSelectionRules.responseCode(req, offered: self.configuration.paymentOptions)
            guard code == .ok else { return self.fail(body, code) }
            self.selectedPayment = req.selectedPaymentOption
            if req.selectedPaymentOption == .contract {
                // Contract payment continues with PaymentDetails ([V2G2-551]).
                guard !self.configuration.contractRoots.isEmpty else {
                    return self.fail(body, .failedPaymentSelectionInvalid)
                }
                self.phase = .awaitingPaymentDetails
            } else {
                self.phase = .awaitingAuthorization(.notAsked)
            }
            return self.send(.paymentServiceSelectionRes(PaymentServiceSelectionRes(responseCode: .ok)))
        case (.awaitingPaymentDetails, .paymentDetailsReq(let req)):
            guard self.genChallenge.count == 16 else { return self.fail(body, .failed) }
            switch PaymentDetailsRules.evaluate(
                req, roots: self.configuration.contractRoots, at: Date(timeIntervalSince1970: now))
            {
            case .failure(let code): return self.fail(body, code)
            case .success(let contract):
                self.contract = contract
                self.phase = .awaitingAuthorization(.notAsked)
                return self.send(
                    .paymentDetailsRes(
                        PaymentDetailsRes(
                            responseCode: .ok, genChallenge: self.genChallenge,
                            evseTimeStamp: Int64(now.rounded(.down)))))
            }
        case (.awaitingPaymentDetails, .certificateInstallationReq), (.awaitingPaymentDetails, .certificateUpdateReq):
            // [V2G2-544]/[V2G2-552]: installation or update follows PaymentServiceSelection(Contract); the SECC relays
            // the complete message and forwards the backend's answer.
            let action: CertificateExchangeRequest.Action
            if case .certificateInstallationReq = body { action = .install } else { action = .update }
            guard let exi = try? ISO2Document.v2gMessage(request).exiEncoded() else { return self.fail(body, .failed) }
            self.phase = .waitingForCertificateExchange(body)
            return .exchangeCertificate(
                CertificateExchangeRequest(
                    action: action, schemaVersion: "urn:iso:15118:2:2013:MsgDef", exiRequest: exi, traceID: self.traceID))
        case (.charging, .meteringReceiptReq(let req)):
            guard let contract = self.contract else { return self.fail(body, .failedSequenceError) }
            let code = ContractSignatureRules.meteringReceiptCode(
                req, signature: request.header.signature, sessionID: self.sessionID, contract: contract)
            guard code == .ok else { return self.fail(body, code) }
            let status: EVSEStatusGroup =
                self.isDC ? .dcEVSEStatus(self.dcStatus) : .acEVSEStatus(self.acStatus)
            return self.send(.meteringReceiptRes(MeteringReceiptRes(responseCode: .ok, evseStatus: status)))
        case (.awaitingAuthorization(let progress), .authorizationReq(let req)):
            if let contract = self.contract {
                // The first AuthorizationReq after PaymentDetailsRes is signed and carries the GenChallenge
                // ([V2G2-475]); while the SECC answers Ongoing an EVCC may repeat it bare (no Id, no GenChallenge,
                // no signature), as Josev's does. A repeat that does carry them is checked again.
                let verifiedBefore = progress != .notAsked
                let bareRepeat = req.id == nil && req.genChallenge == nil && request.header.signature == nil
                if !(verifiedBefore && bareRepeat) {
                    let code = ContractSignatureRules.authorizationCode(
                        req, signature: request.header.signature, challenge: self.genChallenge, contract: contract)
                    guard code == .ok else { return self.fail(body, code) }
                }
            } else if req.genChallenge != nil || req.id != nil {
                // EIM: the request carries neither an Id nor a GenChallenge.
                return self.fail(body, .failedChallengeInvalid)
            }
            return self.authorization(progress, now: now)
        case (.awaitingChargeParameterDiscovery, .chargeParameterDiscoveryReq(let req)),
            (.chargeParameterDiscovered, .chargeParameterDiscoveryReq(let req)):
            switch ChargeParameterDiscoveryRules.response(to: req, configuration: self.configuration) {
            case .success(let response):
                self.selectedEnergyTransfer = req.requestedEnergyTransferMode
                if case .dcEVChargeParameter(let dc) = req.evChargeParameter {
                    self.evMaximumVoltageV = dc.evMaximumVoltageLimit.doubleValue
                }
                self.phase = .chargeParameterDiscovered
                return self.send(.chargeParameterDiscoveryRes(response))
            case .failure(let code):
                return self.fail(body, code.code)
            }
        case (.chargeParameterDiscovered, .cableCheckReq), (.cableChecked, .cableCheckReq):
            guard self.isDC else { return self.fail(body, .failedSequenceError) }
            self.phase = .waitingForController(body)
            return .controller(.cableCheck(voltageV: self.evMaximumVoltageV))
        case (.cableChecked, .preChargeReq(let req)), (.preCharged, .preChargeReq(let req)):
            self.phase = .waitingForController(body)
            return .controller(
                .deliver(OutputTarget(voltageV: req.evTargetVoltage.doubleValue, currentA: req.evTargetCurrent.doubleValue)))
        case (.chargeParameterDiscovered, .powerDeliveryReq(let req)), (.preCharged, .powerDeliveryReq(let req)):
            // After a renegotiation the DC output is already up: no new cable check or pre-charge.
            if self.isDC, !self.renegotiating, case .chargeParameterDiscovered = self.phase {
                return self.fail(body, .failedSequenceError)
            }
            guard req.chargeProgress == .start else { return self.fail(body, .failedSequenceError) }
            guard req.saScheduleTupleID == 1 else { return self.fail(body, .failedTariffSelectionInvalid) }
            self.phase = .waitingForController(body)
            return .controller(.setContactors(closed: true))
        case (.charging, .currentDemandReq(let req)):
            guard self.isDC else { return self.fail(body, .failedSequenceError) }
            self.lastEVSoC = Int(req.dcEVStatus.evresssoc)
            self.phase = .waitingForController(body)
            return .controller(
                .deliver(OutputTarget(voltageV: req.evTargetVoltage.doubleValue, currentA: req.evTargetCurrent.doubleValue)))
        case (.charging, .chargingStatusReq):
            guard !self.isDC else { return self.fail(body, .failedSequenceError) }
            self.phase = .waitingForController(body)
            let capabilities = self.configuration.capabilities
            return .controller(
                .deliver(OutputTarget(voltageV: capabilities.nominalVoltageV, currentA: capabilities.maximumCurrentA)))
        case (.charging, .powerDeliveryReq(let req)) where req.chargeProgress == .renegotiate:
            // EV-triggered, or the answer to EVSENotification=ReNegotiation: the vehicle sends ChargeParameterDiscovery
            // next and starts again with PowerDelivery Start; the energy transfer and the transaction go on.
            guard req.saScheduleTupleID == 1 else { return self.fail(body, .failedTariffSelectionInvalid) }
            self.renegotiating = true
            self.renegotiationRequested = false
            self.phase = .awaitingChargeParameterDiscovery
            let status: EVSEStatusGroup = self.isDC ? .dcEVSEStatus(self.dcStatus) : .acEVSEStatus(self.acStatus)
            return self.send(.powerDeliveryRes(PowerDeliveryRes(responseCode: .ok, evseStatus: status)))
        case (.charging, .powerDeliveryReq(let req)):
            guard req.chargeProgress == .stop else { return self.fail(body, .failedSequenceError) }
            self.phase = .waitingForController(body)
            return .controller(.setContactors(closed: false))
        case (.stopped, .weldingDetectionReq):
            guard self.isDC else { return self.fail(body, .failedSequenceError) }
            self.phase = .waitingForController(body)
            return .controller(.deliver(OutputTarget(voltageV: 0, currentA: 0)))
        case (.stopped, .sessionStopReq(let req)) where req.chargingSession == .pause:
            // The vehicle pauses after PowerDelivery Stop: the SECC keeps the session (and leaves its transaction
            // open) for a new communication session that joins it with this SessionID.
            self.phase = .closed
            self.paused = ISO2PausedSession(
                sessionID: self.sessionID, evccID: self.evccID, traceID: self.traceID, pausedAt: now,
                transactionID: self.transactionID, identification: self.identification,
                decision: self.authorizationDecision, lastMeter: self.lastMeter, lastUpdateAt: self.lastUpdateAt)
            return .sendAndClose(self.message(.sessionStopRes(SessionStopRes(responseCode: .ok))))
        case (.stopped, .sessionStopReq), (.chargeParameterDiscovered, .sessionStopReq), (.cableChecked, .sessionStopReq),
            (.preCharged, .sessionStopReq):
            self.phase = .closed
            let response = self.message(.sessionStopRes(SessionStopRes(responseCode: .ok)))
            guard let transactionID = self.transactionID else { return .sendAndClose(response) }
            return .endTransaction(
                TransactionEnd(
                    transactionID: transactionID, meterStopWh: self.lastMeter.energyWh, reason: .stoppedByEV,
                    timestamp: now, traceID: self.traceID),
                thenSendAndClose: response)
        default:
            return self.fail(body, .failedSequenceError)
        }
    }

    private var isDC: Bool {
        guard let mode = self.selectedEnergyTransfer else { return false }
        return EnergyTransfer(rawValue: mode.rawValue)?.isDC ?? false
    }

    private var dcStatus: DC_EVSEStatus {
        DC_EVSEStatus(notificationMaxDelay: 0, evseNotification: .none, evseIsolationStatus: .valid, evseStatusCode: .evseReady)
    }

    private var acStatus: AC_EVSEStatus { AC_EVSEStatus(notificationMaxDelay: 0, evseNotification: .none, rcd: false) }

    /// The status of a charge-loop response: EVSENotification=ReNegotiation while the SECC asks for one.
    private var loopDCStatus: DC_EVSEStatus {
        var status = self.dcStatus
        if self.renegotiationRequested { status.evseNotification = .reNegotiation }
        return status
    }

    private var loopACStatus: AC_EVSEStatus {
        var status = self.acStatus
        if self.renegotiationRequested { status.evseNotification = .reNegotiation }
        return status
    }

    /// The SECC wants new charge parameters (a changed schedule or limit): the next charge-loop responses carry
    /// EVSENotification=ReNegotiation until the vehicle answers with PowerDeliveryReq ChargeProgress=Renegotiate.
    /// Ignored outside the charge loop.
    public mutating func requestRenegotiation() {
        guard self.phase == .charging || self.isWaitingInChargeLoop else { return }
        self.renegotiationRequested = true
    }

    private var isWaitingInChargeLoop: Bool {
        switch self.phase {
        case .waitingForController(.currentDemandReq), .waitingForController(.chargingStatusReq): true
        default: false
        }
    }

    private mutating func join(_ paused: ISO2PausedSession) {
        self.resumed = paused
        self.sessionID = paused.sessionID
        self.traceID = paused.traceID
        self.transactionID = paused.transactionID
        self.identification = paused.identification
        self.carriedDecision = paused.decision
        self.lastMeter = paused.lastMeter
        self.lastUpdateAt = paused.lastUpdateAt
    }

    private var meterInfo: MeterInfo {
        MeterInfo(
            meterID: self.configuration.capabilities.meterID,
            meterReading: UInt64(max(0, self.lastMeter.energyWh.rounded())))
    }

    /// The EVSE controller's answer to the pending ``ControllerRequest``.
    public mutating func controllerAnswered(_ answer: ControllerAnswer, now: Double) -> Action {
        guard case .waitingForController(let request) = self.phase else { return .none }
        if case .failed = answer { return self.fail(request, .failed) }
        switch (request, answer) {
        case (.cableCheckReq, .isolation(let level)):
            switch level {
            case .valid, .warning, .noIMD:
                self.phase = .cableChecked
                var status = self.dcStatus
                status.evseIsolationStatus = ISO2Messages.IsolationLevel(rawValue: level.rawValue)
                return self.send(.cableCheckRes(CableCheckRes(responseCode: .ok, dcEVSEStatus: status, evseProcessing: .finished)))
            case .invalid:
                self.phase = .chargeParameterDiscovered
                var status = self.dcStatus
                status.evseIsolationStatus = .invalid
                status.evseStatusCode = .evseIsolationMonitoringActive
                return self.send(.cableCheckRes(CableCheckRes(responseCode: .ok, dcEVSEStatus: status, evseProcessing: .ongoing)))
            case .fault:
                var status = self.dcStatus
                status.evseIsolationStatus = .fault
                status.evseStatusCode = .evseMalfunction
                self.phase = .closed
                return .sendAndClose(
                    self.message(.cableCheckRes(CableCheckRes(responseCode: .failed, dcEVSEStatus: status, evseProcessing: .finished))))
            }
        case (.preChargeReq, .output(let output, let meter)):
            self.lastMeter = meter
            self.phase = .preCharged
            return self.send(
                .preChargeRes(PreChargeRes(responseCode: .ok, dcEVSEStatus: self.dcStatus, evsePresentVoltage: .of(output.voltageV, .v))))
        case (.powerDeliveryReq(let req), .contactorsSet(let meter)):
            self.lastMeter = meter
            let status: EVSEStatusGroup = self.isDC ? .dcEVSEStatus(self.dcStatus) : .acEVSEStatus(self.acStatus)
            let response = self.message(.powerDeliveryRes(PowerDeliveryRes(responseCode: .ok, evseStatus: status)))
            if req.chargeProgress == .start {
                self.phase = .charging
                if self.renegotiating {
                    self.renegotiating = false
                    self.renegotiations += 1
                }
                // A resumed or renegotiated session goes on with its transaction.
                if self.transactionID != nil { return .send(response, expectNextWithin: ISO2Timing.sequenceTimeout) }
                self.lastUpdateAt = now
                let start = TransactionStart(
                    evseID: self.configuration.evseNumber, sessionID: Self.hex(self.sessionID),
                    identification: self.identification ?? .external(idToken: Self.hex(self.evccID), type: "MacAddress"),
                    meterStartWh: meter.energyWh, timestamp: now, traceID: self.traceID)
                return .startTransaction(start, thenSend: response, expectNextWithin: ISO2Timing.sequenceTimeout)
            }
            self.phase = .stopped
            return .send(response, expectNextWithin: ISO2Timing.sequenceTimeout)
        case (.currentDemandReq, .output(let output, let meter)):
            self.lastMeter = meter
            self.phase = .charging
            let capabilities = self.configuration.capabilities
            let response = CurrentDemandRes(
                responseCode: .ok, dcEVSEStatus: self.loopDCStatus, evsePresentVoltage: .of(output.voltageV, .v),
                evsePresentCurrent: .of(output.currentA, .a), evseCurrentLimitAchieved: output.currentLimitReached,
                evseVoltageLimitAchieved: output.voltageLimitReached, evsePowerLimitAchieved: output.powerLimitReached,
                evseMaximumVoltageLimit: .of(capabilities.maximumVoltageV, .v),
                evseMaximumCurrentLimit: .of(capabilities.maximumCurrentA, .a),
                evseMaximumPowerLimit: .of(capabilities.maximumPowerW, .w), evseID: self.configuration.evseID,
                saScheduleTupleID: 1, meterInfo: self.meterInfo, receiptRequired: self.askReceipt())
            return self.sample(.currentDemandRes(response), now: now)
        case (.chargingStatusReq, .output(_, let meter)):
            self.lastMeter = meter
            self.phase = .charging
            let response = ChargingStatusRes(
                responseCode: .ok, evseID: self.configuration.evseID, saScheduleTupleID: 1,
                evseMaxCurrent: .of(self.configuration.capabilities.maximumCurrentA, .a), meterInfo: self.meterInfo,
                receiptRequired: self.askReceipt(), acEVSEStatus: self.loopACStatus)
            return self.sample(.chargingStatusRes(response), now: now)
        case (.weldingDetectionReq, .output(let output, let meter)):
            self.lastMeter = meter
            self.phase = .stopped
            return self.send(
                .weldingDetectionRes(
                    WeldingDetectionRes(responseCode: .ok, dcEVSEStatus: self.dcStatus, evsePresentVoltage: .of(output.voltageV, .v))))
        default:
            // An answer that does not fit the question is the driver's bug, reported to the vehicle as FAILED.
            return self.fail(request, .failed)
        }
    }

    private mutating func sample(_ body: BodyElement, now: Double) -> Action {
        guard let transactionID = self.transactionID, now - self.lastUpdateAt >= Self.updateInterval else {
            return self.send(body)
        }
        self.lastUpdateAt = now
        let update = TransactionUpdate(
            transactionID: transactionID, meterWh: self.lastMeter.energyWh, powerW: self.lastMeter.powerW,
            stateOfCharge: self.lastEVSoC, timestamp: now, traceID: self.traceID)
        return .sendAndUpdateTransaction(self.message(body), update, expectNextWithin: ISO2Timing.sequenceTimeout)
    }

    /// The backend's transaction id for this session (answer to ``Action/startTransaction(_:thenSend:expectNextWithin:)``).
    public mutating func transactionStarted(id: String) -> Action {
        self.transactionID = id
        return .none
    }

    private mutating func authorization(_ progress: AuthorizationProgress, now: Double) -> Action {
        let ongoing = self.message(.authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .ongoing)))
        switch progress {
        case .notAsked:
            let identification: BackendAuthorizationRequest.Identification
            if let contract = self.contract {
                identification = .contract(
                    eMAID: contract.eMAID, certificateChainPEM: contract.chainPEM, hashData: contract.hashData)
            } else {
                identification = .external(idToken: Self.hex(self.evccID), type: "MacAddress")
            }
            if let carried = self.carriedDecision, carried.status == .accepted, identification == self.identification {
                // A joined session with the same identification keeps its authorization.
                self.carriedDecision = nil
                return self.authorization(.decided(carried), now: now)
            }
            self.carriedDecision = nil
            self.phase = .awaitingAuthorization(.pending(since: now))
            self.identification = identification
            let request = BackendAuthorizationRequest(
                identification: identification, evseID: self.configuration.evseNumber, traceID: self.traceID)
            return .authorize(request, thenSend: ongoing, expectNextWithin: ISO2Timing.sequenceTimeout)
        case .pending(let since):
            if now - since > Double(ISO2Timing.ongoingTimeout.components.seconds) {
                self.phase = .closed
                return .sendAndClose(
                    self.message(.authorizationRes(AuthorizationRes(responseCode: .failed, evseProcessing: .finished))))
            }
            return .send(ongoing, expectNextWithin: ISO2Timing.sequenceTimeout)
        case .decided(let decision):
            let code = AuthorizationRules.responseCode(for: decision)
            guard code == .ok else {
                self.phase = .closed
                return .sendAndClose(
                    self.message(.authorizationRes(AuthorizationRes(responseCode: code, evseProcessing: .finished))))
            }
            self.authorizationDecision = decision
            self.phase = .awaitingChargeParameterDiscovery
            return self.send(.authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .finished)))
        }
    }

    /// ReceiptRequired for the next charge-loop response: once per Contract session when configured ([V2G2-691]).
    private mutating func askReceipt() -> Bool {
        guard self.contract != nil, self.configuration.requiresMeteringReceipt, !self.receiptAsked else { return false }
        self.receiptAsked = true
        return true
    }

    /// The backend's answer to ``Action/exchangeCertificate(_:)``: the response body is forwarded under this
    /// session's header. A FAILED or FAILED_* answer is forwarded and ends the session; a failed, malformed or
    /// mismatched answer ends it with a FAILED response of the SECC's own.
    public mutating func certificateExchanged(_ result: CertificateExchangeResult) -> Action {
        guard case .waitingForCertificateExchange(let request) = self.phase else { return .none }
        guard result.status == .accepted, case .v2gMessage(let answer)? = try? ISO2Document(exi: result.exiResponse),
            let body = answer.body.bodyElement
        else { return self.fail(request, .failed) }
        let code: ResponseCode
        switch (request, body) {
        case (.certificateInstallationReq, .certificateInstallationRes(let res)): code = res.responseCode
        case (.certificateUpdateReq, .certificateUpdateRes(let res)): code = res.responseCode
        default: return self.fail(request, .failed)
        }
        // The backend signs the response body; the header is this session's ([V2G2-905] signs body elements only).
        let header = MessageHeader(sessionID: self.sessionID, signature: answer.header.signature)
        let message = V2GMessage(header: header, body: Body(bodyElement: body))
        if code.rawValue.hasPrefix("FAILED") {
            // The backend's refusal (FAILED, or a specific FAILED_* such as NoCertificateAvailable) is forwarded and,
            // like every FAILED response, ends the session; a vehicle whose update was refused plugs in again with its
            // current contract.
            self.phase = .closed
            return .sendAndClose(message)
        }
        self.phase = .awaitingPaymentDetails
        return .send(message, expectNextWithin: ISO2Timing.sequenceTimeout)
    }

    /// The backend failed or did not answer the certificate exchange in time: a CertificateInstallationRes or
    /// CertificateUpdateRes with ResponseCode FAILED (placeholder content, see ``ISO2FailedResponse``), end of session.
    public mutating func certificateExchangeFailed() -> Action {
        guard case .waitingForCertificateExchange(let request) = self.phase else { return .none }
        return self.fail(request, .failed)
    }

    /// The backend's authorization decision: the pending AuthorizationReq is answered with it
    /// (``decidedAuthorization(now:)``) when the driver has not sent Ongoing yet, otherwise the next one.
    public mutating func backendAuthorized(_ decision: BackendAuthorizationDecision) -> Action {
        if case .awaitingAuthorization(.pending) = self.phase {
            self.phase = .awaitingAuthorization(.decided(decision))
        }
        return .none
    }

    /// The backend could not be reached or failed; the session is refused with FAILED.
    public mutating func backendFailed() -> Action {
        self.backendAuthorized(BackendAuthorizationDecision(status: .unknown, detail: "backend unavailable"))
    }

    /// The answer to the AuthorizationReq that started ``Action/authorize(_:thenSend:expectNextWithin:)`` when the
    /// backend decided (``backendAuthorized(_:)`` or ``backendFailed()``) before the driver sent that action's Ongoing
    /// message: AuthorizationRes OK/Finished, or the refusal's FAILED code (closing), in place of Ongoing. Nil while
    /// the decision is pending or outside the authorization phase (the driver then sends Ongoing and the vehicle
    /// repeats AuthorizationReq).
    /// - Parameter now: the driver's clock, seconds since 1970-01-01 UTC.
    public mutating func decidedAuthorization(now: Double) -> Action? {
        guard case .awaitingAuthorization(.decided(let decision)) = self.phase else { return nil }
        return self.authorization(.decided(decision), now: now)
    }

    /// V2G_SECC_Sequence_Timer expired (ISO 15118-2 §9.6: the SECC stops waiting and closes the connection).
    public mutating func sequenceTimerExpired() -> Action {
        if case .closed = self.phase { return .none }
        self.phase = .closed
        return .close(.sequenceTimeout)
    }

    /// The TCP/TLS connection ended.
    public mutating func transportClosed() -> Action {
        if case .closed = self.phase { return .none }
        self.phase = .closed
        return .none
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}
