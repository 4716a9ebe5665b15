import ISO15118SECC
import ISO20Messages
import PnCCore
import Testing

enum ISO20Fixtures {
    static let sessionID: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18]
    static let traceID = TraceID(high: 3, low: 4)
    static let now: UInt64 = 1_790_000_000
    static let capabilities = EVSECapabilities(
        energyTransfers: [.dcExtended], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
        maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "METER-20")
    static let configuration = ISO20SECCConfiguration(evseID: "DE*ABC*E1", evseIndex: 1, capabilities: capabilities)

    static func secc() -> ISO20SECCStateMachine {
        ISO20SECCStateMachine(configuration: configuration, proposedSessionID: sessionID, traceID: traceID)
    }

    static func header(_ id: [UInt8] = sessionID) -> MessageHeader { MessageHeader(sessionID: id, timeStamp: now) }

    static let sessionSetup = ISO20Request.sessionSetup(SessionSetupReq(header: header([0, 0, 0, 0, 0, 0, 0, 0]), evccID: "WMIV1234567890ABCDEX"))
    static let authorizationSetup = ISO20Request.authorizationSetup(AuthorizationSetupReq(header: header()))
    static let authorizationEIM = ISO20Request.authorization(AuthorizationReq(
        header: header(), selectedAuthorizationService: .eim, choice: .eimAReqAuthorizationMode(EIM_AReqAuthorizationMode())))
    static let serviceDiscovery = ISO20Request.serviceDiscovery(ServiceDiscoveryReq(header: header()))
    static let serviceDetail = ISO20Request.serviceDetail(ServiceDetailReq(header: header(), serviceID: 2))
    static func serviceSelection(_ id: UInt16 = 2) -> ISO20Request {
        .serviceSelection(ServiceSelectionReq(
            header: header(), selectedEnergyTransferService: SelectedService(serviceID: id, parameterSetID: 1)))
    }
    static func chargeParameterDiscovery(maximumVoltage: Double = 800) -> ISO20Request {
        .dcChargeParameterDiscovery(DC_ChargeParameterDiscoveryReq(
            header: header(), dcCPDReqEnergyTransferMode: .dcCPDReqEnergyTransferMode(DC_CPDReqEnergyTransferMode(
                evMaximumChargePower: RationalNumber(100_000), evMinimumChargePower: RationalNumber(0),
                evMaximumChargeCurrent: RationalNumber(250), evMinimumChargeCurrent: RationalNumber(0),
                evMaximumVoltage: RationalNumber(maximumVoltage), evMinimumVoltage: RationalNumber(100)))))
    }
    static let scheduleExchange = ISO20Request.scheduleExchange(ScheduleExchangeReq(
        header: header(), maximumSupportingPoints: 1024, choice: .scheduledSEReqControlMode(Scheduled_SEReqControlMode())))
    static let cableCheck = ISO20Request.dcCableCheck(DC_CableCheckReq(header: header()))
    static func preCharge(_ volts: Double = 400) -> ISO20Request {
        .dcPreCharge(DC_PreChargeReq(
            header: header(), evProcessing: .ongoing, evPresentVoltage: RationalNumber(390),
            evTargetVoltage: RationalNumber(volts)))
    }
    static func powerDelivery(_ progress: ChargeProgress) -> ISO20Request {
        .powerDelivery(PowerDeliveryReq(header: header(), evProcessing: .finished, chargeProgress: progress))
    }
    static let chargeLoop = ISO20Request.dcChargeLoop(DC_ChargeLoopReq(
        header: header(), meterInfoRequested: false, evPresentVoltage: RationalNumber(400),
        clReqControlMode: .scheduledDCCLReqControlMode(Scheduled_DC_CLReqControlMode(
            evTargetCurrent: RationalNumber(200), evTargetVoltage: RationalNumber(400)))))
    static let welding = ISO20Request.dcWeldingDetection(DC_WeldingDetectionReq(header: header(), evProcessing: .ongoing))
    static let sessionStop = ISO20Request.sessionStop(SessionStopReq(header: header(), chargingSession: .terminate))

    static let beforeCableCheck: [ISO20Request] = [
        sessionSetup, authorizationSetup, authorizationEIM, authorizationEIM, serviceDiscovery, serviceDetail,
        serviceSelection(), chargeParameterDiscovery(), scheduleExchange,
    ]
}

