import PnCCore

/// The SECC's view of the rest of the charger and its backend: authorization, certificate requests relayed to the
/// CSMS, and the transaction record.
///
/// The SECC state machines never call it themselves (they do no I/O); they return actions that a driver turns into
/// calls on this port, and feed the answers back as inputs. It is implemented by the charging station's OCPP client
/// (OCPP 2.0.1 C07/M02/M03/M06/E01-E09, or 1.6J DataTransfer `org.openchargealliance.iso15118pnc`) and by an
/// in-process backend for `pnc station` without a CSMS.
///
/// Every call carries the session's ``TraceID``; implementations pass it on (OCPP `customData`, log metadata) so one
/// id links the EV session, the OCPP messages and the PKI checks.
public protocol ChargingBackend: Sendable {
    /// Authorizes the driver of a session: a contract for Plug & Charge (OCPP 2.0.1 C07, the SECC has already checked
    /// the contract chain and the AuthorizationReq signature) or an external identification (EIM).
    func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision

    /// Relays an ISO 15118 certificate installation or update request (OCPP 2.0.1 M02/M03 Get15118EVCertificate).
    func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult

    /// Asks for the OCSP status of one certificate (OCPP 2.0.1 M06 GetCertificateStatus).
    func certificateStatus(_ request: CertificateStatusRequest) async throws -> CertificateStatusResult

    /// Energy transfer started (OCPP 2.0.1 E01-E09 TransactionEvent Started). Returns the transaction id the backend
    /// uses for this session.
    func transactionStarted(_ event: TransactionStart) async throws -> String

    /// A periodic sample during the charge loop (TransactionEvent Updated with meter values).
    func transactionUpdated(_ event: TransactionUpdate) async throws

    /// The session ended (TransactionEvent Ended).
    func transactionEnded(_ event: TransactionEnd) async throws
}

/// Hash data of one certificate of the contract chain, as OCPP carries it (OCSPRequestDataType /
/// iso15118CertificateHashData): the OCSP CertID plus where to ask.
public struct CertificateHashData: Hashable, Sendable, Codable {
    public enum HashAlgorithm: String, Hashable, Sendable, Codable {
        case sha256 = "SHA256", sha384 = "SHA384", sha512 = "SHA512"
    }
    public var hashAlgorithm: HashAlgorithm
    /// Hex of the hash of the issuer's distinguished name (DER).
    public var issuerNameHash: String
    /// Hex of the hash of the issuer's public key (the BIT STRING contents).
    public var issuerKeyHash: String
    /// Hex of the certificate serial number, without leading zeros.
    public var serialNumber: String
    /// The OCSP responder URL from the certificate's Authority Information Access extension ("" when absent).
    public var responderURL: String

    public init(
        hashAlgorithm: HashAlgorithm, issuerNameHash: String, issuerKeyHash: String, serialNumber: String,
        responderURL: String
    ) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
        self.responderURL = responderURL
    }
}

/// What the SECC asks the backend to authorize.
public struct BackendAuthorizationRequest: Hashable, Sendable {
    public enum Identification: Hashable, Sendable {
        /// Plug & Charge: the eMAID of the contract, the contract chain (PEM, leaf first, without the root) and the hash
        /// data of its certificates (leaf first, at most 4) for the CSMS's OCSP check.
        case contract(eMAID: String, certificateChainPEM: String, hashData: [CertificateHashData])
        /// External identification means (RFID card, app, ...): the token and its OCPP IdTokenType (`ISO14443`,
        /// `Central`, `Local`, ...).
        case external(idToken: String, type: String)
    }
    public var identification: Identification
    /// The EVSE the vehicle is connected to (OCPP evseId).
    public var evseID: Int
    public var traceID: TraceID

    public init(identification: Identification, evseID: Int, traceID: TraceID) {
        self.identification = identification
        self.evseID = evseID
        self.traceID = traceID
    }
}

/// The backend's answer to ``BackendAuthorizationRequest``.
public struct BackendAuthorizationDecision: Hashable, Sendable {
    /// OCPP 2.0.1 AuthorizationStatusEnumType.
    public enum Status: String, Hashable, Sendable, Codable {
        case accepted = "Accepted", blocked = "Blocked", concurrentTx = "ConcurrentTx", expired = "Expired"
        case invalid = "Invalid", noCredit = "NoCredit", notAllowedTypeEVSE = "NotAllowedTypeEVSE"
        case notAtThisLocation = "NotAtThisLocation", notAtThisTime = "NotAtThisTime", unknown = "Unknown"
    }
    /// OCPP 2.0.1 AuthorizeCertificateStatusEnumType: the CSMS's verdict on the contract certificate.
    public enum CertificateStatus: String, Hashable, Sendable, Codable {
        case accepted = "Accepted", signatureError = "SignatureError", certificateExpired = "CertificateExpired"
        case certificateRevoked = "CertificateRevoked", noCertificateAvailable = "NoCertificateAvailable"
        case certChainError = "CertChainError", contractCancelled = "ContractCancelled"
    }
    public var status: Status
    /// Present for contract authorization.
    public var certificateStatus: CertificateStatus?
    /// A reason for people and logs (never shown to the vehicle).
    public var detail: String?

    public init(status: Status, certificateStatus: CertificateStatus? = nil, detail: String? = nil) {
        self.status = status
        self.certificateStatus = certificateStatus
        self.detail = detail
    }
}

