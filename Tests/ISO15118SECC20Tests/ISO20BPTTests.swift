import ISO15118EVCC
import ISO15118SECC
import ISO20Messages
import PnCCore
import Testing

/// Sessions and machines for -20 bidirectional power transfer, dynamic control mode, standby, pause and service
/// renegotiation. The clock is manual: the in-memory session advances it by one second per exchange.
enum BPTFixtures {
    static let dcBPT = EVSECapabilities(
        energyTransfers: [.dcExtended, .dcBPT], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
        maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "METER-BPT",
        maximumDischargePowerW: 50_000, maximumDischargeCurrentA: 125)
    static let acBPT = EVSECapabilities(
        energyTransfers: [.acThreePhase, .acBPT], maximumPowerW: 22_000, maximumCurrentA: 32, minimumCurrentA: 6,
        maximumVoltageV: 250, minimumVoltageV: 200, nominalVoltageV: 230, meterID: "METER-AC-BPT",
        maximumDischargePowerW: 11_000, maximumDischargeCurrentA: 16)
    /// Discharge at 20 kW for an hour, then charge.
    static let dischargePlan = [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: -20_000)]

    static func secc(
        _ capabilities: EVSECapabilities = dcBPT, modes: [ISO20ControlMode] = [.scheduled], plan: [ISO20PowerPlanEntry] = [],
        paused: [ISO20PausedSession] = [], sessionID: [UInt8] = ISO20Fixtures.sessionID,
        adjust: (inout ISO20SECCConfiguration) -> Void = { _ in }
    ) -> ISO20SECCStateMachine {
        var configuration = ISO20SECCConfiguration(evseID: "DE*ABC*E1", evseIndex: 1, capabilities: capabilities)
        configuration.controlModes = modes
        configuration.powerPlan = plan
        adjust(&configuration)
        return ISO20SECCStateMachine(
            configuration: configuration, proposedSessionID: sessionID, traceID: ISO20Fixtures.traceID, pausedSessions: paused)
    }

    static func ev(
        ac: Bool = false, bpt: Bool = true, modes: [ISO20ControlMode] = [.scheduled],
        adjust: (inout ISO20EVCCConfiguration) -> Void = { _ in }
    ) -> ISO20EVCCStateMachine {
        var configuration = ISO20EVCCConfiguration(
            evccID: "WMIV1234567890ABCDEX", maximumVoltageV: ac ? 250 : 800, minimumVoltageV: 200,
            maximumCurrentA: ac ? 16 : 250, maximumPowerW: ac ? 11_000 : 100_000, targetVoltageV: ac ? 230 : 400,
            targetCurrentA: ac ? 16 : 200, ac: ac)
        configuration.bpt = bpt
        configuration.maximumDischargePowerW = ac ? 7_000 : 30_000
        configuration.maximumDischargeCurrentA = ac ? 10 : 60
        configuration.controlModes = modes
        configuration.stateOfCharge = 60
        configuration.minimumStateOfCharge = 20
        adjust(&configuration)
        return ISO20EVCCStateMachine(configuration: configuration)
    }

    static func session(secc: ISO20SECCStateMachine, ev: ISO20EVCCStateMachine, loops: Int = 4) -> ISO20InMemorySession {
        var session = ISO20InMemorySession()
        session.secc = secc
        session.evcc = ev
        session.chargeLoops = loops
        return session
    }

    static func dcLoops(_ session: ISO20InMemorySession) -> [DC_ChargeLoopRes] {
        session.responses.compactMap { if case .dcChargeLoop(let r) = $0 { r } else { nil } }
    }

    static func acLoops(_ session: ISO20InMemorySession) -> [AC_ChargeLoopRes] {
        session.responses.compactMap { if case .acChargeLoop(let r) = $0 { r } else { nil } }
    }
}

@Suite struct ISO20BPTSessionTests {
    typealias B = BPTFixtures

