public import DINMessages

/// What a DIN SPEC 70121 EVCC knows about its vehicle.
public struct DINEVCCConfiguration: Sendable, Hashable {
    /// The EVCCID sent in SessionSetupReq: the MAC address of the vehicle's PLC modem (6 bytes).
    public var evccID: [UInt8]
    public var maximumVoltageV: Double
    public var maximumCurrentA: Double
    public var maximumPowerW: Double
    /// The battery voltage the vehicle asks PreCharge to reach, and the voltage it requests while charging.
    public var targetVoltageV: Double
    /// The current it requests while charging.
    public var targetCurrentA: Double
    /// The state of charge at the start of the session, in percent.
    public var stateOfCharge: Int
    /// PreCharge is done when the EVSE's present voltage is within this many volts of the target
    /// (DIN SPEC 70121 leaves the tolerance to the vehicle; 20 V is what common vehicles use).
    public var preChargeToleranceV: Double

    public init(
        evccID: [UInt8], maximumVoltageV: Double, maximumCurrentA: Double, maximumPowerW: Double,
        targetVoltageV: Double, targetCurrentA: Double, stateOfCharge: Int, preChargeToleranceV: Double = 20
    ) {
        self.evccID = evccID
        self.maximumVoltageV = maximumVoltageV
        self.maximumCurrentA = maximumCurrentA
        self.maximumPowerW = maximumPowerW
        self.targetVoltageV = targetVoltageV
        self.targetCurrentA = targetCurrentA
        self.stateOfCharge = stateOfCharge
        self.preChargeToleranceV = preChargeToleranceV
    }
}

/// The EVCC side of a DIN SPEC 70121 DC charging session as a pure state machine.
///
/// The driver calls ``start(at:)`` once the SupportedAppProtocol handshake chose DIN, sends what the returned
/// ``Action`` carries and arms the response timer with its window; it feeds each decoded response to
/// ``received(_:at:)`` and a timer expiry to ``responseTimerExpired()``. Time is a monotonic instant given by the
/// driver (`at:`), used for the ongoing limits of ContractAuthentication, CableCheck and PreCharge.
public struct DINEVCCStateMachine: Sendable {
    /// V2G_EVCC_Msg_Timeout for every request but CurrentDemand (DIN SPEC 70121:2014 timing table of §9.6: 2 s).
    public static let messageTimeout: Duration = .seconds(2)
    /// V2G_EVCC_Msg_Timeout for CurrentDemandReq (0.25 s).
    public static let currentDemandTimeout: Duration = .milliseconds(250)
    /// V2G_EVCC_Ongoing_Timeout: how long ContractAuthentication may stay Ongoing (60 s).
    public static let ongoingTimeout: Duration = .seconds(60)
    /// V2G_EVCC_CableCheck_Timeout (38 s).
    public static let cableCheckTimeout: Duration = .seconds(38)
    /// V2G_EVCC_PreCharge_Timeout (7 s).
    public static let preChargeTimeout: Duration = .seconds(7)

    public enum Action: Hashable, Sendable {
        /// Send the request and arm the response timer with the window.
        case send(V2GMessage, responseWithin: Duration)
        /// The session is over: close the connection.
        case finish(Outcome)
        case none
    }

    /// How a session ended.
    public enum Outcome: Hashable, Sendable {
        /// SessionStopRes OK received.
        case completed
        /// The SECC answered a request with a FAILED response code.
        case failed(ResponseCode, request: String)
        /// No response within V2G_EVCC_Msg_Timeout.
        case responseTimeout(request: String)
        /// An Ongoing phase lasted longer than its limit.
        case ongoingTimeout(request: String)
        /// The isolation check failed or the EVSE shut down.
        case evseFault(String)
        /// The SECC sent something unexpected (a request, a different response, another SessionID).
        case protocolViolation(String)
        /// The transport closed before the end.
        case transportClosed
    }