/// An ISO 15118 certificate installation or update request relayed to the backend as EXI.
public struct CertificateExchangeRequest: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable, Codable { case install = "Install", update = "Update" }
    public var action: Action
    /// The namespace of the message set (`urn:iso:15118:2:2013:MsgDef` or `urn:iso:std:iso:15118:-20:CommonMessages`),
    /// OCPP iso15118SchemaVersion.
    public var schemaVersion: String
    /// The complete EXI-encoded V2G message (header and body) as received from the vehicle.
    public var exiRequest: [UInt8]
    /// -20: how many contract chains the vehicle accepts; nil for -2.
    public var maximumContractCertificateChains: Int?
    /// -20: eMAIDs the vehicle prefers, in order.
    public var prioritizedEMAIDs: [String]
    public var traceID: TraceID

    public init(
        action: Action, schemaVersion: String, exiRequest: [UInt8], maximumContractCertificateChains: Int? = nil,
        prioritizedEMAIDs: [String] = [], traceID: TraceID
    ) {
        self.action = action
        self.schemaVersion = schemaVersion
        self.exiRequest = exiRequest
        self.maximumContractCertificateChains = maximumContractCertificateChains
        self.prioritizedEMAIDs = prioritizedEMAIDs
        self.traceID = traceID
    }
}

/// The backend's answer to ``CertificateExchangeRequest``.
public struct CertificateExchangeResult: Hashable, Sendable {
    /// OCPP 2.0.1 Iso15118EVCertificateStatusEnumType.
    public enum Status: String, Hashable, Sendable, Codable { case accepted = "Accepted", failed = "Failed" }
    public var status: Status
    /// The complete EXI-encoded V2G response message to forward to the vehicle (empty when failed).
    public var exiResponse: [UInt8]
    public var detail: String?

    public init(status: Status, exiResponse: [UInt8], detail: String? = nil) {
        self.status = status
        self.exiResponse = exiResponse
        self.detail = detail
    }
}

/// A request for the OCSP status of one certificate.
public struct CertificateStatusRequest: Hashable, Sendable {
    public var hashData: CertificateHashData
    public var traceID: TraceID

    public init(hashData: CertificateHashData, traceID: TraceID) {
        self.hashData = hashData
        self.traceID = traceID
    }
}

/// The backend's answer to ``CertificateStatusRequest``.
public struct CertificateStatusResult: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable, Codable { case accepted = "Accepted", failed = "Failed" }
    public var status: Status
    /// The DER OCSPResponse (RFC 6960) when accepted.
    public var ocspResponse: [UInt8]

    public init(status: Status, ocspResponse: [UInt8]) {
        self.status = status
        self.ocspResponse = ocspResponse
    }
}

/// Why a session's energy transfer ended (OCPP 2.0.1 ReasonEnumType, the subset an SECC can know).
public enum TransactionStopReason: String, Hashable, Sendable, Codable {
    case evDisconnected = "EVDisconnected", local = "Local", remote = "Remote", deAuthorized = "DeAuthorized"
    case emergencyStop = "EmergencyStop", powerLoss = "PowerLoss", timeout = "Timeout", other = "Other"
    case stoppedByEV = "StoppedByEV"
}

/// The first energy transfer of an authorized session.
public struct TransactionStart: Hashable, Sendable {
    public var evseID: Int
    /// The V2G SessionID (hex), for correlation.
    public var sessionID: String
    public var identification: BackendAuthorizationRequest.Identification
    /// The meter register at start, in Wh.
    public var meterStartWh: Double
    /// Seconds since 1970-01-01 UTC, from the driver's clock.
    public var timestamp: Double
    public var traceID: TraceID

    public init(
        evseID: Int, sessionID: String, identification: BackendAuthorizationRequest.Identification,
        meterStartWh: Double, timestamp: Double, traceID: TraceID
    ) {
        self.evseID = evseID
        self.sessionID = sessionID
        self.identification = identification
        self.meterStartWh = meterStartWh
        self.timestamp = timestamp
        self.traceID = traceID
    }
}

/// A sample during the charge loop.
public struct TransactionUpdate: Hashable, Sendable {
    public var transactionID: String
    public var meterWh: Double
    public var powerW: Double
    /// State of charge in percent, when the vehicle reports it (DC).
    public var stateOfCharge: Int?
    public var timestamp: Double
    public var traceID: TraceID

    public init(
        transactionID: String, meterWh: Double, powerW: Double, stateOfCharge: Int?, timestamp: Double,
        traceID: TraceID
    ) {
        self.transactionID = transactionID
        self.meterWh = meterWh
        self.powerW = powerW
        self.stateOfCharge = stateOfCharge
        self.timestamp = timestamp
        self.traceID = traceID
    }
}

/// The end of a session's transaction.
public struct TransactionEnd: Hashable, Sendable {
    public var transactionID: String
    public var meterStopWh: Double
    public var reason: TransactionStopReason
    public var timestamp: Double
    public var traceID: TraceID

    public init(
        transactionID: String, meterStopWh: Double, reason: TransactionStopReason, timestamp: Double, traceID: TraceID
    ) {
        self.transactionID = transactionID
        self.meterStopWh = meterStopWh
        self.reason = reason
        self.timestamp = timestamp
        self.traceID = traceID
    }
}
