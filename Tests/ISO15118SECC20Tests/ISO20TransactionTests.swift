import ISO15118SECC
import ISO20Messages
import PnCCore
import Testing

/// The transaction record of a -20 session: start at PowerDelivery Start, samples during the charge loop no more
/// often than the configured interval, end at SessionStop. Time is a manual clock.
@Suite struct ISO20TransactionTests {
    typealias F = ISO20Fixtures

    /// Feeds one request at `now`, answers controller commands with the stage and reports `meterWh` as the meter
    /// register after each command.
    static func step(
        _ machine: inout ISO20SECCStateMachine, _ request: ISO20Request, now: UInt64, meterWh: Double,
        stage: inout DCStage
    ) -> ISO20SECCStateMachine.Action {
        var action = machine.received(request, now: now)
        while case .control(let command) = action {
            let reply = stage.run(command)
            machine.meterSampled(MeterReading(energyWh: meterWh, powerW: 80_000))
            action = machine.controllerReplied(reply, now: now)
        }
        if case .sendAndAuthorize = action { _ = machine.backendAnswered(BackendAuthorizationDecision(status: .accepted)) }
        return action
    }

    /// A machine in PreCharge, ready for PowerDelivery Start.
    static func preCharged(_ configuration: ISO20SECCConfiguration = F.configuration) -> (ISO20SECCStateMachine, DCStage) {
        var machine = ISO20SECCStateMachine(configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
        var stage = DCStage()
        for request in F.beforeCableCheck + [F.cableCheck, F.preCharge(), F.preCharge()] {
            _ = Self.step(&machine, request, now: F.now, meterWh: 1_000, stage: &stage)
        }
        return (machine, stage)
    }

    @Test("[V2G20 PowerDelivery Start, OCPP E02] Energy transfer start reports the meter, EVSE, session and EIM identity")
    func start() throws {
        var (machine, stage) = Self.preCharged()
        let action = Self.step(&machine, F.powerDelivery(.start), now: F.now + 5, meterWh: 1_250, stage: &stage)
        guard case .startTransaction(let start, let response, _) = action else {
            Issue.record("no transaction start: \(action)")
            return
        }
        #expect(start == TransactionStart(
            evseID: 1, sessionID: "A1B2C3D4E5F60718",
            identification: .external(idToken: "WMIV1234567890ABCDEX", type: "MacAddress"),
            meterStartWh: 1_250, timestamp: Double(F.now + 5), traceID: F.traceID))
        #expect(response.responseCode == .ok)
        #expect(machine.transactionID == nil)
        #expect(machine.transactionStarted(id: "tx-7") == .none)
        #expect(machine.transactionID == "tx-7")
    }

    @Test("[V2G20 DC_ChargeLoop, OCPP E02 Updated] Samples go out at most once per 60 s by default")
    func samplesEverySixtySeconds() throws {
        var (machine, stage) = Self.preCharged()
        let t0 = F.now + 5
        _ = Self.step(&machine, F.powerDelivery(.start), now: t0, meterWh: 1_000, stage: &stage)
        _ = machine.transactionStarted(id: "tx-7")
        let early = Self.step(&machine, F.chargeLoop, now: t0 + 30, meterWh: 1_500, stage: &stage)
        guard case .send(.dcChargeLoop, _) = early else { Issue.record("sampled after 30 s: \(early)"); return }
        let due = Self.step(&machine, F.chargeLoop, now: t0 + 60, meterWh: 2_000, stage: &stage)
        guard case .sendAndUpdateTransaction(.dcChargeLoop(let loop), let update, _) = due else {
            Issue.record("no sample after 60 s: \(due)")
            return
        }
        #expect(loop.responseCode == .ok)
        #expect(update == TransactionUpdate(
            transactionID: "tx-7", meterWh: 2_000, powerW: 80_000, stateOfCharge: nil, timestamp: Double(t0 + 60),
            traceID: F.traceID))
        let again = Self.step(&machine, F.chargeLoop, now: t0 + 61, meterWh: 2_010, stage: &stage)
        guard case .send = again else { Issue.record("sampled 1 s after the last sample: \(again)"); return }
    }

    @Test("[OCPP SampledDataTxUpdatedInterval] A configured interval paces the samples")
    func configuredInterval() throws {
        var configuration = F.configuration
        configuration.transactionUpdateInterval = 10
        var (machine, stage) = Self.preCharged(configuration)
        let t0 = F.now + 5
        _ = Self.step(&machine, F.powerDelivery(.start), now: t0, meterWh: 1_000, stage: &stage)
        _ = machine.transactionStarted(id: "tx-8")
        var samples: [Double] = []
        for second in stride(from: UInt64(5), through: 30, by: 5) {
            if case .sendAndUpdateTransaction(_, let update, _) = Self.step(
                &machine, F.chargeLoop, now: t0 + second, meterWh: 1_000 + Double(second), stage: &stage)
            {
                samples.append(update.timestamp - Double(t0))
            }
        }
        #expect(samples == [10, 20, 30])
    }

    @Test("[V2G20 SessionStop, OCPP E06 Ended] SessionStop ends the transaction with the final meter, then closes")
    func end() throws {
        var (machine, stage) = Self.preCharged()
        let t0 = F.now + 5
        _ = Self.step(&machine, F.powerDelivery(.start), now: t0, meterWh: 1_000, stage: &stage)
        _ = machine.transactionStarted(id: "tx-9")
        for (offset, request) in [F.chargeLoop, F.powerDelivery(.stop), F.welding].enumerated() {
            _ = Self.step(&machine, request, now: t0 + 10 + UInt64(offset), meterWh: 3_400, stage: &stage)
        }
        let stop = Self.step(&machine, F.sessionStop, now: t0 + 20, meterWh: 3_400, stage: &stage)
        guard case .endTransaction(let end, .sessionStop(let response), .sessionStopped) = stop else {
            Issue.record("no transaction end: \(stop)")
            return
        }
        #expect(response.responseCode == .ok)
        #expect(end == TransactionEnd(
            transactionID: "tx-9", meterStopWh: 3_400, reason: .stoppedByEV, timestamp: Double(t0 + 20),
            traceID: F.traceID))
        #expect(machine.isClosed)
    }

    @Test("[V2G20 SessionStop] A session that never started energy transfer closes without a transaction end")
    func noTransaction() throws {
        var (machine, stage) = Self.preCharged()
        let stop = Self.step(&machine, F.sessionStop, now: F.now + 1, meterWh: 1_000, stage: &stage)
        guard case .sendAndClose(.sessionStop, .sessionStopped) = stop else { Issue.record("\(stop)"); return }
    }
}