    @Test("[V2G20 DC_BPT scheduled] The vehicle follows a discharging schedule: negative EVTargetCurrent within both sides' limits, BPT messages at every step, the battery gives energy back")
    func dcBPTScheduled() throws {
        var session = B.session(secc: B.secc(plan: B.dischargePlan), ev: B.ev())
        #expect(try session.run() == .completed)
        #expect(session.transcript.contains("dcWeldingDetection"))
        // ServiceSelection chose DC_BPT, ChargeParameterDiscovery carried the BPT parameter sets.
        #expect(session.requests.contains { if case .serviceSelection(let r) = $0 { r.selectedEnergyTransferService.serviceID == 6 } else { false } })
        #expect(session.requests.contains { if case .dcChargeParameterDiscovery(let r) = $0, case .bptDCCPDReqEnergyTransferMode = r.dcCPDReqEnergyTransferMode { true } else { false } })
        #expect(session.responses.contains { if case .dcChargeParameterDiscovery(let r) = $0, case .bptDCCPDResEnergyTransferMode(let m) = r.dcCPDResEnergyTransferMode { m.evseMaximumDischargeCurrent.doubleValue == 125 } else { false } })
        // The schedule has a DischargingSchedule at the EVSE's discharge limit and a negative first entry.
        let schedule = try #require(session.responses.compactMap { if case .scheduleExchange(let r) = $0, case .scheduledSEResControlMode(let m) = r.choice { m } else { nil } }.first)
        let tuple = try #require(schedule.scheduleTuple.first)
        #expect(tuple.chargingSchedule.powerSchedule.powerScheduleEntries.powerScheduleEntry.first?.power.doubleValue == -20_000)
        #expect(tuple.dischargingSchedule?.powerSchedule.powerScheduleEntries.powerScheduleEntry.first?.power.doubleValue == -50_000)
        // -20 kW at 400 V is -50 A, within the vehicle's 60 A and the EVSE's 125 A.
        let loops = B.dcLoops(session)
        #expect(loops.count == 4)
        #expect(loops.allSatisfy { $0.evsePresentCurrent.doubleValue == -50 })
        #expect(loops.allSatisfy { if case .bptScheduledDCCLResControlMode(let m) = $0.clResControlMode { m.evseMaximumDischargePower?.doubleValue == 50_000 } else { false } })
        #expect(session.evcc.dischargedWh > 0)
        #expect(session.evcc.chargedWh == 0)
        #expect(session.evcc.battery.stateOfCharge < 60)
    }

