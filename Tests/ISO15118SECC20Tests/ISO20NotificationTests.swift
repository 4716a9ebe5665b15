import ISO15118EVCC
import ISO15118SECC
import ISO20Messages
import PnCCore
import Testing

/// EVSE-initiated requests of ISO 15118-20 (EVSEStatus with EVSENotification and NotificationMaxDelay in the
/// charge-loop responses): each notification with the vehicle's reaction in memory through the EXI codecs (manual
/// clock, one second per exchange), and the SECC's refusals and deadline.
@Suite struct ISO20NotificationTests {
    typealias B = BPTFixtures
    typealias F = ISO20Fixtures

    static func progress(_ session: ISO20InMemorySession) -> [ChargeProgress] {
        session.requests.compactMap { if case .powerDelivery(let r) = $0 { r.chargeProgress } else { nil } }
    }

    static func stops(_ session: ISO20InMemorySession) -> [ChargingSession] {
        session.requests.compactMap { if case .sessionStop(let r) = $0 { r.chargingSession } else { nil } }
    }

    static func firstScheduledPower(_ response: ISO20Response) -> Double? {
        guard case .scheduleExchange(let r) = response, case .scheduledSEResControlMode(let mode) = r.choice else { return nil }
        return mode.scheduleTuple.first?.chargingSchedule.powerSchedule.powerScheduleEntries.powerScheduleEntry.first?.power.doubleValue
    }

    @Test("[V2G20 EVSENotification ScheduleRenegotiation] DC: the second DC_ChargeLoopRes carries ScheduleRenegotiation with NotificationMaxDelay; the vehicle answers PowerDeliveryReq ScheduleRenegotiation, ScheduleExchange gives the new plan, PowerDelivery Start without cable check or pre-charge; one transaction")
    func scheduleRenegotiationDC() throws {
        var session = B.session(secc: B.secc(F.capabilities), ev: B.ev(bpt: false), loops: 4)
        session.notices = [2: ISO20EVSENotice(
            .scheduleRenegotiation, maxDelaySeconds: 5, powerPlan: [ISO20PowerPlanEntry(durationSeconds: 1_800, powerW: 40_000)])]
        #expect(try session.run() == .completed)
        #expect(session.noticeAnswers == [.accepted])
        #expect(Self.progress(session) == [.start, .scheduleRenegotiation, .start, .stop])
        #expect(B.dcLoops(session).map(\.evseStatus) == [nil, EVSEStatus(notificationMaxDelay: 5, evseNotification: .scheduleRenegotiation), nil, nil])
        // The first schedule is the EVSE's maximum, the renegotiated one the new plan.
        #expect(session.responses.compactMap(Self.firstScheduledPower) == [150_000, 40_000])
        #expect(session.transcript.filter { $0 == "dcCableCheck" }.count == 1)
        let renegotiated = try #require(session.transcript.lastIndex(of: "scheduleExchange"))
        #expect(session.transcript[renegotiated + 1] == "powerDelivery")
        #expect(session.evcc.scheduleRenegotiations == 1)
        let reaction = try #require(session.evcc.noticeReactions.first)
        #expect(reaction.notification == .scheduleRenegotiation)
        #expect(reaction.reaction == "PowerDeliveryReq(ScheduleRenegotiation)")
        #expect(reaction.maxDelaySeconds == 5)
        #expect(reaction.inTime)
        #expect(session.secc.sentNotices.map(\.notification) == [.scheduleRenegotiation])
        #expect(session.secc.pendingNotification == nil)
        #expect(session.transactionStarts.count == 1)
        #expect(session.transactionEnds.map(\.reason) == [.stoppedByEV])
    }

