import SQLKit

/// Numbered, forward-only schema migrations. A migration is never edited once released: changes come as a new
/// number. Applied numbers are recorded in `schema_migrations`.
enum Migrations {
    struct Migration: Sendable {
        let version: Int
        let statements: @Sendable (SQLDialectKind) -> [String]
    }

    /// Every migration in version order (each area keeps its own list; numbers never collide).
    static let all: [Migration] = ([
        Migration(version: 1) { dialect in
            let autoID = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
            let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
            return [
                """
                CREATE TABLE stations (id TEXT PRIMARY KEY, protocol_version TEXT NOT NULL, vendor TEXT NOT NULL,
                model TEXT NOT NULL, serial_number TEXT, firmware_version TEXT, registration TEXT NOT NULL,
                last_boot_at TEXT, last_seen_at TEXT)
                """,
                "CREATE TABLE station_credentials (station_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL)",
                """
                CREATE TABLE connector_status (station_id TEXT NOT NULL, evse_id INTEGER NOT NULL,
                connector_id INTEGER NOT NULL, status TEXT NOT NULL, timestamp TEXT NOT NULL,
                PRIMARY KEY (station_id, evse_id, connector_id))
                """,
                """
                CREATE TABLE transactions (station_id TEXT NOT NULL, transaction_id TEXT NOT NULL, id_token TEXT,
                evse_id INTEGER, started_at TEXT, ended_at TEXT, stopped_reason TEXT, last_seq_no BIGINT NOT NULL,
                event_count BIGINT NOT NULL, PRIMARY KEY (station_id, transaction_id))
                """,
                """
                CREATE TABLE transaction_events (station_id TEXT NOT NULL, transaction_id TEXT NOT NULL,
                seq_no BIGINT NOT NULL, event_type TEXT NOT NULL, timestamp TEXT NOT NULL, trigger_reason TEXT NOT NULL,
                id_token TEXT, evse_id INTEGER, connector_id INTEGER, charging_state TEXT, stopped_reason TEXT,
                offline INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (station_id, transaction_id, seq_no))
                """,
                """
                CREATE TABLE meter_values (id \(autoID), station_id TEXT NOT NULL, transaction_id TEXT,
                evse_id INTEGER, timestamp TEXT NOT NULL, measurand TEXT NOT NULL, value \(real) NOT NULL, unit TEXT,
                phase TEXT, context TEXT)
                """,
                "CREATE INDEX meter_values_by_transaction ON meter_values (station_id, transaction_id)",
                """
                CREATE TABLE id_tokens (id_token TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,
                expires_at TEXT, group_id_token TEXT)
                """,
                "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            ]
        },
        // Plug & Charge: the per-station switch.
        Migration(version: 3) { dialect in
            let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
            return [
                "CREATE TABLE station_pnc (station_id TEXT PRIMARY KEY, enabled INTEGER NOT NULL)",
                """
                CREATE TABLE station_certificates (station_id TEXT NOT NULL, certificate_type TEXT NOT NULL,
                not_after \(real) NOT NULL, PRIMARY KEY (station_id, certificate_type))
                """,
            ]
        },
        // B05/B06: what stations report about their variables; 1.6 StartTransaction replays: the start that a
        // CSMS-assigned transaction id answered. Absent key parts are stored as '' (text) and -1 (EVSE, connector).
        Migration(version: 4) { _ in
            [
                """
                CREATE TABLE station_variables (station_id TEXT NOT NULL, component TEXT NOT NULL,
                component_instance TEXT NOT NULL, evse_id INTEGER NOT NULL, connector_id INTEGER NOT NULL,
                variable TEXT NOT NULL, variable_instance TEXT NOT NULL, attribute_type TEXT NOT NULL, value TEXT,
                attribute_status TEXT NOT NULL, source TEXT NOT NULL, reported_at TEXT NOT NULL,
                PRIMARY KEY (station_id, component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type))
                """,
                """
                CREATE TABLE transaction_starts16 (station_id TEXT NOT NULL, connector_id INTEGER NOT NULL,
                id_tag TEXT NOT NULL, meter_start BIGINT NOT NULL, timestamp TEXT NOT NULL, transaction_id BIGINT NOT NULL,
                PRIMARY KEY (station_id, connector_id, id_tag, meter_start, timestamp))
                """,
            ]
        },
        // Scale-out: the CSMS nodes sharing the database (each with a lease it renews), which node holds each station's
        // connection, and the remote commands one node hands to the node holding the station.
        Migration(version: 5) { dialect in
            let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
            return [
                "CREATE TABLE csms_nodes (node_id TEXT PRIMARY KEY, started_at \(real) NOT NULL, lease_until \(real) NOT NULL)",
                """
                CREATE TABLE station_locations (station_id TEXT PRIMARY KEY, node_id TEXT NOT NULL,
                protocol_version TEXT NOT NULL, connected_at \(real) NOT NULL)
                """,
                "CREATE INDEX station_locations_by_node ON station_locations (node_id)",
                """
                CREATE TABLE remote_commands (id TEXT PRIMARY KEY, station_id TEXT NOT NULL, origin_node TEXT NOT NULL,
                target_node TEXT NOT NULL, action TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, result TEXT,
                created_at \(real) NOT NULL, answered_at \(real))
                """,
                "CREATE INDEX remote_commands_by_target ON remote_commands (target_node, state)",
                "CREATE INDEX remote_commands_by_origin ON remote_commands (origin_node, state)",
            ]
        },
        // SQLite: the transaction summary is kept by a trigger on transaction_events (the INSERT of an event updates
        // it; a replayed event, skipped by ON CONFLICT DO NOTHING, does not), one statement to prepare per event
        // fewer. PostgreSQL keeps the same upsert as a statement of the data-access layer.
        Migration(version: 6) { dialect in
            guard dialect == .sqlite else { return [] }
            return [
                """
                CREATE TRIGGER transaction_summary AFTER INSERT ON transaction_events BEGIN
                INSERT INTO transactions (station_id, transaction_id, id_token, evse_id, started_at, ended_at, stopped_reason, last_seq_no, event_count)
                VALUES (NEW.station_id, NEW.transaction_id, NEW.id_token, NEW.evse_id,
                CASE WHEN NEW.event_type = 'Started' THEN NEW.timestamp END, CASE WHEN NEW.event_type = 'Ended' THEN NEW.timestamp END,
                NEW.stopped_reason, NEW.seq_no, 1)
                \(Migrations.transactionSummaryMerge(greatest: "MAX"));
                END
                """,
            ]
        },
        // OCPP 1.6 GetConfiguration: whether a configuration key is read-only, stored with the key in station_variables
        // (NULL for 2.0.1 variables and for keys only ever written by ChangeConfiguration).
        Migration(version: 7) { _ in
            ["ALTER TABLE station_variables ADD COLUMN readonly INTEGER"]
        },
        // Billing (CDRs and invoices) is numbered from 100 so that it never collides with the CSMS's numbers.
        Migration(version: 100) { _ in
            [
                """
                CREATE TABLE billing_invoices (invoice_number TEXT PRIMARY KEY, station_id TEXT NOT NULL,
                transaction_id TEXT NOT NULL, emaid TEXT NOT NULL, issued_at BIGINT NOT NULL, total_incl_vat_cents BIGINT NOT NULL,
                currency TEXT NOT NULL, cdr TEXT NOT NULL, html_path TEXT, UNIQUE (station_id, transaction_id))
                """,
                "CREATE INDEX billing_invoices_by_emaid ON billing_invoices (emaid)",
            ]
        },
    ] + emsp).sorted { $0.version < $1.version }

    /// How an event folds into its transaction's summary row, the same rule for the SQLite trigger (migration 6) and
    /// PostgreSQL's upsert (``SQLStore``): identification and start kept from the first event that has them, end and
    /// stop reason from the latest, the highest sequence number, one more event. `greatest` is the dialect's
    /// two-argument maximum (SQLite `MAX`, PostgreSQL `GREATEST`).
    static func transactionSummaryMerge(greatest: String) -> String {
        """
        ON CONFLICT (station_id, transaction_id) DO UPDATE SET
        id_token = COALESCE(transactions.id_token, excluded.id_token),
        evse_id = COALESCE(transactions.evse_id, excluded.evse_id),
        started_at = COALESCE(transactions.started_at, excluded.started_at),
        ended_at = COALESCE(excluded.ended_at, transactions.ended_at),
        stopped_reason = COALESCE(excluded.stopped_reason, transactions.stopped_reason),
        last_seq_no = \(greatest)(transactions.last_seq_no, excluded.last_seq_no),
        event_count = transactions.event_count + 1
        """
    }

    /// Applies the migrations not yet recorded, each in its own transaction. Several processes may start on one
    /// database at once: on PostgreSQL they take turns under an advisory lock, on SQLite each migration runs under
    /// `BEGIN IMMEDIATE` (the write lock) and is skipped when another process recorded it meanwhile.
    static func migrate(_ db: any SQLDatabase, dialect: SQLDialectKind) async throws {
        if dialect == .postgres { try await db.raw("SELECT pg_advisory_lock(\(bind: advisoryLockKey))").run() }
        do {
            try await migrateLocked(db, dialect: dialect)
        } catch {
            if dialect == .postgres { try? await db.raw("SELECT pg_advisory_unlock(\(bind: advisoryLockKey))").run() }
            throw error
        }
        if dialect == .postgres { try await db.raw("SELECT pg_advisory_unlock(\(bind: advisoryLockKey))").run() }
    }

    /// The advisory lock key of migrations on PostgreSQL ("pncmigr" in ASCII).
    static let advisoryLockKey: Int64 = 0x70_6E63_6D69_6772

    private static func migrateLocked(_ db: any SQLDatabase, dialect: SQLDialectKind) async throws {
        try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)").run()
        let applied = Set(try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) })
        for migration in all where !applied.contains(migration.version) {
            try await db.raw(SQLQueryString(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN")).run()
            do {
                let done = try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").all()
                if done.isEmpty {
                    for statement in migration.statements(dialect) { try await db.raw(SQLQueryString(statement)).run() }
                    try await db.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: migration.version), CURRENT_TIMESTAMP)").run()
                }
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw StorageError.make(.openFailed, "migration \(migration.version) failed", cause: error)
            }
        }
    }

    /// The newest schema version this build knows.
    static var latestVersion: Int { all.map(\.version).max() ?? 0 }
}
