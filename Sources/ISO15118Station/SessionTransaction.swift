import ISO15118SECC
import PnCCore
import Synchronization

/// The transaction a V2G session started or joined and has not ended or paused.
///
/// A session that ends any other way (the connection lost or refused a write, the sequence timer, an error) still ends
/// its transaction, so that no transaction stays open at the backend. The drivers record into the tracker of the
/// session they run in (``current``, bound for the length of one ``SECCService/handle(_:)``).
final class SessionTransaction: Sendable {
    struct Open: Sendable {
        var id: String
        var traceID: TraceID
        var meterWh: Double
    }

    @TaskLocal static var current: SessionTransaction?

    private let open = Mutex<Open?>(nil)
    private let stationClosed = Mutex(false)

    /// A transaction started (or a paused one joined) by this session.
    func opened(_ id: String, traceID: TraceID, meterWh: Double) {
        self.open.withLock { $0 = Open(id: id, traceID: traceID, meterWh: meterWh) }
    }

    /// The transaction ended, or was kept with a paused session.
    func closed(_ id: String) {
        self.open.withLock { if $0?.id == id { $0 = nil } }
    }

    /// The station ended the session (a FAILED response that closes it, or a close of its own machine).
    func stationEnded() {
        self.stationClosed.withLock { $0 = true }
    }

    /// Why a transaction left open ends: Timeout when the sequence timer closed the session, Other when the station
    /// ended it, else EVDisconnected (the vehicle gone, the connection failed).
    func stopReason(sequenceTimerExpired: Bool) -> TransactionStopReason {
        if sequenceTimerExpired { return .timeout }
        return self.stationClosed.withLock { $0 } ? .other : .evDisconnected
    }

    /// The transaction still open, which the caller now ends.
    func take() -> Open? {
        self.open.withLock { open in
            defer { open = nil }
            return open
        }
    }
}
