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
        on connection: V2GConnection, configuration: DINEVCCConfiguration, chargeLoops: Int = 5, logger: Logger
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
        try await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            guard case .accepted(let chosen) = try await EVCCSession.negotiate([.din], &frames, outbound, &timeline, stamp)
            else { return }
            selected = chosen
            var loops = 0
            var lastRequest = ""
            var action = machine.start(at: elapsed())
            while true {
                switch action {
                case .send(let request, _):
                    if case .currentDemandReq = request.body.bodyElement {
                        loops += 1
                        if loops >= chargeLoops { machine.requestStop() }
                    }
                    try await EVCCSession.pace(SECCService.dinName(request), after: &lastRequest)
                    try await SECCService.writeDIN(request, outbound, &timeline, stamp)
                    guard let frame = try await frames.next() else {
                        action = machine.transportClosed()
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
        return DINEVCCSessionSummary(protocolName: selected, timeline: timeline, outcome: outcome)
    }
}