    @Test("[V2G20 DC_BPT scheduled] After the discharge window the schedule's positive power charges again")
    func dcBPTChargeAfterWindow() throws {
        let plan = [ISO20PowerPlanEntry(durationSeconds: 7, powerW: -20_000), ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: 40_000)]
        var session = B.session(secc: B.secc(plan: plan), ev: B.ev(), loops: 6)
        #expect(try session.run() == .completed)
        let currents = B.dcLoops(session).map(\.evsePresentCurrent.doubleValue)
        #expect(currents.first == -50)
        #expect(currents.last == 100)
        #expect(session.evcc.dischargedWh > 0)
        #expect(session.evcc.chargedWh > 0)
    }

    @Test("[V2G20 DC_BPT dynamic] The SECC sets the discharge from its plan within the vehicle's limits (BPT_Dynamic_DC_CLReq/Res)")
    func dcBPTDynamic() throws {
        var session = B.session(secc: B.secc(modes: [.scheduled, .dynamic], plan: B.dischargePlan), ev: B.ev(modes: [.dynamic]))
        #expect(try session.run() == .completed)
        #expect(session.requests.contains { if case .serviceSelection(let r) = $0 { r.selectedEnergyTransferService.parameterSetID == 2 } else { false } })
        #expect(session.requests.contains { if case .scheduleExchange(let r) = $0, case .dynamicSEReqControlMode(let d) = r.choice { (d.evMinimumV2XEnergyRequest?.doubleValue ?? 0) < 0 } else { false } })
        #expect(session.responses.contains { if case .scheduleExchange(let r) = $0, case .dynamicSEResControlMode = r.choice { true } else { false } })
        let loops = B.dcLoops(session)
        #expect(!loops.isEmpty)
        // -20 kW at 400 V: -50 A, within the vehicle's 30 kW / 60 A.
        #expect(loops.allSatisfy { $0.evsePresentCurrent.doubleValue == -50 })
        #expect(loops.allSatisfy { if case .bptDynamicDCCLResControlMode = $0.clResControlMode { true } else { false } })
        #expect(session.evcc.battery.stateOfCharge < 60)
    }

    @Test("[V2G20 DC_BPT dynamic] A vehicle at its minimum state of charge is not discharged")
    func dcBPTDynamicFloor() throws {
        let ev = B.ev(modes: [.dynamic]) { $0.stateOfCharge = 20 }
        var session = B.session(secc: B.secc(modes: [.dynamic], plan: B.dischargePlan), ev: ev)
        #expect(try session.run() == .completed)
        #expect(B.dcLoops(session).allSatisfy { $0.evsePresentCurrent.doubleValue >= 0 })
        #expect(session.evcc.dischargedWh == 0)
    }

    @Test("[V2G20 Dynamic DC] Dynamic control mode without BPT: the SECC charges at the least of its plan and the vehicle's limits")
    func dcDynamic() throws {
        var session = B.session(
            secc: B.secc(ISO20Fixtures.capabilities, modes: [.scheduled, .dynamic]), ev: B.ev(bpt: false, modes: [.dynamic]))
        #expect(try session.run() == .completed)
        #expect(session.requests.contains { if case .serviceSelection(let r) = $0 { r.selectedEnergyTransferService == SelectedService(serviceID: 2, parameterSetID: 2) } else { false } })
        let loops = B.dcLoops(session)
        // 100 kW vehicle maximum at 400 V: 250 A (its maximum current too).
        #expect(loops.allSatisfy { $0.evsePresentCurrent.doubleValue == 250 })
        #expect(loops.allSatisfy { if case .dynamicDCCLResControlMode = $0.clResControlMode { true } else { false } })
        #expect(session.evcc.chargedWh > 0)
    }

    @Test("[V2G20 ControlMode] A vehicle preferring dynamic mode selects scheduled when the SECC offers only that")
    func controlModeFallback() throws {
        var session = B.session(secc: B.secc(), ev: B.ev(modes: [.dynamic, .scheduled]))
        #expect(try session.run() == .completed)
        #expect(session.evcc.controlMode == .scheduled)
        #expect(session.requests.contains { if case .serviceSelection(let r) = $0 { r.selectedEnergyTransferService.parameterSetID == 1 } else { false } })
    }

    @Test("[V2G20 ControlMode] A vehicle that accepts only dynamic mode finds no parameter set at a scheduled-only SECC")
    func dynamicNotOffered() throws {
        var session = B.session(secc: B.secc(), ev: B.ev(modes: [.dynamic]))
        #expect(try session.run() == .notOffered("dynamic control mode"))
    }

    @Test("[V2G20 DC_BPT] A BPT vehicle at an EVSE that cannot discharge finds no DC_BPT service")
    func bptNotOffered() throws {
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities), ev: B.ev())
        #expect(try session.run() == .notOffered("DC_BPT"))
    }

    @Test("[V2G20 AC_BPT scheduled] AC_BPT: BPT_AC_CPDReq/Res, the vehicle feeds power back while the schedule is negative")
    func acBPTScheduled() throws {
        var session = B.session(secc: B.secc(B.acBPT, plan: [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: -6_000)]), ev: B.ev(ac: true))
        #expect(try session.run() == .completed)
        #expect(session.requests.contains { if case .serviceSelection(let r) = $0 { r.selectedEnergyTransferService.serviceID == 5 } else { false } })
        #expect(session.responses.contains { if case .acChargeParameterDiscovery(let r) = $0, case .bptACCPDResEnergyTransferMode = r.acCPDResEnergyTransferMode { true } else { false } })
        let targets = B.acLoops(session).compactMap { r -> Double? in
            if case .bptScheduledACCLResControlMode(let m) = r.clResControlMode { m.evseTargetActivePower?.doubleValue } else { nil }
        }
        #expect(targets.count == 4)
        #expect(targets.allSatisfy { $0 == -6_000 })
        #expect(session.evcc.dischargedWh > 0)
    }

    @Test("[V2G20 AC_BPT dynamic] AC_BPT dynamic: the SECC's target active power is its plan within the vehicle's discharge limit")
    func acBPTDynamic() throws {
        var session = B.session(
            secc: B.secc(B.acBPT, modes: [.dynamic], plan: [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: -9_000)]),
            ev: B.ev(ac: true, modes: [.dynamic]))
        #expect(try session.run() == .completed)
        let targets = B.acLoops(session).compactMap { r -> Double? in
            if case .bptDynamicACCLResControlMode(let m) = r.clResControlMode { m.evseTargetActivePower.doubleValue } else { nil }
        }
        #expect(!targets.isEmpty)
        // The vehicle gives back at most 7 kW.
        #expect(targets.allSatisfy { $0 == -7_000 })
        #expect(session.evcc.dischargedWh > 0)
    }

    @Test("[V2G20 Dynamic AC] Dynamic AC without BPT: the SECC's target is the vehicle's maximum charge power")
    func acDynamic() throws {
        var session = B.session(secc: B.secc(ISO20ACSessionTests.acCapabilities, modes: [.dynamic]), ev: B.ev(ac: true, bpt: false, modes: [.dynamic]))
        #expect(try session.run() == .completed)
        let targets = B.acLoops(session).compactMap { r -> Double? in
            if case .dynamicACCLResControlMode(let m) = r.clResControlMode { m.evseTargetActivePower.doubleValue } else { nil }
        }
        #expect(!targets.isEmpty)
        #expect(targets.allSatisfy { $0 == 11_000 })
    }
}

