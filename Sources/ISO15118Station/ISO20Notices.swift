public import ISO15118SECC
import Synchronization

/// A notice the station raises once in each ISO 15118-20 session, after a number of charge-loop requests
/// (`pnc station --notify-after N:NOTIFICATION[:SECONDS]`).
public struct ISO20ScheduledNotice: Hashable, Sendable {
    /// The charge-loop request whose response carries the notice first (1 = the first one).
    public var afterChargeLoops: Int
    public var notice: ISO20EVSENotice

    public init(afterChargeLoops: Int, notice: ISO20EVSENotice) {
        self.afterChargeLoops = afterChargeLoops
        self.notice = notice
    }
}

/// Where the charger (its controller, an operator, a CSMS command) posts notices for the vehicle of the running
/// ISO 15118-20 session: the session takes the oldest one at its next charge-loop request and raises it as
/// EVSENotification in the charge-loop responses (see ``ISO20SECCStateMachine/notify(_:)``). A notice the machine
/// cannot raise yet (ExitStandby before the vehicle is in standby) is tried again at each charge-loop request of that
/// session and dropped when the session ends. Shared by the connections of one ``SECCService``.
public final class ISO20NoticeBoard: Sendable {
    private let notices = Mutex<[ISO20EVSENotice]>([])
    /// At most this many notices wait; older ones are dropped first.
    public let capacity: Int

    public init(capacity: Int = 8) {
        self.capacity = max(1, capacity)
    }

    public func post(_ notice: ISO20EVSENotice) {
        self.notices.withLock {
            $0.append(notice)
            if $0.count > self.capacity { $0.removeFirst($0.count - self.capacity) }
        }
    }

    /// The oldest waiting notice, removed.
    public func take() -> ISO20EVSENotice? {
        self.notices.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    public var count: Int { self.notices.withLock { $0.count } }
}
