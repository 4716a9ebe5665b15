public import ISO15118EVCC
import ISO2Messages
public import Logging
import NIOCore
public import SAPMessages
import V2GTP
public import V2GTransport

/// The result of one EV session.
public struct EVCCSessionSummary: Sendable {
    public var protocolName: ApplicationProtocol?
    public var sessionID: String
    public var timeline: [TimelineEntry]
    /// nil when the session reached SessionStopRes.
    public var failure: String?
    public var battery: EVBattery
    public var meterWh: UInt64?
    /// Milliseconds from the first SupportedAppProtocolReq to the first PowerDeliveryRes.
    public var firstPowerDeliveryMilliseconds: Double?
    /// The contract installed or updated in this session (CertificateInstallation, CertificateUpdate), for the
    /// caller's ``ContractStore``.
    public var installedContract: StoredContract?
    /// Why a due CertificateUpdate did not deliver a new contract (the session used the current one).
    public var updateFailure: String?
    /// The session ended paused (SessionStopReq ChargingSession=Pause answered OK): resume it with ``sessionID``.
    public var paused = false
    /// The SECC joined the paused session this one asked for (SessionSetupRes OK_OldSessionJoined).
    public var resumed = false
    /// Renegotiations completed (ChargeProgress=Renegotiate, ChargeParameterDiscovery, PowerDelivery Start), and how
    /// many of them the SECC asked for (EVSENotification=ReNegotiation).
    public var renegotiations = 0
    public var seccRenegotiations = 0

    public var succeeded: Bool { self.failure == nil }
}

/// Runs the EV side of one V2G communication session on a connected ``V2GConnection``.
public enum EVCCSession {
    /// Offers ISO 15118-2, runs ``ISO2EVCCStateMachine`` to SessionStop, and closes the connection. With a `contract`
    /// the vehicle uses Contract payment (Plug & Charge) when the SECC offers it.
    public static func run(
        on connection: V2GConnection, configuration: ISO2EVCCStateMachine.Configuration, contract: StoredContract? = nil,
        installation: ContractInstallation? = nil, renewal: ContractRenewal? = nil, resuming: [UInt8]? = nil,
        timers: EVCCResponseTimers = .standard, logger: Logger
    ) async throws -> EVCCSessionSummary {
        let started = ContinuousClock.now
        func stamp() -> Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        }
        var timeline: [TimelineEntry] = []
        var machine = ISO2EVCCStateMachine(
            configuration: configuration, contract: contract, installation: installation, renewal: renewal, resuming: resuming)
        var failure: String? = "connection closed by the SECC"
        var selected: ApplicationProtocol?
        var firstPowerDelivery: Double?
        var logger = logger
        let timer = SessionTimer(window: timers.window(Self.iso2ResponseWindow("SupportedAppProtocolReq")), closing: connection.channel.channel)
        defer { timer.disarm() }
        var pending = "SupportedAppProtocolReq"
        do {
        try await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            switch try await Self.negotiate([.iso2], &frames, outbound, &timeline, stamp, timer: timer, timers: timers) {
            case .accepted(let chosen): selected = chosen
            case .refused(let code):
                failure = "no common protocol (\(code))"
                return
            case .noAnswer:
                if timer.expired { failure = "V2G_EVCC_Msg_Timeout: no answer to SupportedAppProtocolReq" }
                return
            }
            var action = machine.start()
            while true {
                switch action {
                case .send(let request):
                    let payload = try ByteBuffer(exiEncoding: ISO2Document.v2gMessage(request).exiEncode(into:))
                    let (sentName, detail) = MessageName.of(request)
                    pending = sentName
                    // Armed before the write: a response can then never arrive ahead of its timer.
                    timer.arm(window: timers.window(Self.iso2ResponseWindow(pending)))
                    try await outbound.write(V2GTPFrame(payloadType: .exi, payload: payload))
                    timeline.append(.init(milliseconds: stamp(), direction: .sent, message: pending, responseCode: detail))
                    let next = try await frames.next()
                    timer.disarm()
                    guard let frame = next else {
                        if timer.expired { failure = "V2G_EVCC_Msg_Timeout: no answer to \(pending)" }
                        return
                    }
                    guard case .v2gMessage(let response) = try frame.payload.exiDecoded(ISO2Document.init(exi:)) else {
                        failure = "not an ISO 15118-2 V2G_Message"
                        return
                    }
                    let (name, code) = MessageName.of(response)
                    timeline.append(.init(milliseconds: stamp(), direction: .received, message: name, responseCode: code))
                    if name == "PowerDeliveryRes", firstPowerDelivery == nil { firstPowerDelivery = stamp() }
                    if logger[metadataKey: "v2g.session_id"] == nil {
                        logger[metadataKey: "v2g.session_id"] = "\(response.header.sessionID.hexString)"
                    }
                    logger.debug("evcc transition", metadata: ["v2g.response": "\(name)"])
                    action = machine.received(response, now: SECCService.unixTime())
                case .finished:
                    failure = nil
                    return
                case .fail(let reason):
                    failure = "\(reason)"
                    return
                case .none:
                    return
                }
            }
        }
        } catch where timer.expired {
            failure = "V2G_EVCC_Msg_Timeout: no answer to \(pending)"
        }
        return EVCCSessionSummary(
            protocolName: selected, sessionID: machine.sessionID.hexString, timeline: timeline, failure: failure,
            battery: machine.battery, meterWh: machine.meterWh, firstPowerDeliveryMilliseconds: firstPowerDelivery,
            installedContract: machine.installedContract, updateFailure: machine.updateFailure, paused: machine.paused,
            resumed: machine.resumed, renegotiations: machine.renegotiations, seccRenegotiations: machine.seccRenegotiations)
    }
}

