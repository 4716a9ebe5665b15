import DINMessages
public import ISO15118EVCC
public import Logging
import NIOCore
public import SAPMessages
import V2GTP
public import V2GTransport

/// The result of one DIN SPEC 70121 EV session.
public struct DINEVCCSessionSummary: Sendable {
    public var protocolName: ApplicationProtocol?
    public var timeline: [TimelineEntry]
    /// How the machine ended; nil when the connection ended first.
    public var outcome: DINEVCCStateMachine.Outcome?

    public var succeeded: Bool { self.outcome == .completed }
}

extension EVCCSession {
    /// Offers DIN SPEC 70121, runs ``DINEVCCStateMachine`` to SessionStop (asking to stop after `chargeLoops`
    /// CurrentDemand exchanges), and closes the connection.
    public static func runDIN(
        on connection: V2GConnection, configuration: DINEVCCConfiguration, chargeLoops: Int = 5,
        timers: EVCCResponseTimers = .standard, logger: Logger
    ) async throws -> DINEVCCSessionSummary {
        let started = ContinuousClock.now
        func elapsed() -> Duration { ContinuousClock.now - started }
        func stamp() -> Double {
            let e = elapsed()
            return Double(e.components.seconds) * 1000 + Double(e.components.attoseconds) / 1e15
        }
        var timeline: [TimelineEntry] = []
        var machine = DINEVCCStateMachine(configuration: configuration)
        var outcome: DINEVCCStateMachine.Outcome?
        var selected: ApplicationProtocol?
        // V2G_EVCC_Msg_Timeout: armed with each request's window, it closes the connection when no answer comes.
        let timer = SessionTimer(window: timers.window(DINEVCCStateMachine.messageTimeout), closing: connection.channel.channel)
        defer { timer.disarm() }
        do {
        try await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            guard case .accepted(let chosen) = try await EVCCSession.negotiate(
                [.din], &frames, outbound, &timeline, stamp, timer: timer, timers: timers)
            else {
                if timer.expired { outcome = .responseTimeout(request: "SupportedAppProtocolReq") }
                return
            }
            selected = chosen
            var loops = 0
            var lastRequest = ""
            var action = machine.start(at: elapsed())
            while true {
                switch action {
                case .send(let request, let window):
                    if case .currentDemandReq = request.body.bodyElement {
                        loops += 1
                        if loops >= chargeLoops { machine.requestStop() }
                    }
                    try await EVCCSession.pace(SECCService.dinName(request), after: &lastRequest)
                    // Armed before the write: a response can then never arrive ahead of its timer.
                    timer.arm(window: timers.window(window))
                    try await SECCService.writeDIN(request, outbound, &timeline, stamp)
                    let next = try await frames.next()
                    timer.disarm()
                    guard let frame = next else {
                        action = timer.expired ? machine.responseTimerExpired() : machine.transportClosed()
                        continue
                    }
                    guard case .v2gMessage(let message) = try frame.payload.exiDecoded(DINDocument.init(exi:)) else {
                        outcome = .protocolViolation("not a DIN SPEC 70121 V2G_Message")
                        return
                    }
                    timeline.append(
                        .init(
                            milliseconds: stamp(), direction: .received, message: SECCService.dinName(message),
                            responseCode: GeneratedResponseCode.of(message.body)))
                    logger.debug("evcc transition", metadata: ["v2g.response": "\(SECCService.dinName(message))"])
                    action = machine.received(message, at: elapsed())
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
        return DINEVCCSessionSummary(protocolName: selected, timeline: timeline, outcome: outcome)
    }
}
