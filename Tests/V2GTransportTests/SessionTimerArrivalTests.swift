import ISO15118Station
import Logging
import NIOCore
import NIOPosix
import Testing
import V2GTP
import V2GTransport

/// The session timer measures the peer's answer reaching this side, not how soon a task reads it: an answer that
/// arrives within the window stops the timer even when the reading task is late (a busy machine).
@Suite struct SessionTimerArrivalTests {
    @Test("[V2G_EVCC_Msg_Timeout] an answer that arrives within the window stops the timer although the task reads it later")
    func answerArrivesWhileReaderIsLate() async throws {
        let recorder = LogRecorder()
        // An echo peer that answers on its event loop, so that a busy test run cannot make the answer itself late.
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(Echo()) }
            .bind(host: "::1", port: 0).get()
        defer { server.close(promise: nil) }
        do {
            let connection = try await V2GClient.connect(
                to: try #require(server.localAddress), security: .tcp, logger: recorder.logger)
            let timer = SessionTimer(window: .seconds(1), closing: connection.channel.channel)
            let answered = try await connection.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                timer.arm()
                try await outbound.write(V2GTPFrame(payloadType: .exi, payload: ByteBuffer(bytes: [0x80, 0x01])))
                // The reader is late: well past the window before it looks at the answer.
                try await Task.sleep(for: .seconds(3))
                let next = try await frames.next()
                timer.disarm()
                return next
            }
            #expect(!timer.expired)
            #expect(answered.map { Array(buffer: $0.payload) } == [0x80, 0x01])
        }
    }

    @Test("[V2G_EVCC_Msg_Timeout] no answer within the window: the timer expires and closes the connection")
    func noAnswerExpires() async throws {
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0), security: .tcp, logger: recorder.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // A silent peer.
            group.addTask {
                try await server.run { connection in
                    try await connection.executeThenClose { inbound, _ in for try await _ in inbound {} }
                }
            }
            defer { group.cancelAll() }
            let connection = try await V2GClient.connect(to: server.localAddress, security: .tcp, logger: recorder.logger)
            let timer = SessionTimer(window: .milliseconds(300), closing: connection.channel.channel)
            let answered = try await connection.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                timer.arm()
                try await outbound.write(V2GTPFrame(payloadType: .exi, payload: ByteBuffer(bytes: [0x80, 0x01])))
                return try await frames.next()
            }
            #expect(timer.expired)
            #expect(answered == nil)
            try await server.close()
        }
    }
}

/// Writes back every byte it reads, on the channel's event loop.
private final class Echo: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}
