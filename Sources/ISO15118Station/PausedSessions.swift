public import ISO15118SECC
public import PnCCore
import Synchronization

/// A session a vehicle paused (SessionStopReq ChargingSession=Pause), as ``PausedSessions`` keeps it: ISO 15118-2
/// (``ISO2PausedSession``) and ISO 15118-20 (``ISO20PausedSession``) alike.
public protocol PausedSessionRecord: Sendable {
    var sessionID: [UInt8] { get }
    /// The EVCCID of the vehicle that paused it, as bytes (the -20 EVCCID string in UTF-8).
    var evccIDBytes: [UInt8] { get }
    var traceID: TraceID { get }
    /// The backend's transaction, open while the session is paused.
    var transactionID: String? { get }
    /// When the vehicle paused, seconds since 1970.
    var pausedAtSeconds: Double { get }
    /// The meter reading at the pause, the meter stop of a transaction ended because the session was dropped.
    var meterStopWh: Double { get }
}

extension ISO2PausedSession: PausedSessionRecord {
    public var evccIDBytes: [UInt8] { self.evccID }
    public var pausedAtSeconds: Double { self.pausedAt }
    public var meterStopWh: Double { self.meterWh }
}

extension ISO20PausedSession: PausedSessionRecord {
    public var evccIDBytes: [UInt8] { Array(self.evccID.utf8) }
    public var pausedAtSeconds: Double { Double(self.pausedAt) }
    public var meterStopWh: Double { self.meter.energyWh }
}

/// The sessions paused at this SECC, kept for a vehicle that comes back with the same SessionID and EVCCID (ISO 15118-2
/// OK_OldSessionJoined, ISO 15118-20 OK_OldSessionJoined), keyed by SessionID and EVCCID. Bounded: at most
/// ``capacity`` sessions, each for ``lifetime`` seconds. A session dropped without being joined (the oldest beyond the
/// capacity, or one older than the lifetime when the next session starts) is handed back so that the driver ends its
/// transaction.
public final class PausedSessions<Session: PausedSessionRecord>: Sendable {
    public let capacity: Int
    /// Seconds a paused session is kept.
    public let lifetime: Double
    private let sessions = Mutex<[Session]>([])

    public init(capacity: Int = 16, lifetime: Double = 24 * 3600) {
        self.capacity = max(capacity, 1)
        self.lifetime = lifetime
    }

    /// The sessions a vehicle may join at `now` (seconds since 1970), and those that expired (removed).
    public func current(now: Double) -> (resumable: [Session], expired: [Session]) {
        self.sessions.withLock { sessions in
            let expired = sessions.filter { now - $0.pausedAtSeconds > self.lifetime }
            sessions.removeAll { now - $0.pausedAtSeconds > self.lifetime }
            return (sessions, expired)
        }
    }

    /// Keeps a paused session (replacing one with the same SessionID and EVCCID); returns the oldest one when the store
    /// was full (dropped).
    @discardableResult
    public func keep(_ session: Session) -> Session? {
        self.sessions.withLock { sessions in
            sessions.removeAll { Self.same($0, session.sessionID, session.evccIDBytes) }
            sessions.append(session)
            return sessions.count > self.capacity ? sessions.removeFirst() : nil
        }
    }

    /// Removes the session a vehicle joined and returns it.
    @discardableResult
    public func remove(sessionID: [UInt8], evccID: [UInt8]) -> Session? {
        self.sessions.withLock { sessions in
            guard let index = sessions.firstIndex(where: { Self.same($0, sessionID, evccID) }) else { return nil }
            let joined = sessions[index]
            sessions.removeAll { Self.same($0, sessionID, evccID) }
            return joined
        }
    }

    /// The paused sessions, oldest first.
    public var all: [Session] { self.sessions.withLock { $0 } }

    /// The SessionIDs kept now.
    public var sessionIDs: [[UInt8]] { self.sessions.withLock { $0.map(\.sessionID) } }

    private static func same(_ session: Session, _ sessionID: [UInt8], _ evccID: [UInt8]) -> Bool {
        session.sessionID == sessionID && session.evccIDBytes == evccID
    }
}
