import Foundation
import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO20Messages
import Logging
import SAPMessages
import V2GTransport
import Testing

/// EVSE-initiated requests (EVSENotification) between our -20 EVCC driver and our SECC driver over loopback TLS 1.3
/// mutual: the station's configured notice after N charge-loop requests, and notices the charger posts on the
/// service's notice board while a session runs.
@Suite struct ISO20NotificationStationTests {
    static func configuration(_ scheduled: ISO20ScheduledNotice?) -> SECCConfiguration {
        var configuration = SECCConfiguration(evseID: "DE*PNC*E1", protocols: [.iso20DC, .iso20AC])
        configuration.iso20NoticeAfterChargeLoops = scheduled
        return configuration
    }

    static func waitFor(_ summaries: SummaryList, count: Int) async throws {
        await pollWhile { summaries.count < count }
    }

    @Test("[V2G20 EVSENotification ScheduleRenegotiation] Station notice after 2 charge-loop requests over TLS 1.3: DC_ChargeLoopRes carries it, the vehicle reacts (timeline says within NotificationMaxDelay), ScheduleExchange again, PowerDelivery Start, one transaction")
    func scheduleRenegotiation() async throws {
        let backend = LocalChargingBackend()
        let notice = ISO20ScheduledNotice(afterChargeLoops: 2, notice: ISO20EVSENotice(.scheduleRenegotiation, maxDelaySeconds: 30))
        try await ISO20StationSessionTests.withStation(configuration: Self.configuration(notice), backend: backend) { _, connect, summaries, logger in
            let ev = ISO20BPTStationTests.ev(bpt: false)
            let summary = try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: 4, logger: logger)
            #expect(summary.succeeded, "\(String(describing: summary.outcome))")
            #expect(summary.scheduleRenegotiations == 1)
            #expect(summary.lateReactions == 0)
            #expect(summary.noticeReactions.map(\.notification) == [.scheduleRenegotiation])
            let timeline = summary.timeline
            let notified = try #require(timeline.firstIndex { $0.responseCode?.contains("EVSENotification=ScheduleRenegotiation NotificationMaxDelay=30s") == true })
            #expect(timeline[notified].message == "DC_ChargeLoopRes")
            let reaction = timeline[notified + 1]
            #expect(reaction.message == "PowerDeliveryReq")
            #expect(reaction.responseCode?.hasPrefix("ScheduleRenegotiation  reacting to EVSENotification=ScheduleRenegotiation after ") == true, "\(reaction)")
            #expect(reaction.responseCode?.hasSuffix("within NotificationMaxDelay=30s") == true, "\(reaction)")
            #expect(timeline.filter { $0.message == "ScheduleExchangeReq" }.count == 2)
            #expect(timeline.filter { $0.message == "DC_CableCheckReq" }.count == 1)
            try await Self.waitFor(summaries, count: 1)
            let secc = try #require(summaries.all.first)
            #expect(secc.ending == "session ended: sessionStopped")
            #expect(secc.timeline.contains { $0.message == "DC_ChargeLoopRes" && $0.responseCode?.contains("EVSENotification=ScheduleRenegotiation") == true })
        }
        let log = backend.transactionLog
        #expect(log.filter { $0.hasPrefix("started") }.count == 1, "\(log)")
        #expect(log.filter { $0.hasPrefix("ended") && $0.hasSuffix("(StoppedByEV)") }.count == 1, "\(log)")
    }

    @Test("[V2G20 EVSENotification Terminate, Pause, ServiceRenegotiation] Notices the charger posts on the notice board reach the running session: Terminate ends the transaction (Remote), Pause keeps the session, ServiceRenegotiation gives a second energy transfer")
    func postedNotices() async throws {
        let backend = LocalChargingBackend()
        try await ISO20StationSessionTests.withStation(configuration: Self.configuration(nil), backend: backend) { service, connect, summaries, logger in
            // Posted before the session: taken at its first charge-loop request.
            service.iso20Notices.post(ISO20EVSENotice(.terminate, stopReason: .remote))
            let ev = ISO20BPTStationTests.ev(bpt: false)
            let terminated = try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: 10, logger: logger)
            #expect(terminated.outcome == .completed)
            #expect(terminated.timeline.filter { $0.message == "DC_ChargeLoopReq" }.count == 1)
            #expect(terminated.timeline.contains { $0.message == "SessionStopReq" && $0.responseCode == "Terminate" })
            try await Self.waitFor(summaries, count: 1)
            #expect(service.iso20Notices.count == 0)

            service.iso20Notices.post(ISO20EVSENotice(.pause))
            let paused = try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: 10, logger: logger)
            #expect(paused.outcome == .paused(sessionID: paused.sessionID))
            try await Self.waitFor(summaries, count: 2)
            #expect(service.iso20PausedSessions.all.map(\.sessionID) == [paused.sessionID])

            service.iso20Notices.post(ISO20EVSENotice(.serviceRenegotiation))
            let renegotiated = try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: 2, logger: logger)
            #expect(renegotiated.succeeded, "\(String(describing: renegotiated.outcome))")
            #expect(renegotiated.renegotiations == 1)
            #expect(renegotiated.timeline.filter { $0.message == "ServiceDiscoveryReq" }.count == 2)
            #expect(renegotiated.noticeReactions.map(\.reaction) == ["PowerDeliveryReq(Stop)"])
            try await Self.waitFor(summaries, count: 3)
            #expect(summaries.all.map(\.ending) == [
                "session ended: sessionStopped", "session ended: sessionPaused", "session ended: sessionStopped",
            ])
        }
        let log = backend.transactionLog
        #expect(log.filter { $0.hasPrefix("started") }.count == 3, "\(log)")
        #expect(log.first { $0.hasPrefix("ended local-1") }?.hasSuffix("(Remote)") == true, "\(log)")
        #expect(!log.contains { $0.hasPrefix("ended local-2") }, "\(log)")
        #expect(log.first { $0.hasPrefix("ended local-3") }?.hasSuffix("(StoppedByEV)") == true, "\(log)")
    }

    @Test("[V2G20 EVSENotification ExitStandby] AC: the station's ExitStandby waits until the vehicle is in standby, then the vehicle answers PowerDeliveryReq Start")
    func exitStandbyAC() async throws {
        let backend = LocalChargingBackend()
        let notice = ISO20ScheduledNotice(afterChargeLoops: 1, notice: ISO20EVSENotice(.exitStandby, maxDelaySeconds: 30))
        try await ISO20StationSessionTests.withStation(
            configuration: Self.configuration(notice), controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.ac),
            backend: backend
        ) { _, connect, _, logger in
            let ev = ISO20BPTStationTests.ev(ac: true, bpt: false) {
                $0.standbyAfterLoops = 2
                $0.standbyLoops = 20
            }
            let summary = try await EVCCSession.runISO20(on: try await connect(), configuration: ev, chargeLoops: 6, logger: logger)
            #expect(summary.succeeded, "\(String(describing: summary.outcome))")
            #expect(summary.protocolName == .iso20AC)
            let deliveries = summary.timeline.filter { $0.message == "PowerDeliveryReq" }.compactMap(\.responseCode)
            #expect(deliveries.count == 4, "\(deliveries)")
            #expect(deliveries.first == "Start")
            #expect(deliveries.dropFirst().first == "Standby")
            #expect(deliveries.dropFirst(2).first?.hasPrefix("Start  reacting to EVSENotification=ExitStandby") == true, "\(deliveries)")
            #expect(summary.noticeReactions.map(\.notification) == [.exitStandby])
        }
    }
}

