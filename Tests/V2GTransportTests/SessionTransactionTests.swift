import ISO15118EVCC
import ISO15118SECC
@testable import ISO15118Station
import ISO2Messages
import PnCCore
import PnCTesting
import Synchronization
import Testing
import V2GTransport

/// A session that ends without SessionStop or a pause (the vehicle gone, a write to a closed connection, the sequence
/// timer) still ends the transaction it started: no transaction stays open at the backend.
@Suite struct SessionTransactionTests {
    /// The simulator, with every `deliver` after the contactors closed taking `stall` (the charge loop stalls).
    final class StallingEVSE: EVSEController {
        let inner = SimulatedEVSEController(capabilities: SimulatedEVSEController.dc)
        let stall: Duration
        private let closed = Mutex(false)

        init(stall: Duration) { self.stall = stall }

        func capabilities() async -> EVSECapabilities { await self.inner.capabilities() }
        func cableCheck(voltage: Double) async throws -> ISO15118SECC.IsolationLevel { try await self.inner.cableCheck(voltage: voltage) }
        func setContactors(closed: Bool) async throws {
            try await self.inner.setContactors(closed: closed)
            self.closed.withLock { $0 = closed }
        }
        func deliver(_ target: OutputTarget) async throws -> OutputMeasurement {
            if self.closed.withLock({ $0 }) { try await Task.sleep(for: self.stall) }
            return try await self.inner.deliver(target)
        }
        func meterReading() async throws -> MeterReading { try await self.inner.meterReading() }
    }

    @Test("[OCPP 2.0.1 E06 stoppedReason] the tracker: a transaction ended, paused or of another session is not ended again; the reason is Timeout for the sequence timer, Other when the station closed the session, else EVDisconnected")
    func tracker() {
        let trace = TraceID(rawValue: "0123456789abcdef0123456789abcdef")!
        let tracker = SessionTransaction()
        tracker.opened("T-1", traceID: trace, meterWh: 100)
        tracker.closed("T-2")  // another session's transaction (a dropped paused session)
        #expect(tracker.stopReason(sequenceTimerExpired: false) == .evDisconnected)
        #expect(tracker.stopReason(sequenceTimerExpired: true) == .timeout)
        tracker.stationEnded()
        #expect(tracker.stopReason(sequenceTimerExpired: false) == .other)
        #expect(tracker.stopReason(sequenceTimerExpired: true) == .timeout)
        #expect(tracker.take()?.id == "T-1")
        #expect(tracker.take() == nil)
        tracker.opened("T-3", traceID: trace, meterWh: 0)
        tracker.closed("T-3")
        #expect(tracker.take() == nil)
    }

    @Test("[ISO 15118-2, OCPP 2.0.1 E06 EVDisconnected] the vehicle leaves during the charge loop (its CurrentDemandRes window passes): the SECC ends the started transaction with reason EVDisconnected")
    func iso2VehicleLeaves() async throws {
        let backend = LocalChargingBackend()
        // Every response window of the vehicle is at least 30 s, so that a loaded machine cannot make it leave before
        // the charge loop; the EVSE then stalls past the CurrentDemandRes window.
        let controller = StallingEVSE(stall: .seconds(31))
        let (ev, secc) = try await StationSessionTests.session(
            controller: controller, mode: .dcExtended, backend: backend, timers: EVCCResponseTimerTests.loaded)
        #expect(!ev.succeeded)
        #expect(ev.failure?.contains("CurrentDemandReq") == true, "\(ev.failure ?? "")")
        #expect(secc != nil)
        let log = backend.transactionLog
        #expect(log.filter { $0.hasPrefix("started") }.count == 1, "\(log)")
        #expect(log.filter { $0.hasPrefix("ended") && $0.hasSuffix("(EVDisconnected)") }.count == 1, "\(log)")
    }

    @Test("[ISO 15118-20, OCPP 2.0.1 E06 EVDisconnected] the vehicle leaves during the DC charge loop (its 2 s DC_ChargeLoopRes window passes): the SECC ends the started transaction with reason EVDisconnected")
    func iso20VehicleLeaves() async throws {
        let backend = LocalChargingBackend()
        let controller = StallingEVSE(stall: .seconds(3))
        try await ISO20StationSessionTests.withStation(controller: controller, backend: backend) { _, connect, summaries, logger in
            let ev = ISO20BPTStationTests.ev(bpt: false)
            let summary = try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: 5, logger: logger)
            #expect(!summary.succeeded)
            await pollWhile { summaries.count == 0 }
        }
        let log = backend.transactionLog
        #expect(log.filter { $0.hasPrefix("started") }.count == 1, "\(log)")
        #expect(log.filter { $0.hasPrefix("ended") && $0.hasSuffix("(EVDisconnected)") }.count == 1, "\(log)")
    }
}