/// The DC output stage used to answer controller commands.
struct DCStage {
    var voltageV: Double = 0
    var isolation: ISO15118SECC.IsolationLevel = .valid
    var contactorsClosed = false
    var failContactors = false

    mutating func run(_ command: ISO20SECCStateMachine.ControllerCommand) -> ISO20SECCStateMachine.ControllerReply {
        switch command {
        case .cableCheck: return .isolation(self.isolation)
        case .setContactors(let closed):
            if self.failContactors { return .failed("contactor feedback missing") }
            self.contactorsClosed = closed
            return .contactorsSet
        case .deliver(let target):
            self.voltageV += max(min(target.voltageV - self.voltageV, 250), -250)
            let current = self.voltageV == target.voltageV && self.contactorsClosed ? target.currentA : 0
            return .output(OutputMeasurement(voltageV: self.voltageV, currentA: current))
        }
    }
}

@Suite struct ISO20SECCStateMachineTests {
    typealias F = ISO20Fixtures

    /// Sends each request through the EXI codec of its schema, feeds the machine, answers controller commands and
    /// accepts the authorization right after the backend is asked.
    static func drive(
        _ machine: inout ISO20SECCStateMachine, _ requests: [ISO20Request], stage: inout DCStage,
        decision: BackendAuthorizationDecision? = BackendAuthorizationDecision(status: .accepted)
    ) throws -> [ISO20SECCStateMachine.Action] {
        var actions: [ISO20SECCStateMachine.Action] = []
        for request in requests {
            var action = machine.received(try Self.roundTrip(request), now: F.now)
            while case .control(let command) = action { action = machine.controllerReplied(stage.run(command), now: F.now) }
            if case .sendAndAuthorize = action, let decision { _ = machine.backendAnswered(decision) }
            if let response = Self.response(action) { _ = try response.exiEncoded() }
            actions.append(action)
        }
        return actions
    }

    static func roundTrip(_ request: ISO20Request) throws -> ISO20Request {
        try #require(try ISO20Request(payloadType: request.payloadType, exi: request.exiEncoded()))
    }

    static func response(_ action: ISO20SECCStateMachine.Action) -> ISO20Response? {
        switch action {
        case .send(let r, _), .sendAndClose(let r, _), .sendAndAuthorize(let r, _, _),
            .startTransaction(_, let r, _), .sendAndUpdateTransaction(let r, _, _), .endTransaction(_, let r, _):
            r
        default: nil
        }
    }

    static func code(_ action: ISO20SECCStateMachine.Action?) -> ResponseCode? { action.flatMap(Self.response)?.responseCode }

    static func closes(_ action: ISO20SECCStateMachine.Action?) -> Bool {
        switch action {
        case .sendAndClose, .close, .endTransaction: true
        default: false
        }
    }

