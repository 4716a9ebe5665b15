public import NIOCore
import Synchronization

/// One timer of a session driver: V2G_SECC_Sequence_Timer on the SECC side, V2G_EVCC_Msg_Timeout (the response timer)
/// on the EVCC side. The session loop arms it (each time with its own window, or the default one) and disarms it; when
/// an armed window runs out the timer closes the connection's channel, so that the loop's pending read ends, and
/// marks itself ``expired`` so that the loop can tell the machine why.
///
/// Each arming starts one sleeping task and cancels the previous one: a shorter window armed after a longer one
/// fires on time (an EVCC waits 2 s for most responses and 0.25 s for CurrentDemandRes).
public final class SessionTimer: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var sleeper: Task<Void, Never>?
        var expired = false
    }

    private let state = Mutex(State())
    private let channel: any Channel
    /// The window of ``arm(window:)`` without an argument.
    public let window: Duration

    public init(window: Duration, closing channel: any Channel) {
        self.window = window
        self.channel = channel
    }

    /// Starts (or restarts) the timer with `window`, or the default window.
    public func arm(window: Duration? = nil) {
        let window = window ?? self.window
        self.state.withLock { state in
            state.sleeper?.cancel()
            state.generation &+= 1
            let generation = state.generation
            state.sleeper = Task { [self] in
                do {
                    try await Task.sleep(for: window)
                } catch {
                    return
                }
                self.fire(generation)
            }
        }
    }

    /// Stops the timer (a response arrived, or the session is over).
    public func disarm() {
        self.state.withLock { state in
            state.sleeper?.cancel()
            state.sleeper = nil
            state.generation &+= 1
        }
    }

    /// Whether an armed window ran out (and the channel was closed because of it).
    public var expired: Bool { self.state.withLock { $0.expired } }

    private func fire(_ generation: UInt64) {
        let fire = self.state.withLock { state -> Bool in
            guard state.generation == generation, !state.expired else { return false }
            state.expired = true
            state.sleeper = nil
            return true
        }
        if fire { self.channel.close(promise: nil) }
    }
}