    private enum Step: Sendable {
        case sessionSetup, serviceDiscovery, servicePaymentSelection, contractAuthentication
        case chargeParameterDiscovery, cableCheck, preCharge, powerDeliveryStart, currentDemand, powerDeliveryStop
        case weldingDetection, sessionStop

        var name: String {
            switch self {
            case .sessionSetup: "SessionSetupReq"
            case .serviceDiscovery: "ServiceDiscoveryReq"
            case .servicePaymentSelection: "ServicePaymentSelectionReq"
            case .contractAuthentication: "ContractAuthenticationReq"
            case .chargeParameterDiscovery: "ChargeParameterDiscoveryReq"
            case .cableCheck: "CableCheckReq"
            case .preCharge: "PreChargeReq"
            case .powerDeliveryStart, .powerDeliveryStop: "PowerDeliveryReq"
            case .currentDemand: "CurrentDemandReq"
            case .weldingDetection: "WeldingDetectionReq"
            case .sessionStop: "SessionStopReq"
            }
        }
    }

    private enum State: Sendable {
        case idle
        /// A request is outstanding; `phaseStart` is when the current (possibly Ongoing) phase began.
        case waiting(Step, phaseStart: Duration)
        case finished
    }

    private var state: State = .idle
    private let configuration: DINEVCCConfiguration
    private var sessionID: [UInt8] = Array(repeating: 0, count: 8)
    private var stateOfCharge: Int
    private var stopRequested = false
    private var chargeServiceID: UInt16 = 1

    /// The SessionID the SECC assigned (all zero before SessionSetupRes).
    public var currentSessionID: [UInt8] { self.sessionID }

    public init(configuration: DINEVCCConfiguration) {
        self.configuration = configuration
        self.stateOfCharge = configuration.stateOfCharge
    }

    // MARK: - Inputs

    /// Starts the session with SessionSetupReq (SessionID 0, DIN SPEC 70121 SessionSetup).
    public mutating func start(at now: Duration) -> Action {
        guard case .idle = self.state else { return .none }
        return self.request(.sessionSetup, .sessionSetupReq(SessionSetupReq(evccID: self.configuration.evccID)), now)
    }

    /// The battery management reports a new state of charge; at 100 % the vehicle stops charging.
    public mutating func stateOfChargeChanged(to percent: Int) {
        self.stateOfCharge = min(max(percent, 0), 100)
    }

    /// The driver or the battery asks to end charging; the next CurrentDemand turn goes to PowerDelivery stop.
    public mutating func requestStop() {
        self.stopRequested = true
    }

