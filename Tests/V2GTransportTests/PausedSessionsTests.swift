import ISO15118SECC
import ISO15118Station
import PnCCore
import Testing

/// The paused-session store both ISO 15118-2 and ISO 15118-20 sessions are kept in, with a manual clock.
@Suite struct PausedSessionsTests {
    static func session(_ id: UInt8, evcc: String = "WMIV1234567890ABCDEX", at pausedAt: UInt64) -> ISO20PausedSession {
        ISO20PausedSession(
            sessionID: [0, 0, 0, 0, 0, 0, 0, id], evccID: evcc, traceID: TraceID(high: 1, low: UInt64(id)),
            transactionID: "local-\(id)", meter: MeterReading(energyWh: 100 * Double(id), powerW: 0), pausedAt: pausedAt)
    }

    @Test("[ISO 15118-2/-20 SessionSetup OK_OldSessionJoined] A paused session is resumable up to the lifetime and expires one second after it")
    func expiry() {
        let store = PausedSessions<ISO20PausedSession>(lifetime: 3_600)
        store.keep(Self.session(1, at: 1_000))
        store.keep(Self.session(2, at: 2_000))
        let atLimit = store.current(now: 4_600)
        #expect(atLimit.resumable.map(\.transactionID) == ["local-1", "local-2"])
        #expect(atLimit.expired.isEmpty)
        let later = store.current(now: 4_601)
        #expect(later.resumable.map(\.transactionID) == ["local-2"])
        #expect(later.expired.map(\.transactionID) == ["local-1"])
        #expect(later.expired.first?.meterStopWh == 100)
        #expect(store.all.map(\.transactionID) == ["local-2"])
    }

    @Test("[ISO 15118-2/-20 Pause] At most `capacity` sessions: keeping one more hands back the oldest; the key is SessionID and EVCCID")
    func capacityAndKey() {
        let store = PausedSessions<ISO20PausedSession>(capacity: 2)
        #expect(store.keep(Self.session(1, at: 10)) == nil)
        #expect(store.keep(Self.session(2, at: 20)) == nil)
        // The same SessionID and EVCCID replaces the kept one.
        #expect(store.keep(Self.session(2, at: 30)) == nil)
        #expect(store.all.map(\.pausedAt) == [10, 30])
        #expect(store.keep(Self.session(3, at: 40))?.transactionID == "local-1")
        store.remove(sessionID: [0, 0, 0, 0, 0, 0, 0, 2], evccID: Array("another EV".utf8))
        #expect(store.all.count == 2)
        store.remove(sessionID: [0, 0, 0, 0, 0, 0, 0, 2], evccID: Array("WMIV1234567890ABCDEX".utf8))
        #expect(store.sessionIDs == [[0, 0, 0, 0, 0, 0, 0, 3]])
    }
}
