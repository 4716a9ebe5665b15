import ISO15118SECC
import Synchronization

/// The ISO 15118-2 sessions paused at this SECC (SessionStopReq ChargingSession=Pause), kept for a vehicle that
/// comes back with the same SessionID. Bounded: at most ``capacity`` sessions, each for ``lifetime`` seconds; a
/// session dropped without being resumed is handed back so that the driver can end its transaction.
public final class PausedSessions: Sendable {
    public let capacity: Int
    /// Seconds a paused session is kept.
    public let lifetime: Double
    private let sessions = Mutex<[ISO2PausedSession]>([])

    public init(capacity: Int = 16, lifetime: Double = 24 * 3600) {
        self.capacity = max(capacity, 1)
        self.lifetime = lifetime
    }

    /// The sessions a vehicle may join at `now`, and those that expired (removed).
    func current(now: Double) -> (resumable: [ISO2PausedSession], expired: [ISO2PausedSession]) {
        self.sessions.withLock { sessions in
            let expired = sessions.filter { now - $0.pausedAt > self.lifetime }
            sessions.removeAll { now - $0.pausedAt > self.lifetime }
            return (sessions, expired)
        }
    }

    /// Keeps a paused session; returns the oldest one when the store was full (dropped).
    func keep(_ session: ISO2PausedSession) -> ISO2PausedSession? {
        self.sessions.withLock { sessions in
            sessions.removeAll { $0.sessionID == session.sessionID }
            sessions.append(session)
            return sessions.count > self.capacity ? sessions.removeFirst() : nil
        }
    }

    /// Removes the session a vehicle joined.
    func remove(sessionID: [UInt8]) {
        self.sessions.withLock { $0.removeAll { $0.sessionID == sessionID } }
    }

    /// The SessionIDs kept now.
    public var sessionIDs: [[UInt8]] { self.sessions.withLock { $0.map(\.sessionID) } }
}