    /// A response from the SECC.
    public mutating func received(_ message: V2GMessage, at now: Duration) -> Action {
        guard case .waiting(let step, let phaseStart) = self.state else {
            if case .finished = self.state { return .none }
            return self.finish(.protocolViolation("message before the session started"))
        }
        guard let body = message.body.bodyElement else { return self.finish(.protocolViolation("empty body")) }
        if step != .sessionSetup, message.header.sessionID != self.sessionID {
            return self.finish(.protocolViolation("SessionID changed"))
        }
        switch (step, body) {
        case (.sessionSetup, .sessionSetupRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            self.sessionID = message.header.sessionID
            return self.request(.serviceDiscovery, .serviceDiscoveryReq(ServiceDiscoveryReq(serviceCategory: .evCharging)), now)

        case (.serviceDiscovery, .serviceDiscoveryRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            guard response.paymentOptions.paymentOption.contains(.externalPayment) else {
                return self.finish(.protocolViolation("ExternalPayment not offered"))
            }
            self.chargeServiceID = response.chargeService.serviceTag.serviceID
            let selection = ServicePaymentSelectionReq(
                selectedPaymentOption: .externalPayment,
                selectedServiceList: SelectedServiceList(selectedService: [SelectedService(serviceID: self.chargeServiceID)]))
            return self.request(.servicePaymentSelection, .servicePaymentSelectionReq(selection), now)

        case (.servicePaymentSelection, .servicePaymentSelectionRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            return self.request(.contractAuthentication, .contractAuthenticationReq(ContractAuthenticationReq()), now)

        case (.contractAuthentication, .contractAuthenticationRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            if response.evseProcessing == .ongoing {
                guard now - phaseStart < Self.ongoingTimeout else { return self.finish(.ongoingTimeout(request: step.name)) }
                return self.repeatRequest(step, .contractAuthenticationReq(ContractAuthenticationReq()), since: phaseStart)
            }
            return self.request(.chargeParameterDiscovery, .chargeParameterDiscoveryReq(self.chargeParameters()), now)

        case (.chargeParameterDiscovery, .chargeParameterDiscoveryRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            if response.evseProcessing == .ongoing {
                guard now - phaseStart < Self.ongoingTimeout else { return self.finish(.ongoingTimeout(request: step.name)) }
                return self.repeatRequest(step, .chargeParameterDiscoveryReq(self.chargeParameters()), since: phaseStart)
            }
            return self.request(.cableCheck, .cableCheckReq(CableCheckReq(dcEVStatus: self.evStatus(ready: true))), now)

        case (.cableCheck, .cableCheckRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            if let fault = Self.fault(response.dcEVSEStatus) { return self.finish(.evseFault(fault)) }
            if response.evseProcessing == .ongoing {
                guard now - phaseStart < Self.cableCheckTimeout else { return self.finish(.ongoingTimeout(request: step.name)) }
                return self.repeatRequest(step, .cableCheckReq(CableCheckReq(dcEVStatus: self.evStatus(ready: true))), since: phaseStart)
            }
            if let isolation = response.dcEVSEStatus.evseIsolationStatus, isolation == .invalid || isolation == .fault {
                return self.finish(.evseFault("isolation \(isolation.rawValue)"))
            }
            return self.request(.preCharge, .preChargeReq(self.preCharge()), now)

        case (.preCharge, .preChargeRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            if let fault = Self.fault(response.dcEVSEStatus) { return self.finish(.evseFault(fault)) }
            let present = response.evsePresentVoltage.doubleValue
            if abs(present - self.configuration.targetVoltageV) > self.configuration.preChargeToleranceV {
                guard now - phaseStart < Self.preChargeTimeout else { return self.finish(.ongoingTimeout(request: step.name)) }
                return self.repeatRequest(step, .preChargeReq(self.preCharge()), since: phaseStart)
            }
            return self.request(.powerDeliveryStart, .powerDeliveryReq(self.powerDelivery(ready: true)), now)

        case (.powerDeliveryStart, .powerDeliveryRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            return self.request(.currentDemand, .currentDemandReq(self.currentDemand()), now)

        case (.currentDemand, .currentDemandRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            if let fault = Self.fault(response.dcEVSEStatus) { return self.finish(.evseFault(fault)) }
            let evseStops = response.dcEVSEStatus.evseNotification == .stopCharging
            if self.stopRequested || evseStops || self.stateOfCharge >= 100 {
                return self.request(.powerDeliveryStop, .powerDeliveryReq(self.powerDelivery(ready: false)), now)
            }
            return self.request(.currentDemand, .currentDemandReq(self.currentDemand()), now)

        case (.powerDeliveryStop, .powerDeliveryRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            return self.request(.weldingDetection, .weldingDetectionReq(WeldingDetectionReq(dcEVStatus: self.evStatus(ready: false))), now)

        case (.weldingDetection, .weldingDetectionRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            return self.request(.sessionStop, .sessionStopReq(SessionStop()), now)

        case (.sessionStop, .sessionStopRes(let response)):
            guard Self.isOK(response.responseCode) else { return self.failed(response.responseCode, step) }
            return self.finish(.completed)

        default:
            return self.finish(.protocolViolation("unexpected message while waiting for the answer to \(step.name)"))
        }
    }

    /// The response timer armed by the last ``Action/send(_:responseWithin:)`` expired (V2G_EVCC_Msg_Timeout).
    public mutating func responseTimerExpired() -> Action {
        guard case .waiting(let step, _) = self.state else { return .none }
        return self.finish(.responseTimeout(request: step.name))
    }

    /// The TCP connection closed.
    public mutating func transportClosed() -> Action {
        if case .finished = self.state { return .none }
        return self.finish(.transportClosed)
    }

    // MARK: - Requests

    private mutating func request(_ step: Step, _ body: BodyElement, _ now: Duration) -> Action {
        self.state = .waiting(step, phaseStart: now)
        return self.send(step, body)
    }

    private mutating func repeatRequest(_ step: Step, _ body: BodyElement, since phaseStart: Duration) -> Action {
        self.state = .waiting(step, phaseStart: phaseStart)
        return self.send(step, body)
    }

    private func send(_ step: Step, _ body: BodyElement) -> Action {
        let message = V2GMessage(header: MessageHeader(sessionID: self.sessionID), body: Body(bodyElement: body))
        return .send(message, responseWithin: step == .currentDemand ? Self.currentDemandTimeout : Self.messageTimeout)
    }

    private mutating func failed(_ code: ResponseCode, _ step: Step) -> Action {
        self.finish(.failed(code, request: step.name))
    }

    private mutating func finish(_ outcome: Outcome) -> Action {
        self.state = .finished
        return .finish(outcome)
    }

    private static func isOK(_ code: ResponseCode) -> Bool {
        switch code {
        case .ok, .okNewSessionEstablished, .okOldSessionJoined, .okCertificateExpiresSoon: true
        default: false
        }
    }

    private static func fault(_ status: DC_EVSEStatus) -> String? {
        switch status.evseStatusCode {
        case .evseShutdown, .evseEmergencyShutdown, .evseMalfunction, .evseUtilityInterruptEvent:
            status.evseStatusCode.rawValue
        default:
            nil
        }
    }

    private func evStatus(ready: Bool) -> DC_EVStatus {
        DC_EVStatus(evReady: ready, evErrorCode: .noError, evresssoc: Int8(clamping: self.stateOfCharge))
    }

    private func chargeParameters() -> ChargeParameterDiscoveryReq {
        let c = self.configuration
        return ChargeParameterDiscoveryReq(
            evRequestedEnergyTransferType: .dcExtended,
            evChargeParameter: .dcEVChargeParameter(
                DC_EVChargeParameter(
                    dcEVStatus: self.evStatus(ready: true),
                    evMaximumCurrentLimit: PhysicalValue(c.maximumCurrentA, unit: .a),
                    evMaximumPowerLimit: PhysicalValue(c.maximumPowerW, unit: .w),
                    evMaximumVoltageLimit: PhysicalValue(c.maximumVoltageV, unit: .v))))
    }

    private func preCharge() -> PreChargeReq {
        PreChargeReq(
            dcEVStatus: self.evStatus(ready: true),
            evTargetVoltage: PhysicalValue(self.configuration.targetVoltageV, unit: .v),
            evTargetCurrent: PhysicalValue(1, unit: .a))
    }

    private func powerDelivery(ready: Bool) -> PowerDeliveryReq {
        PowerDeliveryReq(
            readyToChargeState: ready,
            evPowerDeliveryParameter: .dcEVPowerDeliveryParameter(
                DC_EVPowerDeliveryParameter(dcEVStatus: self.evStatus(ready: ready), chargingComplete: !ready)))
    }

    private func currentDemand() -> CurrentDemandReq {
        let c = self.configuration
        return CurrentDemandReq(
            dcEVStatus: self.evStatus(ready: true),
            evTargetCurrent: PhysicalValue(c.targetCurrentA, unit: .a),
            evMaximumVoltageLimit: PhysicalValue(c.maximumVoltageV, unit: .v),
            evMaximumCurrentLimit: PhysicalValue(c.maximumCurrentA, unit: .a),
            evMaximumPowerLimit: PhysicalValue(c.maximumPowerW, unit: .w),
            chargingComplete: self.stateOfCharge >= 100,
            evTargetVoltage: PhysicalValue(c.targetVoltageV, unit: .v))
    }
}
