import DINMessages
import ISO15118EVCC
import Testing

@Suite struct DINEVCCStateMachineTests {
    typealias F = DINFixtures

    static func started() -> DINEVCCStateMachine {
        var machine = DINEVCCStateMachine(configuration: F.evccConfiguration)
        _ = machine.start(at: .zero)
        return machine
    }

    static let setupOK = F.message(.sessionSetupRes(SessionSetupRes(responseCode: .okNewSessionEstablished, evseID: [1])))

    static func request(_ action: DINEVCCStateMachine.Action) -> String? {
        guard case .send(let m, _) = action else { return nil }
        return F.name(m)
    }

    @Test("[DIN70121 SessionSetup] The EVCC opens with SessionID 0 and its EVCCID, and adopts the SECC's SessionID")
    func sessionSetup() {
        var machine = DINEVCCStateMachine(configuration: F.evccConfiguration)
        let first = machine.start(at: .zero)
        #expect(first == .send(
            F.message(.sessionSetupReq(SessionSetupReq(evccID: F.evccID)), sessionID: [0, 0, 0, 0, 0, 0, 0, 0]),
            responseWithin: .seconds(2)))
        #expect(machine.start(at: .zero) == .none)
        let next = machine.received(Self.setupOK, at: .milliseconds(100))
        #expect(Self.request(next) == "serviceDiscoveryReq")
        #expect(machine.currentSessionID == F.sessionID)
    }

    @Test("[DIN70121 ResponseCode] A FAILED response code ends the session with that code", arguments: [
        ResponseCode.failed, .failedSequenceError, .failedUnknownSession,
    ])
    func failedResponse(code: ResponseCode) {
        var machine = Self.started()
        let action = machine.received(
            F.message(.sessionSetupRes(SessionSetupRes(responseCode: code, evseID: [1]))), at: .zero)
        #expect(action == .finish(.failed(code, request: "SessionSetupReq")))
        #expect(machine.received(Self.setupOK, at: .zero) == .none)
    }

    @Test("[DIN70121 V2G_EVCC_Msg_Timeout] No response in time ends the session")
    func responseTimeout() {
        var machine = Self.started()
        #expect(machine.responseTimerExpired() == .finish(.responseTimeout(request: "SessionSetupReq")))
        #expect(machine.responseTimerExpired() == .none)
    }

    @Test("[DIN70121] A response carrying another SessionID or of the wrong type is a protocol violation")
    func protocolViolations() {
        var machine = Self.started()
        _ = machine.received(Self.setupOK, at: .zero)
        let wrongSession = F.message(.serviceDiscoveryRes(ServiceDiscoveryRes(
            responseCode: .ok, paymentOptions: PaymentOptions(paymentOption: [.externalPayment]),
            chargeService: ServiceCharge(
                serviceTag: ServiceTag(serviceID: 1, serviceCategory: .evCharging), freeService: false,
                energyTransferType: .dcExtended))), sessionID: [7])
        #expect(machine.received(wrongSession, at: .zero) == .finish(.protocolViolation("SessionID changed")))

        var other = Self.started()
        let wrongType = F.message(.sessionStopRes(SessionStopRes(responseCode: .ok)))
        guard case .finish(.protocolViolation) = other.received(wrongType, at: .zero) else {
            Issue.record("wrong type accepted"); return
        }
    }

    /// A machine waiting for ContractAuthenticationRes.
    static func authenticating() -> DINEVCCStateMachine {
        var machine = Self.started()
        _ = machine.received(Self.setupOK, at: .zero)
        _ = machine.received(F.message(.serviceDiscoveryRes(ServiceDiscoveryRes(
            responseCode: .ok, paymentOptions: PaymentOptions(paymentOption: [.externalPayment]),
            chargeService: ServiceCharge(
                serviceTag: ServiceTag(serviceID: 1, serviceCategory: .evCharging), freeService: false,
                energyTransferType: .dcExtended)))), at: .zero)
        let selection = machine.received(
            F.message(.servicePaymentSelectionRes(ServicePaymentSelectionRes(responseCode: .ok))), at: .seconds(1))
        #expect(Self.request(selection) == "contractAuthenticationReq")
        return machine
    }

    @Test("[DIN70121 V2G_EVCC_Ongoing_Timeout] ContractAuthentication repeats while Ongoing and gives up after 60 s")
    func ongoingTimeout() {
        var machine = Self.authenticating()
        let ongoing = F.message(.contractAuthenticationRes(ContractAuthenticationRes(responseCode: .ok, evseProcessing: .ongoing)))
        #expect(Self.request(machine.received(ongoing, at: .seconds(30))) == "contractAuthenticationReq")
        #expect(Self.request(machine.received(ongoing, at: .seconds(60))) == "contractAuthenticationReq")
        #expect(machine.received(ongoing, at: .seconds(61)) == .finish(.ongoingTimeout(request: "ContractAuthenticationReq")))
    }

    @Test("[DIN70121 ContractAuthentication] Finished moves on to ChargeParameterDiscovery with the EV's DC limits")
    func authenticationFinished() {
        var machine = Self.authenticating()
        let finished = F.message(.contractAuthenticationRes(ContractAuthenticationRes(responseCode: .ok, evseProcessing: .finished)))
        guard case .send(let m, _) = machine.received(finished, at: .seconds(2)),
            case .chargeParameterDiscoveryReq(let body) = m.body.bodyElement,
            case .dcEVChargeParameter(let p) = body.evChargeParameter
        else { Issue.record("no ChargeParameterDiscoveryReq"); return }
        #expect(body.evRequestedEnergyTransferType == .dcExtended)
        #expect(p.evMaximumVoltageLimit.doubleValue == 450)
        #expect(p.evMaximumCurrentLimit.doubleValue == 100)
    }

    @Test("[DIN70121 V2G_EVCC_PreCharge_Timeout] PreCharge that does not reach the target within 7 s ends the session")
    func preChargeTimeout() {
        var machine = Self.authenticating()
        let status = DC_EVSEStatus(evseStatusCode: .evseReady, notificationMaxDelay: 0, evseNotification: .none)
        _ = machine.received(F.message(.contractAuthenticationRes(ContractAuthenticationRes(responseCode: .ok, evseProcessing: .finished))), at: .seconds(2))
        _ = machine.received(F.message(.chargeParameterDiscoveryRes(ChargeParameterDiscoveryRes(
            responseCode: .ok, evseProcessing: .finished, saSchedules: .saScheduleList(SAScheduleList()),
            evseChargeParameter: .dcEVSEChargeParameter(DC_EVSEChargeParameter(
                dcEVSEStatus: status, evseMaximumCurrentLimit: PhysicalValue(100, unit: .a),
                evseMaximumVoltageLimit: PhysicalValue(500, unit: .v), evseMinimumCurrentLimit: PhysicalValue(0, unit: .a),
                evseMinimumVoltageLimit: PhysicalValue(150, unit: .v), evsePeakCurrentRipple: PhysicalValue(1, unit: .a)))))),
            at: .seconds(3))
        let checked = machine.received(F.message(.cableCheckRes(CableCheckRes(
            responseCode: .ok, dcEVSEStatus: status, evseProcessing: .finished))), at: .seconds(4))
        #expect(Self.request(checked) == "preChargeReq")
        let low = F.message(.preChargeRes(PreChargeRes(
            responseCode: .ok, dcEVSEStatus: status, evsePresentVoltage: PhysicalValue(100, unit: .v))))
        #expect(Self.request(machine.received(low, at: .seconds(10))) == "preChargeReq")
        #expect(machine.received(low, at: .seconds(11)) == .finish(.ongoingTimeout(request: "PreChargeReq")))
    }

    @Test("[DIN70121 CableCheck] An EVSE emergency shutdown during the cable check ends the session")
    func cableCheckFault() {
        var machine = Self.authenticating()
        let ready = DC_EVSEStatus(evseStatusCode: .evseReady, notificationMaxDelay: 0, evseNotification: .none)
        _ = machine.received(F.message(.contractAuthenticationRes(ContractAuthenticationRes(responseCode: .ok, evseProcessing: .finished))), at: .seconds(2))
        _ = machine.received(F.message(.chargeParameterDiscoveryRes(ChargeParameterDiscoveryRes(
            responseCode: .ok, evseProcessing: .finished, saSchedules: .saScheduleList(SAScheduleList()),
            evseChargeParameter: .dcEVSEChargeParameter(DC_EVSEChargeParameter(
                dcEVSEStatus: ready, evseMaximumCurrentLimit: PhysicalValue(100, unit: .a),
                evseMaximumVoltageLimit: PhysicalValue(500, unit: .v), evseMinimumCurrentLimit: PhysicalValue(0, unit: .a),
                evseMinimumVoltageLimit: PhysicalValue(150, unit: .v), evsePeakCurrentRipple: PhysicalValue(1, unit: .a)))))),
            at: .seconds(3))
        let shutdown = DC_EVSEStatus(evseStatusCode: .evseEmergencyShutdown, notificationMaxDelay: 0, evseNotification: .none)
        let action = machine.received(F.message(.cableCheckRes(CableCheckRes(
            responseCode: .ok, dcEVSEStatus: shutdown, evseProcessing: .ongoing))), at: .seconds(5))
        #expect(action == .finish(.evseFault("EVSE_EmergencyShutdown")))
    }

    @Test("[DIN70121] The transport closing before SessionStopRes is reported once")
    func transportClosed() {
        var machine = Self.started()
        #expect(machine.transportClosed() == .finish(.transportClosed))
        #expect(machine.transportClosed() == .none)
    }
}
