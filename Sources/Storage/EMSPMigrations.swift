extension Migrations {
    /// eMSP tables (migration 2): customers, vehicles by PCID, contracts by eMAID, eMAID sequences.
    static let emsp: [Migration] = [
        Migration(version: 2) { _ in
            [
                "CREATE TABLE emsp_customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT)",
                "CREATE TABLE emsp_vehicles (pcid TEXT PRIMARY KEY, customer_id TEXT NOT NULL, label TEXT)",
                """
                CREATE TABLE emsp_contracts (emaid TEXT PRIMARY KEY, pcid TEXT NOT NULL, customer_id TEXT NOT NULL,
                status TEXT NOT NULL, valid_from_ms BIGINT NOT NULL, valid_to_ms BIGINT NOT NULL,
                certificate_chain TEXT NOT NULL, certificate_serial TEXT, encrypted_key TEXT, dh_public_key TEXT)
                """,
                "CREATE INDEX emsp_contracts_by_pcid ON emsp_contracts (pcid)",
                "CREATE TABLE emsp_emaid_sequences (provider TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            ]
        }
    ]
}
