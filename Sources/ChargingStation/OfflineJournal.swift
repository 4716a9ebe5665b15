import Foundation
import OCPPMessages
import Synchronization

/// The station's durable queue of OCPP messages that must reach the CSMS (transaction events): each message is
/// appended to a journal file and fsync'd before the caller continues, and marked delivered once the CSMS answered it.
/// After a restart or a reconnect the undelivered ones are sent again, in order (OCPP 2.0.1 E04, the CSMS dedupes by
/// transactionId + seqNo).
///
/// File format: one JSON object per line, `{"n":1,"action":"TransactionEvent","payload":{...}}` for a message and
/// `{"ack":1}` for a delivery. A torn last line (power loss during a write) is ignored.
public final class OfflineJournal: Sendable {
    public struct Entry: Sendable, Hashable {
        public var number: Int
        public var action: String
        public var payload: JSONValue
    }

    public let path: String
    private struct State {
        var handle: FileHandle?
        var pending: [Entry] = []
        var nextNumber = 1
    }
    private let state: Mutex<State>

    /// Opens (or creates) the journal at `path` and loads the undelivered entries.
    /// - Throws: ``ChargingStationError`` `journal`.
    public init(path: String) throws(ChargingStationError) {
        self.path = path
        var state = State()
        let manager = FileManager.default
        do {
            try manager.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if manager.fileExists(atPath: path) {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                var entries: [Int: Entry] = [:]
                var order: [Int] = []
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    guard let value = try? JSONValue.parse(line), case .object(let members) = value else { continue }
                    var fields: [String: JSONValue] = [:]
                    for member in members { fields[member.key] = member.value }
                    if case .integer(let ack)? = fields["ack"] {
                        entries[Int(ack)] = nil
                    } else if case .integer(let n)? = fields["n"], case .string(let action)? = fields["action"],
                        let payload = fields["payload"]
                    {
                        entries[Int(n)] = Entry(number: Int(n), action: action, payload: payload)
                        order.append(Int(n))
                    }
                    if case .integer(let n)? = fields["n"] { state.nextNumber = max(state.nextNumber, Int(n) + 1) }
                    if case .integer(let n)? = fields["ack"] { state.nextNumber = max(state.nextNumber, Int(n) + 1) }
                }
                state.pending = order.compactMap { entries[$0] }
            } else {
                _ = manager.createFile(atPath: path, contents: nil)
            }
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            state.handle = handle
        } catch {
            throw .make(.journal, "cannot open the journal \(path)", cause: error)
        }
        self.state = Mutex(state)
    }

    /// Appends a message durably (written and fsync'd before returning).
    @discardableResult
    public func append(action: String, payload: JSONValue) throws(ChargingStationError) -> Entry {
        let result: Result<Entry, ChargingStationError> = state.withLock { state in
            let entry = Entry(number: state.nextNumber, action: action, payload: payload)
            let line = JSONValue.object([
                JSONMember("n", .integer(Int64(entry.number))), JSONMember("action", .string(action)),
                JSONMember("payload", payload),
            ])
            do {
                try Self.write(line, to: state.handle)
            } catch {
                return .failure(.make(.journal, "cannot append to \(path)", cause: error))
            }
            state.nextNumber += 1
            state.pending.append(entry)
            return .success(entry)
        }
        return try result.get()
    }

    /// The undelivered messages, oldest first.
    public var pending: [Entry] { state.withLock { $0.pending } }

    /// Marks a message delivered (durably); when nothing is pending any more the file is truncated.
    public func acknowledge(_ number: Int) throws(ChargingStationError) {
        let result: Result<Void, ChargingStationError> = state.withLock { state in
            do {
                state.pending.removeAll { $0.number == number }
                if state.pending.isEmpty, let handle = state.handle {
                    try handle.truncate(atOffset: 0)
                    try handle.synchronize()
                    // Keeps numbering monotonic across the truncation.
                    try Self.write(.object([JSONMember("ack", .integer(Int64(state.nextNumber - 1)))]), to: handle)
                } else {
                    try Self.write(.object([JSONMember("ack", .integer(Int64(number)))]), to: state.handle)
                }
                return .success(())
            } catch {
                return .failure(.make(.journal, "cannot acknowledge in \(path)", cause: error))
            }
        }
        try result.get()
    }

    public func close() {
        state.withLock { state in
            try? state.handle?.close()
            state.handle = nil
        }
    }

    private static func write(_ value: JSONValue, to handle: FileHandle?) throws {
        guard let handle else { throw ChargingStationError.make(.journal, "the journal is closed") }
        var bytes = value.serialized()
        bytes.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: bytes)
        try handle.synchronize()
    }
}