@Suite struct ISO20StandbyPauseTests {
    typealias B = BPTFixtures

    @Test("[V2G20 PowerDelivery Standby] Standby: zero current with closed contactors, then PowerDelivery Start resumes the charge loop")
    func standby() throws {
        let ev = B.ev(bpt: false) {
            $0.standbyAfterLoops = 2
            $0.standbyLoops = 2
        }
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities), ev: ev, loops: 7)
        #expect(try session.run() == .completed)
        let progress = session.requests.compactMap { if case .powerDelivery(let r) = $0 { r.chargeProgress } else { nil } }
        #expect(progress == [.start, .standby, .start, .stop])
        let currents = B.dcLoops(session).map(\.evsePresentCurrent.doubleValue)
        #expect(currents == [200, 200, 0, 0, 200, 200, 200])
        #expect(!session.stage.contactorsClosed)
        // One transaction from the first Start to SessionStop.
        #expect(session.transactionStarts.count == 1)
        #expect(session.transactionEnds.count == 1)
    }

    @Test("[V2G20 WARNING_StandbyNotAllowed] An SECC that does not allow standby answers the warning and both sides go on charging")
    func standbyNotAllowed() throws {
        let ev = B.ev(bpt: false) { $0.standbyAfterLoops = 1 }
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities) { $0.allowsStandby = false }, ev: ev)
        #expect(try session.run() == .completed)
        #expect(session.responses.contains { if case .powerDelivery(let r) = $0 { r.responseCode == .warningStandbyNotAllowed } else { false } })
        #expect(B.dcLoops(session).allSatisfy { $0.evsePresentCurrent.doubleValue == 200 })
    }

    @Test("[V2G20 SessionStop Pause, OK_OldSessionJoined] A paused session is joined with its SessionID on a new connection; the transaction goes on and ends once")
    func pauseAndResume() throws {
        let ev = B.ev(bpt: false) { $0.sessionEnd = .pause }
        var first = B.session(secc: B.secc(ISO20Fixtures.capabilities), ev: ev)
        #expect(try first.run() == .paused(sessionID: ISO20Fixtures.sessionID))
        let paused = try #require(first.secc.pausedSession)
        #expect(paused.sessionID == ISO20Fixtures.sessionID)
        #expect(paused.transactionID == "tx-1")
        #expect(first.transactionStarts.count == 1)
        #expect(first.transactionEnds.isEmpty)

        // The second connection: a new SECC machine that knows the paused session, the vehicle asks to join it.
        let other: [UInt8] = [9, 9, 9, 9, 9, 9, 9, 9]
        let resume = B.ev(bpt: false) { $0.resumeSessionID = ISO20Fixtures.sessionID }
        var second = B.session(secc: B.secc(ISO20Fixtures.capabilities, paused: [paused], sessionID: other), ev: resume)
        second.now = first.now + 600
        #expect(try second.run() == .completed)
        #expect(second.responses.first?.responseCode == .okOldSessionJoined)
        #expect(second.evcc.joinedOldSession)
        #expect(second.evcc.currentSessionID == ISO20Fixtures.sessionID)
        #expect(second.secc.joinedSessionID == ISO20Fixtures.sessionID)
        #expect(second.transactionStarts.isEmpty)
        #expect(second.transactionEnds.map(\.transactionID) == ["tx-1"])
    }

    @Test("[V2G20 SessionSetup] An unknown SessionID, or a paused one with another EVCCID, starts a new session")
    func resumeUnknown() throws {
        let paused = ISO20PausedSession(
            sessionID: ISO20Fixtures.sessionID, evccID: "OTHER-EV", traceID: ISO20Fixtures.traceID, transactionID: "tx-9",
            meter: MeterReading(energyWh: 10, powerW: 0), pausedAt: ISO20Fixtures.now)
        let other: [UInt8] = [9, 9, 9, 9, 9, 9, 9, 9]
        let resume = B.ev(bpt: false) { $0.resumeSessionID = ISO20Fixtures.sessionID }
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities, paused: [paused], sessionID: other), ev: resume)
        #expect(try session.run() == .completed)
        #expect(session.responses.first?.responseCode == .okNewSessionEstablished)
        #expect(!session.evcc.joinedOldSession)
        #expect(session.evcc.currentSessionID == other)
        #expect(session.transactionStarts.count == 1)
    }

    @Test("[V2G20 FAILED_PauseNotAllowed] An SECC that does not allow pausing refuses SessionStopReq Pause")
    func pauseNotAllowed() throws {
        let ev = B.ev(bpt: false) { $0.sessionEnd = .pause }
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities) { $0.allowsPause = false }, ev: ev)
        #expect(try session.run() == .failed(.failedPauseNotAllowed, request: "SessionStopReq"))
        #expect(session.secc.pausedSession == nil)
    }

    @Test("[V2G20 SessionStop ServiceRenegotiation] Service renegotiation: back to ServiceDiscovery on the same connection, a second energy transfer, one transaction")
    func renegotiation() throws {
        let ev = B.ev(bpt: false) { $0.sessionEnd = .serviceRenegotiation }
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities), ev: ev, loops: 2)
        #expect(try session.run() == .completed)
        #expect(session.evcc.renegotiations == 1)
        #expect(session.transcript.filter { $0 == "serviceDiscovery" }.count == 2)
        #expect(session.transcript.filter { $0 == "scheduleExchange" }.count == 2)
        #expect(session.transcript.filter { $0 == "dcChargeLoop" }.count == 4)
        let stops = session.requests.compactMap { if case .sessionStop(let r) = $0 { r.chargingSession } else { nil } }
        #expect(stops == [.serviceRenegotiation, .terminate])
        #expect(session.responses.contains { if case .serviceDiscovery(let r) = $0 { r.serviceRenegotiationSupported } else { false } })
        #expect(session.transactionStarts.count == 1)
        #expect(session.transactionEnds.count == 1)
        #expect(!session.stage.contactorsClosed)
    }

    @Test("[V2G20 FAILED_NoServiceRenegotiationSupported] An SECC without renegotiation refuses it and says so in ServiceDiscoveryRes")
    func renegotiationNotSupported() throws {
        let ev = B.ev(bpt: false) { $0.sessionEnd = .serviceRenegotiation }
        var session = B.session(secc: B.secc(ISO20Fixtures.capabilities) { $0.supportsServiceRenegotiation = false }, ev: ev)
        #expect(try session.run() == .failed(.failedNoServiceRenegotiationSupported, request: "SessionStopReq"))
        #expect(session.responses.contains { if case .serviceDiscovery(let r) = $0 { !r.serviceRenegotiationSupported } else { false } })
    }
}

