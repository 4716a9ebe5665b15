public import DINMessages
public import PnCCore

/// What a DIN SPEC 70121 SECC needs to know about its charge point.
public struct DINSECCConfiguration: Sendable, Hashable {
    /// The EVSEID sent in SessionSetupRes (DIN SPEC 70121 `evseIDType`, hexBinary of at most 32 bytes; one zero byte
    /// when the charger has none).
    public var evseID: [UInt8]
    /// The OCPP evseId this connector belongs to (passed to the ``ChargingBackend``).
    public var evseIndex: Int
    /// What the power electronics can deliver.
    public var capabilities: EVSECapabilities
    /// The peak-to-peak current ripple of the output, in A (EVSEPeakCurrentRipple).
    public var peakCurrentRippleA: Double
    /// The identifier sent to the backend for external identification means. DIN SPEC 70121 has no contract
    /// payment, so every session is authorized this way; nil authorizes by the vehicle's EVCCID as `MacAddress`
    /// token (the "Autocharge" convention of OCPP 2.0.1 IdTokenEnumType).
    public var externalIDToken: String?
    /// A PreChargeReq whose EVTargetVoltage exceeds the EVSE's maximum voltage: refused (default) or clamped.
    public var preChargeAboveMaximum: PreChargeAboveMaximum

    public init(
        evseID: [UInt8], evseIndex: Int, capabilities: EVSECapabilities, peakCurrentRippleA: Double = 1,
        externalIDToken: String? = nil, preChargeAboveMaximum: PreChargeAboveMaximum = .refuse
    ) {
        self.preChargeAboveMaximum = preChargeAboveMaximum
        self.evseID = evseID
        self.evseIndex = evseIndex
        self.capabilities = capabilities
        self.peakCurrentRippleA = peakCurrentRippleA
        self.externalIDToken = externalIDToken
    }
}

/// The SECC side of a DIN SPEC 70121 DC charging session as a pure state machine.
///
/// The driver feeds each decoded request to ``received(_:)`` and executes the returned ``Action``: it sends the
/// response, (re)arms the sequence timer, calls the ``ChargingBackend`` (``Action/sendAndAuthorize(_:expectNextWithin:_:)``)
/// and the ``EVSEController`` (``Action/control(_:)``), and feeds their answers back through
/// ``backendAnswered(_:)`` and ``controllerReplied(_:)``. The machine never reads a clock: the driver reports the expiry
/// of the timer it armed with ``sequenceTimerExpired()``.
///
/// Message sequence (DIN SPEC 70121:2014 §9.1, DC with external payment): SessionSetup → ServiceDiscovery →
/// ServicePaymentSelection (ExternalPayment) → ContractAuthentication (Ongoing while the backend authorizes) →
/// ChargeParameterDiscovery → CableCheck → PreCharge → PowerDelivery (ReadyToCharge) → CurrentDemand → PowerDelivery
/// (stop) → WeldingDetection → SessionStop.
public struct DINSECCStateMachine: Sendable {
    /// V2G_SECC_Sequence_Timeout: the longest the SECC waits for the next request (DIN SPEC 70121:2014, timing
    /// table of §9.6: 60 s).
    public static let sequenceTimeout: Duration = .seconds(60)

    /// What the driver does next.
    public enum Action: Hashable, Sendable {
        /// Send the response and (re)arm V2G_SECC_Sequence_Timer with the window.
        case send(V2GMessage, expectNextWithin: Duration)
        /// Send the response, then start ``ChargingBackend/authorize(_:)`` without waiting for it; its answer comes
        /// back through ``DINSECCStateMachine/backendAnswered(_:)``.
        case sendAndAuthorize(V2GMessage, expectNextWithin: Duration, BackendAuthorizationRequest)
        /// Send the response, then close the connection.
        case sendAndClose(V2GMessage, CloseReason)
        /// Report energy transfer start (``ChargingBackend/transactionStarted(_:)``), send the message, and feed the
        /// transaction id to ``DINSECCStateMachine/transactionStarted(id:)``.
        case startTransaction(TransactionStart, thenSend: V2GMessage, expectNextWithin: Duration)
        /// Send the message and report the sample (``ChargingBackend/transactionUpdated(_:)``).
        case sendAndUpdateTransaction(V2GMessage, TransactionUpdate, expectNextWithin: Duration)
        /// Report the end (``ChargingBackend/transactionEnded(_:)``), send the message, and close.
        case endTransaction(TransactionEnd, thenSendAndClose: V2GMessage, CloseReason)
        /// Run the command on the ``EVSEController`` and report with ``DINSECCStateMachine/controllerReplied(_:)``.
        case control(ControllerCommand)
        /// Close the connection without answering.
        case close(CloseReason)
        /// Nothing to do.
        case none
    }

