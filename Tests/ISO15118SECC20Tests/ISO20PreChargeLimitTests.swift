import ISO15118EVCC
import ISO15118SECC
import ISO20Messages
import PnCCore
import Testing

/// What the -20 SECC does with a DC_PreCharge target it cannot reach (Josev's simulated EV asks 20 kV) and with a
/// PowerDeliveryReq Start the vehicle marks Ongoing.
@Suite struct ISO20PreChargeLimitTests {
    typealias F = ISO20Fixtures
    typealias T = ISO20SECCStateMachineTests

    static func machine(_ policy: PreChargeAboveMaximum) -> ISO20SECCStateMachine {
        var configuration = F.configuration
        configuration.preChargeAboveMaximum = policy
        return ISO20SECCStateMachine(configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
    }

    static let josevPreCharge = ISO20Request.dcPreCharge(DC_PreChargeReq(
        header: F.header(), evProcessing: .ongoing, evPresentVoltage: RationalNumber(exponent: 3, value: 20),
        evTargetVoltage: RationalNumber(exponent: 3, value: 20)))

    @Test("PreChargeAboveMaximum.refuse (default): 20 kV asked in DC_PreChargeReq ends the session with FAILED_WrongChargeParameter")
    func refusedByDefault() throws {
        var machine = ISO20SECCStateMachine(configuration: F.configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
        var stage = DCStage()
        let actions = try T.drive(&machine, F.beforeCableCheck + [F.cableCheck, Self.josevPreCharge], stage: &stage)
        #expect(T.code(actions.last) == .failedWrongChargeParameter)
        #expect(T.closes(actions.last))
    }

    @Test("PreChargeAboveMaximum.clampToMaximum: 20 kV asked is delivered at the EVSE maximum (920 V) and answered OK with the voltage reached")
    func clamped() throws {
        var machine = Self.machine(.clampToMaximum)
        var stage = DCStage()
        _ = try T.drive(&machine, F.beforeCableCheck + [F.cableCheck], stage: &stage)
        let command = machine.received(try T.roundTrip(Self.josevPreCharge), now: F.now)
        #expect(command == .control(.deliver(OutputTarget(voltageV: 920, currentA: 2))))
        var answers: [Double] = []
        var action = machine.controllerReplied(stage.run(.deliver(OutputTarget(voltageV: 920, currentA: 2))), now: F.now)
        for _ in 0..<5 {
            guard case .dcPreCharge(let response) = T.response(action) else {
                Issue.record("no DC_PreChargeRes: \(action)")
                return
            }
            #expect(response.responseCode == .ok)
            answers.append(response.evsePresentVoltage.doubleValue)
            guard case .control(let next) = machine.received(try T.roundTrip(Self.josevPreCharge), now: F.now) else {
                Issue.record("no controller command")
                return
            }
            action = machine.controllerReplied(stage.run(next), now: F.now)
        }
        // the output ramps to the maximum and stays there
        #expect(answers.last == 920)
        #expect(answers.allSatisfy { $0 <= 920 })
    }

    @Test("[V2G20 PowerDelivery] A Start with EVProcessing Ongoing is acknowledged without closing the contactors; the Finished Start closes them")
    func powerDeliveryOngoing() throws {
        var machine = ISO20SECCStateMachine(configuration: F.configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
        var stage = DCStage()
        _ = try T.drive(&machine, F.beforeCableCheck + [F.cableCheck, F.preCharge(), F.preCharge()], stage: &stage)
        let ongoing = ISO20Request.powerDelivery(PowerDeliveryReq(header: F.header(), evProcessing: .ongoing, chargeProgress: .start))
        let first = try T.drive(&machine, [ongoing, ongoing], stage: &stage)
        #expect(first.map(T.code) == [.ok, .ok])
        #expect(!stage.contactorsClosed)
        let started = try T.drive(&machine, [F.powerDelivery(.start), F.chargeLoop], stage: &stage)
        #expect(started.map(T.code) == [.ok, .ok])
        #expect(stage.contactorsClosed)
    }

    @Test("[V2G20 PowerDelivery] The EVCC's PowerDeliveryReq Start confirms the schedule it follows: EVPowerProfile, scheduled mode, SelectedScheduleTupleID, PowerToleranceAcceptance, the tuple's entries")
    func evPowerProfile() throws {
        var session = ISO20InMemorySession()
        #expect(try session.run() == .completed)
        let deliveries = session.requests.compactMap { request -> PowerDeliveryReq? in
            if case .powerDelivery(let delivery) = request { return delivery }
            return nil
        }
        #expect(deliveries.map(\.chargeProgress) == [.start, .stop])
        let profile = try #require(deliveries.first?.evPowerProfile)
        guard case .scheduledEVPPTControlMode(let mode) = profile.choice else {
            Issue.record("not scheduled: \(profile.choice)")
            return
        }
        #expect(mode.powerToleranceAcceptance != nil)
        #expect(!profile.evPowerProfileEntries.evPowerProfileEntry.isEmpty)
        #expect(mode.selectedScheduleTupleID >= 1)
        #expect(deliveries.last?.evPowerProfile == nil)
    }
}
