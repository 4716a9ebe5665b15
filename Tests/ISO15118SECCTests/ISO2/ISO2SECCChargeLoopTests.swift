import ISO15118SECC
import ISO2Messages
import PnCCore
import Testing

@Suite struct ISO2SECCChargeLoopTests {
    typealias Base = ISO2SECCStateMachineTests
    typealias Machine = ISO2SECCStateMachine
    static let evStatus = DC_EVStatus(evReady: true, evErrorCode: .noError, evresssoc: 55)
    static let cableCheck = Base.request(.cableCheckReq(CableCheckReq(dcEVStatus: evStatus)))
    static let preCharge = Base.request(
        .preChargeReq(PreChargeReq(dcEVStatus: evStatus, evTargetVoltage: .of(400, .v), evTargetCurrent: .of(2, .a))))
    static func powerDelivery(_ progress: ChargeProgress, tuple: UInt8 = 1) -> V2GMessage {
        Base.request(.powerDeliveryReq(PowerDeliveryReq(chargeProgress: progress, saScheduleTupleID: tuple)))
    }
    static let currentDemand = Base.request(
        .currentDemandReq(
            CurrentDemandReq(
                dcEVStatus: evStatus, evTargetCurrent: .of(100, .a), chargingComplete: false, evTargetVoltage: .of(400, .v))))
    static let chargingStatus = Base.request(.chargingStatusReq(ChargingStatusReq()))
    static let welding = Base.request(.weldingDetectionReq(WeldingDetectionReq(dcEVStatus: evStatus)))
    static let stop = Base.request(.sessionStopReq(SessionStopReq(chargingSession: .terminate)))
    static let meter = MeterReading(energyWh: 1_000, powerW: 0)