    /// Work for the power electronics (shared with ISO 15118-20).
    public typealias ControllerCommand = SECCControllerCommand
    /// The controller's answer to a ``ControllerCommand``.
    public typealias ControllerReply = SECCControllerReply

    /// Why the session ends.
    public enum CloseReason: Hashable, Sendable {
        /// SessionStopRes was sent (DIN SPEC 70121 [V2G-DC-...] normal end).
        case sessionStopped
        /// A FAILED response code was sent; the session is over.
        case failed(ResponseCode)
        /// V2G_SECC_Sequence_Timeout expired.
        case sequenceTimeout
        /// The peer sent something that cannot be answered (a response, an empty body, an unsupported request).
        case protocolViolation
        /// The transport went away.
        case transportClosed
    }

    private struct Session: Sendable {
        var id: [UInt8]
        var evccID: [UInt8]
        var authorization: Authorization = .notRequested
        var targetVoltageV: Double = 0
        var evMaximumVoltageV: Double = 0
        var evMaximumCurrentA: Double = 0

        enum Authorization: Sendable { case notRequested, pending, accepted, rejected }
    }

    /// Which response a controller reply completes.
    private enum Pending: Sendable {
        case cableCheck
        case preCharge
        case powerDeliveryStart
        case powerDeliveryStop
        case currentDemand
        case weldingDetection
    }

    private enum State: Sendable {
        case awaitingSessionSetup
        case awaitingServiceDiscovery(Session)
        case awaitingPaymentSelection(Session)
        case contractAuthentication(Session)
        case chargeParameterDiscovery(Session)
        case cableCheck(Session)
        case preCharge(Session)
        case charging(Session)
        case stopped(Session)
        case waitingForController(Session, Pending)
        case closed
    }

    private var state: State
    private let configuration: DINSECCConfiguration
    private let proposedSessionID: [UInt8]
    /// The trace id every backend call of this session carries.
    public let traceID: TraceID
    /// The backend's transaction id once energy transfer started.
    public private(set) var transactionID: String?
    /// The least time between two transaction samples during CurrentDemand, in seconds (OCPP 2.0.1
    /// SampledDataTxUpdatedInterval).
    public var transactionUpdateInterval: Double = 60
    private var lastMeter = MeterReading(energyWh: 0, powerW: 0)
    private var lastUpdateAt: Double = 0
    private var lastEVSoC: Int?
    /// The driver's clock at the last timed input, seconds since 1970-01-01 UTC.
    private var now: Double = 0

    /// A machine for one TCP connection.
    /// - Parameters:
    ///   - configuration: the charge point.
    ///   - proposedSessionID: 8 random bytes drawn by the driver, the SessionID of a new session.
    ///   - traceID: the id linking this session's backend calls and logs.
    public init(configuration: DINSECCConfiguration, proposedSessionID: [UInt8], traceID: TraceID) {
        self.configuration = configuration
        self.proposedSessionID = proposedSessionID
        self.traceID = traceID
        self.state = .awaitingSessionSetup
    }

    /// Whether the session has ended.
    public var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    // MARK: - Inputs

    /// A request from the vehicle at `now` (seconds since 1970-01-01 UTC, for the transaction record).
    public mutating func received(_ message: V2GMessage, now: Double) -> Action {
        self.now = now
        return self.received(message)
    }

    /// The answer to the last ``Action/control(_:)`` at `now`.
    public mutating func controllerReplied(_ reply: ControllerReply, now: Double) -> Action {
        self.now = now
        return self.controllerReplied(reply)
    }

