import CSMS
import Logging
import NIOCore
import NIOPosix
import OCPPMessages
import Foundation
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization

/// The one error type of ``Storage``.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// The database could not be opened or migrated.
        public static let openFailed = Self("openFailed")
        /// A statement failed (constraint, I/O, corrupted data).
        public static let queryFailed = Self("queryFailed")
        /// The store is closed.
        public static let closed = Self("closed")
    }

    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    let location: String
    public var description: String { "StorageError.\(code): \(detail)" }

    @inline(never)
    public static func make(_ code: Code, _ detail: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }
}

/// The SQL dialects the store speaks.
public enum SQLDialectKind: String, Sendable {
    case sqlite, postgres
}

/// CSMS repositories over sql-kit: one data-access layer for SQLite (default; a file in WAL mode) and PostgreSQL.
///
/// Writes go through a group-commit queue: concurrent writers are batched into one database transaction whose
/// commit is durable (`synchronous=FULL` on SQLite) before any of them returns, so a CALLRESULT sent after
/// ``record(_:samples:)`` returns never acknowledges data that a crash could lose.
public final class SQLStore: StationRepository, TransactionRepository, TokenRepository, PlugAndChargeSwitchRepository,
    StationCertificateRepository, VariableRepository, Sendable {
    let writer: any SQLDatabase
    let reader: any SQLDatabase
    let dialect: SQLDialectKind
    private let closeAll: @Sendable () async throws -> Void
    private let queue = Mutex(WriteQueue())
    private let signal: AsyncStream<Void>
    private let signalContinuation: AsyncStream<Void>.Continuation

    typealias WriteOperation = @Sendable (any SQLDatabase) async throws -> Bool

    /// One queued write. A TransactionEvent also carries its rows, so that the group commit can insert a run of
    /// consecutive events with a few multi-row statements instead of three statements each.
    struct WriteItem {
        let operation: WriteOperation
        let event: QueuedEvent?
        let continuation: CheckedContinuation<Bool, any Error>
    }

    struct QueuedEvent: Sendable {
        let record: TransactionEventRecord
        let samples: [MeterSample]
    }

    struct WriteQueue {
        var items: [WriteItem] = []
        var closed = false
    }

    /// Token look-ups waiting for the next batched read (see ``token(_:)``).
    struct TokenReads {
        var waiting: [(idToken: String, continuation: CheckedContinuation<IdTokenRecord?, any Error>)] = []
        var running = false
    }

    private let tokenReads = Mutex(TokenReads())

    init(writer: any SQLDatabase, reader: any SQLDatabase, dialect: SQLDialectKind, close: @escaping @Sendable () async throws -> Void) {
        self.writer = writer
        self.reader = reader
        self.dialect = dialect
        self.closeAll = close
        (signal, signalContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Opens (creating if needed) an SQLite database file in WAL mode with durable commits, and migrates it.
    public static func openSQLite(path: String, logger: Logger) async throws -> SQLStore {
        do {
            let writeConnection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let readConnection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let writer = writeConnection.sql()
            let reader = readConnection.sql()
            try await writer.raw("PRAGMA journal_mode=WAL").run()
            try await writer.raw("PRAGMA synchronous=FULL").run()
            try await writer.raw("PRAGMA busy_timeout=10000").run()
            try await reader.raw("PRAGMA busy_timeout=10000").run()
            try await writer.raw("PRAGMA foreign_keys=ON").run()
            let store = SQLStore(writer: writer, reader: reader, dialect: .sqlite) {
                // The future-based close runs even when the closing task is cancelled (the async one would not).
                let reading: EventLoopFuture<Void> = readConnection.close()
                let writing: EventLoopFuture<Void> = writeConnection.close()
                try await reading.get()
                try await writing.get()
            }
            try await Migrations.migrate(writer, dialect: .sqlite)
            return store
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.make(.openFailed, "cannot open SQLite database at \(path)", cause: error)
        }
    }

    /// Opens a PostgreSQL database given as `postgres://user:password@host:port/database` (TLS disabled: use a
    /// loopback or private network) and migrates it.
    public static func openPostgres(url: String, logger: Logger) async throws -> SQLStore {
        let configuration = try postgresConfiguration(url: url)
        let host = configuration.host ?? "?"
        do {
            let writeConnection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            let readConnection = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
            let writer = writeConnection.sql(queryLogLevel: .trace)
            let reader = readConnection.sql(queryLogLevel: .trace)
            // Commits wait for the WAL flush (the default, stated explicitly: acknowledged events must be durable).
            try await writer.raw("SET synchronous_commit = on").run()
            let store = SQLStore(writer: writer, reader: reader, dialect: .postgres) {
                try await readConnection.close()
                try await writeConnection.close()
            }
            try await Migrations.migrate(writer, dialect: .postgres)
            return store
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.make(.openFailed, "cannot open PostgreSQL database at \(host)", cause: error)
        }
    }

    /// The connection settings of a `postgres://user:password@host:port/database` URL (TLS disabled).
    static func postgresConfiguration(url: String) throws -> PostgresConnection.Configuration {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, let user = components.user
        else {
            throw StorageError.make(.openFailed, "not a postgres:// URL")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
    }

    /// Opens `location`: a `postgres://` URL, or else an SQLite file path.
    public static func open(_ location: String, logger: Logger) async throws -> SQLStore {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await openPostgres(url: location, logger: logger)
        }
        return try await openSQLite(path: location, logger: logger)
    }

    /// Runs the group-commit writer until ``close()``; the composition runs it as a long-lived service.
    public func run() async {
        for await _ in signal {
            while true {
                let batch = queue.withLock { state in
                    let items = state.items
                    state.items = []
                    return items
                }
                if batch.isEmpty { break }
                await commit(batch)
            }
        }
    }

    private func commit(_ batch: [WriteItem]) async {
        // Fast path: the whole batch in one transaction without savepoints (two statements fewer per write). If a
        // write fails, everything is rolled back and the batch runs again with one savepoint per write, so that one
        // failing statement does not take the others down.
        var fast: [Bool] = []
        fast.reserveCapacity(batch.count)
        do {
            try await writer.raw(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                var index = 0
                while index < batch.count {
                    guard batch[index].event != nil else {
                        fast.append(try await batch[index].operation(writer))
                        index += 1
                        continue
                    }
                    var end = index
                    while end < batch.count, batch[end].event != nil { end += 1 }
                    let events = batch[index..<end].compactMap(\.event)
                    fast.append(contentsOf: try await Self.insertEvents(events, dialect: dialect, into: writer))
                    index = end
                }
            } catch {
                try await writer.raw("ROLLBACK").run()
                await commitIsolated(batch)
                return
            }
            try await writer.raw("COMMIT").run()
        } catch {
            try? await writer.raw("ROLLBACK").run()
            let failure = StorageError.make(.queryFailed, "commit failed", cause: error)
            for item in batch { item.continuation.resume(throwing: failure) }
            return
        }
        for (item, result) in zip(batch, fast) { item.continuation.resume(returning: result) }
    }

    /// The batch in one transaction with a savepoint per write: failing writes get their error, the others commit.
    private func commitIsolated(_ batch: [WriteItem]) async {
        var results: [Result<Bool, any Error>] = []
        results.reserveCapacity(batch.count)
        do {
            try await writer.raw(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            for item in batch {
                // Each operation in its own savepoint: one failing statement does not take the others down.
                try await writer.raw("SAVEPOINT op").run()
                do {
                    results.append(.success(try await item.operation(writer)))
                    try await writer.raw("RELEASE SAVEPOINT op").run()
                } catch {
                    results.append(.failure(StorageError.make(.queryFailed, "write failed", cause: error)))
                    try await writer.raw("ROLLBACK TO SAVEPOINT op").run()
                    try await writer.raw("RELEASE SAVEPOINT op").run()
                }
            }
            try await writer.raw("COMMIT").run()
        } catch {
            try? await writer.raw("ROLLBACK").run()
            let failure = StorageError.make(.queryFailed, "commit failed", cause: error)
            for item in batch { item.continuation.resume(throwing: failure) }
            return
        }
        for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
    }

    /// Ends ``run()`` after the batch in progress, without cancelling it (a cancelled SQLite statement would leave the
    /// transaction open); later writes wait for ``close()``, which commits them.
    public func stopWriter() {
        signalContinuation.finish()
    }

    /// Queues a write and waits until the transaction containing it is committed.
    func write(_ operation: @escaping WriteOperation, event: QueuedEvent? = nil) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = queue.withLock { state in
                guard !state.closed else { return false }
                state.items.append(WriteItem(operation: operation, event: event, continuation: continuation))
                return true
            }
            if accepted {
                signalContinuation.yield()
            } else {
                continuation.resume(throwing: StorageError.make(.closed, "the store is closed"))
            }
        }
    }

    /// Stops the writer after the queued writes and closes the connections. With `leavingCluster`, the node leaves
    /// the station registry first (``leaveCluster(nodeID:)``: its stations' locations are removed).
    public func close(leavingCluster nodeID: String? = nil) async throws {
        queue.withLock { $0.closed = true }
        signalContinuation.finish()
        let remaining = queue.withLock { state in
            let items = state.items
            state.items = []
            return items
        }
        // The closing task is often a cancelled one (the node is stopping) and SQLite's async calls refuse to start in
        // a cancelled task: the last writes run in a task of their own.
        let writer = self.writer
        await Task {
            if !remaining.isEmpty { await self.commit(remaining) }
            if let nodeID {
                // The writer loop has ended: the statements run on the write connection directly.
                try? await writer.raw("DELETE FROM station_locations WHERE node_id = \(bind: nodeID)").run()
                try? await writer.raw("DELETE FROM csms_nodes WHERE node_id = \(bind: nodeID)").run()
            }
        }.value
        try await closeAll()
    }

    /// The applied migration numbers, ascending.
    public func schemaVersions() async throws -> [Int] {
        try await reader.raw("SELECT version FROM schema_migrations ORDER BY version").all().map {
            try $0.decode(column: "version", as: Int.self)
        }
    }


    // MARK: - StationRepository

    public func station(id: String) async throws -> StationRecord? {
        let rows = try await reader.raw(
            "SELECT id, protocol_version, vendor, model, serial_number, firmware_version, registration, last_boot_at, last_seen_at FROM stations WHERE id = \(bind: id)"
        ).all()
        return try rows.first.map(Self.stationRecord)
    }

    static func stationRecord(_ row: any SQLRow) throws -> StationRecord {
        StationRecord(
            id: try row.decode(column: "id", as: String.self),
            protocolVersion: try row.decode(column: "protocol_version", as: String.self),
            vendor: try row.decode(column: "vendor", as: String.self),
            model: try row.decode(column: "model", as: String.self),
            serialNumber: try row.decode(column: "serial_number", as: String?.self),
            firmwareVersion: try row.decode(column: "firmware_version", as: String?.self),
            registration: StationRecord.Registration(rawValue: try row.decode(column: "registration", as: String.self)) ?? .rejected,
            lastBootAt: try row.decode(column: "last_boot_at", as: String?.self).flatMap { try? OCPPDateTime($0) },
            lastSeenAt: try row.decode(column: "last_seen_at", as: String?.self).flatMap { try? OCPPDateTime($0) })
    }

    public func saveStation(_ s: StationRecord) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO stations (id, protocol_version, vendor, model, serial_number, firmware_version, registration, last_boot_at, last_seen_at)
                VALUES (\(bind: s.id), \(bind: s.protocolVersion), \(bind: s.vendor), \(bind: s.model), \(bind: s.serialNumber), \(bind: s.firmwareVersion), \(bind: s.registration.rawValue), \(bind: s.lastBootAt?.text), \(bind: s.lastSeenAt?.text))
                ON CONFLICT (id) DO UPDATE SET protocol_version = excluded.protocol_version, vendor = excluded.vendor,
                model = excluded.model, serial_number = excluded.serial_number, firmware_version = excluded.firmware_version,
                registration = excluded.registration, last_boot_at = excluded.last_boot_at, last_seen_at = excluded.last_seen_at
                """
            ).run()
            return true
        }
    }

    public func touchStation(id: String, at time: OCPPDateTime) async throws {
        _ = try await write { db in
            try await db.raw("UPDATE stations SET last_seen_at = \(bind: time.text) WHERE id = \(bind: id)").run()
            return true
        }
    }

    public func saveConnectorStatus(_ status: ConnectorStatusRecord) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO connector_status (station_id, evse_id, connector_id, status, timestamp)
                VALUES (\(bind: status.stationID), \(bind: status.evseID), \(bind: status.connectorID), \(bind: status.status), \(bind: status.timestamp.text))
                ON CONFLICT (station_id, evse_id, connector_id) DO UPDATE SET status = excluded.status, timestamp = excluded.timestamp
                """
            ).run()
            return true
        }
    }

    public func stations(limit: Int, offset: Int) async throws -> [StationRecord] {
        try await reader.raw(
            "SELECT id, protocol_version, vendor, model, serial_number, firmware_version, registration, last_boot_at, last_seen_at FROM stations ORDER BY id LIMIT \(bind: limit) OFFSET \(bind: offset)"
        ).all().map(Self.stationRecord)
    }

    public func connectorStatuses(stationID: String) async throws -> [ConnectorStatusRecord] {
        try await reader.raw(
            "SELECT station_id, evse_id, connector_id, status, timestamp FROM connector_status WHERE station_id = \(bind: stationID) ORDER BY evse_id, connector_id"
        ).all().map { row in
            ConnectorStatusRecord(
                stationID: try row.decode(column: "station_id", as: String.self),
                evseID: try row.decode(column: "evse_id", as: Int.self),
                connectorID: try row.decode(column: "connector_id", as: Int.self),
                status: try row.decode(column: "status", as: String.self),
                timestamp: try OCPPDateTime(try row.decode(column: "timestamp", as: String.self)))
        }
    }

    public func passwordHash(stationID: String) async throws -> String? {
        try await reader.raw("SELECT password_hash FROM station_credentials WHERE station_id = \(bind: stationID)")
            .first(decodingColumn: "password_hash", as: String.self)
    }

    public func setPasswordHash(stationID: String, hash: String) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO station_credentials (station_id, password_hash) VALUES (\(bind: stationID), \(bind: hash))
                ON CONFLICT (station_id) DO UPDATE SET password_hash = excluded.password_hash
                """
            ).run()
            return true
        }
    }

    // MARK: - PlugAndChargeSwitchRepository

    public func plugAndChargeEnabled(stationID: String) async throws -> Bool {
        let value = try await reader.raw("SELECT enabled FROM station_pnc WHERE station_id = \(bind: stationID)")
            .first(decodingColumn: "enabled", as: Int.self)
        return (value ?? 1) != 0
    }

    public func setPlugAndChargeEnabled(_ enabled: Bool, stationID: String) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO station_pnc (station_id, enabled) VALUES (\(bind: stationID), \(bind: enabled ? 1 : 0))
                ON CONFLICT (station_id) DO UPDATE SET enabled = excluded.enabled
                """
            ).run()
            return true
        }
    }

    // MARK: - StationCertificateRepository

    public func saveStationCertificate(_ record: StationCertificateRecord) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO station_certificates (station_id, certificate_type, not_after)
                VALUES (\(bind: record.stationID), \(bind: record.certificateType), \(bind: record.notAfter.secondsSince1970))
                ON CONFLICT (station_id, certificate_type) DO UPDATE SET not_after = excluded.not_after
                """
            ).run()
            return true
        }
    }

    public func stationCertificates(expiringBefore time: OCPPDateTime) async throws -> [StationCertificateRecord] {
        try await reader.raw(
            """
            SELECT station_id, certificate_type, not_after FROM station_certificates
            WHERE not_after < \(bind: time.secondsSince1970) ORDER BY not_after LIMIT 10000
            """
        ).all().map { row in
            StationCertificateRecord(
                stationID: try row.decode(column: "station_id", as: String.self),
                certificateType: try row.decode(column: "certificate_type", as: String.self),
                notAfter: OCPPDateTime(secondsSince1970: try row.decode(column: "not_after", as: Double.self)))
        }
    }

    // MARK: - TransactionRepository

    public func record(_ e: TransactionEventRecord, samples: [MeterSample]) async throws -> Bool {
        let dialect = self.dialect
        // The operation is what a batch runs when it falls back to one savepoint per write; the queued event is
        // what the fast path inserts together with the other events of its batch (same rows, same outcome).
        return try await write(
            { db in try await Self.insertEvent(e, samples: samples, dialect: dialect, into: db) },
            event: QueuedEvent(record: e, samples: samples))
    }

    /// Inserts a run of events with multi-row statements (at most 100 rows each): the events, then the
    /// transactions of those that were new, then their samples. Returns, in order, whether each event was new; an
    /// event already stored, or stored earlier in the same run, is a replay (false) and adds nothing.
    static func insertEvents(_ events: [QueuedEvent], dialect: SQLDialectKind, into db: any SQLDatabase) async throws -> [Bool] {
        struct Key: Hashable {
            let station: String
            let transaction: String
            let seqNo: Int
        }
        var results: [Bool] = []
        results.reserveCapacity(events.count)
        var start = 0
        while start < events.count {
            let chunk = events[start..<min(start + 100, events.count)]
            start += 100
            let head: String = """
                INSERT INTO transaction_events (station_id, transaction_id, seq_no, event_type, timestamp, \
                trigger_reason, id_token, evse_id, connector_id, charging_state, stopped_reason, offline, payload) VALUES\u{20}
                """
            var query = SQLQueryString(head)
            for (offset, event) in chunk.enumerated() {
                let e = event.record
                if offset > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(
                    """
                    (\(bind: e.stationID), \(bind: e.transactionID), \(bind: e.seqNo), \(bind: e.eventType), \(bind: e.timestamp.text), \
                    \(bind: e.triggerReason), \(bind: SQLValue.of(e.idToken, dialect)), \(bind: SQLValue.of(e.evseID, dialect)), \
                    \(bind: SQLValue.of(e.connectorID, dialect)), \(bind: SQLValue.of(e.chargingState, dialect)), \
                    \(bind: SQLValue.of(e.stoppedReason, dialect)), \(bind: e.offline ? 1 : 0), \(bind: e.payload))
                    """ as SQLQueryString)
            }
            query.appendLiteral(
                " ON CONFLICT (station_id, transaction_id, seq_no) DO NOTHING RETURNING station_id, transaction_id, seq_no")
            var inserted = Set<Key>()
            for row in try await db.raw(query).all() {
                inserted.insert(
                    Key(
                        station: try row.decode(column: "station_id", as: String.self),
                        transaction: try row.decode(column: "transaction_id", as: String.self),
                        seqNo: try row.decode(column: "seq_no", as: Int.self)))
            }
            // The first occurrence of a key is the row that was inserted; later ones in the run are replays.
            var new: [TransactionEventRecord] = []
            var samples: [MeterSample] = []
            for event in chunk {
                let e = event.record
                let isNew = inserted.remove(Key(station: e.stationID, transaction: e.transactionID, seqNo: e.seqNo)) != nil
                results.append(isNew)
                if isNew {
                    new.append(e)
                    samples.append(contentsOf: event.samples)
                }
            }
            // On SQLite the trigger of migration 6 has updated the transactions row by row inside the INSERT.
            if dialect == .postgres { try await upsertTransactions(new, into: db) }
            try await insertSamples(samples, dialect: dialect, into: db)
        }
        return results
    }

    /// The transaction rows of newly stored events on PostgreSQL, as ``insertEvent(_:samples:dialect:into:)``
    /// updates them one by one. One statement never updates a transaction twice (PostgreSQL refuses that): a second event of the
    /// same transaction goes into the next statement, in order.
    static func upsertTransactions(_ events: [TransactionEventRecord], into db: any SQLDatabase) async throws {
        struct Key: Hashable {
            let station: String
            let transaction: String
        }
        var remaining = events[...]
        while !remaining.isEmpty {
            var round: [TransactionEventRecord] = []
            var later: [TransactionEventRecord] = []
            var keys = Set<Key>()
            for e in remaining {
                if round.count < 100, keys.insert(Key(station: e.stationID, transaction: e.transactionID)).inserted {
                    round.append(e)
                } else {
                    later.append(e)
                }
            }
            remaining = later[...]
            let head: String = """
                INSERT INTO transactions (station_id, transaction_id, id_token, evse_id, started_at, ended_at, \
                stopped_reason, last_seq_no, event_count) VALUES\u{20}
                """
            var query = SQLQueryString(head)
            for (offset, e) in round.enumerated() {
                let started: String? = e.eventType == "Started" ? e.timestamp.text : nil
                let ended: String? = e.eventType == "Ended" ? e.timestamp.text : nil
                if offset > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(
                    """
                    (\(bind: e.stationID), \(bind: e.transactionID), \(bind: e.idToken), \(bind: e.evseID), \(bind: started), \
                    \(bind: ended), \(bind: e.stoppedReason), \(bind: e.seqNo), 1)
                    """ as SQLQueryString)
            }
            query.appendLiteral(
                """
                 ON CONFLICT (station_id, transaction_id) DO UPDATE SET
                id_token = COALESCE(transactions.id_token, excluded.id_token),
                evse_id = COALESCE(transactions.evse_id, excluded.evse_id),
                started_at = COALESCE(transactions.started_at, excluded.started_at),
                ended_at = COALESCE(excluded.ended_at, transactions.ended_at),
                stopped_reason = COALESCE(excluded.stopped_reason, transactions.stopped_reason),
                last_seq_no = GREATEST(transactions.last_seq_no, excluded.last_seq_no),
                event_count = transactions.event_count + 1
                """)
            try await db.raw(query).run()
        }
    }

    /// Inserts the event, updates its transaction and adds the samples; false when the event was stored before.
    static func insertEvent(_ e: TransactionEventRecord, samples: [MeterSample], dialect: SQLDialectKind, into db: any SQLDatabase) async throws -> Bool {
        let inserted = try await db.raw(
            """
            INSERT INTO transaction_events (station_id, transaction_id, seq_no, event_type, timestamp, trigger_reason, id_token, evse_id, connector_id, charging_state, stopped_reason, offline, payload)
            VALUES (\(bind: e.stationID), \(bind: e.transactionID), \(bind: e.seqNo), \(bind: e.eventType), \(bind: e.timestamp.text), \(bind: e.triggerReason), \(bind: SQLValue.of(e.idToken, dialect)), \(bind: SQLValue.of(e.evseID, dialect)), \(bind: SQLValue.of(e.connectorID, dialect)), \(bind: SQLValue.of(e.chargingState, dialect)), \(bind: SQLValue.of(e.stoppedReason, dialect)), \(bind: e.offline ? 1 : 0), \(bind: e.payload))
            ON CONFLICT (station_id, transaction_id, seq_no) DO NOTHING RETURNING seq_no
            """
        ).all()
        guard !inserted.isEmpty else { return false }  // a replay: already stored
        // On SQLite the trigger of migration 6 updates the transaction summary inside the INSERT (one statement to
        // prepare instead of two); PostgreSQL gets the same upsert as a statement of its own.
        guard dialect == .postgres else {
            try await Self.insertSamples(samples, dialect: dialect, into: db)
            return true
        }
        let started: String? = e.eventType == "Started" ? e.timestamp.text : nil
        let ended: String? = e.eventType == "Ended" ? e.timestamp.text : nil
        try await db.raw(
            """
            INSERT INTO transactions (station_id, transaction_id, id_token, evse_id, started_at, ended_at, stopped_reason, last_seq_no, event_count)
            VALUES (\(bind: e.stationID), \(bind: e.transactionID), \(bind: e.idToken), \(bind: e.evseID), \(bind: started), \(bind: ended), \(bind: e.stoppedReason), \(bind: e.seqNo), 1)
            \(unsafeRaw: Migrations.transactionSummaryMerge(greatest: "GREATEST"))
            """
        ).run()
        try await Self.insertSamples(samples, dialect: dialect, into: db)
        return true
    }

    static func insertSamples(_ samples: [MeterSample], dialect: SQLDialectKind, into db: any SQLDatabase) async throws {
        // Bounded statement size: at most 100 rows per INSERT.
        var start = 0
        while start < samples.count {
            let chunk = samples[start..<min(start + 100, samples.count)]
            start += 100
            var query = SQLQueryString(
                "INSERT INTO meter_values (station_id, transaction_id, evse_id, timestamp, measurand, value, unit, phase, context) VALUES ")
            for (offset, s) in chunk.enumerated() {
                if offset > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(
                    "(\(bind: s.stationID), \(bind: SQLValue.of(s.transactionID, dialect)), \(bind: SQLValue.of(s.evseID, dialect)), \(bind: s.timestamp.text), \(bind: s.measurand), \(bind: s.value), \(bind: SQLValue.of(s.unit, dialect)), \(bind: SQLValue.of(s.phase, dialect)), \(bind: SQLValue.of(s.context, dialect)))"
                        as SQLQueryString)
            }
            try await db.raw(query).run()
        }
    }

    public func transaction(stationID: String, transactionID: String) async throws -> TransactionRecord? {
        try await reader.raw(
            "SELECT * FROM transactions WHERE station_id = \(bind: stationID) AND transaction_id = \(bind: transactionID)"
        ).all().first.map(Self.transactionRecord)
    }

    public func transactions(stationID: String?, limit: Int, offset: Int) async throws -> [TransactionRecord] {
        if let stationID {
            return try await reader.raw(
                "SELECT * FROM transactions WHERE station_id = \(bind: stationID) ORDER BY transaction_id LIMIT \(bind: limit) OFFSET \(bind: offset)"
            ).all().map(Self.transactionRecord)
        }
        return try await reader.raw(
            "SELECT * FROM transactions ORDER BY station_id, transaction_id LIMIT \(bind: limit) OFFSET \(bind: offset)"
        ).all().map(Self.transactionRecord)
    }

    static func transactionRecord(_ row: any SQLRow) throws -> TransactionRecord {
        TransactionRecord(
            stationID: try row.decode(column: "station_id", as: String.self),
            transactionID: try row.decode(column: "transaction_id", as: String.self),
            idToken: try row.decode(column: "id_token", as: String?.self),
            evseID: try row.decode(column: "evse_id", as: Int?.self),
            startedAt: try row.decode(column: "started_at", as: String?.self).flatMap { try? OCPPDateTime($0) },
            endedAt: try row.decode(column: "ended_at", as: String?.self).flatMap { try? OCPPDateTime($0) },
            stoppedReason: try row.decode(column: "stopped_reason", as: String?.self),
            lastSeqNo: try row.decode(column: "last_seq_no", as: Int.self),
            eventCount: try row.decode(column: "event_count", as: Int.self))
    }

    public func events(stationID: String, transactionID: String) async throws -> [TransactionEventRecord] {
        try await reader.raw(
            "SELECT * FROM transaction_events WHERE station_id = \(bind: stationID) AND transaction_id = \(bind: transactionID) ORDER BY seq_no"
        ).all().map { row in
            TransactionEventRecord(
                stationID: try row.decode(column: "station_id", as: String.self),
                transactionID: try row.decode(column: "transaction_id", as: String.self),
                seqNo: try row.decode(column: "seq_no", as: Int.self),
                eventType: try row.decode(column: "event_type", as: String.self),
                timestamp: try OCPPDateTime(try row.decode(column: "timestamp", as: String.self)),
                triggerReason: try row.decode(column: "trigger_reason", as: String.self),
                idToken: try row.decode(column: "id_token", as: String?.self),
                evseID: try row.decode(column: "evse_id", as: Int?.self),
                connectorID: try row.decode(column: "connector_id", as: Int?.self),
                chargingState: try row.decode(column: "charging_state", as: String?.self),
                stoppedReason: try row.decode(column: "stopped_reason", as: String?.self),
                offline: try row.decode(column: "offline", as: Int.self) != 0,
                payload: try row.decode(column: "payload", as: String.self))
        }
    }

    public func saveMeterSamples(_ samples: [MeterSample]) async throws {
        guard !samples.isEmpty else { return }
        let dialect = self.dialect
        _ = try await write { db in
            try await Self.insertSamples(samples, dialect: dialect, into: db)
            return true
        }
    }

    public func meterSamples(stationID: String, transactionID: String?, limit: Int) async throws -> [MeterSample] {
        let rows: [any SQLRow]
        if let transactionID {
            rows = try await reader.raw(
                "SELECT * FROM meter_values WHERE station_id = \(bind: stationID) AND transaction_id = \(bind: transactionID) ORDER BY id LIMIT \(bind: limit)"
            ).all()
        } else {
            rows = try await reader.raw(
                "SELECT * FROM meter_values WHERE station_id = \(bind: stationID) ORDER BY id LIMIT \(bind: limit)"
            ).all()
        }
        return try rows.map { row in
            MeterSample(
                stationID: try row.decode(column: "station_id", as: String.self),
                transactionID: try row.decode(column: "transaction_id", as: String?.self),
                evseID: try row.decode(column: "evse_id", as: Int?.self),
                timestamp: try OCPPDateTime(try row.decode(column: "timestamp", as: String.self)),
                measurand: try row.decode(column: "measurand", as: String.self),
                value: try row.decode(column: "value", as: Double.self),
                unit: try row.decode(column: "unit", as: String?.self),
                phase: try row.decode(column: "phase", as: String?.self),
                context: try row.decode(column: "context", as: String?.self))
        }
    }

    public func allocateTransactionID16() async throws -> Int {
        let box = Mutex<Int>(0)
        _ = try await write { db in
            try await db.raw(
                "INSERT INTO counters (name, value) VALUES ('transaction16', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
            ).run()
            let value = try await db.raw("SELECT value FROM counters WHERE name = 'transaction16'")
                .first(decodingColumn: "value", as: Int.self) ?? 0
            box.withLock { $0 = value }
            return true
        }
        return box.withLock { $0 }
    }

    public func startTransaction16(
        _ start: TransactionStart16, event: @escaping @Sendable (Int) -> (TransactionEventRecord, [MeterSample])
    ) async throws -> (transactionID: Int, replayed: Bool) {
        let dialect = self.dialect
        let box = Mutex<(Int, Bool)>((0, false))
        _ = try await write { db in
            // The writer runs one operation at a time: looking up and inserting cannot interleave with another start.
            if let known = try await db.raw(
                """
                SELECT transaction_id FROM transaction_starts16 WHERE station_id = \(bind: start.stationID)
                AND connector_id = \(bind: start.connectorID) AND id_tag = \(bind: start.idTag)
                AND meter_start = \(bind: start.meterStart) AND timestamp = \(bind: start.timestamp.text)
                """
            ).first(decodingColumn: "transaction_id", as: Int.self) {
                box.withLock { $0 = (known, true) }
                return false
            }
            try await db.raw(
                "INSERT INTO counters (name, value) VALUES ('transaction16', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
            ).run()
            let id = try await db.raw("SELECT value FROM counters WHERE name = 'transaction16'")
                .first(decodingColumn: "value", as: Int.self) ?? 0
            try await db.raw(
                """
                INSERT INTO transaction_starts16 (station_id, connector_id, id_tag, meter_start, timestamp, transaction_id)
                VALUES (\(bind: start.stationID), \(bind: start.connectorID), \(bind: start.idTag), \(bind: start.meterStart), \(bind: start.timestamp.text), \(bind: id))
                """
            ).run()
            let (record, samples) = event(id)
            _ = try await Self.insertEvent(record, samples: samples, dialect: dialect, into: db)
            box.withLock { $0 = (id, false) }
            return true
        }
        let (id, replayed) = box.withLock { $0 }
        return (id, replayed)
    }

    // MARK: - VariableRepository

    public func saveVariables(_ records: [VariableRecord]) async throws {
        guard !records.isEmpty else { return }
        _ = try await write { db in
            for r in records {
                try await db.raw(
                    """
                    INSERT INTO station_variables (station_id, component, component_instance, evse_id, connector_id, variable,
                    variable_instance, attribute_type, value, readonly, attribute_status, source, reported_at)
                    VALUES (\(bind: r.stationID), \(bind: r.component), \(bind: r.componentInstance ?? ""), \(bind: r.evseID ?? -1),
                    \(bind: r.connectorID ?? -1), \(bind: r.variable), \(bind: r.variableInstance ?? ""), \(bind: r.attributeType),
                    \(bind: r.value), \(bind: r.readonly.map { $0 ? 1 : 0 }), \(bind: r.attributeStatus), \(bind: r.source.rawValue),
                    \(bind: r.reportedAt.text))
                    ON CONFLICT (station_id, component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type)
                    DO UPDATE SET value = COALESCE(excluded.value, station_variables.value),
                    readonly = COALESCE(excluded.readonly, station_variables.readonly),
                    attribute_status = excluded.attribute_status, source = excluded.source, reported_at = excluded.reported_at
                    """
                ).run()
            }
            return true
        }
    }

    public func variables(stationID: String, limit: Int, offset: Int) async throws -> [VariableRecord] {
        try await reader.raw(
            """
            SELECT * FROM station_variables WHERE station_id = \(bind: stationID)
            ORDER BY component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type
            LIMIT \(bind: limit) OFFSET \(bind: offset)
            """
        ).all().map { row in
            let componentInstance = try row.decode(column: "component_instance", as: String.self)
            let variableInstance = try row.decode(column: "variable_instance", as: String.self)
            let evse = try row.decode(column: "evse_id", as: Int.self)
            let connector = try row.decode(column: "connector_id", as: Int.self)
            let readonly = try row.decode(column: "readonly", as: Int?.self)
            return VariableRecord(
                stationID: try row.decode(column: "station_id", as: String.self),
                component: try row.decode(column: "component", as: String.self),
                componentInstance: componentInstance.isEmpty ? nil : componentInstance,
                evseID: evse < 0 ? nil : evse, connectorID: connector < 0 ? nil : connector,
                variable: try row.decode(column: "variable", as: String.self),
                variableInstance: variableInstance.isEmpty ? nil : variableInstance,
                attributeType: try row.decode(column: "attribute_type", as: String.self),
                value: try row.decode(column: "value", as: String?.self), readonly: readonly.map { $0 != 0 },
                attributeStatus: try row.decode(column: "attribute_status", as: String.self),
                source: VariableRecord.Source(rawValue: try row.decode(column: "source", as: String.self)) ?? .getVariables,
                reportedAt: try OCPPDateTime(try row.decode(column: "reported_at", as: String.self)))
        }
    }

    // MARK: - TokenRepository

    /// The stored token, read fresh (no cache): look-ups that arrive while one read runs wait for the next read,
    /// which answers all of them with one `IN (...)` query. Every look-up is answered by a query that started
    /// after it was asked, so it sees every token saved before.
    public func token(_ idToken: String) async throws -> IdTokenRecord? {
        try await withCheckedThrowingContinuation { continuation in
            let lead = tokenReads.withLock { state in
                state.waiting.append((idToken, continuation))
                if state.running { return false }
                state.running = true
                return true
            }
            if lead { Task { await self.readTokens() } }
        }
    }

    /// Answers waiting token look-ups, at most 100 distinct tokens per query, until none waits.
    private func readTokens() async {
        while true {
            let batch = tokenReads.withLock { state in
                let taken = Array(state.waiting.prefix(256))
                state.waiting.removeFirst(taken.count)
                if taken.isEmpty { state.running = false }
                return taken
            }
            if batch.isEmpty { return }
            var unique: [String] = []
            var seen = Set<String>()
            for item in batch where seen.insert(item.idToken).inserted { unique.append(item.idToken) }
            do {
                var found: [String: IdTokenRecord] = [:]
                var start = 0
                while start < unique.count {
                    let chunk = unique[start..<min(start + 100, unique.count)]
                    start += 100
                    var query = SQLQueryString("SELECT * FROM id_tokens WHERE id_token IN (")
                    for (offset, token) in chunk.enumerated() {
                        if offset > 0 { query.appendLiteral(", ") }
                        query.appendInterpolation(bind: token)
                    }
                    query.appendLiteral(")")
                    for row in try await reader.raw(query).all() {
                        let record = try Self.tokenRecord(row)
                        found[record.idToken] = record
                    }
                }
                for item in batch { item.continuation.resume(returning: found[item.idToken]) }
            } catch {
                let failure = StorageError.make(.queryFailed, "token look-up failed", cause: error)
                for item in batch { item.continuation.resume(throwing: failure) }
            }
        }
    }

    static func tokenRecord(_ row: any SQLRow) throws -> IdTokenRecord {
        IdTokenRecord(
            idToken: try row.decode(column: "id_token", as: String.self),
            type: try row.decode(column: "type", as: String.self),
            status: try row.decode(column: "status", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: String?.self).flatMap { try? OCPPDateTime($0) },
            groupIdToken: try row.decode(column: "group_id_token", as: String?.self))
    }

    public func saveToken(_ t: IdTokenRecord) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO id_tokens (id_token, type, status, expires_at, group_id_token)
                VALUES (\(bind: t.idToken), \(bind: t.type), \(bind: t.status), \(bind: t.expiresAt?.text), \(bind: t.groupIdToken))
                ON CONFLICT (id_token) DO UPDATE SET type = excluded.type, status = excluded.status,
                expires_at = excluded.expires_at, group_id_token = excluded.group_id_token
                """
            ).run()
            return true
        }
    }
}
