public import ISO2Messages
public import PnCCore

/// The ISO 15118-2 SECC session from SessionSetup to ChargeParameterDiscovery (ISO 15118-2:2014 §8.4, §8.8), as a
/// pure value: one `mutating func` per input, each returning an ``Action``.
///
/// This stage covers external identification (EIM) for AC and DC: SessionSetup, ServiceDiscovery,
/// PaymentServiceSelection, Authorization (EVSEProcessing=Ongoing while the backend decides) and
/// ChargeParameterDiscovery with an SAScheduleList built from the EVSE's capabilities. Messages that arrive out of
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

        public init(evseID: String, evseNumber: Int, capabilities: EVSECapabilities, paymentOptions: [PaymentOption]) {
            self.evseID = evseID
            self.evseNumber = evseNumber
            self.capabilities = capabilities
            self.paymentOptions = paymentOptions
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
        /// Ask the backend (``ChargingBackend/authorize(_:)``), then feed the answer to ``backendAuthorized(_:now:)``.
        /// The pending AuthorizationReq is answered with Ongoing until the decision arrives.
        case authorize(BackendAuthorizationRequest, thenSend: V2GMessage, expectNextWithin: Duration)
        case close(CloseReason)
        case none
    }

    /// Where the session is; each case names the next request it accepts.
    enum Phase: Hashable, Sendable {
        case awaitingSessionSetup
        case awaitingServiceDiscovery
        case awaitingPaymentServiceSelection
        case awaitingAuthorization(AuthorizationProgress)
        case awaitingChargeParameterDiscovery
        case chargeParameterDiscovered
        case closed
    }

    enum AuthorizationProgress: Hashable, Sendable {
        case notAsked
        case pending(since: Double)
        case decided(BackendAuthorizationDecision)
    }

    public let configuration: Configuration
    public let sessionID: [UInt8]
    public let traceID: TraceID
    private(set) var phase: Phase = .awaitingSessionSetup
    /// The EVCCID (MAC address) from SessionSetupReq.
    public private(set) var evccID: [UInt8] = []
    public private(set) var selectedPayment: PaymentOption?
    public private(set) var selectedEnergyTransfer: EnergyTransferMode?

    /// - Parameters:
    ///   - proposedSessionID: 8 bytes from the caller's randomness (the SessionID the SECC assigns in SessionSetupRes).
    public init(configuration: Configuration, proposedSessionID: [UInt8], traceID: TraceID) {
        self.configuration = configuration
        self.sessionID = proposedSessionID
        self.traceID = traceID
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
        case (.awaitingPaymentServiceSelection, .paymentServiceSelectionReq(let req)):
            let code = PaymentServiceSelectionRules.responseCode(req, offered: self.configuration.paymentOptions)
            guard code == .ok else { return self.fail(body, code) }
            self.selectedPayment = req.selectedPaymentOption
            guard req.selectedPaymentOption == .externalPayment else {
                // Contract payment continues with PaymentDetails, handled with the signature checks.
                return self.fail(body, .failedPaymentSelectionInvalid)
            }
            self.phase = .awaitingAuthorization(.notAsked)
            return self.send(.paymentServiceSelectionRes(PaymentServiceSelectionRes(responseCode: .ok)))
        case (.awaitingAuthorization(let progress), .authorizationReq(let req)):
            if req.genChallenge != nil || req.id != nil {
                // EIM: the request carries neither an Id nor a GenChallenge.
                return self.fail(body, .failedChallengeInvalid)
            }
            return self.authorization(progress, now: now)
        case (.awaitingChargeParameterDiscovery, .chargeParameterDiscoveryReq(let req)),
            (.chargeParameterDiscovered, .chargeParameterDiscoveryReq(let req)):
            switch ChargeParameterDiscoveryRules.response(to: req, configuration: self.configuration) {
            case .success(let response):
                self.selectedEnergyTransfer = req.requestedEnergyTransferMode
                self.phase = .chargeParameterDiscovered
                return self.send(.chargeParameterDiscoveryRes(response))
            case .failure(let code):
                return self.fail(body, code.code)
            }
        default:
            return self.fail(body, .failedSequenceError)
        }
    }

    private mutating func authorization(_ progress: AuthorizationProgress, now: Double) -> Action {
        let ongoing = self.message(.authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .ongoing)))
        switch progress {
        case .notAsked:
            self.phase = .awaitingAuthorization(.pending(since: now))
            let request = BackendAuthorizationRequest(
                identification: .external(idToken: Self.hex(self.evccID), type: "MacAddress"),
                evseID: self.configuration.evseNumber, traceID: self.traceID)
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
            self.phase = .awaitingChargeParameterDiscovery
            return self.send(.authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .finished)))
        }
    }

    /// The backend's authorization decision; the next AuthorizationReq is answered with it.
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