    /// A machine that has answered ChargeParameterDiscovery.
    static func discovered(_ capabilities: EVSECapabilities = Base.dcCapabilities) -> Machine {
        var machine = Base.machine(capabilities)
        Base.toAuthorization(&machine)
        _ = machine.received(Base.authorization, now: 103)
        _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted))
        _ = machine.decidedAuthorization(now: 103)
        _ = machine.received(capabilities.energyTransfers.contains(.dcExtended) ? Base.dcParameters : Base.acParameters, now: 105)
        return machine
    }

    @Test("EIM DC: CableCheck, PreCharge, PowerDelivery, CurrentDemand, stop, WeldingDetection, SessionStop")
    func dcChargeLoop() throws {
        var machine = Self.discovered()
        #expect(machine.received(Self.cableCheck, now: 110) == .controller(.cableCheck(voltageV: 450)))
        let checked = machine.controllerAnswered(.isolation(.valid), now: 111)
        guard case .cableCheckRes(let cable)? = Base.body(checked) else {
            Issue.record("expected CableCheckRes, got \(checked)")
            return
        }
        #expect(cable.evseProcessing == .finished)
        #expect(cable.dcEVSEStatus.evseIsolationStatus == .valid)

        #expect(machine.received(Self.preCharge, now: 112) == .controller(.deliver(OutputTarget(voltageV: 400, currentA: 2))))
        guard case .preChargeRes(let pre)? = Base.body(
            machine.controllerAnswered(.output(OutputMeasurement(voltageV: 398, currentA: 2), Self.meter), now: 113))
        else {
            Issue.record("expected PreChargeRes")
            return
        }
        #expect(pre.evsePresentVoltage.doubleValue == 398)

        #expect(machine.received(Self.powerDelivery(.start), now: 114) == .controller(.setContactors(closed: true)))
        let started = machine.controllerAnswered(.contactorsSet(Self.meter), now: 115)
        guard case .startTransaction(let start, let response, _) = started else {
            Issue.record("expected a transaction start, got \(started)")
            return
        }
        #expect(start.meterStartWh == 1_000)
        #expect(start.sessionID == "0102030405060708")
        #expect(start.traceID == Base.trace)
        #expect(start.identification == .external(idToken: "000102030405", type: "MacAddress"))
        guard case .powerDeliveryRes(let powerRes)? = response.body.bodyElement else {
            Issue.record("expected PowerDeliveryRes")
            return
        }
        #expect(powerRes.responseCode == .ok)
        #expect(machine.transactionStarted(id: "tx-1") == .none)

        #expect(machine.received(Self.currentDemand, now: 116) == .controller(.deliver(OutputTarget(voltageV: 400, currentA: 100))))
        let demand = machine.controllerAnswered(
            .output(OutputMeasurement(voltageV: 401, currentA: 99, currentLimitReached: true), MeterReading(energyWh: 1_100, powerW: 40_000)),
            now: 117)
        guard case .send(let demandMessage, _) = demand, case .currentDemandRes(let demandRes)? = demandMessage.body.bodyElement else {
            Issue.record("expected CurrentDemandRes without a sample, got \(demand)")
            return
        }
        #expect(demandRes.evsePresentCurrent.doubleValue == 99)
        #expect(demandRes.evseCurrentLimitAchieved)
        #expect(demandRes.meterInfo?.meterReading == 1_100)

        // After the update interval the loop reports a sample to the backend.
        _ = machine.received(Self.currentDemand, now: 180)
        let sampled = machine.controllerAnswered(
            .output(OutputMeasurement(voltageV: 401, currentA: 99), MeterReading(energyWh: 1_800, powerW: 40_000)), now: 181)
        guard case .sendAndUpdateTransaction(_, let update, _) = sampled else {
            Issue.record("expected a transaction update, got \(sampled)")
            return
        }
        #expect(update == TransactionUpdate(
            transactionID: "tx-1", meterWh: 1_800, powerW: 40_000, stateOfCharge: 55, timestamp: 181, traceID: Base.trace))

        #expect(machine.received(Self.powerDelivery(.stop), now: 182) == .controller(.setContactors(closed: false)))
        #expect(Base.body(machine.controllerAnswered(.contactorsSet(MeterReading(energyWh: 1_900, powerW: 0)), now: 183))
            == .powerDeliveryRes(PowerDeliveryRes(responseCode: .ok, evseStatus: .dcEVSEStatus(
                DC_EVSEStatus(notificationMaxDelay: 0, evseNotification: .none, evseIsolationStatus: .valid, evseStatusCode: .evseReady)))))
        #expect(machine.received(Self.welding, now: 184) == .controller(.deliver(OutputTarget(voltageV: 0, currentA: 0))))
        guard case .weldingDetectionRes? = Base.body(
            machine.controllerAnswered(.output(OutputMeasurement(voltageV: 5, currentA: 0), MeterReading(energyWh: 1_900, powerW: 0)), now: 185))
        else {
            Issue.record("expected WeldingDetectionRes")
            return
        }
        let ended = machine.received(Self.stop, now: 186)
        guard case .endTransaction(let end, let stopMessage) = ended else {
            Issue.record("expected the transaction end, got \(ended)")
            return
        }
        #expect(end == TransactionEnd(transactionID: "tx-1", meterStopWh: 1_900, reason: .stoppedByEV, timestamp: 186, traceID: Base.trace))
        #expect(stopMessage.body.bodyElement == .sessionStopRes(SessionStopRes(responseCode: .ok)))
        #expect(machine.isClosed)
    }

    @Test("EIM AC: PowerDelivery right after ChargeParameterDiscovery, ChargingStatus loop, SessionStop")
    func acChargeLoop() {
        var machine = Self.discovered(Base.acCapabilities)
        #expect(machine.received(Self.powerDelivery(.start), now: 110) == .controller(.setContactors(closed: true)))
        guard case .startTransaction = machine.controllerAnswered(.contactorsSet(Self.meter), now: 111) else {
            Issue.record("expected a transaction start")
            return
        }
        _ = machine.transactionStarted(id: "tx-ac")
        #expect(machine.received(Self.chargingStatus, now: 112) == .controller(.deliver(OutputTarget(voltageV: 230, currentA: 32))))
        guard case .chargingStatusRes(let status)? = Base.body(
            machine.controllerAnswered(.output(OutputMeasurement(voltageV: 230, currentA: 16), MeterReading(energyWh: 1_050, powerW: 11_000)), now: 113))
        else {
            Issue.record("expected ChargingStatusRes")
            return
        }
        #expect(status.evseMaxCurrent?.doubleValue == 32)
        #expect(status.meterInfo?.meterReading == 1_050)
        #expect(Self.isSequenceError(machine.received(Self.currentDemand, now: 114)))
    }

    static func isSequenceError(_ action: Machine.Action) -> Bool {
        guard case .sendAndClose(let message) = action else { return false }
        switch message.body.bodyElement {
        case .currentDemandRes(let r): return r.responseCode == .failedSequenceError
        case .powerDeliveryRes(let r): return r.responseCode == .failedSequenceError
        case .weldingDetectionRes(let r): return r.responseCode == .failedSequenceError
        case .cableCheckRes(let r): return r.responseCode == .failedSequenceError
        case .chargingStatusRes(let r): return r.responseCode == .failedSequenceError
        default: return false
        }
    }

    @Test("DC: PowerDelivery before PreCharge, CurrentDemand before PowerDelivery and CableCheck on AC are sequence errors")
    func sequenceErrors() {
        var early = Self.discovered()
        #expect(Self.isSequenceError(early.received(Self.powerDelivery(.start), now: 110)))
        var noStart = Self.discovered()
        #expect(Self.isSequenceError(noStart.received(Self.currentDemand, now: 110)))
        var ac = Self.discovered(Base.acCapabilities)
        #expect(Self.isSequenceError(ac.received(Self.cableCheck, now: 110)))
    }

    @Test("A SAScheduleTupleID the SECC did not offer gets FAILED_TariffSelectionInvalid")
    func tariffSelection() {
        var machine = Self.discovered(Base.acCapabilities)
        guard case .sendAndClose(let message) = machine.received(Self.powerDelivery(.start, tuple: 7), now: 110),
            case .powerDeliveryRes(let response)? = message.body.bodyElement
        else {
            Issue.record("expected a failed PowerDeliveryRes")
            return
        }
        #expect(response.responseCode == .failedTariffSelectionInvalid)
    }

    @Test("CableCheck: an invalid isolation keeps Ongoing, a fault ends the session with FAILED")
    func cableCheckOutcomes() {
        var machine = Self.discovered()
        _ = machine.received(Self.cableCheck, now: 110)
        guard case .cableCheckRes(let ongoing)? = Base.body(machine.controllerAnswered(.isolation(.invalid), now: 111)) else {
            Issue.record("expected CableCheckRes")
            return
        }
        #expect(ongoing.evseProcessing == .ongoing)
        _ = machine.received(Self.cableCheck, now: 112)
        let fault = machine.controllerAnswered(.isolation(.fault), now: 113)
        guard case .sendAndClose(let message) = fault, case .cableCheckRes(let failed)? = message.body.bodyElement else {
            Issue.record("expected a failed CableCheckRes, got \(fault)")
            return
        }
        #expect(failed.responseCode == .failed)
        #expect(failed.dcEVSEStatus.evseStatusCode == .evseMalfunction)
    }

    @Test("A controller failure answers the pending request with FAILED; stray answers are ignored")
    func controllerFailure() {
        var machine = Self.discovered()
        #expect(machine.controllerAnswered(.isolation(.valid), now: 109) == .none)
        _ = machine.received(Self.cableCheck, now: 110)
        let action = machine.controllerAnswered(.failed, now: 111)
        guard case .sendAndClose(let message) = action, case .cableCheckRes(let response)? = message.body.bodyElement else {
            Issue.record("expected a failed CableCheckRes")
            return
        }
        #expect(response.responseCode == .failed)
        #expect(machine.isClosed)
    }

    @Test("SessionStop before any energy transfer closes without a transaction end")
    func stopWithoutTransaction() {
        var machine = Self.discovered()
        #expect(machine.received(Self.stop, now: 110)
            == .sendAndClose(V2GMessage(header: MessageHeader(sessionID: Base.sessionID), body: Body(bodyElement: .sessionStopRes(SessionStopRes(responseCode: .ok))))))
    }

    @Test("Every failed response of the charge loop encodes as a valid ISO 15118-2 message")
    func failedResponsesEncode() throws {
        let requests: [V2GMessage] = [Self.cableCheck, Self.preCharge, Self.powerDelivery(.start), Self.currentDemand, Self.chargingStatus,
            Self.welding, Base.paymentSelection(.contract), Base.dcParameters]
        for request in requests {
            let body = try #require(request.body.bodyElement)
            let failed = try #require(ISO2FailedResponse.body(answering: body, code: .failedSequenceError, evseID: "DE*ABC*E1"))
            let message = V2GMessage(header: MessageHeader(sessionID: Base.sessionID), body: Body(bodyElement: failed))
            let bytes = try ISO2Document.v2gMessage(message).exiEncoded()
            #expect(try ISO2Document(exi: bytes) == .v2gMessage(message))
        }
    }
}