    @Test("[V2G20 EVSENotification ScheduleRenegotiation] AC_BPT dynamic: the plan asked for 9 kW back (the vehicle gives 7 kW); after the renegotiation the SECC's target follows the new plan (charge 5 kW)")
    func scheduleRenegotiationACDynamic() throws {
        let secc = B.secc(B.acBPT, modes: [.dynamic], plan: [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: -9_000)])
        var session = B.session(secc: secc, ev: B.ev(ac: true, modes: [.dynamic]), loops: 4)
        session.notices = [2: ISO20EVSENotice(
            .scheduleRenegotiation, powerPlan: [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: 5_000)])]
        #expect(try session.run() == .completed)
        let loops = B.acLoops(session)
        let targets = loops.compactMap { r -> Double? in
            if case .bptDynamicACCLResControlMode(let m) = r.clResControlMode { m.evseTargetActivePower.doubleValue } else { nil }
        }
        #expect(targets == [-7_000, -7_000, 5_000, 5_000])
        #expect(loops.map(\.evseStatus?.evseNotification) == [nil, .scheduleRenegotiation, nil, nil])
        #expect(loops[1].evseStatus?.notificationMaxDelay == 10)
        #expect(Self.progress(session) == [.start, .scheduleRenegotiation, .start, .stop])
        #expect(session.evcc.dischargedWh > 0)
        #expect(session.evcc.chargedWh > 0)
    }

    @Test("[V2G20 EVSENotification ServiceRenegotiation] The vehicle stops the energy transfer and sends SessionStopReq ServiceRenegotiation: back to ServiceDiscovery, a second transfer, one transaction")
    func serviceRenegotiation() throws {
        var session = B.session(secc: B.secc(F.capabilities), ev: B.ev(bpt: false), loops: 2)
        session.notices = [1: ISO20EVSENotice(.serviceRenegotiation)]
        #expect(try session.run() == .completed)
        #expect(Self.stops(session) == [.serviceRenegotiation, .terminate])
        #expect(session.transcript.filter { $0 == "serviceDiscovery" }.count == 2)
        #expect(session.transcript.filter { $0 == "dcChargeLoop" }.count == 3)
        #expect(session.evcc.renegotiations == 1)
        #expect(session.evcc.noticeReactions.map(\.reaction) == ["PowerDeliveryReq(Stop)"])
        #expect(session.transactionStarts.count == 1)
        #expect(session.transactionEnds.count == 1)
    }

    @Test("[V2G20 EVSENotification ServiceRenegotiation] A vehicle set to pause renegotiates when asked, then ends its second transfer with Pause")
    func serviceRenegotiationThenConfiguredEnd() throws {
        let ev = B.ev(bpt: false) { $0.sessionEnd = .pause }
        var session = B.session(secc: B.secc(F.capabilities), ev: ev, loops: 2)
        session.notices = [1: ISO20EVSENotice(.serviceRenegotiation)]
        #expect(try session.run() == .paused(sessionID: F.sessionID))
        #expect(Self.stops(session) == [.serviceRenegotiation, .pause])
        #expect(session.secc.pausedSession?.transactionID == "tx-1")
    }

    @Test("[V2G20 EVSENotification Terminate] The vehicle ends at once (PowerDelivery Stop, welding detection, SessionStop Terminate, even when set to pause); the transaction ends with the EVSE's reason")
    func terminate() throws {
        let ev = B.ev(bpt: false) { $0.sessionEnd = .pause }
        var session = B.session(secc: B.secc(F.capabilities), ev: ev, loops: 10)
        session.notices = [2: ISO20EVSENotice(.terminate, maxDelaySeconds: 3, stopReason: .remote)]
        #expect(try session.run() == .completed)
        #expect(session.transcript.filter { $0 == "dcChargeLoop" }.count == 2)
        #expect(Self.progress(session) == [.start, .stop])
        #expect(session.transcript.contains("dcWeldingDetection"))
        #expect(Self.stops(session) == [.terminate])
        #expect(session.transactionEnds.map(\.reason) == [.remote])
        #expect(session.secc.pausedSession == nil)
    }

    @Test("[V2G20 EVSENotification Pause] The vehicle stops and pauses (SessionStopReq Pause): the session is kept, the transaction stays open")
    func pause() throws {
        var session = B.session(secc: B.secc(F.capabilities), ev: B.ev(bpt: false), loops: 10)
        session.notices = [2: ISO20EVSENotice(.pause)]
        #expect(try session.run() == .paused(sessionID: F.sessionID))
        #expect(Self.stops(session) == [.pause])
        #expect(session.secc.pausedSession?.transactionID == "tx-1")
        #expect(session.transactionEnds.isEmpty)
    }

    @Test("[V2G20 EVSENotification ExitStandby] In standby the vehicle answers ExitStandby with PowerDeliveryReq Start and charges again; outside standby the SECC does not raise it")
    func exitStandby() throws {
        let ev = B.ev(bpt: false) {
            $0.standbyAfterLoops = 1
            $0.standbyLoops = 10
        }
        var session = B.session(secc: B.secc(F.capabilities), ev: ev, loops: 6)
        session.notices = [1: ISO20EVSENotice(.exitStandby), 3: ISO20EVSENotice(.exitStandby, maxDelaySeconds: 2)]
        #expect(try session.run() == .completed)
        #expect(session.noticeAnswers == [.refused("the vehicle is not in standby"), .accepted])
        #expect(Self.progress(session) == [.start, .standby, .start, .stop])
        let loops = B.dcLoops(session)
        #expect(loops.map(\.evsePresentCurrent.doubleValue) == [200, 0, 0, 200, 200, 200])
        #expect(loops[2].evseStatus == EVSEStatus(notificationMaxDelay: 2, evseNotification: .exitStandby))
        #expect(session.evcc.noticeReactions.map(\.reaction) == ["PowerDeliveryReq(Start)"])
    }

    @Test("[V2G20 EVSENotification] The vehicle goes on charging on MeteringConfirmation (MeteringConfirmationReq not implemented) and on ExitStandby outside standby")
    func evIgnores() throws {
        for notification in [EvseNotification.meteringConfirmation, .exitStandby] {
            var session = B.session(secc: B.secc(F.capabilities), ev: B.ev(bpt: false), loops: 3)
            session.tamper = { response in
                guard case .dcChargeLoop(var r) = response else { return response }
                r.evseStatus = EVSEStatus(notificationMaxDelay: 1, evseNotification: notification)
                return .dcChargeLoop(r)
            }
            #expect(try session.run() == .completed)
            #expect(Self.progress(session) == [.start, .stop])
            #expect(session.transcript.filter { $0 == "dcChargeLoop" }.count == 3)
            #expect(session.evcc.noticeReactions.isEmpty)
        }
    }

    // MARK: - The SECC machine alone

    static func charging(
        _ adjust: (inout ISO20SECCConfiguration) -> Void = { _ in }
    ) throws -> (ISO20SECCStateMachine, DCStage) {
        var machine = B.secc(F.capabilities, adjust: adjust)
        var stage = DCStage()
        let actions = try ISO20SECCStateMachineTests.drive(
            &machine, F.beforeCableCheck + [F.cableCheck, F.preCharge(), F.powerDelivery(.start), F.chargeLoop], stage: &stage)
        #expect(actions.allSatisfy { ISO20SECCStateMachineTests.response($0).map { [.ok, .okNewSessionEstablished].contains($0.responseCode) } ?? false })
        _ = machine.transactionStarted(id: "tx-1")
        return (machine, stage)
    }

    static func feed(
        _ machine: inout ISO20SECCStateMachine, _ request: ISO20Request, stage: inout DCStage, now: UInt64 = F.now
    ) throws -> ISO20SECCStateMachine.Action {
        var action = machine.received(try ISO20SECCStateMachineTests.roundTrip(request), now: now)
        while case .control(let command) = action { action = machine.controllerReplied(stage.run(command), now: now) }
        if let response = ISO20SECCStateMachineTests.response(action) { _ = try response.exiEncoded() }
        return action
    }

    static func sessionStop(_ end: ChargingSession) -> ISO20Request {
        .sessionStop(SessionStopReq(header: F.header(), chargingSession: end))
    }

    @Test("[V2G20 EVSENotification] notify is refused outside the charge loop, while another notification is pending, for ExitStandby outside standby, MeteringConfirmation, and Pause or ServiceRenegotiation the configuration does not allow")
    func refusals() throws {
        var fresh = B.secc(F.capabilities)
        #expect(fresh.notify(ISO20EVSENotice(.terminate)) == .refused("not in the charge loop"))
        var (machine, _) = try Self.charging()
        #expect(machine.notify(ISO20EVSENotice(.exitStandby)) == .refused("the vehicle is not in standby"))
        #expect(machine.notify(ISO20EVSENotice(.meteringConfirmation)) == .refused("MeteringConfirmationReq is not implemented"))
        #expect(machine.pendingNotification == nil)
        #expect(machine.notify(ISO20EVSENotice(.terminate)) == .accepted)
        #expect(machine.notify(ISO20EVSENotice(.pause)) == .refused("Terminate is still pending"))
        #expect(machine.pendingNotification == .terminate)
        var (strict, _) = try Self.charging {
            $0.allowsPause = false
            $0.supportsServiceRenegotiation = false
        }
        #expect(strict.notify(ISO20EVSENotice(.pause)) == .refused("pausing is not allowed"))
        #expect(strict.notify(ISO20EVSENotice(.serviceRenegotiation)) == .refused("service renegotiation is not supported"))
    }

    @Test("[V2G20 NotificationMaxDelay] Charge-loop requests within NotificationMaxDelay are answered with the notification; one later is answered FAILED, the session closes and the transaction ends (Timeout)")
    func deadline() throws {
        var (machine, stage) = try Self.charging()
        #expect(machine.notify(ISO20EVSENotice(.terminate, maxDelaySeconds: 5)) == .accepted)
        let status = EVSEStatus(notificationMaxDelay: 5, evseNotification: .terminate)
        for offset: UInt64 in [10, 12, 15] {
            let action = try Self.feed(&machine, F.chargeLoop, stage: &stage, now: F.now + offset)
            guard case .dcChargeLoop(let res)? = ISO20SECCStateMachineTests.response(action) else {
                Issue.record("\(action)"); return
            }
            #expect(res.responseCode == .ok)
            #expect(res.evseStatus == status)
        }
        let late = try Self.feed(&machine, F.chargeLoop, stage: &stage, now: F.now + 16)
        guard case .endTransaction(let end, .dcChargeLoop(let res), .failed(.failed)) = late else {
            Issue.record("\(late)"); return
        }
        #expect(res.responseCode == .failed)
        #expect(end.transactionID == "tx-1")
        #expect(end.reason == .timeout)
        #expect(machine.isClosed)
    }

    struct SequenceCase: Sendable, CustomStringConvertible {
        var notification: EvseNotification
        var standby = false
        /// Accepted requests, then the one refused.
        var requests: [ISO20Request]
        var description: String { "\(self.notification.rawValue)\(self.standby ? " in standby" : ""): \(self.requests.count) requests" }
    }

    @Test("[V2G20 FAILED_SequenceError] While a notification is pending, a request that neither reacts to it nor ends the transfer is FAILED_SequenceError and closes the session", arguments: [
        SequenceCase(notification: .terminate, requests: [ISO20Fixtures.powerDelivery(.standby)]),
        SequenceCase(notification: .terminate, requests: [ISO20Fixtures.powerDelivery(.scheduleRenegotiation)]),
        SequenceCase(notification: .scheduleRenegotiation, requests: [ISO20Fixtures.powerDelivery(.standby)]),
        SequenceCase(notification: .pause, requests: [ISO20Fixtures.powerDelivery(.stop), ISO20Fixtures.welding, ISO20NotificationTests.sessionStop(.serviceRenegotiation)]),
        SequenceCase(notification: .terminate, requests: [ISO20Fixtures.powerDelivery(.stop), ISO20Fixtures.welding, ISO20NotificationTests.sessionStop(.pause)]),
        SequenceCase(notification: .serviceRenegotiation, requests: [ISO20Fixtures.powerDelivery(.stop), ISO20Fixtures.welding, ISO20NotificationTests.sessionStop(.pause)]),
        SequenceCase(notification: .exitStandby, standby: true, requests: [ISO20Fixtures.powerDelivery(.standby)]),
        SequenceCase(notification: .terminate, standby: true, requests: [ISO20Fixtures.powerDelivery(.start)]),
        // After a renegotiated ScheduleExchange the output is up: PowerDelivery Start, not a cable check.
        SequenceCase(notification: .scheduleRenegotiation, requests: [ISO20Fixtures.powerDelivery(.scheduleRenegotiation), ISO20Fixtures.scheduleExchange, ISO20Fixtures.cableCheck]),
    ])
    func sequenceErrors(_ scenario: SequenceCase) throws {
        var (machine, stage) = try Self.charging()
        if scenario.standby {
            #expect(ISO20SECCStateMachineTests.code(try Self.feed(&machine, F.powerDelivery(.standby), stage: &stage)) == .ok)
        }
        #expect(machine.notify(ISO20EVSENotice(scenario.notification)) == .accepted)
        _ = try Self.feed(&machine, F.chargeLoop, stage: &stage)
        for request in scenario.requests.dropLast() {
            let action = try Self.feed(&machine, request, stage: &stage)
            #expect(ISO20SECCStateMachineTests.code(action) == .ok, "\(request)")
        }
        let refused = try Self.feed(&machine, try #require(scenario.requests.last), stage: &stage)
        #expect(ISO20SECCStateMachineTests.code(refused) == .failedSequenceError)
        #expect(ISO20SECCStateMachineTests.closes(refused))
        #expect(machine.isClosed)
    }

    @Test("[V2G20 PowerDelivery ScheduleRenegotiation] The vehicle may renegotiate the schedule on its own: ScheduleExchange, PowerDelivery Start, the charge loop goes on with the same transaction")
    func vehicleInitiatedScheduleRenegotiation() throws {
        var (machine, stage) = try Self.charging()
        for request in [F.powerDelivery(.scheduleRenegotiation), F.scheduleExchange, F.powerDelivery(.start), F.chargeLoop] {
            let action = try Self.feed(&machine, request, stage: &stage)
            guard case .send(let response, _) = action else { Issue.record("\(request): \(action)"); return }
            #expect(response.responseCode == .ok)
        }
        #expect(machine.transactionID == "tx-1")
        #expect(!machine.isClosed)
    }

    @Test("[V2G20 EVSENotification] Terminate answered by the vehicle: SessionStopReq Terminate ends the transaction with the notice's reason (Local by default)")
    func terminateReason() throws {
        var (machine, stage) = try Self.charging()
        #expect(machine.notify(ISO20EVSENotice(.terminate)) == .accepted)
        _ = try Self.feed(&machine, F.chargeLoop, stage: &stage)
        _ = try Self.feed(&machine, F.powerDelivery(.stop), stage: &stage)
        _ = try Self.feed(&machine, F.welding, stage: &stage)
        let action = try Self.feed(&machine, Self.sessionStop(.terminate), stage: &stage)
        guard case .endTransaction(let end, _, .sessionStopped) = action else { Issue.record("\(action)"); return }
        #expect(end.reason == .local)
        #expect(machine.pendingNotification == nil)
    }
}
