public import NIOCore
import Synchronization
import V2GTP
import V2GTransport

/// One timer of a session driver: V2G_SECC_Sequence_Timer on the SECC side, V2G_EVCC_Msg_Timeout (the response timer)
/// on the EVCC side. The session loop arms it (each time with its own window, or the default one) and disarms it; when
/// an armed window runs out the timer closes the connection's channel, so that the loop's pending read ends, and
/// marks itself ``expired`` so that the loop can tell the machine why.
///
/// The window runs on the channel's event loop, and a V2GTP frame arriving there stops it (a handler placed after the
/// V2GTP decoder): what the timer measures is the peer's answer reaching this side, not how soon a busy task reads it.
/// Each arming cancels the previous window: a shorter window armed after a longer one fires on time (an EVCC waits 2 s
/// for most responses and 0.25 s for CurrentDemandRes). Drivers arm before they write the request.
public final class SessionTimer: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var scheduled: Scheduled<Void>?
        var expired = false
    }

    private let state = Mutex(State())
    private let channel: any Channel
    /// The window of ``arm(window:)`` without an argument.
    public let window: Duration

    public init(window: Duration, closing channel: any Channel) {
        self.window = window
        self.channel = channel
        let arrival = FrameArrivalHandler(timer: self)
        channel.eventLoop.execute {
            let sync = channel.pipeline.syncOperations
            // Right after the V2GTP decoder: frames, not TLS records. Every V2GConnection has one; a channel without
            // it gets no handler, and the timer then stops only when the session loop disarms it.
            if let decoder = try? sync.handler(type: ByteToMessageHandler<V2GTPFrameDecoder>.self) {
                try? sync.addHandler(arrival, position: .after(decoder))
            }
        }
    }

    /// Starts (or restarts) the timer with `window`, or the default window.
    public func arm(window: Duration? = nil) {
        let window = window ?? self.window
        let nanoseconds = window.components.seconds * 1_000_000_000 + window.components.attoseconds / 1_000_000_000
        self.state.withLock { state in
            state.scheduled?.cancel()
            state.generation &+= 1
            let generation = state.generation
            state.scheduled = self.channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [self] in
                self.fire(generation)
            }
        }
    }

    /// Stops the timer (a response arrived, or the session is over).
    public func disarm() {
        self.state.withLock { state in
            state.scheduled?.cancel()
            state.scheduled = nil
            state.generation &+= 1
        }
    }

    /// Whether an armed window ran out (and the channel was closed because of it).
    public var expired: Bool { self.state.withLock { $0.expired } }

    private func fire(_ generation: UInt64) {
        let fire = self.state.withLock { state -> Bool in
            guard state.generation == generation, !state.expired else { return false }
            state.expired = true
            state.scheduled = nil
            return true
        }
        if fire { self.channel.close(promise: nil) }
    }
}

/// Stops the session timer when a V2GTP frame arrives, on the event loop, before any task reads it.
private final class FrameArrivalHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = V2GTPFrame
    typealias InboundOut = V2GTPFrame

    let timer: SessionTimer

    init(timer: SessionTimer) { self.timer = timer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.timer.disarm()
        context.fireChannelRead(data)
    }
}
