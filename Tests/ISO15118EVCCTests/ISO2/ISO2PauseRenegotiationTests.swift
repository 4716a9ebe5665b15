import ISO15118EVCC
import ISO15118SECC
import ISO2Messages
import PnCCore
import Testing

/// ISO 15118-2 pause and resume (SessionStopReq ChargingSession=Pause, then SessionSetupReq with the paused SessionID
/// answered OK_OldSessionJoined) and renegotiation (PowerDeliveryReq ChargeProgress=Renegotiate, EV-triggered or after
/// EVSENotification=ReNegotiation), our EVCC machine against our SECC machine through the EXI codec, on a manual
/// clock.
@Suite struct ISO2PauseRenegotiationTests {
    typealias Base = ISO2EVCCStateMachineTests

    struct Run {
        var secc: ISO2SECCStateMachine
        var evcc: ISO2EVCCStateMachine
        var requests: [String] = []
        var responses: [String] = []
        var authorizations = 0
        var transactionsStarted = 0
        var transactionsEnded = 0
        var outcome: ISO2EVCCStateMachine.Action?
    }

    static func name(_ message: V2GMessage) -> String {
        guard let body = message.body.bodyElement else { return "empty" }
        let base = String("\(body)".prefix { $0 != "(" })
        switch body {
        case .powerDeliveryReq(let r): return base + "(\(r.chargeProgress.rawValue))"
        case .sessionStopReq(let r): return base + "(\(r.chargingSession.rawValue))"
        case .sessionSetupRes(let r): return base + "(\(r.responseCode.rawValue))"
        case .currentDemandRes(let r) where r.dcEVSEStatus.evseNotification == .reNegotiation: return base + "(ReNegotiation)"
        case .chargingStatusRes(let r) where r.acEVSEStatus.evseNotification == .reNegotiation: return base + "(ReNegotiation)"
        default: return base
        }
    }