extension EVCCSession {
    enum Negotiation {
        case accepted(ApplicationProtocol)
        case refused(String)
        case noAnswer
    }

    /// SupportedAppProtocolReq offering `protocols`, its response on the timeline, and the protocol the SECC chose.
    /// The response timer runs while the answer is awaited (V2G_EVCC_Msg_Timeout of SupportedAppProtocolReq, 2 s);
    /// `.noAnswer` with `timer.expired` when it ran out.
    static func negotiate(
        _ protocols: [ApplicationProtocol], _ frames: inout NIOAsyncChannelInboundStream<V2GTPFrame>.AsyncIterator,
        _ outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, _ timeline: inout [TimelineEntry], _ stamp: () -> Double,
        timer: SessionTimer, timers: EVCCResponseTimers
    ) async throws -> Negotiation {
        let offer = AppProtocolOffer.request(offering: protocols)
        timer.arm(window: timers.window(Self.iso2ResponseWindow("SupportedAppProtocolReq")))
        try await outbound.write(
            V2GTPFrame(payloadType: .exi, payload: try ByteBuffer(exiEncoding: SAPDocument.supportedAppProtocolReq(offer).exiEncode(into:))))
        timeline.append(.init(milliseconds: stamp(), direction: .sent, message: "SupportedAppProtocolReq"))
        let next = try await frames.next()
        timer.disarm()
        guard let answer = next,
            case .supportedAppProtocolRes(let response) = try answer.payload.exiDecoded(SAPDocument.init(exi:))
        else { return .noAnswer }
        timeline.append(
            .init(
                milliseconds: stamp(), direction: .received, message: "SupportedAppProtocolRes",
                responseCode: response.responseCode.rawValue))
        guard case .accepted(let chosen, _) = AppProtocolOffer.outcome(of: response, to: offer) else {
            return .refused(response.responseCode.rawValue)
        }
        return .accepted(chosen)
    }

    /// A repeated request (Ongoing, PreCharge not yet at target) waits a little, as vehicles do, instead of flooding
    /// the SECC; the charge loop runs back to back.
    static func pace(_ requestName: String, after last: inout String) async throws {
        if requestName == last, !requestName.contains("ChargeLoop"), requestName != "CurrentDemandReq" {
            try await Task.sleep(for: .milliseconds(100))
        }
        last = requestName
    }
}

/// The EVCC drivers' response timers (V2G_EVCC_Msg_Timeout): each request's window comes from its standard (ISO 15118-2
/// Table 109, DIN SPEC 70121 §9.6, ISO 15118-20 timing table) through the state machine or
/// ``EVCCSession/iso2ResponseWindow(_:)``. ``limit`` shortens every window (tests only); ``floor`` lengthens the short
/// ones, an explicit leniency for SECC simulators that answer slower than the standard allows (`pnc ev
/// --response-window-floor`).
public struct EVCCResponseTimers: Sendable, Hashable {
    /// The longest any window may be; nil keeps the standard windows.
    public var limit: Duration?
    /// The shortest any window may be; nil keeps the standard windows.
    public var floor: Duration?

    public init(limit: Duration? = nil, floor: Duration? = nil) {
        self.limit = limit
        self.floor = floor
    }

    public static let standard = EVCCResponseTimers()

    /// The window to arm for a request whose standard window is `window`.
    public func window(_ window: Duration) -> Duration {
        var window = window
        if let floor { window = max(window, floor) }
        if let limit { window = min(window, limit) }
        return window
    }
}

extension EVCCSession {
    /// V2G_EVCC_Msg_Timeout of ISO 15118-2:2014 Table 109 for the response to `requestName`: 0.25 s for
    /// CurrentDemandReq; 5 s for ServiceDetailReq, PaymentDetailsReq, PowerDeliveryReq, CertificateInstallationReq and
    /// CertificateUpdateReq; 2 s for every other request, SupportedAppProtocolReq included.
    public static func iso2ResponseWindow(_ requestName: String) -> Duration {
        switch requestName {
        case "CurrentDemandReq": .milliseconds(250)
        case "ServiceDetailReq", "PaymentDetailsReq", "PowerDeliveryReq", "CertificateInstallationReq", "CertificateUpdateReq":
            .seconds(5)
        default: .seconds(2)
        }
    }
}