    /// The meter register after a controller command; the driver reads it before feeding the reply.
    public mutating func meterSampled(_ reading: MeterReading) {
        self.lastMeter = reading
    }

    /// The backend's transaction id for this session (answer to
    /// ``Action/startTransaction(_:thenSend:expectNextWithin:)``).
    public mutating func transactionStarted(id: String) -> Action {
        self.transactionID = id
        return .none
    }

    /// A request from the vehicle (at the last time given to a timed input).
    public mutating func received(_ message: V2GMessage) -> Action {
        guard let body = message.body.bodyElement, DINResponses.isRequest(body) else {
            if case .closed = self.state { return .none }
            self.state = .closed
            return .close(.protocolViolation)
        }
        switch self.state {
        case .closed:
            return .none
        case .awaitingSessionSetup:
            guard case .sessionSetupReq(let request) = body else {
                return self.fail(answering: body, sessionID: message.header.sessionID, code: .failedSequenceError)
            }
            // [V2G-DC-...] SessionID 0 or an unknown id: a new session with the SECC's id.
            let session = Session(id: self.proposedSessionID, evccID: request.evccID)
            self.state = .awaitingServiceDiscovery(session)
            let response = SessionSetupRes(
                responseCode: .okNewSessionEstablished, evseID: self.configuration.evseID, dateTimeNow: nil)
            return .send(self.message(session.id, .sessionSetupRes(response)), expectNextWithin: Self.sequenceTimeout)
        case .waitingForController(let session, _):
            // The EV must wait for the response before sending again.
            return self.fail(answering: body, sessionID: session.id, code: .failedSequenceError)
        case .awaitingServiceDiscovery(let session), .awaitingPaymentSelection(let session),
            .contractAuthentication(let session), .chargeParameterDiscovery(let session), .cableCheck(let session),
            .preCharge(let session), .charging(let session), .stopped(let session):
            guard message.header.sessionID == session.id else {
                return self.fail(answering: body, sessionID: session.id, code: .failedUnknownSession)
            }
            return self.handle(body, in: session)
        }
    }

    /// The answer of ``ChargingBackend/authorize(_:)`` requested by ``Action/sendAndAuthorize(_:expectNextWithin:_:)``.
    /// The next ContractAuthenticationReq is answered from it.
    public mutating func backendAnswered(_ decision: BackendAuthorizationDecision) -> Action {
        self.setAuthorization(decision.status == .accepted ? .accepted : .rejected)
        return .none
    }

    /// ``ChargingBackend/authorize(_:)`` threw: the session is not authorized.
    public mutating func backendFailed() -> Action {
        self.setAuthorization(.rejected)
        return .none
    }

