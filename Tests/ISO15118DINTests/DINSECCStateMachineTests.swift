import DINMessages
import ISO15118SECC
import PnCCore
import Testing

@Suite struct DINSECCStateMachineTests {
    typealias F = DINFixtures

    /// Drives a machine through the given requests, answering controller commands with `stage` and authorizing
    /// with `decision` as soon as the backend is asked.
    static func drive(
        _ machine: inout DINSECCStateMachine, _ requests: [V2GMessage], stage: inout DCOutputStage,
        decision: BackendAuthorizationDecision? = BackendAuthorizationDecision(status: .accepted)
    ) -> [DINSECCStateMachine.Action] {
        var actions: [DINSECCStateMachine.Action] = []
        for request in requests {
            var action = machine.received(request)
            while case .control(let command) = action { action = machine.controllerReplied(stage.run(command)) }
            if case .sendAndAuthorize = action, let decision { _ = machine.backendAnswered(decision) }
            actions.append(action)
        }
        return actions
    }

    static func established() -> (DINSECCStateMachine, DCOutputStage) {
        var machine = F.secc()
        var stage = DCOutputStage()
        _ = drive(
            &machine,
            [F.sessionSetup, F.serviceDiscovery, F.paymentSelection, F.contractAuthentication,
             F.chargeParameterDiscovery()],
            stage: &stage)
        return (machine, stage)
    }

    static func code(_ action: DINSECCStateMachine.Action) -> ResponseCode? {
        switch action {
        case .send(let m, _), .sendAndClose(let m, _), .sendAndAuthorize(let m, _, _), .startTransaction(_, let m, _),
            .sendAndUpdateTransaction(let m, _, _), .endTransaction(_, let m, _):
            F.responseCode(m)
        default: nil
        }
    }

    static func closes(_ action: DINSECCStateMachine.Action) -> Bool {
        if case .sendAndClose = action { return true }
        if case .endTransaction = action { return true }
        if case .close = action { return true }
        return false
    }

    @Test("[DIN70121 SessionSetup] A new session gets OK_NewSessionEstablished, the proposed SessionID and the EVSEID")
    func sessionSetup() throws {
        var machine = F.secc()
        let action = machine.received(F.sessionSetup)
        guard case .send(let response, let window) = action,
            case .sessionSetupRes(let body) = response.body.bodyElement
        else { Issue.record("unexpected \(action)"); return }
        #expect(body.responseCode == .okNewSessionEstablished)
        #expect(body.evseID == F.seccConfiguration.evseID)
        #expect(response.header.sessionID == F.sessionID)
        #expect(window == DINSECCStateMachine.sequenceTimeout)
    }