    @Test("[V2G20 SessionSetup] A new session gets OK_NewSessionEstablished, the SECC's SessionID and the EVSEID")
    func sessionSetup() {
        var machine = F.secc()
        let action = machine.received(F.sessionSetup, now: F.now)
        #expect(action == .send(.sessionSetup(SessionSetupRes(
            header: F.header(), responseCode: .okNewSessionEstablished, evseID: "DE*ABC*E1")), expectNextWithin: .seconds(60)))
    }

    @Test("[V2G20 FAILED_SequenceError] A first request other than SessionSetupReq is answered and ends the session")
    func firstRequestOutOfSequence() {
        var machine = F.secc()
        let action = machine.received(F.serviceDiscovery, now: F.now)
        #expect(Self.code(action) == .failedSequenceError)
        #expect(Self.closes(action))
        #expect(machine.received(F.sessionSetup, now: F.now) == .none)
    }

    @Test("[V2G20 FAILED_SequenceError] Requests out of the DC order are sequence errors", arguments: [
        ISO20Fixtures.serviceDiscovery, ISO20Fixtures.cableCheck, ISO20Fixtures.chargeLoop, ISO20Fixtures.powerDelivery(.start),
    ])
    func outOfSequence(request: ISO20Request) throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, [F.sessionSetup, F.authorizationSetup], stage: &stage)
        let action = machine.received(request, now: F.now)
        #expect(Self.code(action) == .failedSequenceError)
        #expect(machine.isClosed)
    }

    @Test("[V2G20 FAILED_UnknownSession] A request with another SessionID is refused")
    func unknownSession() {
        var machine = F.secc()
        _ = machine.received(F.sessionSetup, now: F.now)
        let action = machine.received(.authorizationSetup(AuthorizationSetupReq(header: F.header([1, 2, 3, 4, 5, 6, 7, 8]))), now: F.now)
        #expect(Self.code(action) == .failedUnknownSession)
        #expect(Self.closes(action))
    }

    @Test("[V2G20 AuthorizationSetup] EIM is offered without certificate installation")
    func authorizationSetup() throws {
        var machine = F.secc()
        var stage = DCStage()
        let actions = try Self.drive(&machine, [F.sessionSetup, F.authorizationSetup], stage: &stage)
        guard case .send(.authorizationSetup(let res), _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(res.authorizationServices == [.eim])
        #expect(!res.certificateInstallationService)
    }

    @Test("[V2G20 Authorization] EIM is Ongoing until the backend accepts, then Finished")
    func authorizationOngoing() throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, [F.sessionSetup, F.authorizationSetup], stage: &stage)
        guard case .sendAndAuthorize(.authorization(let first), _, let backend) = machine.received(F.authorizationEIM, now: F.now) else {
            Issue.record("no authorization request"); return
        }
        #expect(first.evseProcessing == .ongoing)
        #expect(backend.identification == .external(idToken: "WMIV1234567890ABCDEX", type: "MacAddress"))
        #expect(backend.traceID == F.traceID)
        guard case .send(.authorization(let second), _) = machine.received(F.authorizationEIM, now: F.now) else {
            Issue.record("no second answer"); return
        }
        #expect(second.evseProcessing == .ongoing)
        _ = machine.backendAnswered(BackendAuthorizationDecision(status: .accepted))
        guard case .send(.authorization(let third), _) = machine.received(F.authorizationEIM, now: F.now) else {
            Issue.record("no third answer"); return
        }
        #expect(third.evseProcessing == .finished)
        #expect(third.responseCode == .ok)
    }

    @Test("[V2G20 Authorization] A decision before the first answer replaces Ongoing: Finished when accepted, WARNING_EIMAuthorizationFailure (closing) when refused or failed; nothing while pending",
          arguments: [0, 1, 2])
    func authorizationDecidedBeforeAnswer(outcome: Int) throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, [F.sessionSetup, F.authorizationSetup], stage: &stage)
        guard case .sendAndAuthorize = machine.received(F.authorizationEIM, now: F.now) else {
            Issue.record("no authorization request"); return
        }
        let pending = machine.decidedAuthorization(answering: F.authorizationEIM, now: F.now)
        #expect(pending == nil)
        switch outcome {
        case 0: _ = machine.backendAnswered(BackendAuthorizationDecision(status: .accepted))
        case 1: _ = machine.backendAnswered(BackendAuthorizationDecision(status: .invalid))
        default: _ = machine.backendFailed()
        }
        let decided = machine.decidedAuthorization(answering: F.authorizationEIM, now: F.now)
        let action = try #require(decided)
        if outcome == 0 {
            guard case .send(.authorization(let res), _) = action else { Issue.record("\(action)"); return }
            #expect(res.responseCode == .ok)
            #expect(res.evseProcessing == .finished)
            // The session goes on with ServiceDiscovery, no repeated AuthorizationReq needed.
            let again = machine.decidedAuthorization(answering: F.authorizationEIM, now: F.now)
            #expect(again == nil)
        } else {
            #expect(Self.code(action) == .warningEIMAuthorizationFailure)
            #expect(Self.closes(action))
        }
    }

    @Test("[V2G20 WARNING_EIMAuthorizationFailure] A rejected or failed EIM authorization ends the session",
          arguments: [false, true])
    func authorizationRejected(throwing: Bool) throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, [F.sessionSetup, F.authorizationSetup, F.authorizationEIM], stage: &stage, decision: nil)
        _ = throwing ? machine.backendFailed() : machine.backendAnswered(BackendAuthorizationDecision(status: .invalid))
        let action = machine.received(F.authorizationEIM, now: F.now)
        #expect(Self.code(action) == .warningEIMAuthorizationFailure)
        #expect(Self.closes(action))
    }

    @Test("[V2G20 WARNING_AuthorizationSelectionInvalid] PnC when only EIM was offered is refused")
    func pncNotOffered() throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, [F.sessionSetup, F.authorizationSetup], stage: &stage)
        let request = ISO20Request.authorization(AuthorizationReq(
            header: F.header(), selectedAuthorizationService: .pnC,
            choice: .eimAReqAuthorizationMode(EIM_AReqAuthorizationMode())))
        #expect(Self.code(machine.received(request, now: F.now)) == .warningAuthorizationSelectionInvalid)
    }

    @Test("[V2G20 FAILED_ServiceIDInvalid, FAILED_ServiceSelectionInvalid] Unknown services are refused")
    func serviceErrors() throws {
        var machine = F.secc()
        var stage = DCStage()
        let prefix = [F.sessionSetup, F.authorizationSetup, F.authorizationEIM, F.authorizationEIM, F.serviceDiscovery]
        _ = try Self.drive(&machine, prefix, stage: &stage)
        #expect(Self.code(machine.received(.serviceDetail(ServiceDetailReq(header: F.header(), serviceID: 1)), now: F.now)) == .failedServiceIDInvalid)
        var other = F.secc()
        _ = try Self.drive(&other, prefix, stage: &stage)
        #expect(Self.code(other.received(F.serviceSelection(5), now: F.now)) == .failedServiceSelectionInvalid)
    }

    @Test("[V2G20 ServiceDetail] DC offers one parameter set with scheduled control mode")
    func serviceDetail() throws {
        var machine = F.secc()
        var stage = DCStage()
        let actions = try Self.drive(
            &machine, [F.sessionSetup, F.authorizationSetup, F.authorizationEIM, F.authorizationEIM, F.serviceDiscovery, F.serviceDetail],
            stage: &stage)
        guard case .send(.serviceDetail(let res), _) = actions.last else { Issue.record("\(actions)"); return }
        let set = try #require(res.serviceParameterList.parameterSet.first)
        #expect(set.parameterSetID == 1)
        #expect(set.parameter.contains(Parameter(name: "ControlMode", choice: .intValue(1))))
    }

    @Test("[V2G20 FAILED_WrongChargeParameter] An EV whose maximum voltage is below the EVSE minimum is refused")
    func wrongChargeParameter() throws {
        var machine = F.secc()
        var stage = DCStage()
        let actions = try Self.drive(
            &machine, Array(F.beforeCableCheck.prefix(7)) + [F.chargeParameterDiscovery(maximumVoltage: 100)], stage: &stage)
        #expect(Self.code(actions.last) == .failedWrongChargeParameter)
    }

    @Test("[V2G20 ScheduleExchange] One schedule at the EVSE's maximum power, anchored at the current time")
    func scheduleExchange() throws {
        var machine = F.secc()
        var stage = DCStage()
        let actions = try Self.drive(&machine, F.beforeCableCheck, stage: &stage)
        guard case .send(.scheduleExchange(let res), _) = actions.last,
            case .scheduledSEResControlMode(let mode) = res.choice
        else { Issue.record("\(String(describing: actions.last))"); return }
        let tuple = try #require(mode.scheduleTuple.first)
        #expect(tuple.chargingSchedule.powerSchedule.timeAnchor == F.now)
        #expect(tuple.chargingSchedule.powerSchedule.powerScheduleEntries.powerScheduleEntry.first?.power.doubleValue == 150_000)
    }

    @Test("[V2G20 DC] A complete DC EIM session answers OK at every step and opens the contactors at the end")
    func completeSession() throws {
        var machine = F.secc()
        var stage = DCStage()
        let actions = try Self.drive(
            &machine,
            F.beforeCableCheck + [F.cableCheck, F.preCharge(), F.preCharge(), F.powerDelivery(.start), F.chargeLoop,
                                  F.chargeLoop, F.powerDelivery(.stop), F.welding, F.sessionStop],
            stage: &stage)
        #expect(actions.allSatisfy { Self.code($0) == .ok || Self.code($0) == .okNewSessionEstablished })
        guard case .send(.dcChargeLoop(let loop), _) = actions[13] else { Issue.record("no charge loop"); return }
        #expect(loop.evsePresentVoltage.doubleValue == 400)
        #expect(loop.evsePresentCurrent.doubleValue == 200)
        #expect(ISO20Response.dcChargeLoop(loop).payloadType == 0x8004)
        #expect(Self.response(actions[0])?.payloadType == 0x8002)
        #expect(actions.last == .sendAndClose(.sessionStop(SessionStopRes(header: F.header(), responseCode: .ok)), .sessionStopped))
        #expect(!stage.contactorsClosed)
        #expect(machine.isClosed)
    }

    @Test("[V2G20 DC_CableCheck FAILED] An isolation fault answers FAILED and ends the session")
    func isolationFault() throws {
        var machine = F.secc()
        var stage = DCStage()
        stage.isolation = .fault
        let actions = try Self.drive(&machine, F.beforeCableCheck + [F.cableCheck], stage: &stage)
        #expect(Self.code(actions.last) == .failed)
        #expect(Self.closes(actions.last))
    }

    @Test("[V2G20 FAILED_PowerDeliveryNotApplied] Contactors that do not close answer FAILED_PowerDeliveryNotApplied")
    func contactorFailure() throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, F.beforeCableCheck + [F.cableCheck, F.preCharge(), F.preCharge()], stage: &stage)
        stage.failContactors = true
        let actions = try Self.drive(&machine, [F.powerDelivery(.start)], stage: &stage)
        #expect(Self.code(actions.last) == .failedPowerDeliveryNotApplied)
    }

    @Test("[V2G20 FAILED_WrongChargeParameter] A PreCharge target above the EVSE maximum voltage is refused")
    func preChargeTooHigh() throws {
        var machine = F.secc()
        var stage = DCStage()
        let actions = try Self.drive(&machine, F.beforeCableCheck + [F.cableCheck, F.preCharge(1000)], stage: &stage)
        #expect(Self.code(actions.last) == .failedWrongChargeParameter)
    }

    @Test("[V2G20 V2G_SECC_Sequence_Timeout] Timer expiry ends the session without a message")
    func sequenceTimeout() {
        var machine = F.secc()
        _ = machine.received(F.sessionSetup, now: F.now)
        #expect(machine.sequenceTimerExpired() == .close(.sequenceTimeout))
        #expect(machine.sequenceTimerExpired() == .none)
    }

    @Test("[V2G20 SessionStop Pause] Pause before energy transfer is answered OK, closes, and keeps the session for a later join")
    func pauseBeforeCharging() throws {
        var machine = F.secc()
        var stage = DCStage()
        _ = try Self.drive(&machine, Array(F.beforeCableCheck.prefix(4)), stage: &stage)
        let action = machine.received(.sessionStop(SessionStopReq(header: F.header(), chargingSession: .pause)), now: F.now)
        #expect(action == .sendAndClose(.sessionStop(SessionStopRes(header: F.header(), responseCode: .ok)), .sessionPaused))
        #expect(machine.pausedSession?.sessionID == F.sessionID)
        #expect(machine.pausedSession?.transactionID == nil)
        #expect(machine.isClosed)
    }

    @Test("[V2G20 ScheduleExchangeRes FAILED] A refused ScheduleExchangeReq gets an encodable response")
    func failedScheduleExchange() throws {
        var machine = F.secc()
        var stage = DCStage()
        let dynamic = ISO20Request.scheduleExchange(ScheduleExchangeReq(
            header: F.header(), maximumSupportingPoints: 12,
            choice: .dynamicSEReqControlMode(Dynamic_SEReqControlMode(
                departureTime: 3_600, evTargetEnergyRequest: RationalNumber(1), evMaximumEnergyRequest: RationalNumber(1),
                evMinimumEnergyRequest: RationalNumber(0)))))
        let actions = try Self.drive(&machine, Array(F.beforeCableCheck.prefix(8)) + [dynamic], stage: &stage)
        #expect(Self.code(actions.last) == .failed)
        #expect(Self.closes(actions.last))
    }
}
