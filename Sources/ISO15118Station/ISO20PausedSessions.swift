public import ISO15118SECC
import Synchronization

/// The ISO 15118-20 sessions vehicles paused at this station (SessionStopReq Pause), kept so that a later connection's
/// SessionSetupReq with the same SessionID and EVCCID joins them (OK_OldSessionJoined). At most ``capacity`` are
/// kept; the oldest goes first.
public final class ISO20PausedSessions: Sendable {
    public static let capacity = 16
    private let sessions = Mutex<[ISO20PausedSession]>([])

    public init() {}

    /// The paused sessions, oldest first.
    public var all: [ISO20PausedSession] { self.sessions.withLock { $0 } }

    /// Keeps a session the vehicle paused (replacing one with the same SessionID).
    public func keep(_ session: ISO20PausedSession) {
        self.sessions.withLock { list in
            list.removeAll { $0.sessionID == session.sessionID }
            list.append(session)
            if list.count > Self.capacity { list.removeFirst(list.count - Self.capacity) }
        }
    }

    /// Forgets a session once a vehicle joined it.
    public func forget(sessionID: [UInt8]) {
        self.sessions.withLock { $0.removeAll { $0.sessionID == sessionID } }
    }
}