/// `pnc station --notify-after` and `pnc ev` processes on loopback over TLS 1.3 (dev/pnc-iso20-notify.sh).
@Suite struct ISO20NotifyCLITests {
    static let pnc = Peers.repoRoot + "/.build/debug/pnc"
    static let ready = FileManager.default.isExecutableFile(atPath: pnc) && Peers.which("python3") != nil

    @Test(
        "[ISO15118-20 EVSENotification ScheduleRenegotiation, Terminate, ExitStandby] pnc station --notify-after N:NOTIFICATION[:SECONDS] and pnc ev over TLS 1.3: the vehicle reacts within NotificationMaxDelay",
        .enabled(if: ready, "needs .build/debug/pnc (swift build) and python3"))
    func chain() async throws {
        let (status, output) = try await Peers.runAsync(
            "/bin/bash", [Peers.repoRoot + "/dev/pnc-iso20-notify.sh"], cwd: Peers.repoRoot, timeout: .seconds(300))
        #expect(status == 0, "\(output.suffix(4_000))")
        #expect(output.contains("ISO 15118-20 ScheduleRenegotiation: the vehicle renegotiated the schedule within NotificationMaxDelay, completed"))
        #expect(output.contains("ISO 15118-20 Terminate: the vehicle stopped after 2 charge-loop requests, transaction ended (Local)"))
        #expect(output.contains("ISO 15118-20 ExitStandby: the AC vehicle left standby when asked, completed"))
    }
}
