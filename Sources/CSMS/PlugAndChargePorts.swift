import OCPPMessages

/// One certificate's OCSP identity as OCPP carries it (OCPP 2.0.1 `OCSPRequestDataType`, the
/// `iso15118CertificateHashData` of Authorize and the `ocspRequestData` of GetCertificateStatus).
public struct CertificateHashData: Sendable, Hashable, CustomStringConvertible {
    /// `SHA256`, `SHA384` or `SHA512`.
    public var hashAlgorithm: String
    /// Hex hash of the issuer's DER-encoded subject name.
    public var issuerNameHash: String
    /// Hex hash of the issuer's subjectPublicKey bits.
    public var issuerKeyHash: String
    /// Hex serial number of the certificate.
    public var serialNumber: String
    /// The OCSP responder to ask.
    public var responderURL: String

    public init(hashAlgorithm: String, issuerNameHash: String, issuerKeyHash: String, serialNumber: String, responderURL: String) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
        self.responderURL = responderURL
    }

    public init(_ data: V201.OCSPRequestData) {
        self.init(
            hashAlgorithm: data.hashAlgorithm.rawValue, issuerNameHash: data.issuerNameHash,
            issuerKeyHash: data.issuerKeyHash, serialNumber: data.serialNumber, responderURL: data.responderURL)
    }

    public var description: String { "serial \(serialNumber) (issuer key hash \(issuerKeyHash.prefix(16))…, \(responderURL))" }
}

/// The revocation status of one certificate.
public enum CertificateRevocationStatus: Sendable, Hashable {
    case good
    case revoked(reason: String?)
    /// The responder does not know the certificate.
    case unknown
}

/// Revocation status of the certificates of a contract chain (OCPP 2.0.1 C07, M06). Wired to the V2G PKI's OCSP
/// client and cache (answers kept until nextUpdate) in the composition root.
public protocol CertificateStatusChecker: Sendable {
    /// The status of the certificate named by `certificate`, from the cache or its responder.
    /// - Throws: when the status cannot be learned (no known issuer, responder unreachable, bad response).
    func status(of certificate: CertificateHashData, traceID: String) async throws -> CertificateRevocationStatus
    /// A verified DER OCSP response about the certificate (GetCertificateStatus, M06).
    func ocspResponse(for certificate: CertificateHashData, traceID: String) async throws -> [UInt8]
}

/// The outcome of validating a contract certificate chain sent in Authorize.certificate.
public enum ContractChainVerdict: Sendable, Hashable {
    /// The chain leads to an installed MO/V2G root. `eMAID` is the leaf's common name; `hashData` names every
    /// certificate below the root (leaf first) for the revocation check.
    case valid(eMAID: String?, hashData: [CertificateHashData])
    /// A certificate of the chain is expired or not yet valid.
    case expired(String)
    /// A signature of the chain does not verify.
    case signatureError(String)
    /// The chain does not lead to a trusted root, is malformed, too long or not a contract chain.
    case chainError(String)
}

/// Validates contract certificate chains (C07: the CSMS validates the chain when the station sends it).
public protocol ContractCertificateValidator: Sendable {
    func validate(pemChain: String, traceID: String) async -> ContractChainVerdict
}

/// The standing of a contract.
public enum ContractStatus: String, Sendable, Hashable {
    case active
    /// The eMSP cancelled the contract (C07: certificateStatus ContractCancelled).
    case cancelled
    case blocked
    case expired
    /// The eMAID is not a contract this CSMS knows.
    case unknown
}

/// The contract check behind a Plug & Charge Authorize: is the eMAID a known, active contract? The eMSP implements
/// it; ``TokenContractDirectory`` answers from the CSMS's own token records until one is wired.
public protocol ContractDirectory: Sendable {
    func contractStatus(eMAID: String, traceID: String) async throws -> ContractStatus
    /// The contract certificate the eMSP holds for `eMAID`, named as OCPP names it (issuer name and key hashes in
    /// `hashAlgorithm`, serial number), for C07's comparison with the certificate the station presents. The default
    /// answers ``ContractCertificateOnRecord/notKept`` (no comparison).
    func contractCertificate(eMAID: String, hashAlgorithm: String, traceID: String) async throws -> ContractCertificateOnRecord
}

extension ContractDirectory {
    public func contractCertificate(eMAID: String, hashAlgorithm: String, traceID: String) async throws -> ContractCertificateOnRecord {
        .notKept
    }
}

/// What a ``ContractDirectory`` holds as the certificate of a contract.
public enum ContractCertificateOnRecord: Sendable, Hashable {
    /// The contract's current certificate (`responderURL` may be empty).
    case certificate(CertificateHashData)
    /// No contract has this eMAID.
    case unknownContract
    /// The contract exists but no certificate was issued for it.
    case noCertificate
    /// The directory keeps no contract certificates, or cannot name them in the hash algorithm asked for: C07 makes
    /// no comparison.
    case notKept
}

/// ``ContractDirectory`` from ``TokenRepository`` records: a stored token with status Accepted is an active contract,
/// Blocked a blocked one, Invalid a cancelled one; an expiry in the past makes it expired.
public struct TokenContractDirectory: ContractDirectory {
    public let tokens: any TokenRepository
    public let now: @Sendable () -> OCPPDateTime

    public init(tokens: any TokenRepository, now: @escaping @Sendable () -> OCPPDateTime) {
        self.tokens = tokens
        self.now = now
    }

