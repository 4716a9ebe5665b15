import DINMessages
import ISO15118SECC
import Logging
import NIOCore
import PnCCore
import V2GTP
import V2GTransport

extension SECCService {
    /// Runs a DIN SPEC 70121 session after SupportedAppProtocol selected it: decodes each V2GTP frame (payload type
    /// 0x8001), feeds ``DINSECCStateMachine`` and executes its actions against the backend and the controller.
    /// - Returns: why the session ended.
    func runDIN(
        frames: inout NIOAsyncChannelInboundStream<V2GTPFrame>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, capabilities: EVSECapabilities, sessionID: [UInt8],
        traceID: TraceID, logger: Logger, timeline: inout [TimelineEntry], stamp: () -> Double, rearm: () -> Void,
        timedOut: () -> Bool
    ) async throws -> String {
        var machine = DINSECCStateMachine(
            configuration: DINSECCConfiguration(
                evseID: [0x00], evseIndex: self.configuration.evseNumber, capabilities: capabilities,
                preChargeAboveMaximum: self.configuration.preChargeAboveMaximum),
            proposedSessionID: sessionID, traceID: traceID)
        while let frame = try await frames.next() {
            guard case .v2gMessage(let request) = try frame.payload.exiDecoded(DINDocument.init(exi:)) else {
                return "not a DIN SPEC 70121 V2G_Message"
            }
            let name = Self.dinName(request)
            timeline.append(.init(milliseconds: stamp(), direction: .received, message: name))
            var action = machine.received(request, now: Self.unixTime())
            while true {
                logger.debug("secc transition", metadata: ["v2g.request": "\(name)", "v2g.action": "\(action)"])
                switch action {
                case .send(let message, _):
                    try await Self.writeDIN(message, outbound, &timeline, stamp)
                    rearm()
                case .sendAndAuthorize(let message, _, let request):
                    try await Self.writeDIN(message, outbound, &timeline, stamp)
                    rearm()
                    // The backend is asked while the vehicle prepares its ContractAuthenticationReq, which is read
                    // only after the answer; a slow backend shows as Ongoing only if it answers after that request.
                    if let decision = await self.decide(request, logger: logger) {
                        _ = machine.backendAnswered(decision)
                    } else {
                        _ = machine.backendFailed()
                    }
                case .sendAndClose(let message, let reason):
                    try await Self.writeDIN(message, outbound, &timeline, stamp)
                    SessionTransaction.current?.stationEnded()
                    return "session ended: \(reason)"
                case .startTransaction(let start, let message, _):
                    let id = await self.startTransaction(start, fallbackID: "local-\(start.sessionID)", logger: logger)
                    _ = machine.transactionStarted(id: id)
                    try await Self.writeDIN(message, outbound, &timeline, stamp)
                    rearm()
                case .sendAndUpdateTransaction(let message, let update, _):
                    try await Self.writeDIN(message, outbound, &timeline, stamp)
                    rearm()
                    await self.reportUpdate(update, logger: logger)
                case .endTransaction(let end, let message, let reason):
                    await self.reportEnd(end, logger: logger)
                    try await Self.writeDIN(message, outbound, &timeline, stamp)
                    SessionTransaction.current?.stationEnded()
                    return "session ended: \(reason)"
                case .control(let command):
                    let reply = await self.control(command, logger: logger)
                    if let meter = try? await self.controller.meterReading() { machine.meterSampled(meter) }
                    action = machine.controllerReplied(reply, now: Self.unixTime())
                    continue
                case .close(let reason):
                    SessionTransaction.current?.stationEnded()
                    return "closed: \(reason)"
                case .none:
                    break
                }
                break
            }
        }
        if timedOut() { return "closed: \(machine.sequenceTimerExpired())" }
        _ = machine.transportClosed()
        return "connection closed by the vehicle"
    }

    static func writeDIN(
        _ message: V2GMessage, _ outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, _ timeline: inout [TimelineEntry],
        _ stamp: () -> Double
    ) async throws {
        let payload = try ByteBuffer(exiEncoding: DINDocument.v2gMessage(message).exiEncode(into:))
        try await outbound.write(V2GTPFrame(payloadType: .exi, payload: payload))
        timeline.append(
            .init(
                milliseconds: stamp(), direction: .sent, message: Self.dinName(message),
                responseCode: GeneratedResponseCode.of(message.body)))
    }

    /// The body element's name (`CableCheckReq`), for timelines and logs.
    static func dinName(_ message: V2GMessage) -> String {
        guard let body = message.body.bodyElement else { return "empty Body" }
        let label = String(describing: body).prefix(while: { $0 != "(" })
        return label.prefix(1).uppercased() + label.dropFirst()
    }
}