@Suite struct ISO20BPTSECCTests {
    typealias F = ISO20Fixtures
    typealias B = BPTFixtures
    typealias T = ISO20SECCStateMachineTests

    static let prefix: [ISO20Request] = [
        F.sessionSetup, F.authorizationSetup, F.authorizationEIM, F.authorizationEIM, F.serviceDiscovery,
    ]

    static func bptDiscovery(dischargeCurrent: Double = 60) -> ISO20Request {
        .dcChargeParameterDiscovery(DC_ChargeParameterDiscoveryReq(
            header: F.header(), dcCPDReqEnergyTransferMode: .bptDCCPDReqEnergyTransferMode(BPT_DC_CPDReqEnergyTransferMode(
                evMaximumChargePower: RationalNumber(100_000), evMinimumChargePower: RationalNumber(0),
                evMaximumChargeCurrent: RationalNumber(250), evMinimumChargeCurrent: RationalNumber(0),
                evMaximumVoltage: RationalNumber(800), evMinimumVoltage: RationalNumber(200),
                evMaximumDischargePower: RationalNumber(30_000), evMinimumDischargePower: RationalNumber(0),
                evMaximumDischargeCurrent: RationalNumber(dischargeCurrent), evMinimumDischargeCurrent: RationalNumber(0)))))
    }

