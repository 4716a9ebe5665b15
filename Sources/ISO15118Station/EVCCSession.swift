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

    public var succeeded: Bool { self.failure == nil }
}

/// Runs the EV side of one V2G communication session on a connected ``V2GConnection``.
public enum EVCCSession {
    /// Offers ISO 15118-2, runs ``ISO2EVCCStateMachine`` to SessionStop, and closes the connection. With a `contract`
    /// the vehicle uses Contract payment (Plug & Charge) when the SECC offers it.
    public static func run(
        on connection: V2GConnection, configuration: ISO2EVCCStateMachine.Configuration, contract: StoredContract? = nil,
        installation: ContractInstallation? = nil, renewal: ContractRenewal? = nil, logger: Logger
    ) async throws -> EVCCSessionSummary {
        let started = ContinuousClock.now
        func stamp() -> Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        }
        var timeline: [TimelineEntry] = []
        var machine = ISO2EVCCStateMachine(
            configuration: configuration, contract: contract, installation: installation, renewal: renewal)
        var failure: String? = "connection closed by the SECC"
        var selected: ApplicationProtocol?
        var firstPowerDelivery: Double?
        var logger = logger
        try await connection.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            switch try await Self.negotiate([.iso2], &frames, outbound, &timeline, stamp) {
            case .accepted(let chosen): selected = chosen
            case .refused(let code):
                failure = "no common protocol (\(code))"
                return
            case .noAnswer: return
            }
            var action = machine.start()
            while true {
                switch action {
                case .send(let request):
                    let payload = try ByteBuffer(exiEncoding: ISO2Document.v2gMessage(request).exiEncode(into:))
                    try await outbound.write(V2GTPFrame(payloadType: .exi, payload: payload))
                    timeline.append(.init(milliseconds: stamp(), direction: .sent, message: MessageName.of(request).0))
                    guard let frame = try await frames.next() else { return }
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
        return EVCCSessionSummary(
            protocolName: selected, sessionID: machine.sessionID.hexString, timeline: timeline, failure: failure,
            battery: machine.battery, meterWh: machine.meterWh, firstPowerDeliveryMilliseconds: firstPowerDelivery,
            installedContract: machine.installedContract, updateFailure: machine.updateFailure)
    }
}

extension EVCCSession {
    enum Negotiation {
        case accepted(ApplicationProtocol)
        case refused(String)
        case noAnswer
    }

    /// SupportedAppProtocolReq offering `protocols`, its response on the timeline, and the protocol the SECC chose.
    static func negotiate(
        _ protocols: [ApplicationProtocol], _ frames: inout NIOAsyncChannelInboundStream<V2GTPFrame>.AsyncIterator,
        _ outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, _ timeline: inout [TimelineEntry], _ stamp: () -> Double
    ) async throws -> Negotiation {
        let offer = AppProtocolOffer.request(offering: protocols)
        try await outbound.write(
            V2GTPFrame(payloadType: .exi, payload: try ByteBuffer(exiEncoding: SAPDocument.supportedAppProtocolReq(offer).exiEncode(into:))))
        timeline.append(.init(milliseconds: stamp(), direction: .sent, message: "SupportedAppProtocolReq"))
        guard let answer = try await frames.next(),
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
