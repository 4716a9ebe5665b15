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

    public var succeeded: Bool { self.outcome == .completed }
}

extension EVCCSession {
    /// Offers ISO 15118-20 (AC or DC by `configuration.ac`), runs ``ISO20EVCCStateMachine`` to SessionStop (asking to
    /// stop after `chargeLoops` charge-loop exchanges) and closes the connection.
    public static func runISO20(
        on connection: V2GConnection, configuration: ISO20EVCCConfiguration, contracts: [ISO20EVCCContract] = [],
        installation: ISO20ContractInstallation? = nil, chargeLoops: Int = 5, timers: EVCCResponseTimers = .standard,
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
            var action = machine.start(now: now())
            while true {
                switch action {
                case .send(let request, let window):
                    switch request {
                    case .dcChargeLoop, .acChargeLoop:
                        loops += 1
                        if loops >= chargeLoops { machine.requestStop() }
                    default:
                        break
                    }
                    try await EVCCSession.pace(SECCService.iso20Name(request), after: &lastRequest)
                    try await SECCService.writeISO20(request, outbound, &timeline, stamp)
                    timer.arm(window: timers.window(window))
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
                    timeline.append(
                        .init(
                            milliseconds: stamp(), direction: .received, message: SECCService.iso20Name(message),
                            responseCode: GeneratedResponseCode.of(message)))
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
        return ISO20EVCCSessionSummary(
            protocolName: selected, timeline: timeline, outcome: outcome, plugAndChargeEMAID: machine.plugAndChargeEMAID,
            installedContract: machine.installedContract)
    }
}