    /// The answer to the last ``Action/control(_:)``.
    public mutating func controllerReplied(_ reply: ControllerReply) -> Action {
        guard case .waitingForController(let session, let pending) = self.state else {
            preconditionFailure("controller reply without a pending command in \(self.state)")
        }
        let capabilities = self.configuration.capabilities
        switch (pending, reply) {
        case (.cableCheck, .isolation(let level)):
            switch level {
            case .valid, .warning, .noIMD:
                self.state = .cableCheck(session)
                let status = Self.status(.evseReady, isolation: level == .noIMD ? nil : .init(level))
                let response = CableCheckRes(responseCode: .ok, dcEVSEStatus: status, evseProcessing: .finished)
                return .send(self.message(session.id, .cableCheckRes(response)), expectNextWithin: Self.sequenceTimeout)
            case .invalid, .fault:
                self.state = .closed
                let status = Self.status(.evseMalfunction, isolation: .init(level))
                let response = CableCheckRes(responseCode: .failed, dcEVSEStatus: status, evseProcessing: .finished)
                return .sendAndClose(self.message(session.id, .cableCheckRes(response)), .failed(.failed))
            }
        case (.preCharge, .output(let measurement)):
            self.state = .preCharge(session)
            let response = PreChargeRes(
                responseCode: .ok, dcEVSEStatus: Self.status(.evseReady),
                evsePresentVoltage: PhysicalValue(measurement.voltageV, unit: .v))
            return .send(self.message(session.id, .preChargeRes(response)), expectNextWithin: Self.sequenceTimeout)
        case (.powerDeliveryStart, .contactorsSet):
            self.state = .charging(session)
            self.lastUpdateAt = self.now
            let response = PowerDeliveryRes(responseCode: .ok, evseStatus: .dcEVSEStatus(Self.status(.evseReady)))
            let token = self.configuration.externalIDToken ?? DINResponses.hex(session.evccID)
            let start = TransactionStart(
                evseID: self.configuration.evseIndex, sessionID: DINResponses.hex(session.id),
                identification: .external(
                    idToken: token, type: self.configuration.externalIDToken == nil ? "MacAddress" : "Local"),
                meterStartWh: self.lastMeter.energyWh, timestamp: self.now, traceID: self.traceID)
            return .startTransaction(
                start, thenSend: self.message(session.id, .powerDeliveryRes(response)), expectNextWithin: Self.sequenceTimeout)
        case (.powerDeliveryStop, .contactorsSet):
            self.state = .stopped(session)
            let response = PowerDeliveryRes(responseCode: .ok, evseStatus: .dcEVSEStatus(Self.status(.evseNotReady)))
            return .send(self.message(session.id, .powerDeliveryRes(response)), expectNextWithin: Self.sequenceTimeout)
        case (.currentDemand, .output(let measurement)):
            self.state = .charging(session)
            let response = CurrentDemandRes(
                responseCode: .ok, dcEVSEStatus: Self.status(.evseReady),
                evsePresentVoltage: PhysicalValue(measurement.voltageV, unit: .v),
                evsePresentCurrent: PhysicalValue(measurement.currentA, unit: .a),
                evseCurrentLimitAchieved: measurement.currentLimitReached,
                evseVoltageLimitAchieved: measurement.voltageLimitReached,
                evsePowerLimitAchieved: measurement.powerLimitReached,
                evseMaximumVoltageLimit: PhysicalValue(capabilities.maximumVoltageV, unit: .v),
                evseMaximumCurrentLimit: PhysicalValue(capabilities.maximumCurrentA, unit: .a),
                evseMaximumPowerLimit: PhysicalValue(capabilities.maximumPowerW, unit: .w))
            let message = self.message(session.id, .currentDemandRes(response))
            guard let transactionID = self.transactionID, self.now - self.lastUpdateAt >= self.transactionUpdateInterval else {
                return .send(message, expectNextWithin: Self.sequenceTimeout)
            }
            self.lastUpdateAt = self.now
            let update = TransactionUpdate(
                transactionID: transactionID, meterWh: self.lastMeter.energyWh, powerW: self.lastMeter.powerW,
                stateOfCharge: self.lastEVSoC, timestamp: self.now, traceID: self.traceID)
            return .sendAndUpdateTransaction(message, update, expectNextWithin: Self.sequenceTimeout)
        case (.weldingDetection, .output(let measurement)):
            self.state = .stopped(session)
            let response = WeldingDetectionRes(
                responseCode: .ok, dcEVSEStatus: Self.status(.evseNotReady),
                evsePresentVoltage: PhysicalValue(measurement.voltageV, unit: .v))
            return .send(
                self.message(session.id, .weldingDetectionRes(response)), expectNextWithin: Self.sequenceTimeout)
        default:
            // The power electronics failed or answered something else than asked: the answer to the pending
            // request is FAILED with an emergency shutdown status and the session ends.
            self.state = .closed
            let body = Self.failedBody(for: pending, status: Self.status(.evseEmergencyShutdown))
            return .sendAndClose(self.message(session.id, body), .failed(.failed))
        }
    }

    /// V2G_SECC_Sequence_Timer expired: the session ends without a message (DIN SPEC 70121 §9.6).
    public mutating func sequenceTimerExpired() -> Action {
        switch self.state {
        case .closed, .waitingForController:
            return .none
        default:
            self.state = .closed
            return .close(.sequenceTimeout)
        }
    }

    /// The TCP connection closed.
    public mutating func transportClosed() -> Action {
        self.state = .closed
        return .none
    }

    // MARK: - Requests in an established session