    @Test("[DIN70121 FAILED_SequenceError] A first request other than SessionSetupReq is answered and ends the session")
    func outOfSequenceFirstRequest() {
        var machine = F.secc()
        let action = machine.received(F.serviceDiscovery)
        #expect(Self.code(action) == .failedSequenceError)
        #expect(action == .sendAndClose(
            F.message(.serviceDiscoveryRes(ServiceDiscoveryRes(
                responseCode: .failedSequenceError, paymentOptions: PaymentOptions(paymentOption: [.externalPayment]),
                chargeService: ServiceCharge(
                    serviceTag: ServiceTag(serviceID: 1, serviceCategory: .evCharging), freeService: false,
                    energyTransferType: .dcExtended)))),
            .failed(.failedSequenceError)))
        #expect(machine.isClosed)
        #expect(machine.received(F.sessionSetup) == .none)
    }

    @Test("[DIN70121 FAILED_SequenceError] CurrentDemandReq before PowerDelivery is a sequence error", arguments: [
        F.currentDemand, F.weldingDetection, F.powerDelivery(ready: true), F.cableCheck(),
    ])
    func outOfSequenceLater(request: V2GMessage) {
        var machine = F.secc()
        var stage = DCOutputStage()
        _ = Self.drive(&machine, [F.sessionSetup, F.serviceDiscovery], stage: &stage)
        let action = machine.received(request)
        #expect(Self.code(action) == .failedSequenceError)
        #expect(Self.closes(action))
    }

    @Test("[DIN70121 FAILED_UnknownSession] A request with another SessionID is refused and ends the session")
    func unknownSession() {
        var machine = F.secc()
        _ = machine.received(F.sessionSetup)
        let action = machine.received(F.message(.serviceDiscoveryReq(ServiceDiscoveryReq()), sessionID: [9, 9, 9, 9]))
        #expect(Self.code(action) == .failedUnknownSession)
        #expect(Self.closes(action))
        #expect(machine.isClosed)
    }

    @Test("[DIN70121 ServiceDiscovery] The charge service is DC_extended with ExternalPayment only")
    func serviceDiscovery() throws {
        var machine = F.secc()
        _ = machine.received(F.sessionSetup)
        guard case .send(let m, _) = machine.received(F.serviceDiscovery),
            case .serviceDiscoveryRes(let body) = m.body.bodyElement
        else { Issue.record("no ServiceDiscoveryRes"); return }
        #expect(body.responseCode == .ok)
        #expect(body.paymentOptions.paymentOption == [.externalPayment])
        #expect(body.chargeService.energyTransferType == .dcExtended)
    }

    @Test("[DIN70121 FAILED_PaymentSelectionInvalid] Contract payment is refused: DIN has no Plug & Charge")
    func contractPaymentRefused() {
        var machine = F.secc()
        var stage = DCOutputStage()
        _ = Self.drive(&machine, [F.sessionSetup, F.serviceDiscovery], stage: &stage)
        let request = F.message(.servicePaymentSelectionReq(ServicePaymentSelectionReq(
            selectedPaymentOption: .contract,
            selectedServiceList: SelectedServiceList(selectedService: [SelectedService(serviceID: 1)]))))
        let action = machine.received(request)
        #expect(Self.code(action) == .failedPaymentSelectionInvalid)
        #expect(Self.closes(action))
    }

    @Test("[DIN70121 FAILED_ServiceSelectionInvalid] Selecting a service that was not offered is refused")
    func serviceSelectionInvalid() {
        var machine = F.secc()
        var stage = DCOutputStage()
        _ = Self.drive(&machine, [F.sessionSetup, F.serviceDiscovery], stage: &stage)
        let request = F.message(.servicePaymentSelectionReq(ServicePaymentSelectionReq(
            selectedPaymentOption: .externalPayment,
            selectedServiceList: SelectedServiceList(selectedService: [SelectedService(serviceID: 7)]))))
        #expect(Self.code(machine.received(request)) == .failedServiceSelectionInvalid)
    }

    @Test("[DIN70121 ContractAuthentication] Ongoing while the backend decides, Finished once it accepts")
    func contractAuthenticationOngoing() throws {
        var machine = F.secc()
        var stage = DCOutputStage()
        _ = Self.drive(&machine, [F.sessionSetup, F.serviceDiscovery], stage: &stage)
        let selection = machine.received(F.paymentSelection)
        guard case .sendAndAuthorize(_, _, let request) = selection else {
            Issue.record("expected an authorization request, got \(selection)"); return
        }
        #expect(request.identification == .external(idToken: "020000000001", type: "MacAddress"))
        #expect(request.evseID == 1)
        #expect(request.traceID == F.traceID)
        let ongoing = ContractAuthenticationRes(responseCode: .ok, evseProcessing: .ongoing)
        #expect(machine.received(F.contractAuthentication) == .send(
            F.message(.contractAuthenticationRes(ongoing)), expectNextWithin: .seconds(60)))
        #expect(machine.received(F.contractAuthentication) == .send(
            F.message(.contractAuthenticationRes(ongoing)), expectNextWithin: .seconds(60)))
        #expect(machine.backendAnswered(BackendAuthorizationDecision(status: .accepted)) == .none)
        let finished = ContractAuthenticationRes(responseCode: .ok, evseProcessing: .finished)
        #expect(machine.received(F.contractAuthentication) == .send(
            F.message(.contractAuthenticationRes(finished)), expectNextWithin: .seconds(60)))
    }

    @Test("[DIN70121 ContractAuthentication FAILED] A rejected or failed authorization ends the session with FAILED",
          arguments: [false, true])
    func contractAuthenticationRejected(backendThrows: Bool) {
        var machine = F.secc()
        var stage = DCOutputStage()
        _ = Self.drive(&machine, [F.sessionSetup, F.serviceDiscovery, F.paymentSelection], stage: &stage, decision: nil)
        _ = backendThrows ? machine.backendFailed() : machine.backendAnswered(BackendAuthorizationDecision(status: .blocked))
        let action = machine.received(F.contractAuthentication)
        #expect(Self.code(action) == .failed)
        #expect(Self.closes(action))
    }

    @Test("[DIN70121 ContractAuthentication] A configured external token is sent as a Local token")
    func configuredToken() {
        var configuration = F.seccConfiguration
        configuration.externalIDToken = "RFID-1234"
        var machine = DINSECCStateMachine(configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
        _ = machine.received(F.sessionSetup)
        _ = machine.received(F.serviceDiscovery)
        guard case .sendAndAuthorize(_, _, let request) = machine.received(F.paymentSelection) else {
            Issue.record("no authorization"); return
        }
        #expect(request.identification == .external(idToken: "RFID-1234", type: "Local"))
    }

    @Test("[DIN70121 ChargeParameterDiscovery] The EVSE's DC limits and one PMax schedule are offered")
    func chargeParameterDiscovery() throws {
        var machine = F.secc()
        var stage = DCOutputStage()
        let actions = Self.drive(
            &machine,
            [F.sessionSetup, F.serviceDiscovery, F.paymentSelection, F.contractAuthentication,
             F.chargeParameterDiscovery()],
            stage: &stage)
        guard case .send(let m, _) = actions.last, case .chargeParameterDiscoveryRes(let body) = m.body.bodyElement,
            case .dcEVSEChargeParameter(let p) = body.evseChargeParameter,
            case .saScheduleList(let schedules) = body.saSchedules
        else { Issue.record("no ChargeParameterDiscoveryRes in \(actions)"); return }
        #expect(body.responseCode == .ok)
        #expect(body.evseProcessing == .finished)
        #expect(p.evseMaximumVoltageLimit.doubleValue == 500)
        #expect(p.evseMaximumCurrentLimit.doubleValue == 125)
        #expect(p.evseMaximumPowerLimit?.doubleValue == 50_000)
        #expect(schedules.saScheduleTuple.map(\.saScheduleTupleID) == [1])
    }

    @Test("[DIN70121 FAILED_WrongEnergyTransferType] An AC transfer request is refused by a DC SECC")
    func wrongEnergyTransferType() {
        var machine = F.secc()
        var stage = DCOutputStage()
        let actions = Self.drive(
            &machine,
            [F.sessionSetup, F.serviceDiscovery, F.paymentSelection, F.contractAuthentication,
             F.chargeParameterDiscovery(.acThreePhaseCore)],
            stage: &stage)
        #expect(actions.last.map(Self.code) == .failedWrongEnergyTransferType)
    }

    @Test("[DIN70121 FAILED_WrongChargeParameter] An EV whose maximum voltage is below the EVSE minimum is refused")
    func wrongChargeParameter() {
        var machine = F.secc()
        var stage = DCOutputStage()
        let actions = Self.drive(
            &machine,
            [F.sessionSetup, F.serviceDiscovery, F.paymentSelection, F.contractAuthentication,
             F.chargeParameterDiscovery(maximumVoltage: 100)],
            stage: &stage)
        #expect(actions.last.map(Self.code) == .failedWrongChargeParameter)
    }

    @Test("[DIN70121 CableCheck] A valid isolation finishes the check at the EV's maximum voltage")
    func cableCheckValid() {
        var (machine, _) = Self.established()
        #expect(machine.received(F.cableCheck()) == .control(.cableCheck(voltageV: 450)))
        let action = machine.controllerReplied(.isolation(.valid))
        let status = DC_EVSEStatus(
            evseIsolationStatus: .valid, evseStatusCode: .evseReady, notificationMaxDelay: 0, evseNotification: .none)
        #expect(action == .send(
            F.message(.cableCheckRes(CableCheckRes(responseCode: .ok, dcEVSEStatus: status, evseProcessing: .finished))),
            expectNextWithin: .seconds(60)))
    }

    @Test("[DIN70121 CableCheck FAILED] An isolation fault answers FAILED with EVSE_Malfunction and ends the session",
          arguments: [ISO15118SECC.IsolationLevel.fault, .invalid])
    func cableCheckFault(level: ISO15118SECC.IsolationLevel) {
        var (machine, _) = Self.established()
        _ = machine.received(F.cableCheck())
        let action = machine.controllerReplied(.isolation(level))
        guard case .sendAndClose(let m, .failed(.failed)) = action, case .cableCheckRes(let body) = m.body.bodyElement
        else { Issue.record("unexpected \(action)"); return }
        #expect(body.dcEVSEStatus.evseStatusCode == .evseMalfunction)
        #expect(machine.isClosed)
    }

    @Test("[DIN70121 DC_EVStatus] An EV reporting an error code gets FAILED")
    func evErrorCode() {
        var (machine, _) = Self.established()
        let status = DC_EVStatus(evReady: false, evErrorCode: .failedEVRESSMalfunction, evresssoc: 30)
        let action = machine.received(F.cableCheck(status))
        #expect(Self.code(action) == .failed)
        #expect(Self.closes(action))
    }

    @Test("[DIN70121 PreCharge] PreCharge regulates to the EV's target with at most 2 A and repeats until reached")
    func preCharge() {
        var (machine, stage) = Self.established()
        _ = Self.drive(&machine, [F.cableCheck()], stage: &stage)
        #expect(machine.received(F.preCharge()) == .control(.deliver(OutputTarget(voltageV: 380, currentA: 1))))
        #expect(Self.code(machine.controllerReplied(stage.run(.deliver(OutputTarget(voltageV: 380, currentA: 1))))) == .ok)
        let again = Self.drive(&machine, [F.preCharge()], stage: &stage)
        #expect(again.map(Self.code) == [.ok])
    }

    @Test("[DIN70121 FAILED_WrongChargeParameter] A PreCharge target above the EVSE maximum voltage is refused")
    func preChargeTooHigh() {
        var (machine, stage) = Self.established()
        let actions = Self.drive(&machine, [F.cableCheck(), F.preCharge(voltage: 600)], stage: &stage)
        #expect(actions.last.map(Self.code) == .failedWrongChargeParameter)
    }

    @Test("PreChargeAboveMaximum.clampToMaximum: a PreCharge target above the EVSE maximum is delivered at the maximum, answered OK")
    func preChargeTooHighClamped() {
        var configuration = F.seccConfiguration
        configuration.preChargeAboveMaximum = .clampToMaximum
        var machine = DINSECCStateMachine(configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
        var stage = DCOutputStage()
        _ = Self.drive(
            &machine,
            [F.sessionSetup, F.serviceDiscovery, F.paymentSelection, F.contractAuthentication,
             F.chargeParameterDiscovery(), F.cableCheck()],
            stage: &stage)
        // the output is commanded to the EVSE maximum (500 V), not to the 20 kV asked
        #expect(machine.received(F.preCharge(voltage: 20_000)) == .control(.deliver(OutputTarget(voltageV: 500, currentA: 1))))
        let reply = machine.controllerReplied(stage.run(.deliver(OutputTarget(voltageV: 500, currentA: 1))))
        guard case .send(let message, _) = reply, case .preChargeRes(let response) = message.body.bodyElement else {
            Issue.record("no PreChargeRes: \(reply)")
            return
        }
        #expect(response.responseCode == .ok)
        #expect(response.evsePresentVoltage.doubleValue <= 500)
        // still strict below: the default configuration refuses the same request
        var (strict, strictStage) = Self.established()
        let refused = Self.drive(&strict, [F.cableCheck(), F.preCharge(voltage: 20_000)], stage: &strictStage)
        #expect(refused.last.map(Self.code) == .failedWrongChargeParameter)
    }

    @Test("[DIN70121 FAILED_TariffSelectionInvalid] A charging profile for an unknown SAScheduleTuple is refused")
    func tariffSelectionInvalid() {
        var (machine, stage) = Self.established()
        let actions = Self.drive(
            &machine, [F.cableCheck(), F.preCharge(), F.powerDelivery(ready: true, tuple: 5)], stage: &stage)
        #expect(actions.last.map(Self.code) == .failedTariffSelectionInvalid)
    }

    @Test("[DIN70121 FAILED_PowerDeliveryNotApplied] Contactors that fail to close answer PowerDelivery with FAILED")
    func powerDeliveryNotApplied() {
        var (machine, stage) = Self.established()
        _ = Self.drive(&machine, [F.cableCheck(), F.preCharge()], stage: &stage)
        #expect(machine.received(F.powerDelivery(ready: true)) == .control(.setContactors(closed: true)))
        let action = machine.controllerReplied(.failed("contactor welded"))
        #expect(Self.code(action) == .failedPowerDeliveryNotApplied)
        #expect(Self.closes(action))
    }

    @Test("[DIN70121 CurrentDemand] The charge loop reports present values and limits, then stops, welds and ends")
    func chargeLoopToEnd() {
        var (machine, stage) = Self.established()
        let actions = Self.drive(
            &machine,
            [F.cableCheck(), F.preCharge(), F.preCharge(), F.powerDelivery(ready: true), F.currentDemand,
             F.currentDemand, F.powerDelivery(ready: false), F.weldingDetection, F.sessionStop],
            stage: &stage)
        #expect(actions.map(Self.code) == Array(repeating: ResponseCode.ok, count: 9))
        guard case .send(let m, _) = actions[4], case .currentDemandRes(let demand) = m.body.bodyElement else {
            Issue.record("no CurrentDemandRes"); return
        }
        #expect(demand.evsePresentVoltage.doubleValue == 380)
        #expect(demand.evsePresentCurrent.doubleValue == 80)
        #expect(demand.evseMaximumCurrentLimit?.doubleValue == 125)
        #expect(!stage.contactorsClosed)
        #expect(actions.last == .sendAndClose(F.message(.sessionStopRes(SessionStopRes(responseCode: .ok))), .sessionStopped))
    }

    @Test("[DIN70121 CurrentDemand] The requested current is limited to the EVSE's power at the target voltage")
    func currentLimitedByPower() {
        var (machine, stage) = Self.established()
        _ = Self.drive(&machine, [F.cableCheck(), F.preCharge(), F.preCharge(), F.powerDelivery(ready: true)], stage: &stage)
        let request = F.message(.currentDemandReq(CurrentDemandReq(
            dcEVStatus: F.evStatus, evTargetCurrent: PhysicalValue(200, unit: .a), chargingComplete: false,
            evTargetVoltage: PhysicalValue(450, unit: .v))))
        guard case .control(.deliver(let target)) = machine.received(request) else {
            Issue.record("no deliver"); return
        }
        #expect(target.voltageV == 450)
        #expect(abs(target.currentA - 50_000.0 / 450.0) < 0.001)
    }

    @Test("[DIN70121 FAILED_SequenceError] A request while the previous one is still being answered is refused")
    func requestWhileBusy() {
        var (machine, _) = Self.established()
        _ = machine.received(F.cableCheck())
        let action = machine.received(F.cableCheck())
        #expect(Self.code(action) == .failedSequenceError)
    }

    @Test("[DIN70121 V2G_SECC_Sequence_Timeout] Timer expiry ends the session without a message")
    func sequenceTimeout() {
        var machine = F.secc()
        _ = machine.received(F.sessionSetup)
        #expect(machine.sequenceTimerExpired() == .close(.sequenceTimeout))
        #expect(machine.isClosed)
        #expect(machine.sequenceTimerExpired() == .none)
    }

    @Test("[DIN70121] A response or an empty body from the vehicle cannot be answered: the connection closes")
    func protocolViolation() {
        var machine = F.secc()
        let response = F.message(.sessionStopRes(SessionStopRes(responseCode: .ok)))
        #expect(machine.received(response) == .close(.protocolViolation))
        var other = F.secc()
        #expect(other.received(V2GMessage(header: MessageHeader(sessionID: [0]), body: Body())) == .close(.protocolViolation))
    }

    @Test("[DIN70121 SessionStop] The EV may end the session after PowerDelivery stop without welding detection")
    func sessionStopWithoutWelding() {
        var (machine, stage) = Self.established()
        let actions = Self.drive(
            &machine, [F.cableCheck(), F.preCharge(), F.preCharge(), F.powerDelivery(ready: true),
                       F.powerDelivery(ready: false), F.sessionStop], stage: &stage)
        #expect(actions.last == .sendAndClose(F.message(.sessionStopRes(SessionStopRes(responseCode: .ok))), .sessionStopped))
    }
}
