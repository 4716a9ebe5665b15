import Foundation
import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO20Messages
import Logging
import NIOCore
import NIOPosix
import SAPMessages
import Synchronization
import Testing
import V2GTransport

/// Our -20 EVCC driver against our SECC driver over loopback TLS 1.3 mutual (as `ISO20StationSessionTests`), with
/// the bidirectional simulated EVSE: DC_BPT and AC_BPT, dynamic control mode, standby, pause and join, service
/// renegotiation.
@Suite struct ISO20BPTStationTests {
    static func ev(ac: Bool = false, bpt: Bool = true, adjust: (inout ISO20EVCCConfiguration) -> Void = { _ in }) -> ISO20EVCCConfiguration {
        var configuration = ISO20StationSessionTests.ev(ac: ac)
        configuration.bpt = bpt
        configuration.maximumDischargePowerW = ac ? 7_000 : 30_000
        configuration.maximumDischargeCurrentA = ac ? 10 : 60
        configuration.stateOfCharge = 60
        adjust(&configuration)
        return configuration
    }

    /// Runs the EV sessions one after the other, each on a new TLS connection to the same station.
    static func sessions(
        _ evs: [ISO20EVCCConfiguration], controller: SimulatedEVSEController, options: ISO20SessionOptions,
        backend: LocalChargingBackend = LocalChargingBackend(), loops: Int = 4
    ) async throws -> (ev: [ISO20EVCCSessionSummary], secc: [SECCSessionSummary]) {
        var configuration = SECCConfiguration(evseID: "DE*PNC*E1", protocols: [.iso20DC, .iso20AC])
        configuration.iso20Session = options
        var results: [ISO20EVCCSessionSummary] = []
        var seccs: [SECCSessionSummary] = []
        try await ISO20StationSessionTests.withStation(configuration: configuration, controller: controller, backend: backend) {
            _, connect, summaries, logger in
            for (index, ev) in evs.enumerated() {
                results.append(try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: loops, logger: logger))
                await pollWhile { summaries.count <= index }
            }
            seccs = summaries.all
        }
        return (results, seccs)
    }

    @Test("[V2G20 DC_BPT] iso20-bpt-dc over loopback TLS 1.3: the station's plan asks for 20 kW back, the vehicle discharges, the simulator's meter counts the energy taken back")
    func dcBPT() async throws {
        let controller = SimulatedEVSEController(capabilities: SimulatedEVSEController.dcBPT)
        let options = ISO20SessionOptions(powerPlan: [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: -20_000)])
        let (evs, seccs) = try await Self.sessions([Self.ev()], controller: controller, options: options)
        let ev = try #require(evs.first)
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        #expect(ev.protocolName == .iso20DC)
        #expect(ev.timeline.filter { $0.message == "DC_ChargeLoopReq" }.count == 4)
        #expect(seccs.first?.ending == "session ended: sessionStopped")
        let meter = try await controller.meterReading()
        #expect(meter.dischargedWh > 0)
        #expect(meter.energyWh == 0)
    }

    @Test("[V2G20 Dynamic DC] iso20-dynamic-dc over loopback TLS 1.3: dynamic control mode chosen from both offers, the SECC sets the current")
    func dcDynamic() async throws {
        let controller = SimulatedEVSEController(capabilities: SimulatedEVSEController.dc)
        let options = ISO20SessionOptions(controlModes: [.scheduled, .dynamic])
        let ev = Self.ev(bpt: false) { $0.controlModes = [.dynamic] }
        let (evs, _) = try await Self.sessions([ev], controller: controller, options: options)
        let summary = try #require(evs.first)
        #expect(summary.succeeded, "\(String(describing: summary.outcome))")
        let meter = try await controller.meterReading()
        #expect(meter.energyWh > 0)
    }

    @Test("[V2G20 AC_BPT] iso20-bpt-ac over loopback TLS 1.3 with dynamic control mode: the SECC's plan takes power back from the vehicle")
    func acBPT() async throws {
        let controller = SimulatedEVSEController(capabilities: SimulatedEVSEController.acBPT)
        let options = ISO20SessionOptions(
            controlModes: [.scheduled, .dynamic], powerPlan: [ISO20PowerPlanEntry(durationSeconds: 3_600, powerW: -6_000)])
        let ev = Self.ev(ac: true) { $0.controlModes = [.dynamic] }
        let (evs, _) = try await Self.sessions([ev], controller: controller, options: options)
        let summary = try #require(evs.first)
        #expect(summary.succeeded, "\(String(describing: summary.outcome))")
        #expect(summary.protocolName == .iso20AC)
        #expect(try await controller.meterReading().dischargedWh > 0)
    }

    @Test("[V2G20 Pause, OK_OldSessionJoined] Pause on one TLS connection, join on the next: one backend transaction across both")
    func pauseAndJoin() async throws {
        let backend = LocalChargingBackend()
        // The SessionID of the paused session is only known after the first session: the second vehicle
        // configuration is filled in by a first run.
        let paused = Self.ev(bpt: false) { $0.sessionEnd = .pause }
        var service: SECCService?
        var summaryList: SummaryList?
        try await ISO20StationSessionTests.withStation(backend: backend) { station, connect, summaries, logger in
            service = station
            summaryList = summaries
            let first = try await EVCCSession.runISO20(on: try await connect(), configuration: paused, chargeLoops: 3, logger: logger)
            #expect(first.outcome == .paused(sessionID: first.sessionID))
            await pollWhile { station.iso20PausedSessions.all.isEmpty }
            #expect(station.iso20PausedSessions.all.map(\.sessionID) == [first.sessionID])
            let resume = Self.ev(bpt: false) { $0.resumeSessionID = first.sessionID }
            let second = try await EVCCSession.runISO20(on: try await connect(), configuration: resume, chargeLoops: 3, logger: logger)
            #expect(second.succeeded, "\(String(describing: second.outcome))")
            #expect(second.joinedOldSession)
            #expect(second.sessionID == first.sessionID)
            #expect(second.timeline.contains { $0.message == "SessionSetupRes" && $0.responseCode == "OK_OldSessionJoined" })
            await pollWhile { summaries.count < 2 }
        }
        #expect(try #require(service).iso20PausedSessions.all.isEmpty)
        let log = backend.transactionLog
        #expect(log.filter { $0.hasPrefix("started") }.count == 1, "\(log)")
        #expect(log.filter { $0.hasPrefix("ended") }.count == 1, "\(log)")
        #expect(try #require(summaryList).all.first?.ending == "session ended: sessionPaused")
    }

    @Test("[V2G20 Pause] A paused -20 session older than 24 h is dropped when the next session starts and its transaction ends; the vehicle asking for it gets a new session")
    func pausedSessionExpires() async throws {
        let backend = LocalChargingBackend()
        let paused = Self.ev(bpt: false) { $0.sessionEnd = .pause }
        try await ISO20StationSessionTests.withStation(backend: backend) { station, connect, summaries, logger in
            let first = try await EVCCSession.runISO20(on: try await connect(), configuration: paused, chargeLoops: 3, logger: logger)
            #expect(first.outcome == .paused(sessionID: first.sessionID))
            await pollWhile { station.iso20PausedSessions.all.isEmpty }
            // Age the kept session past the lifetime (the store keys on SessionID and EVCCID, so this replaces it).
            var kept = try #require(station.iso20PausedSessions.all.first)
            kept.pausedAt -= UInt64(station.iso20PausedSessions.lifetime) + 1
            station.iso20PausedSessions.keep(kept)
            #expect(backend.transactionLog.filter { $0.hasPrefix("ended") }.isEmpty)
            let resume = Self.ev(bpt: false) { $0.resumeSessionID = first.sessionID }
            let second = try await EVCCSession.runISO20(on: try await connect(), configuration: resume, chargeLoops: 3, logger: logger)
            #expect(!second.joinedOldSession)
            #expect(second.sessionID != first.sessionID)
            await pollWhile { summaries.count < 2 }
            #expect(station.iso20PausedSessions.all.isEmpty)
        }
        let log = backend.transactionLog
        #expect(log.count >= 3, "\(log)")
        #expect(log.first?.hasPrefix("started local-1") == true, "\(log)")
        #expect(log.dropFirst().first?.hasPrefix("ended local-1") == true, "\(log)")
        #expect(log.dropFirst(2).first?.hasPrefix("started local-2") == true, "\(log)")
    }

    @Test("[V2G20 Standby, ServiceRenegotiation] Standby in the charge loop, then service renegotiation into a second energy transfer, over loopback TLS 1.3")
    func standbyAndRenegotiation() async throws {
        let backend = LocalChargingBackend()
        let controller = SimulatedEVSEController(capabilities: SimulatedEVSEController.dc)
        let ev = Self.ev(bpt: false) {
            $0.standbyAfterLoops = 1
            $0.standbyLoops = 2
            $0.sessionEnd = .serviceRenegotiation
        }
        let (evs, seccs) = try await Self.sessions([ev], controller: controller, options: ISO20SessionOptions(), backend: backend, loops: 5)
        let summary = try #require(evs.first)
        #expect(summary.succeeded, "\(String(describing: summary.outcome))")
        #expect(summary.renegotiations == 1)
        let names = summary.timeline.map(\.message)
        #expect(names.filter { $0 == "ServiceDiscoveryReq" }.count == 2)
        #expect(names.filter { $0 == "PowerDeliveryReq" }.count == 6)
        #expect(seccs.first?.ending == "session ended: sessionStopped")
        let log = backend.transactionLog
        #expect(log.filter { $0.hasPrefix("started") }.count == 1, "\(log)")
        #expect(log.filter { $0.hasPrefix("ended") }.count == 1, "\(log)")
    }
}

