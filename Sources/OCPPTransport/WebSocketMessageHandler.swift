import NIOCore
import NIOWebSocket

/// Turns WebSocket frames into whole text messages and back (RFC 6455), and protects the connection.
///
/// - Reassembles fragmented messages up to `maximumMessageSize` bytes (larger: close 1009, RFC 6455 §7.4.1).
/// - Answers pings with pongs (§5.5.2) and closes on a close frame (§5.5.1).
/// - As a server, requires masked client frames (§5.1: unmasked → close 1002); as a client, masks every frame.
/// - Binary messages are not OCPP-J (OCPP 2.0.1 Part 4 §3.1): close 1003.
/// - Flood protection: more than `messagesPerSecond` messages (token bucket, burst 2×) → close 1008.
/// - Keep-alive: after `pingInterval` of silence a ping goes out; after two intervals without anything received the
///   peer is dead and the connection is closed.
/// - Slow readers: if the socket stays unwritable for `writeStallTimeout`, the connection is closed.
final class WebSocketMessageHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    struct Configuration {
        var isServer: Bool
        var maximumMessageSize: Int
        var pingInterval: TimeAmount?
        var messagesPerSecond: Int
        var writeStallTimeout: TimeAmount
    }

    private let configuration: Configuration
    private var partial: ByteBuffer?
    private var closeSent = false
    private var lastReceived = NIODeadline.now()
    private var pingTask: RepeatedTask?
    private var stallTask: Scheduled<Void>?
    private var tokens: Double
    private var tokensUpdated = NIODeadline.now()

    init(configuration: Configuration) {
        self.configuration = configuration
        self.tokens = Double(configuration.messagesPerSecond * 2)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startPinging(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startPinging(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pingTask?.cancel()
        pingTask = nil
        stallTask?.cancel()
        stallTask = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        pingTask?.cancel()
        pingTask = nil
        stallTask?.cancel()
        stallTask = nil
        context.fireChannelInactive()
    }

    private func startPinging(context: ChannelHandlerContext) {
        guard pingTask == nil, let interval = configuration.pingInterval else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            handler.pingTick(context: context, interval: interval)
        }
    }

    private func pingTick(context: ChannelHandlerContext, interval: TimeAmount) {
        let silence = NIODeadline.now() - lastReceived
        if silence >= interval * 2 {
            close(context: context, code: .goingAway)
            return
        }
        if silence >= interval {
            let frame = WebSocketFrame(fin: true, opcode: .ping, maskKey: maskKey(), data: ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
    }

    private func maskKey() -> WebSocketMaskingKey? {
        configuration.isServer ? nil : WebSocketMaskingKey.random()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastReceived = .now()
        if configuration.isServer, frame.maskKey == nil {
            close(context: context, code: .protocolError)
            return
        }
        switch frame.opcode {
        case .text, .binary:
            guard partial == nil else {
                close(context: context, code: .protocolError)  // a new message before the last one finished
                return
            }
            guard frame.opcode == .text else {
                close(context: context, code: .unacceptableData)
                return
            }
            guard admitMessage() else {
                close(context: context, code: .policyViolation)
                return
            }
            let data = frame.unmaskedData
            if frame.fin {
                context.fireChannelRead(wrapInboundOut(data))
            } else {
                partial = data
            }
        case .continuation:
            guard var buffer = partial else {
                close(context: context, code: .protocolError)
                return
            }
            var data = frame.unmaskedData
            guard buffer.readableBytes + data.readableBytes <= configuration.maximumMessageSize else {
                partial = nil
                close(context: context, code: .messageTooLarge)
                return
            }
            buffer.writeBuffer(&data)
            if frame.fin {
                partial = nil
                context.fireChannelRead(wrapInboundOut(buffer))
            } else {
                partial = buffer
            }
        case .ping:
            guard frame.fin else {
                close(context: context, code: .protocolError)
                return
            }
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: maskKey(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            if !closeSent {
                closeSent = true
                var payload = context.channel.allocator.buffer(capacity: 2)
                payload.write(webSocketErrorCode: code)
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskKey(), data: payload)
                context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        default:
            close(context: context, code: .protocolError)
        }
    }

    /// Token bucket: `messagesPerSecond` per second, burst of twice that.
    private func admitMessage() -> Bool {
        let now = NIODeadline.now()
        let elapsed = Double((now - tokensUpdated).nanoseconds) / 1e9
        tokensUpdated = now
        let rate = Double(configuration.messagesPerSecond)
        tokens = min(rate * 2, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closeSent else {
            promise?.fail(OCPPTransportError.make(.connectionClosed, "close frame already sent"))
            return
        }
        let buffer = unwrapOutboundIn(data)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: maskKey(), data: buffer)
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTask?.cancel()
            stallTask = nil
        } else if stallTask == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            stallTask = context.eventLoop.scheduleTask(in: configuration.writeStallTimeout) {
                loopBound.value.close(promise: nil)  // the peer does not read: drop it
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Sends a close frame with `code` (once) and closes the TCP connection after it is flushed.
    func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closeSent else {
            context.close(promise: nil)
            return
        }
        closeSent = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskKey(), data: payload)
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let request = event as? CloseRequest {
            close(context: context, code: request.code)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// An event asking the handler to close the WebSocket with a code (sent through the pipeline by the RPC layer).
    struct CloseRequest {
        var code: WebSocketErrorCode
    }
}