    static func selection(_ service: UInt16, _ set: UInt16 = 1) -> ISO20Request {
        .serviceSelection(ServiceSelectionReq(
            header: F.header(), selectedEnergyTransferService: SelectedService(serviceID: service, parameterSetID: set)))
    }

    static func bptLoop(current: Double, voltage: Double = 400) -> ISO20Request {
        .dcChargeLoop(DC_ChargeLoopReq(
            header: F.header(), meterInfoRequested: false, evPresentVoltage: RationalNumber(voltage),
            clReqControlMode: .bptScheduledDCCLReqControlMode(BPT_Scheduled_DC_CLReqControlMode(
                evTargetCurrent: RationalNumber(current), evTargetVoltage: RationalNumber(voltage)))))
    }

    /// Drives a DC_BPT session with `modes` offered up to the charge loop.
    static func charging(_ machine: inout ISO20SECCStateMachine, stage: inout DCStage) throws {
        _ = try T.drive(
            &machine,
            Self.prefix + [selection(6), bptDiscovery(), F.scheduleExchange, F.cableCheck, F.preCharge(), F.preCharge(),
                           F.powerDelivery(.start)],
            stage: &stage)
    }

    @Test("[V2G20 ServiceDiscovery] DC_BPT (6) is offered when the EVSE can discharge, with ServiceRenegotiationSupported")
    func discovery() throws {
        var machine = B.secc()
        var stage = DCStage()
        let actions = try T.drive(&machine, Self.prefix, stage: &stage)
        guard case .send(.serviceDiscovery(let res), _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(res.energyTransferServiceList.service.map(\.serviceID) == [2, 6])
        #expect(res.serviceRenegotiationSupported)
    }

    @Test("[V2G20 ServiceDetail DC_BPT] The parameter sets carry BPTChannel and GeneratorMode, one set per offered control mode")
    func serviceDetail() throws {
        var machine = B.secc(modes: [.scheduled, .dynamic])
        var stage = DCStage()
        let actions = try T.drive(
            &machine, Self.prefix + [.serviceDetail(ServiceDetailReq(header: F.header(), serviceID: 6))], stage: &stage)
        guard case .send(.serviceDetail(let res), _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(res.serviceID == 6)
        let sets = res.serviceParameterList.parameterSet
        #expect(sets.map(\.parameterSetID) == [1, 2])
        #expect(sets.map { ISO20ControlMode.of($0) } == [.scheduled, .dynamic])
        for set in sets {
            #expect(set.parameter.contains(Parameter(name: "BPTChannel", choice: .intValue(1))))
            #expect(set.parameter.contains(Parameter(name: "GeneratorMode", choice: .intValue(1))))
        }
    }

    @Test("[V2G20 FAILED_ServiceSelectionInvalid] A parameter set that was not offered, or DC_BPT at an EVSE that cannot discharge",
          arguments: [(UInt16(6), UInt16(2), true), (UInt16(6), UInt16(1), false)])
    func selectionInvalid(service: UInt16, set: UInt16, canDischarge: Bool) throws {
        var machine = canDischarge ? B.secc() : B.secc(ISO20Fixtures.capabilities)
        var stage = DCStage()
        let actions = try T.drive(&machine, Self.prefix + [Self.selection(service, set)], stage: &stage)
        #expect(T.code(actions.last) == .failedServiceSelectionInvalid)
        #expect(machine.isClosed)
    }

    @Test("[V2G20 FAILED_WrongChargeParameter] Unidirectional parameters after selecting DC_BPT, and BPT parameters after selecting DC")
    func wrongParameters() throws {
        var machine = B.secc()
        var stage = DCStage()
        var actions = try T.drive(&machine, Self.prefix + [Self.selection(6), F.chargeParameterDiscovery()], stage: &stage)
        #expect(T.code(actions.last) == .failedWrongChargeParameter)
        var other = B.secc()
        actions = try T.drive(&other, Self.prefix + [Self.selection(2), Self.bptDiscovery()], stage: &stage)
        #expect(T.code(actions.last) == .failedWrongChargeParameter)
    }

    @Test("[V2G20 FAILED] A ScheduleExchangeReq or charge loop in another control mode than the selected one is refused")
    func controlModeMismatch() throws {
        var machine = B.secc(modes: [.scheduled, .dynamic])
        var stage = DCStage()
        var actions = try T.drive(&machine, Self.prefix + [Self.selection(6, 2), Self.bptDiscovery(), F.scheduleExchange], stage: &stage)
        #expect(T.code(actions.last) == .failed)
        var scheduled = B.secc()
        try Self.charging(&scheduled, stage: &stage)
        actions = try T.drive(&scheduled, [F.chargeLoop], stage: &stage)
        #expect(T.code(actions.last) == .failed)
    }

    @Test("[V2G20 BPT_Scheduled_DC_CLReq] A discharge request beyond the vehicle's announced limit is held at that limit")
    func dischargeClamped() throws {
        var machine = B.secc()
        var stage = DCStage()
        try Self.charging(&machine, stage: &stage)
        let actions = try T.drive(&machine, [Self.bptLoop(current: -200)], stage: &stage)
        guard case .send(.dcChargeLoop(let res), _) = actions.last else { Issue.record("\(actions)"); return }
        #expect(res.evsePresentCurrent.doubleValue == -60)
        #expect(stage.contactorsClosed)
    }

    @Test("[V2G20 FAILED_WrongChargeParameter] A BPT charge-loop voltage above the EVSE maximum is refused")
    func loopVoltage() throws {
        var machine = B.secc()
        var stage = DCStage()
        try Self.charging(&machine, stage: &stage)
        let actions = try T.drive(&machine, [Self.bptLoop(current: -10, voltage: 1_000)], stage: &stage)
        #expect(T.code(actions.last) == .failedWrongChargeParameter)
    }

    @Test("[V2G20 FAILED_WrongChargeParameter] Extreme or negative rational numbers in a BPT charge loop get a typed refusal, never a trap",
          arguments: [
            (RationalNumber(exponent: 127, value: 32_767), RationalNumber(exponent: 127, value: -32_768)),
            (RationalNumber(exponent: -128, value: -1), RationalNumber(exponent: 0, value: 10)),
            (RationalNumber(exponent: 3, value: -32_768), RationalNumber(exponent: -128, value: 1)),
          ])
    func extremeValues(voltage: RationalNumber, current: RationalNumber) throws {
        var machine = B.secc()
        var stage = DCStage()
        try Self.charging(&machine, stage: &stage)
        let request = ISO20Request.dcChargeLoop(DC_ChargeLoopReq(
            header: F.header(), meterInfoRequested: false, evPresentVoltage: voltage,
            clReqControlMode: .bptScheduledDCCLReqControlMode(BPT_Scheduled_DC_CLReqControlMode(
                evTargetCurrent: current, evTargetVoltage: voltage))))
        let actions = try T.drive(&machine, [request], stage: &stage)
        #expect(T.code(actions.last) == .failedWrongChargeParameter)
        #expect(machine.isClosed)
    }

    @Test("[V2G20 PowerDelivery] Standby before energy transfer, and Start while charging, are sequence failures")
    func powerDeliveryOrder() throws {
        var machine = B.secc()
        var stage = DCStage()
        try Self.charging(&machine, stage: &stage)
        let actions = try T.drive(&machine, [F.powerDelivery(.start)], stage: &stage)
        #expect(T.code(actions.last) == .failed)
    }
}

@Suite struct ISO20EVCCBPTTests {
    @Test("[V2G20 EVCC] A vehicle asking for DC_BPT selects service 6 and the scheduled parameter set")
    func selectsBPT() {
        var evcc = BPTFixtures.ev()
        let h = ISO20Fixtures.header()
        _ = evcc.start(now: 0)
        _ = evcc.received(.sessionSetup(SessionSetupRes(header: h, responseCode: .okNewSessionEstablished, evseID: "E")), now: 0)
        _ = evcc.received(.authorizationSetup(AuthorizationSetupRes(
            header: h, responseCode: .ok, authorizationServices: [.eim], certificateInstallationService: false,
            choice: .eimASResAuthorizationMode(EIM_ASResAuthorizationMode()))), now: 1)
        _ = evcc.received(.authorization(AuthorizationRes(header: h, responseCode: .ok, evseProcessing: .finished)), now: 2)
        let discovery = ServiceDiscoveryRes(
            header: h, responseCode: .ok, serviceRenegotiationSupported: true,
            energyTransferServiceList: ServiceList(service: [Service(serviceID: 2, freeService: false), Service(serviceID: 6, freeService: false)]))
        guard case .send(.serviceDetail(let detail), _) = evcc.received(.serviceDiscovery(discovery), now: 3) else {
            Issue.record("no ServiceDetailReq"); return
        }
        #expect(detail.serviceID == 6)
    }
}
