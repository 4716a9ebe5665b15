import ISO15118SECC
import ISO20Messages
import ISO2Messages
import Logging
import NIOCore
import PnCCore
import V2GTP
import V2GTransport

extension SECCService {
    /// Runs an ISO 15118-20 session (AC or DC, EIM) after SupportedAppProtocol selected it: each V2GTP frame is
    /// decoded by its payload type (0x8002 CommonMessages, 0x8003 AC, 0x8004 DC), fed to ``ISO20SECCStateMachine``,
    /// and each response is sent with its schema's payload type.
    /// - Returns: why the session ended.
    func runISO20(
        frames: inout NIOAsyncChannelInboundStream<V2GTPFrame>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, capabilities: EVSECapabilities, sessionID: [UInt8],
        traceID: TraceID, logger: Logger, timeline: inout [TimelineEntry], stamp: () -> Double, rearm: () -> Void,
        timedOut: () -> Bool
    ) async throws -> String {
        var pnc = self.configuration.paymentOptions.contains(.contract) ? self.configuration.iso20PnC : nil
        // The MO roots a CSMS installed (OCPP 2.0.1 M05) are read at every session, as for ISO 15118-2; without any,
        // Plug & Charge is not offered (EIM only).
        if pnc != nil, let provider = self.configuration.contractRootsProvider {
            let roots = provider()
            pnc = roots.isEmpty ? nil : pnc.map { var offer = $0; offer.moRoots = roots; return offer }
        }
        var random = SystemRandomNumberGenerator()
        var iso20Configuration = ISO20SECCConfiguration(
            evseID: self.configuration.evseID, evseIndex: self.configuration.evseNumber, capabilities: capabilities, pnc: pnc)
        iso20Configuration.apply(self.configuration.iso20Session)
        iso20Configuration.preChargeAboveMaximum = self.configuration.preChargeAboveMaximum
        var machine = ISO20SECCStateMachine(
            configuration: iso20Configuration, proposedSessionID: sessionID, traceID: traceID,
            genChallenge: pnc == nil ? [] : (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) },
            pausedSessions: await self.resumable(self.iso20PausedSessions, logger: logger))
        var logger = logger
        // EVSE notices to raise: the configured one after its charge-loop count, then what the charger posts.
        var chargeLoops = 0
        var notices: [ISO20EVSENotice] = []
        defer {
            for notice in notices {
                logger.info("secc -20 EVSENotification not raised before the session ended", metadata: ["v2g.notification": "\(notice.notification.rawValue)"])
            }
        }
        while let frame = try await frames.next() {
            guard let request = try ISO20Request(payloadType: frame.payloadType.rawValue, exi: Array(buffer: frame.payload))
            else {
                return "not an ISO 15118-20 request (payload type \(frame.payloadType))"
            }
            let name = Self.iso20Name(request)
            timeline.append(.init(milliseconds: stamp(), direction: .received, message: name, responseCode: Self.iso20Detail(request)))
            switch request {
            case .dcChargeLoop, .acChargeLoop:
                chargeLoops += 1
                if let scheduled = self.configuration.iso20NoticeAfterChargeLoops, chargeLoops == scheduled.afterChargeLoops {
                    notices.append(scheduled.notice)
                }
                if let posted = self.iso20Notices.take() { notices.append(posted) }
                if let notice = notices.first {
                    let metadata: Logger.Metadata = [
                        "v2g.notification": "\(notice.notification.rawValue)", "v2g.max_delay_s": "\(notice.maxDelaySeconds)",
                    ]
                    switch machine.notify(notice) {
                    case .accepted:
                        notices.removeFirst()
                        logger.info("secc -20 EVSENotification raised", metadata: metadata)
                    case .refused(let reason):
                        logger.debug("secc -20 EVSENotification not raised yet: \(reason)", metadata: metadata)
                    }
                }
            default:
                break
            }
            var action = machine.received(request, now: UInt64(max(Self.unixTime(), 0)))
            if case .sessionSetup(let setup) = request, let joined = machine.joinedSessionID {
                // The vehicle joined a paused session: its trace id and transaction go on.
                if let record = self.iso20PausedSessions.remove(sessionID: joined, evccID: Array(setup.evccID.utf8)),
                    let transactionID = record.transactionID
                {
                    SessionTransaction.current?.opened(transactionID, traceID: record.traceID, meterWh: record.meterStopWh)
                }
                logger[metadataKey: "pnc.trace_id"] = "\(machine.traceID)"
                logger[metadataKey: "v2g.session_id"] = "\(ISO20SECCStateMachine.hex(joined))"
                logger.debug("secc joined a paused -20 session")
            }
            while true {
                logger.debug("secc transition", metadata: ["v2g.request": "\(name)"])
                switch action {
                case .send(let response, _):
                    try await Self.writeISO20(response, outbound, &timeline, stamp)
                    rearm()
                case .sendAndAuthorize(let response, _, let backendRequest):
                    // The backend is asked before the first AuthorizationReq is answered: a decision within the
                    // budget is answered at once (Finished or the refusal); a slower one gets Ongoing, and the
                    // vehicle's repeated AuthorizationReq gets the decision.
                    let asked = try await self.authorizeWithinBudget(backendRequest, logger: logger) {
                        try await Self.writeISO20(response, outbound, &timeline, stamp)
                        rearm()
                    }
                    if let decision = asked.decision { _ = machine.backendAnswered(decision) } else { _ = machine.backendFailed() }
                    if !asked.answeredOngoing {
                        action =
                            machine.decidedAuthorization(answering: request, now: UInt64(max(Self.unixTime(), 0)))
                            ?? .send(response, expectNextWithin: ISO20SECCStateMachine.sequenceTimeout)
                        continue
                    }
                case .sendAndExchangeCertificate(let response, _, let request):
                    try await Self.writeISO20(response, outbound, &timeline, stamp)
                    rearm()
                    if let result = await self.exchange(request, logger: logger) {
                        _ = machine.certificateExchanged(result)
                    } else {
                        _ = machine.certificateExchangeFailed()
                    }
                case .sendAndClose(let response, let reason):
                    try await Self.writeISO20(response, outbound, &timeline, stamp)
                    if let paused = machine.pausedSession {
                        await self.keepPaused(paused, in: self.iso20PausedSessions, logger: logger)
                    }
                    SessionTransaction.current?.stationEnded()
                    return Self.ending("session ended: \(reason)", joined: machine.joinedSessionID)
                case .startTransaction(let start, let response, _):
                    let id = await self.startTransaction(start, fallbackID: "local-\(ISO20SECCStateMachine.hex(sessionID))", logger: logger)
                    _ = machine.transactionStarted(id: id)
                    try await Self.writeISO20(response, outbound, &timeline, stamp)
                    rearm()
                case .sendAndUpdateTransaction(let response, let update, _):
                    try await Self.writeISO20(response, outbound, &timeline, stamp)
                    rearm()
                    await self.reportUpdate(update, logger: logger)
                case .endTransaction(let end, let response, let reason):
                    await self.reportEnd(end, logger: logger)
                    try await Self.writeISO20(response, outbound, &timeline, stamp)
                    return Self.ending("session ended: \(reason)", joined: machine.joinedSessionID)
                case .control(let command):
                    let reply = await self.control(command, logger: logger)
                    if let meter = try? await self.controller.meterReading() { machine.meterSampled(meter) }
                    action = machine.controllerReplied(reply, now: UInt64(max(Self.unixTime(), 0)))
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

    /// A session's ending, naming the paused session it joined (its SessionID and trace id are not the ones the
    /// connection started with).
    static func ending(_ text: String, joined: [UInt8]?) -> String {
        guard let joined else { return text }
        return text + " (joined paused session \(ISO20SECCStateMachine.hex(joined)))"
    }

    static func writeISO20<Message>(
        _ message: Message, _ outbound: NIOAsyncChannelOutboundWriter<V2GTPFrame>, _ timeline: inout [TimelineEntry],
        _ stamp: () -> Double
    ) async throws where Message: ISO20Encodable {
        try await outbound.write(
            V2GTPFrame(
                payloadType: PayloadType(rawValue: message.payloadType), payload: ByteBuffer(bytes: try message.exiEncoded())))
        timeline.append(
            .init(
                milliseconds: stamp(), direction: .sent, message: Self.iso20Name(message),
                responseCode: Self.iso20Detail(message)))
    }

    /// What a timeline line shows after the element name: a response's ResponseCode (and EVSEProcessing), with the
    /// EVSENotification and NotificationMaxDelay of EVSEStatus when it carries one; a request's ChargeProgress
    /// (PowerDeliveryReq) or ChargingSession (SessionStopReq).
    static func iso20Detail<Message>(_ message: Message) -> String? where Message: ISO20Encodable {
        if let request = message as? ISO20Request {
            switch request {
            case .powerDelivery(let r): return r.chargeProgress.rawValue
            case .sessionStop(let r): return r.chargingSession.rawValue
            default: return nil
            }
        }
        let code = GeneratedResponseCode.of(message)
        let status: ISO20Messages.EVSEStatus?
        switch message as? ISO20Response {
        case .dcChargeLoop(let r): status = r.evseStatus
        case .acChargeLoop(let r): status = r.evseStatus
        case .powerDelivery(let r): status = r.evseStatus
        default: status = nil
        }
        guard let status else { return code }
        return (code ?? "") + "  EVSENotification=\(status.evseNotification.rawValue) NotificationMaxDelay=\(status.notificationMaxDelay)s"
    }

    /// The message's element name (`DC_ChargeLoopRes`), for timelines and logs.
    static func iso20Name<Message>(_ message: Message) -> String where Message: ISO20Encodable {
        let label = String(String(describing: message).prefix(while: { $0 != "(" }))
        let suffix = message.isRequest ? "Req" : "Res"
        for family in ["dc", "ac"] where label.hasPrefix(family) {
            return family.uppercased() + "_" + label.dropFirst(2) + suffix
        }
        return label.prefix(1).uppercased() + label.dropFirst() + suffix
    }
}

/// A -20 request or response that a driver frames with its payload type.
protocol ISO20Encodable: Sendable {
    var payloadType: UInt16 { get }
    var isRequest: Bool { get }
    func exiEncoded() throws -> [UInt8]
}

extension ISO20Request: ISO20Encodable {
    var isRequest: Bool { true }
}

extension ISO20Response: ISO20Encodable {
    var isRequest: Bool { false }
}