    private mutating func handle(_ body: BodyElement, in session: Session) -> Action {
        var session = session
        let next = Self.sequenceTimeout
        switch (self.state, body) {
        case (.awaitingServiceDiscovery, .serviceDiscoveryReq):
            // Only the charge service exists and ChargeService is mandatory in the response, whatever the filter.
            self.state = .awaitingPaymentSelection(session)
            let response = ServiceDiscoveryRes(
                responseCode: .ok, paymentOptions: PaymentOptions(paymentOption: [.externalPayment]),
                chargeService: ServiceCharge(
                    serviceTag: ServiceTag(serviceID: DINResponses.chargeServiceID, serviceCategory: .evCharging),
                    freeService: false, energyTransferType: .dcExtended))
            return .send(self.message(session.id, .serviceDiscoveryRes(response)), expectNextWithin: next)

        case (.awaitingPaymentSelection, .servicePaymentSelectionReq(let request)):
            guard request.selectedPaymentOption == .externalPayment else {
                return self.fail(answering: body, sessionID: session.id, code: .failedPaymentSelectionInvalid)
            }
            guard request.selectedServiceList.selectedService.contains(where: { $0.serviceID == DINResponses.chargeServiceID }),
                request.selectedServiceList.selectedService.allSatisfy({ $0.serviceID == DINResponses.chargeServiceID })
            else {
                return self.fail(answering: body, sessionID: session.id, code: .failedServiceSelectionInvalid)
            }
            session.authorization = .pending
            self.state = .contractAuthentication(session)
            let response = ServicePaymentSelectionRes(responseCode: .ok)
            let token = self.configuration.externalIDToken ?? DINResponses.hex(session.evccID)
            let authorization = BackendAuthorizationRequest(
                identification: .external(
                    idToken: token, type: self.configuration.externalIDToken == nil ? "MacAddress" : "Local"),
                evseID: self.configuration.evseIndex, traceID: self.traceID)
            return .sendAndAuthorize(
                self.message(session.id, .servicePaymentSelectionRes(response)), expectNextWithin: next, authorization)

        case (.contractAuthentication, .contractAuthenticationReq):
            switch session.authorization {
            case .accepted:
                self.state = .chargeParameterDiscovery(session)
                let response = ContractAuthenticationRes(responseCode: .ok, evseProcessing: .finished)
                return .send(self.message(session.id, .contractAuthenticationRes(response)), expectNextWithin: next)
            case .pending, .notRequested:
                let response = ContractAuthenticationRes(responseCode: .ok, evseProcessing: .ongoing)
                return .send(self.message(session.id, .contractAuthenticationRes(response)), expectNextWithin: next)
            case .rejected:
                self.state = .closed
                let response = ContractAuthenticationRes(responseCode: .failed, evseProcessing: .finished)
                return .sendAndClose(
                    self.message(session.id, .contractAuthenticationRes(response)), .failed(.failed))
            }

        case (.chargeParameterDiscovery, .chargeParameterDiscoveryReq(let request)),
            (.cableCheck, .chargeParameterDiscoveryReq(let request)):
            guard DINResponses.isDC(request.evRequestedEnergyTransferType) else {
                return self.fail(answering: body, sessionID: session.id, code: .failedWrongEnergyTransferType)
            }
            guard case .dcEVChargeParameter(let parameters) = request.evChargeParameter else {
                return self.fail(answering: body, sessionID: session.id, code: .failedWrongChargeParameter)
            }
            let capabilities = self.configuration.capabilities
            let evMaxVoltage = parameters.evMaximumVoltageLimit.doubleValue
            let evMaxCurrent = parameters.evMaximumCurrentLimit.doubleValue
            guard evMaxVoltage >= capabilities.minimumVoltageV, evMaxCurrent > 0 else {
                return self.fail(answering: body, sessionID: session.id, code: .failedWrongChargeParameter)
            }
            session.evMaximumVoltageV = evMaxVoltage
            session.evMaximumCurrentA = evMaxCurrent
            self.state = .cableCheck(session)
            let response = ChargeParameterDiscoveryRes(
                responseCode: .ok, evseProcessing: .finished,
                saSchedules: .saScheduleList(DINResponses.schedule(maximumPowerW: capabilities.maximumPowerW)),
                evseChargeParameter: .dcEVSEChargeParameter(self.chargeParameter(.evseReady)))
            return .send(self.message(session.id, .chargeParameterDiscoveryRes(response)), expectNextWithin: next)

        case (.cableCheck, .cableCheckReq(let request)):
            if let refusal = self.evRefusal(request.dcEVStatus, answering: body, session: session) { return refusal }
            self.state = .waitingForController(session, .cableCheck)
            let voltage = min(session.evMaximumVoltageV, self.configuration.capabilities.maximumVoltageV)
            return .control(.cableCheck(voltageV: voltage))

        case (.cableCheck, .preChargeReq(let request)), (.preCharge, .preChargeReq(let request)):
            if let refusal = self.evRefusal(request.dcEVStatus, answering: body, session: session) { return refusal }
            var voltage = request.evTargetVoltage.doubleValue
            let maximum = self.configuration.capabilities.maximumVoltageV
            if voltage > maximum {
                guard self.configuration.preChargeAboveMaximum == .clampToMaximum else {
                    return self.fail(answering: body, sessionID: session.id, code: .failedWrongChargeParameter)
                }
                voltage = maximum
            }
            session.targetVoltageV = voltage
            self.state = .waitingForController(session, .preCharge)
            // [V2G-DC-...] PreCharge limits the current to 2 A.
            let current = min(request.evTargetCurrent.doubleValue, 2)
            return .control(.deliver(OutputTarget(voltageV: voltage, currentA: current)))

        case (.preCharge, .powerDeliveryReq(let request)):
            guard request.readyToChargeState else {
                // The vehicle gives up before charging: contactors stay open, the session goes to its end.
                self.state = .stopped(session)
                let response = PowerDeliveryRes(
                    responseCode: .ok, evseStatus: .dcEVSEStatus(Self.status(.evseNotReady)))
                return .send(self.message(session.id, .powerDeliveryRes(response)), expectNextWithin: next)
            }
            if let profile = request.chargingProfile, profile.saScheduleTupleID != DINResponses.scheduleTupleID {
                return self.fail(answering: body, sessionID: session.id, code: .failedTariffSelectionInvalid)
            }
            self.state = .waitingForController(session, .powerDeliveryStart)
            return .control(.setContactors(closed: true))

        case (.charging, .currentDemandReq(let request)):
            if let refusal = self.evRefusal(request.dcEVStatus, answering: body, session: session) { return refusal }
            self.lastEVSoC = (0...100).contains(request.dcEVStatus.evresssoc) ? Int(request.dcEVStatus.evresssoc) : nil
            let capabilities = self.configuration.capabilities
            let voltage = request.evTargetVoltage.doubleValue
            var current = min(request.evTargetCurrent.doubleValue, capabilities.maximumCurrentA)
            if voltage > 0 { current = min(current, capabilities.maximumPowerW / voltage) }
            guard voltage <= capabilities.maximumVoltageV, current >= 0 else {
                return self.fail(answering: body, sessionID: session.id, code: .failedWrongChargeParameter)
            }
            session.targetVoltageV = voltage
            self.state = .waitingForController(session, .currentDemand)
            return .control(.deliver(OutputTarget(voltageV: voltage, currentA: current)))

        case (.charging, .powerDeliveryReq(let request)):
            guard !request.readyToChargeState else {
                // Already charging: a second start is out of sequence (renegotiation is not supported by DIN).
                return self.fail(answering: body, sessionID: session.id, code: .failedSequenceError)
            }
            self.state = .waitingForController(session, .powerDeliveryStop)
            return .control(.setContactors(closed: false))

        case (.stopped, .weldingDetectionReq(let request)):
            if let refusal = self.evRefusal(request.dcEVStatus, answering: body, session: session) { return refusal }
            self.state = .waitingForController(session, .weldingDetection)
            return .control(.deliver(OutputTarget(voltageV: 0, currentA: 0)))

        case (.stopped, .sessionStopReq), (.chargeParameterDiscovery, .sessionStopReq), (.cableCheck, .sessionStopReq),
            (.preCharge, .sessionStopReq):
            self.state = .closed
            let response = self.message(session.id, .sessionStopRes(SessionStopRes(responseCode: .ok)))
            guard let transactionID = self.transactionID else { return .sendAndClose(response, .sessionStopped) }
            let end = TransactionEnd(
                transactionID: transactionID, meterStopWh: self.lastMeter.energyWh, reason: .stoppedByEV,
                timestamp: self.now, traceID: self.traceID)
            return .endTransaction(end, thenSendAndClose: response, .sessionStopped)

        default:
            return self.fail(answering: body, sessionID: session.id, code: .failedSequenceError)
        }
    }

