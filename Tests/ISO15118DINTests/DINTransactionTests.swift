import DINMessages
import ISO15118SECC
import PnCCore
import Testing

/// The transaction record of a DIN SPEC 70121 session: start at PowerDelivery (ReadyToCharge), samples during
/// CurrentDemand no more often than the update interval, end at SessionStop. Time is a manual clock.
@Suite struct DINTransactionTests {
    typealias F = DINFixtures

    static func step(
        _ machine: inout DINSECCStateMachine, _ request: V2GMessage, now: Double, meterWh: Double,
        stage: inout DCOutputStage
    ) -> DINSECCStateMachine.Action {
        var action = machine.received(request, now: now)
        while case .control(let command) = action {
            let reply = stage.run(command)
            machine.meterSampled(MeterReading(energyWh: meterWh, powerW: 30_000))
            action = machine.controllerReplied(reply, now: now)
        }
        return action
    }

    /// A session from PowerDelivery start to SessionStop, one request per `spacing` seconds; returns every action.
    static func run(interval: Double? = nil, spacing: Double, loops: Int) -> [DINSECCStateMachine.Action] {
        var (machine, stage) = DINSECCStateMachineTests.established()
        if let interval { machine.transactionUpdateInterval = interval }
        let t0 = 1_790_000_000.0
        for request in [F.cableCheck(), F.preCharge(), F.preCharge()] {
            _ = Self.step(&machine, request, now: t0, meterWh: 500, stage: &stage)
        }
        var actions: [DINSECCStateMachine.Action] = []
        let requests = [F.powerDelivery(ready: true)] + Array(repeating: F.currentDemand, count: loops)
            + [F.powerDelivery(ready: false), F.weldingDetection, F.sessionStop]
        for (index, request) in requests.enumerated() {
            let action = Self.step(
                &machine, request, now: t0 + Double(index) * spacing, meterWh: 500 + Double(index) * 10, stage: &stage)
            if case .startTransaction = action { _ = machine.transactionStarted(id: "tx-din") }
            actions.append(action)
        }
        #expect(machine.isClosed)
        return actions
    }

    @Test("[DIN70121 PowerDeliveryReq, OCPP E02/E06] Start carries meter, EVSE, session and identity; SessionStop ends it")
    func startAndEnd() throws {
        let actions = Self.run(spacing: 1, loops: 2)
        guard case .startTransaction(let start, _, _) = actions.first else {
            Issue.record("no transaction start: \(String(describing: actions.first))")
            return
        }
        #expect(start == TransactionStart(
            evseID: 1, sessionID: "1122334455667788",
            identification: .external(idToken: "020000000001", type: "MacAddress"), meterStartWh: 500,
            timestamp: 1_790_000_000, traceID: F.traceID))
        guard case .endTransaction(let end, _, .sessionStopped) = actions.last else {
            Issue.record("no transaction end: \(String(describing: actions.last))")
            return
        }
        #expect(end == TransactionEnd(
            transactionID: "tx-din", meterStopWh: 540, reason: .stoppedByEV, timestamp: 1_790_000_005,
            traceID: F.traceID))
        #expect(actions.allSatisfy { DINSECCStateMachineTests.code($0) == .ok })
    }

    @Test("[DIN70121 CurrentDemand, OCPP E02 Updated] Samples go out once the interval has passed, with the EV's SoC")
    func samples() throws {
        let updates = Self.run(spacing: 25, loops: 6).compactMap { action -> TransactionUpdate? in
            if case .sendAndUpdateTransaction(_, let update, _) = action { return update }
            return nil
        }
        // CurrentDemand at 25, 50, 75, 100, 125, 150 s after start: due at 75 (>= 60) and 150 (75 + 75).
        #expect(updates.map { $0.timestamp - 1_790_000_000 } == [75, 150])
        #expect(updates.first?.transactionID == "tx-din")
        #expect(updates.first?.meterWh == 530)
        #expect(updates.first?.stateOfCharge != nil)
    }

    @Test("[OCPP SampledDataTxUpdatedInterval] A configured interval paces the samples")
    func configuredInterval() throws {
        let count = Self.run(interval: 10, spacing: 5, loops: 6).filter {
            if case .sendAndUpdateTransaction = $0 { return true }
            return false
        }.count
        // CurrentDemand at 5..30 s: due at 10, 20, 30.
        #expect(count == 3)
    }
}