/// Session summaries collected from the server's callback.
final class SummaryList: Sendable {
    private let list = Mutex<[SECCSessionSummary]>([])
    func append(_ summary: SECCSessionSummary) { self.list.withLock { $0.append(summary) } }
    var all: [SECCSessionSummary] { self.list.withLock { $0 } }
    var count: Int { self.list.withLock { $0.count } }
}

@Suite struct SimulatedEVSEControllerBPTTests {
    @Test("[SIM BPT] A bidirectional simulator follows a negative current within its discharge limits; a unidirectional one delivers none")
    func negativeCurrent() async throws {
        let bpt = SimulatedEVSEController(capabilities: SimulatedEVSEController.dcBPT)
        try await bpt.setContactors(closed: true)
        var output = try await bpt.deliver(OutputTarget(voltageV: 400, currentA: -50))
        #expect(output.currentA == -50)
        output = try await bpt.deliver(OutputTarget(voltageV: 400, currentA: -400))
        #expect(output.currentA == -125)
        #expect(output.currentLimitReached)
        // 50 kW at 500 V: 100 A.
        output = try await bpt.deliver(OutputTarget(voltageV: 500, currentA: -125))
        #expect(output.currentA == -100)
        #expect(output.powerLimitReached)
        try await Task.sleep(for: .milliseconds(20))
        try await bpt.setContactors(closed: false)
        _ = try await bpt.deliver(OutputTarget(voltageV: 0, currentA: 0))
        let meter = try await bpt.meterReading()
        #expect(meter.dischargedWh > 0)
        #expect(meter.energyWh == 0)

        let plain = SimulatedEVSEController(capabilities: SimulatedEVSEController.dc)
        try await plain.setContactors(closed: true)
        #expect(try await plain.deliver(OutputTarget(voltageV: 400, currentA: -50)).currentA == 0)
    }
}