    // MARK: - Helpers

    /// An EV reporting an error or not ready where it must be ready gets FAILED (DIN SPEC 70121 DC_EVStatus).
    private mutating func evRefusal(_ status: DC_EVStatus, answering body: BodyElement, session: Session) -> Action? {
        guard status.evErrorCode != .noError && status.evErrorCode != .noData else { return nil }
        return self.fail(answering: body, sessionID: session.id, code: .failed)
    }

    private mutating func setAuthorization(_ value: Session.Authorization) {
        switch self.state {
        case .contractAuthentication(var session):
            session.authorization = value
            self.state = .contractAuthentication(session)
        case .awaitingPaymentSelection(var session):
            session.authorization = value
            self.state = .awaitingPaymentSelection(session)
        default:
            break  // late answer after the session moved on or ended: nothing to update
        }
    }

    private mutating func fail(answering body: BodyElement, sessionID: [UInt8], code: ResponseCode) -> Action {
        self.state = .closed
        guard let response = DINResponses.failed(answering: body, code: code, configuration: self.configuration)
        else { return .close(.protocolViolation) }
        return .sendAndClose(self.message(sessionID, response), .failed(code))
    }

    private func message(_ sessionID: [UInt8], _ body: BodyElement) -> V2GMessage {
        V2GMessage(header: MessageHeader(sessionID: sessionID), body: Body(bodyElement: body))
    }

