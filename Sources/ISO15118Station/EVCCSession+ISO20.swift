public import ISO15118EVCC
import ISO20Messages
public import Logging
import NIOCore
public import SAPMessages
import V2GTP
public import V2GTransport

/// The result of one ISO 15118-20 EV session.
public struct ISO20EVCCSessionSummary: Sendable {
    public var protocolName: ApplicationProtocol?
    public var timeline: [TimelineEntry]
    /// How the machine ended; nil when the connection ended first.
    public var outcome: ISO20EVCCStateMachine.Outcome?
    /// The contract's eMAID when the vehicle authorized by Plug & Charge, nil for EIM.
    public var plugAndChargeEMAID: String?
    /// The contract installed in this session (CertificateInstallation), for the vehicle to keep.
    public var installedContract: ISO20EVCCContract?
    /// The SessionID the SECC gave (or joined).
    public var sessionID: [UInt8] = []
    /// The SECC joined a paused session (OK_OldSessionJoined).
    public var joinedOldSession = false
    /// The battery at the end, and the energy taken in and given back, from the EVSE's charge-loop reports.
    public var battery: EVBattery?
    public var chargedWh: Double = 0
    public var dischargedWh: Double = 0
    /// The service renegotiations of the session.
    public var renegotiations = 0
    /// The schedule renegotiations of the session.
    public var scheduleRenegotiations = 0
    /// The EVSE's notifications the vehicle reacted to.
    public var noticeReactions: [ISO20NoticeReaction] = []
    /// Reactions later than their NotificationMaxDelay on the wall clock (from the response's arrival to the
    /// reaction's write).
    public var lateReactions = 0

    /// The session reached SessionStopRes (Terminate, or Pause when the vehicle paused it).
    public var succeeded: Bool {
        switch self.outcome {
        case .completed, .paused: true
        default: false
        }
    }
}

extension EVCCSession {
    /// Offers ISO 15118-20 (AC or DC by `configuration.ac`), runs ``ISO20EVCCStateMachine`` to SessionStop (asking to
    /// stop after `chargeLoops` charge-loop exchanges of each energy transfer, standby exchanges included) and closes
    /// the connection. `loopInterval` spaces the charge-loop requests (as vehicles do, about once a second) so that
    /// the battery sees energy flow over time; zero sends them back to back.
    public static func runISO20(
        on connection: V2GConnection, configuration: ISO20EVCCConfiguration, contracts: [ISO20EVCCContract] = [],
        installation: ISO20ContractInstallation? = nil, chargeLoops: Int = 5, loopInterval: Duration = .zero,
        timers: EVCCResponseTimers = .standard,
        logger: Logger
    ) async throws -> ISO20EVCCSessionSummary {
        let started = ContinuousClock.now
        func stamp() -> Double {
            let e = ContinuousClock.now - started
            return Double(e.components.seconds) * 1000 + Double(e.components.attoseconds) / 1e15
        }
        func now() -> UInt64 { UInt64(max(SECCService.unixTime(), 0)) }
        var timeline: [TimelineEntry] = []
        var machine = ISO20EVCCStateMachine(configuration: configuration, contracts: contracts, installation: installation)
        var outcome: ISO20EVCCStateMachine.Outcome?
        var selected: ApplicationProtocol?
        var lateReactions = 0
        // V2G_EVCC_Msg_Timeout: armed with each request's window, it closes the connection when no answer comes.
        let timer = SessionTimer(window: timers.window(ISO20EVCCStateMachine.messageTimeout), closing: connection.channel.channel)
        defer { timer.disarm() }
        do {
        try await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            guard case .accepted(let chosen) = try await EVCCSession.negotiate(
                [configuration.ac ? .iso20AC : .iso20DC], &frames, outbound, &timeline, stamp, timer: timer, timers: timers)
            else {
                if timer.expired { outcome = .responseTimeout(request: "SupportedAppProtocolReq") }
                return
            }
            selected = chosen
            var loops = 0
            var lastRequest = ""
            var reactions = 0
            var lastResponseAt = stamp()
            var action = machine.start(now: now())
            while true {
                switch action {
                case .send(let request, let window):
                    switch request {
                    case .dcChargeLoop, .acChargeLoop:
                        if loopInterval > .zero { try await Task.sleep(for: loopInterval) }
                        loops += 1
                        if loops >= chargeLoops { machine.requestStop() }
                    case .serviceDiscovery:
                        // A renegotiated service starts a new energy transfer.
                        loops = 0
                    default:
                        break
                    }
                    try await EVCCSession.pace(SECCService.iso20Name(request), after: &lastRequest)
                    // Armed before the write: a response can then never arrive ahead of its timer.
                    timer.arm(window: timers.window(window))
                    try await SECCService.writeISO20(request, outbound, &timeline, stamp)
                    if machine.noticeReactions.count > reactions, let reaction = machine.noticeReactions.last,
                        let index = timeline.indices.last
                    {
                        // The reaction to the EVSE's notification: how long after the response that carried it.
                        reactions = machine.noticeReactions.count
                        let elapsed = timeline[index].milliseconds - lastResponseAt
                        let inTime = elapsed <= Double(reaction.maxDelaySeconds) * 1000
                        if !inTime { lateReactions += 1 }
                        let note = "reacting to EVSENotification=\(reaction.notification.rawValue) after \((elapsed * 10).rounded() / 10) ms, "
                            + (inTime ? "within" : "LATER than") + " NotificationMaxDelay=\(reaction.maxDelaySeconds)s"
                        timeline[index].responseCode = [timeline[index].responseCode, note].compactMap { $0 }.joined(separator: "  ")
                        logger.info("evcc reacts to the EVSE's notification", metadata: [
                            "v2g.notification": "\(reaction.notification.rawValue)", "v2g.reaction": "\(reaction.reaction)",
                            "v2g.elapsed_ms": "\(elapsed)",
                        ])
                    }
                    let next = try await frames.next()
                    timer.disarm()
                    guard let frame = next else {
                        action = timer.expired ? machine.responseTimerExpired() : machine.transportClosed()
                        continue
                    }
                    guard let message = try ISO20Response(payloadType: frame.payloadType.rawValue, exi: Array(buffer: frame.payload))
                    else {
                        outcome = .protocolViolation("not an ISO 15118-20 response")
                        return
                    }
                    lastResponseAt = stamp()
                    timeline.append(
                        .init(
                            milliseconds: lastResponseAt, direction: .received, message: SECCService.iso20Name(message),
                            responseCode: SECCService.iso20Detail(message)))
                    logger.debug("evcc transition", metadata: ["v2g.response": "\(SECCService.iso20Name(message))"])
                    action = machine.received(message, now: now())
                case .finish(let result):
                    outcome = result
                    return
                case .none:
                    return
                }
            }
        }
        } catch where timer.expired {
            if case .finish(let result) = machine.responseTimerExpired() { outcome = result }
        }
        var summary = ISO20EVCCSessionSummary(
            protocolName: selected, timeline: timeline, outcome: outcome, plugAndChargeEMAID: machine.plugAndChargeEMAID,
            installedContract: machine.installedContract)
        summary.sessionID = machine.currentSessionID
        summary.joinedOldSession = machine.joinedOldSession
        summary.battery = machine.battery
        summary.chargedWh = machine.chargedWh
        summary.dischargedWh = machine.dischargedWh
        summary.renegotiations = machine.renegotiations
        summary.scheduleRenegotiations = machine.scheduleRenegotiations
        summary.noticeReactions = machine.noticeReactions
        summary.lateReactions = lateReactions
        return summary
    }
}