/// The -20 BPT, dynamic, standby, pause and renegotiation sessions as an operator runs them: `pnc station` and
/// `pnc ev` processes on loopback over TLS 1.3 (dev/pnc-iso20-bpt.sh).
@Suite struct ISO20BPTCLITests {
    static let pnc = Peers.repoRoot + "/.build/debug/pnc"
    static let ready = FileManager.default.isExecutableFile(atPath: pnc) && Peers.which("python3") != nil

    @Test(
        "[ISO15118-20 DC_BPT, dynamic, Standby, Pause, OK_OldSessionJoined, ServiceRenegotiation] pnc station --bpt --dynamic --power-plan and pnc ev iso20-bpt-dc / iso20-dynamic-dc --pause / --resume --renegotiate over TLS 1.3",
        .enabled(if: ready, "needs .build/debug/pnc (swift build) and python3"))
    func chain() async throws {
        let (status, output) = try await Peers.runAsync(
            "/bin/bash", [Peers.repoRoot + "/dev/pnc-iso20-bpt.sh"], cwd: Peers.repoRoot, timeout: .seconds(300))
        #expect(status == 0, "\(output.suffix(4_000))")
        #expect(output.contains("ISO 15118-20 DC_BPT over TLS 1.3: the vehicle discharged, completed"))
        #expect(output.contains("ISO 15118-20 paused session joined, service renegotiated, completed"))
        #expect(output.contains("station: 2 sessions stopped, 1 paused and joined, 2 transactions"))
    }
}