    public func contractStatus(eMAID: String, traceID: String) async throws -> ContractStatus {
        var found = try await tokens.token(eMAID)
        if found == nil { found = try await tokens.token(String(eMAID.filter { $0 != "-" })) }
        guard let record = found else { return .unknown }
        if let expiry = record.expiresAt, expiry < now() { return .expired }
        switch record.status {
        case "Accepted": return .active
        case "Blocked": return .blocked
        case "Invalid": return .cancelled
        case "Expired": return .expired
        default: return .unknown
        }
    }
}

/// The Plug & Charge services of the CSMS; nil members are not configured (their requests are refused).
public struct PlugAndChargeServices: Sendable {
    public var certificateStatus: (any CertificateStatusChecker)?
    public var contractChains: (any ContractCertificateValidator)?
    public var contracts: (any ContractDirectory)?
    /// Contract certificate installation and update (M02/M03).
    public var evCertificates: (any EVCertificateProvider)?
    /// The per-station on/off switch; nil: Plug & Charge is on for every station.
    public var switches: (any PlugAndChargeSwitchRepository)?

    public init(
        certificateStatus: (any CertificateStatusChecker)? = nil, contractChains: (any ContractCertificateValidator)? = nil,
        contracts: (any ContractDirectory)? = nil, evCertificates: (any EVCertificateProvider)? = nil
    ) {
        self.evCertificates = evCertificates
        self.certificateStatus = certificateStatus
        self.contractChains = contractChains
        self.contracts = contracts
    }
}

/// A decision worth logging, produced by the pure functional blocks and logged by the composition root.
public struct CSMSDecision: Sendable, Hashable {
    public enum Level: String, Sendable { case info, notice, warning }
    public var level: Level
    public var message: String
    public var traceID: String
    public var metadata: [String: String]

    public init(_ level: Level, _ message: String, traceID: String, metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.traceID = traceID
        self.metadata = metadata
    }
}

/// A request for an ISO 15118 contract certificate installation or update (OCPP 2.0.1 M02/M03
/// Get15118EVCertificate), relayed to the eMSP / contract certificate pool.
public struct EVCertificateRequest: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case install = "Install"
        case update = "Update"
    }

    public var stationID: String
    public var action: Action
    /// The ISO 15118 schema namespace of the EXI stream (e.g. `urn:iso:15118:2:2013:MsgDef`).
    public var iso15118SchemaVersion: String
    /// The EXI CertificateInstallationReq / CertificateUpdateReq as the EV sent it (base64-decoded).
    public var exiRequest: [UInt8]
    /// OCPP 2.1 / ISO 15118-20: how many contract chains the EV accepts; nil when not given.
    public var maximumContractCertificateChains: Int?
    /// OCPP 2.1 / ISO 15118-20: eMAIDs the EV prefers, most preferred first.
    public var prioritizedEMAIDs: [String]
    public var traceID: String

    public init(
        stationID: String, action: Action, iso15118SchemaVersion: String, exiRequest: [UInt8],
        maximumContractCertificateChains: Int? = nil, prioritizedEMAIDs: [String] = [], traceID: String
    ) {
        self.stationID = stationID
        self.action = action
        self.iso15118SchemaVersion = iso15118SchemaVersion
        self.exiRequest = exiRequest
        self.maximumContractCertificateChains = maximumContractCertificateChains
        self.prioritizedEMAIDs = prioritizedEMAIDs
        self.traceID = traceID
    }
}

/// The answer of an ``EVCertificateProvider``.
public struct EVCertificateResponse: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case accepted = "Accepted"
        case failed = "Failed"
    }

    public var status: Status
    /// The EXI CertificateInstallationRes / CertificateUpdateRes for the EV (sent base64 to the station).
    public var exiResponse: [UInt8]
    /// ISO 15118-20: contract chains still to be fetched; nil when not applicable.
    public var remainingContracts: Int?
    /// Why it failed (logged with the trace id, sent as statusInfo.reasonCode).
    public var reason: String?

    public init(status: Status, exiResponse: [UInt8], remainingContracts: Int? = nil, reason: String? = nil) {
        self.status = status
        self.exiResponse = exiResponse
        self.remainingContracts = remainingContracts
        self.reason = reason
    }
}

/// Produces the EXI answer to an EV's certificate installation or update request (M02/M03). Implemented by the eMSP
/// (contract pool and CPS); the composition root adapts it and bounds it by a latency budget.
public protocol EVCertificateProvider: Sendable {
    func certificate(for request: EVCertificateRequest) async throws -> EVCertificateResponse
}

/// The per-station Plug & Charge switch (stored; default on). When off, the station's PnC Authorize and
/// Get15118EVCertificate are refused with the reason `PnCDisabled`.
public protocol PlugAndChargeSwitchRepository: Sendable {
    /// Whether Plug & Charge is on for the station (true when never set).
    func plugAndChargeEnabled(stationID: String) async throws -> Bool
    func setPlugAndChargeEnabled(_ enabled: Bool, stationID: String) async throws
}

/// A station certificate the CSMS had signed, with its expiry (A02/A03 renewal).
public struct StationCertificateRecord: Sendable, Hashable {
    public var stationID: String
    /// `V2GCertificate` or `ChargingStationCertificate`.
    public var certificateType: String
    public var notAfter: OCPPDateTime

    public init(stationID: String, certificateType: String, notAfter: OCPPDateTime) {
        self.stationID = stationID
        self.certificateType = certificateType
        self.notAfter = notAfter
    }
}

/// The expiry of the certificates signed for stations (CertificateSigned), to renew them ahead of expiry.
public protocol StationCertificateRepository: Sendable {
    func saveStationCertificate(_ record: StationCertificateRecord) async throws
    /// Certificates whose notAfter lies before `time`.
    func stationCertificates(expiringBefore time: OCPPDateTime) async throws -> [StationCertificateRecord]
}