    private func chargeParameter(_ code: DC_EVSEStatusCode) -> DC_EVSEChargeParameter {
        DINResponses.chargeParameter(self.configuration, status: Self.status(code))
    }

    static func status(_ code: DC_EVSEStatusCode, isolation: DINMessages.IsolationLevel? = nil) -> DC_EVSEStatus {
        DC_EVSEStatus(
            evseIsolationStatus: isolation, evseStatusCode: code, notificationMaxDelay: 0, evseNotification: .none)
    }

    private static func failedBody(for pending: Pending, status: DC_EVSEStatus) -> BodyElement {
        let zero = PhysicalValue(multiplier: 0, unit: .v, value: 0)
        switch pending {
        case .cableCheck:
            return .cableCheckRes(CableCheckRes(responseCode: .failed, dcEVSEStatus: status, evseProcessing: .finished))
        case .preCharge:
            return .preChargeRes(PreChargeRes(responseCode: .failed, dcEVSEStatus: status, evsePresentVoltage: zero))
        case .powerDeliveryStart, .powerDeliveryStop:
            return .powerDeliveryRes(
                PowerDeliveryRes(responseCode: .failedPowerDeliveryNotApplied, evseStatus: .dcEVSEStatus(status)))
        case .currentDemand:
            return .currentDemandRes(
                CurrentDemandRes(
                    responseCode: .failed, dcEVSEStatus: status, evsePresentVoltage: zero,
                    evsePresentCurrent: PhysicalValue(multiplier: 0, unit: .a, value: 0),
                    evseCurrentLimitAchieved: false, evseVoltageLimitAchieved: false, evsePowerLimitAchieved: false))
        case .weldingDetection:
            return .weldingDetectionRes(
                WeldingDetectionRes(responseCode: .failed, dcEVSEStatus: status, evsePresentVoltage: zero))
        }
    }
}

extension DINMessages.IsolationLevel {
    init(_ level: IsolationLevel) {
        switch level {
        case .invalid, .noIMD: self = .invalid
        case .valid: self = .valid
        case .warning: self = .warning
        case .fault: self = .fault
        }
    }
}