    static func secc(
        _ capabilities: EVSECapabilities, sessionID: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2], resumable: [ISO2PausedSession] = []
    ) -> ISO2SECCStateMachine {
        ISO2SECCStateMachine(
            configuration: .init(evseID: "DE*ABC*E1", evseNumber: 1, capabilities: capabilities, paymentOptions: [.externalPayment]),
            proposedSessionID: sessionID, traceID: TraceID(high: 7, low: UInt64(sessionID[0])), resumable: resumable)
    }

    static func evcc(
        _ mode: EnergyTransferMode, evccID: [UInt8] = [2, 0, 0, 0, 0, 1], pauseAfter: Int? = nil, renegotiateAfter: Int? = nil,
        resuming: [UInt8]? = nil
    ) -> ISO2EVCCStateMachine {
        ISO2EVCCStateMachine(
            configuration: .init(
                evccID: evccID, energyTransfer: mode, battery: Base.battery, maximumLoopIterations: 6,
                pauseAfterLoops: pauseAfter, renegotiateAfterLoops: renegotiateAfter),
            resuming: resuming)
    }

    /// Plays both drivers until the EVCC finishes or fails; the SECC asks for a renegotiation once after
    /// `seccRenegotiateAfter` charge-loop requests. `now` advances one second per request.
    static func run(_ run: inout Run, now: inout Double, seccRenegotiateAfter: Int? = nil) throws {
        var evAction = run.evcc.start()
        var loops = 0
        var steps = 0
        var meter = 5_000.0
        while case .send(let request) = evAction, steps < 300 {
            steps += 1
            now += 1
            run.requests.append(Self.name(request))
            var seccAction = run.secc.received(try Base.wire(request), now: now)
            if case .currentDemandReq = request.body.bodyElement { loops += 1 }
            if case .chargingStatusReq = request.body.bodyElement { loops += 1 }
            if let after = seccRenegotiateAfter, loops == after { run.secc.requestRenegotiation() }
            var response: V2GMessage?
            while response == nil {
                switch seccAction {
                case .send(let message, _), .sendAndClose(let message), .sendAndUpdateTransaction(let message, _, _):
                    response = message
                case .authorize(_, let ongoing, let window):
                    run.authorizations += 1
                    _ = run.secc.backendAuthorized(BackendAuthorizationDecision(status: .accepted))
                    seccAction = run.secc.decidedAuthorization(now: now) ?? .send(ongoing, expectNextWithin: window)
                case .startTransaction(_, let message, _):
                    run.transactionsStarted += 1
                    _ = run.secc.transactionStarted(id: "tx-1")
                    response = message
                case .endTransaction(let end, let message):
                    #expect(end.transactionID == "tx-1")
                    run.transactionsEnded += 1
                    response = message
                case .controller(.cableCheck):
                    seccAction = run.secc.controllerAnswered(.isolation(.valid), now: now)
                case .controller(.deliver(let target)):
                    meter += target.voltageV * target.currentA / 3600
                    seccAction = run.secc.controllerAnswered(
                        .output(OutputMeasurement(voltageV: target.voltageV, currentA: target.currentA), MeterReading(energyWh: meter, powerW: 0)),
                        now: now)
                case .controller(.setContactors):
                    seccAction = run.secc.controllerAnswered(.contactorsSet(MeterReading(energyWh: meter, powerW: 0)), now: now)
                case .exchangeCertificate, .close, .none:
                    run.outcome = .fail(.unexpectedMessage("SECC closed"))
                    return
                }
            }
            let answer = try Base.wire(try #require(response))
            run.responses.append(Self.name(answer))
            evAction = run.evcc.received(answer, now: now)
        }
        run.outcome = evAction
    }

    @Test(
        "[ISO 15118-2 SessionStop Pause / OK_OldSessionJoined] The vehicle pauses after PowerDelivery Stop; a new session with the paused SessionID joins it: same SessionID, no second authorization or transaction start, one transaction end",
        arguments: [EnergyTransferMode.dcExtended, .acThreePhaseCore])
    func pauseAndResume(mode: EnergyTransferMode) throws {
        let capabilities = mode == .dcExtended ? Base.dc : Base.ac
        var now = 1_000.0
        var first = Run(secc: Self.secc(capabilities), evcc: Self.evcc(mode, pauseAfter: 3))
        try Self.run(&first, now: &now)
        #expect(first.outcome == .finished)
        #expect(first.evcc.paused)
        let tail = mode == .dcExtended
            ? ["powerDeliveryReq(Stop)", "weldingDetectionReq", "sessionStopReq(Pause)"]
            : ["powerDeliveryReq(Stop)", "sessionStopReq(Pause)"]
        #expect(Array(first.requests.suffix(tail.count)) == tail)
        #expect(first.transactionsStarted == 1 && first.transactionsEnded == 0)
        let paused = try #require(first.secc.paused)
        #expect(paused.sessionID == [9, 8, 7, 6, 5, 4, 3, 2])
        #expect(paused.transactionID == "tx-1")
        #expect(first.secc.isClosed)

        // Plugged in again an hour later: the SECC proposes a new SessionID, the vehicle asks for its paused one.
        now += 3_600
        var second = Run(
            secc: Self.secc(capabilities, sessionID: [1, 1, 1, 1, 1, 1, 1, 1], resumable: [paused]),
            evcc: Self.evcc(mode, resuming: paused.sessionID))
        try Self.run(&second, now: &now)
        #expect(second.outcome == .finished)
        #expect(second.responses.first == "sessionSetupRes(OK_OldSessionJoined)")
        #expect(second.evcc.resumed)
        #expect(second.evcc.sessionID == paused.sessionID)
        #expect(second.secc.sessionID == paused.sessionID)
        #expect(second.secc.traceID == paused.traceID)
        #expect(second.authorizations == 0)
        #expect(second.transactionsStarted == 0 && second.transactionsEnded == 1)
        #expect(second.requests.last == "sessionStopReq(Terminate)")
        #expect(second.secc.paused == nil)
    }

    @Test("[ISO 15118-2 SessionSetup] Another vehicle, or an unknown SessionID, gets a new session (OK_NewSessionEstablished), not the paused one")
    func resumeRefused() throws {
        var now = 1_000.0
        var first = Run(secc: Self.secc(Base.dc), evcc: Self.evcc(.dcExtended, pauseAfter: 2))
        try Self.run(&first, now: &now)
        let paused = try #require(first.secc.paused)
        for (evccID, asked) in [([UInt8]([2, 0, 0, 0, 0, 9]), paused.sessionID), ([2, 0, 0, 0, 0, 1], [4, 4, 4, 4, 4, 4, 4, 4])] {
            var other = Run(
                secc: Self.secc(Base.dc, sessionID: [3, 3, 3, 3, 3, 3, 3, 3], resumable: [paused]),
                evcc: Self.evcc(.dcExtended, evccID: evccID, resuming: asked))
            try Self.run(&other, now: &now)
            #expect(other.outcome == .finished)
            #expect(other.responses.first == "sessionSetupRes(OK_NewSessionEstablished)")
            #expect(!other.evcc.resumed)
            #expect(other.secc.sessionID == [3, 3, 3, 3, 3, 3, 3, 3])
            #expect(other.authorizations == 1 && other.transactionsStarted == 1)
        }
    }

    @Test("[ISO 15118-2 SessionStop] Pause is accepted only after PowerDelivery Stop: during the charge loop it is a sequence error")
    func pauseOutOfSequence() throws {
        var now = 1_000.0
        var secc = Self.secc(Base.dc)
        var evcc = Self.evcc(.dcExtended)
        // drive the pair into the charge loop, then send a Pause instead of the next CurrentDemandReq
        var action = evcc.start()
        var charging = false
        for _ in 0..<60 {
            guard case .send(let request) = action else { break }
            if case .currentDemandReq = request.body.bodyElement { charging = true; break }
            now += 1
            var seccAction = secc.received(try Base.wire(request), now: now)
            var response: V2GMessage?
            while response == nil {
                switch seccAction {
                case .send(let m, _), .sendAndUpdateTransaction(let m, _, _): response = m
                case .authorize(_, let ongoing, let window):
                    _ = secc.backendAuthorized(BackendAuthorizationDecision(status: .accepted))
                    seccAction = secc.decidedAuthorization(now: now) ?? .send(ongoing, expectNextWithin: window)
                case .startTransaction(_, let m, _):
                    _ = secc.transactionStarted(id: "tx-1")
                    response = m
                case .controller(.cableCheck): seccAction = secc.controllerAnswered(.isolation(.valid), now: now)
                case .controller(.deliver(let t)):
                    seccAction = secc.controllerAnswered(
                        .output(OutputMeasurement(voltageV: t.voltageV, currentA: t.currentA), MeterReading(energyWh: 0, powerW: 0)), now: now)
                case .controller(.setContactors):
                    seccAction = secc.controllerAnswered(.contactorsSet(MeterReading(energyWh: 0, powerW: 0)), now: now)
                default: Issue.record("unexpected \(seccAction)"); return
                }
            }
            action = evcc.received(try Base.wire(try #require(response)), now: now)
        }
        #expect(charging)
        let pause = V2GMessage(
            header: MessageHeader(sessionID: secc.sessionID), body: Body(bodyElement: .sessionStopReq(SessionStopReq(chargingSession: .pause))))
        let answer = secc.received(try Base.wire(pause), now: now)
        guard case .sendAndClose(let message) = answer, case .sessionStopRes(let res) = message.body.bodyElement else {
            Issue.record("no SessionStopRes: \(answer)")
            return
        }
        #expect(res.responseCode == .failedSequenceError)
        #expect(secc.paused == nil)
    }

    @Test(
        "[ISO 15118-2 PowerDelivery Renegotiate] EV-triggered: Renegotiate, ChargeParameterDiscovery, PowerDelivery Start (DC: no new cable check or pre-charge), the charge loop and the transaction go on",
        arguments: [EnergyTransferMode.dcExtended, .acThreePhaseCore])
    func evRenegotiation(mode: EnergyTransferMode) throws {
        var now = 1_000.0
        var run = Run(secc: Self.secc(mode == .dcExtended ? Base.dc : Base.ac), evcc: Self.evcc(mode, renegotiateAfter: 2))
        try Self.run(&run, now: &now)
        #expect(run.outcome == .finished)
        let loop = mode == .dcExtended ? "currentDemandReq" : "chargingStatusReq"
        let index = try #require(run.requests.firstIndex(of: "powerDeliveryReq(Renegotiate)"))
        #expect(Array(run.requests[(index - 2)...(index + 3)]) == [
            loop, loop, "powerDeliveryReq(Renegotiate)", "chargeParameterDiscoveryReq", "powerDeliveryReq(Start)", loop,
        ])
        #expect(run.requests.filter { $0 == "cableCheckReq" }.count == (mode == .dcExtended ? 1 : 0))
        #expect(run.requests.filter { $0 == "preChargeReq" }.count == (mode == .dcExtended ? 1 : 0))
        #expect(run.evcc.renegotiations == 1 && run.evcc.seccRenegotiations == 0)
        #expect(run.secc.renegotiations == 1)
        #expect(run.transactionsStarted == 1 && run.transactionsEnded == 1)
    }

    @Test(
        "[ISO 15118-2 EVSENotification ReNegotiation] SECC-triggered: the charge-loop response carries ReNegotiation until the vehicle renegotiates, once",
        arguments: [EnergyTransferMode.dcExtended, .acThreePhaseCore])
    func seccRenegotiation(mode: EnergyTransferMode) throws {
        var now = 1_000.0
        var run = Run(secc: Self.secc(mode == .dcExtended ? Base.dc : Base.ac), evcc: Self.evcc(mode))
        try Self.run(&run, now: &now, seccRenegotiateAfter: 3)
        #expect(run.outcome == .finished)
        let loopRes = mode == .dcExtended ? "currentDemandRes" : "chargingStatusRes"
        #expect(run.responses.filter { $0 == loopRes + "(ReNegotiation)" }.count == 1)
        #expect(run.requests.filter { $0 == "powerDeliveryReq(Renegotiate)" }.count == 1)
        #expect(run.evcc.seccRenegotiations == 1 && run.evcc.renegotiations == 1)
        #expect(run.secc.renegotiations == 1 && !run.secc.renegotiationRequested)
        #expect(run.transactionsStarted == 1 && run.transactionsEnded == 1)
    }

    @Test("The SECC asks for a renegotiation only in the charge loop")
    func renegotiationOutsideLoop() {
        var secc = Self.secc(Base.dc)
        secc.requestRenegotiation()
        #expect(!secc.renegotiationRequested)
    }

    @Test("[ISO 15118-2 SessionSetup] OK_OldSessionJoined for a session the vehicle did not ask to join ends the session")
    func unexpectedJoin() throws {
        var evcc = Self.evcc(.dcExtended)
        _ = evcc.start()
        let joined = V2GMessage(
            header: MessageHeader(sessionID: [5, 5, 5, 5, 5, 5, 5, 5]),
            body: Body(bodyElement: .sessionSetupRes(SessionSetupRes(responseCode: .okOldSessionJoined, evseID: "DE*ABC*E1"))))
        guard case .fail(.unexpectedMessage) = evcc.received(try Base.wire(joined), now: 1) else {
            Issue.record("accepted")
            return
        }
    }
}
