import OCPPMessages

/// Stations, their boot data, connector statuses and credentials.
public protocol StationRepository: Sendable {
    func station(id: String) async throws -> StationRecord?
    /// Inserts or replaces the station record (BootNotification).
    func saveStation(_ station: StationRecord) async throws
    /// Records that the station was heard from (Heartbeat and any message).
    func touchStation(id: String, at time: OCPPDateTime) async throws
    func saveConnectorStatus(_ status: ConnectorStatusRecord) async throws
    func stations(limit: Int, offset: Int) async throws -> [StationRecord]
    func connectorStatuses(stationID: String) async throws -> [ConnectorStatusRecord]
    /// The salted password hash of a station for Basic authentication (profiles 1 and 2), nil when unknown.
    func passwordHash(stationID: String) async throws -> String?
    func setPasswordHash(stationID: String, hash: String) async throws
}

/// Transaction events, transactions and meter values.
public protocol TransactionRepository: Sendable {
    /// Stores the event and its meter samples durably, in one database transaction, and updates the transaction
    /// summary. Returns false when (stationID, transactionID, seqNo) was already stored: replays are idempotent.
    /// Must not return before the data is durable (the CALLRESULT is sent after it).
    func record(_ event: TransactionEventRecord, samples: [MeterSample]) async throws -> Bool
    func transaction(stationID: String, transactionID: String) async throws -> TransactionRecord?
    func transactions(stationID: String?, limit: Int, offset: Int) async throws -> [TransactionRecord]
    func events(stationID: String, transactionID: String) async throws -> [TransactionEventRecord]
    /// Stores meter samples outside a transaction event (MeterValues), durably.
    func saveMeterSamples(_ samples: [MeterSample]) async throws
    func meterSamples(stationID: String, transactionID: String?, limit: Int) async throws -> [MeterSample]
    /// OCPP 1.6 StartTransaction: the next CSMS-assigned integer transaction id (unique, increasing).
    func allocateTransactionID16() async throws -> Int
    /// OCPP 1.6 StartTransaction in one durable write: a start answered before (same station, connector, idTag,
    /// meterStart and timestamp: the station replays it after a reconnect) gets its earlier transaction id and stores
    /// nothing; otherwise a fresh id is allocated (as ``allocateTransactionID16()``) and the start event that
    /// `event` builds for it is stored (as ``record(_:samples:)``).
    func startTransaction16(
        _ start: TransactionStart16, event: @escaping @Sendable (Int) -> (TransactionEventRecord, [MeterSample])
    ) async throws -> (transactionID: Int, replayed: Bool)
}

/// Known authorization tokens.
public protocol TokenRepository: Sendable {
    func token(_ idToken: String) async throws -> IdTokenRecord?
    func saveToken(_ token: IdTokenRecord) async throws
}

/// Signs certificate signing requests (SignCertificate → CertificateSigned, OCPP 2.0.1 A02/A03, 1.6 security
/// whitepaper). Wired to the V2G/CPO sub-CA in the composition root.
public protocol CertificateAuthority: Sendable {
    /// Signs the PKCS#10 CSR (PEM) for the given use and returns the PEM chain (leaf first, without the root).
    /// - Parameter certificateType: `ChargingStationCertificate` or `V2GCertificate`.
    func sign(csrPEM: String, certificateType: String) async throws -> String
}

/// Checks a certificate chain that an external CA signed for a station before the CSMS delivers it with
/// CertificateSigned (OCPP 2.0.1 A02/A03: the CSMS may have the CSR signed elsewhere and send the chain later).
/// Wired to the V2G PKI's certificate parsing in the composition root.
public protocol SignedCertificateChainChecker: Sendable {
    /// - Parameter certificateType: `ChargingStationCertificate` or `V2GCertificate`.
    /// - Throws: ``CSMSError`` `invalidCertificateChain` with the reason (not PEM, expired leaf, links out of order).
    func check(pemChain: String, certificateType: String) throws(CSMSError)
}

/// Sends CSMS-initiated CALLs to connected stations (remote control from the REST API).
public protocol StationCommandSender: Sendable {
    /// The negotiated version of a station connected to this node, nil when it is not connected here.
    func connectedVersion(of stationID: String) async -> OCPPVersion?
    /// Sends the call and returns the CALLRESULT payload.
    func send(_ call: CSMSCall, to stationID: String) async throws -> JSONValue
}

/// What stations reported about their variables (2.0.1 B05/B06) and configuration keys (1.6 §5.3/§5.8).
public protocol VariableRepository: Sendable {
    /// Inserts or updates the records (a record without a value keeps the value stored before, one without a
    /// readonly flag the flag stored before), durably.
    func saveVariables(_ records: [VariableRecord]) async throws
    /// The stored variables of a station, ordered by component, variable and attribute type.
    func variables(stationID: String, limit: Int, offset: Int) async throws -> [VariableRecord]
}
