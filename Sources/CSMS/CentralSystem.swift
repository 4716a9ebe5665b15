import OCPPMessages

/// The per-connection state the CSMS keeps for a station.
public struct StationSession: Sendable {
    public let stationID: String
    public let version: OCPPVersion
    /// Whether the station's registration is Accepted (nil: not looked up yet).
    public var accepted: Bool?

    public init(stationID: String, version: OCPPVersion) {
        self.stationID = stationID
        self.version = version
    }
}

/// A CALL the CSMS sends to a station (remote control, certificate management).
public struct CSMSCall: Sendable, Hashable {
    public let action: String
    public let payload: JSONValue

    public init<Request: OCPPRequestPayload>(_ request: Request) {
        self.action = Request.action
        self.payload = request.json
    }

    /// A call whose payload is not validated (internal use: matching answers to calls).
    init(action: String, unchecked payload: JSONValue) {
        self.action = action
        self.payload = payload
    }

    /// A call from an action name and a payload, validated against the version's request schema.
    public init(action: String, payload: JSONValue, version: OCPPVersion) throws(OCPPMessagesError) {
        switch version {
        case .v201: _ = try V201.Request(action: action, payload: payload)
        case .v16: _ = try V16.Request(action: action, payload: payload)
        }
        self.action = action
        self.payload = payload
    }
}

/// The CSMS's answer to one CALL.
public struct CSMSReply: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case result(JSONValue)
        case error(RPCErrorCode, String)
    }

    public var outcome: Outcome
    /// CALLs to send to the station after the reply (e.g. CertificateSigned after SignCertificate).
    public var followUps: [CSMSCall]
    /// Decisions to log with their trace id (Plug & Charge refusals and acceptances).
    public var decisions: [CSMSDecision] = []

    public init(_ outcome: Outcome, followUps: [CSMSCall] = [], decisions: [CSMSDecision] = []) {
        self.outcome = outcome
        self.followUps = followUps
        self.decisions = decisions
    }

    public static func result(_ payload: some OCPPJSONCodable, followUps: [CSMSCall] = []) -> Self {
        Self(.result(payload.json), followUps: followUps)
    }

    public static func error(_ code: RPCErrorCode, _ text: String) -> Self { Self(.error(code, text)) }
}

/// The CSMS functional blocks of OCPP 2.0.1 and 1.6J over repository ports: provisioning, authorization,
/// transactions, meter values, security (certificate signing), data transfer.
///
/// Pure domain logic: time comes from `now`, storage from the repositories, signing from the certificate
/// authority; no I/O of its own.
public struct CentralSystem: Sendable {
    public let configuration: CSMSConfiguration
    public let stations: any StationRepository
    public let transactions: any TransactionRepository
    public let tokens: any TokenRepository
    public let certificateAuthority: (any CertificateAuthority)?
    public let now: @Sendable () -> OCPPDateTime
    /// Revocation, chain and contract checks of Plug & Charge (C07, M06).
    public let plugAndCharge: PlugAndChargeServices
    /// A fresh trace id for a decision when the station sent none (randomness is injected).
    public let makeTraceID: @Sendable () -> String

    public init(
        configuration: CSMSConfiguration, stations: any StationRepository, transactions: any TransactionRepository,
        tokens: any TokenRepository, certificateAuthority: (any CertificateAuthority)?,
        plugAndCharge: PlugAndChargeServices = PlugAndChargeServices(),
        makeTraceID: @escaping @Sendable () -> String = { "" },
        now: @escaping @Sendable () -> OCPPDateTime
    ) {
        self.plugAndCharge = plugAndCharge
        self.makeTraceID = makeTraceID
        self.configuration = configuration
        self.stations = stations
        self.transactions = transactions
        self.tokens = tokens
        self.certificateAuthority = certificateAuthority
        self.now = now
    }

    /// Handles one CALL from a station: decodes it strictly, applies the BootNotification gate, runs the functional
    /// block. Storage failures become CALLERROR InternalError (and nothing is acknowledged).
    public func handle(action: String, payload: JSONValue, session: inout StationSession) async -> CSMSReply {
        do {
            switch session.version {
            case .v201:
                let request: V201.Request
                do throws(OCPPMessagesError) {
                    request = try V201.Request(action: action, payload: payload)
                } catch {
                    return .error(error.rpcErrorCode, error.message)
                }
                return try await handle201(request, payload: payload, session: &session)
            case .v16:
                let request: V16.Request
                do throws(OCPPMessagesError) {
                    request = try V16.Request(action: action, payload: payload)
                } catch {
                    return .error(error.rpcErrorCode, error.message)
                }
                return try await handle16(request, session: &session)
            }
        } catch {
            return .error(.internalError, "the CSMS could not process \(action)")
        }
    }

    /// OCPP 2.0.1 B02.FR / B03.FR: until the station's BootNotification was Accepted, the CSMS answers other
    /// messages with CALLERROR SecurityError. A station accepted earlier may reconnect without booting again.
    func bootGate(_ session: inout StationSession) async throws -> Bool {
        if let accepted = session.accepted { return accepted }
        let record = try await stations.station(id: session.stationID)
        let accepted = record?.registration == .accepted
        session.accepted = accepted
        return accepted
    }

    static let notAccepted = CSMSReply.error(.securityError, "BootNotification not Accepted")

    /// The IdTokenInfo status of a token (C01, C05): the stored status, Expired after its expiry, or Unknown.
    func authorizationStatus(_ idToken: String) async throws -> String {
        guard let record = try await tokens.token(idToken) else {
            return configuration.acceptUnknownTokens ? "Accepted" : "Unknown"
        }
        if let expiry = record.expiresAt, expiry < now() { return "Expired" }
        return record.status
    }

    /// Whether `{}` is a valid response to the request type (its response has no required property).
    static func acceptsEmptyResponse(_ type: any OCPPRequestPayload.Type) -> Bool {
        func check<Request: OCPPRequestPayload>(_: Request.Type) -> Bool {
            (try? Request.Response(json: JSONValue.object([]))) != nil
        }
        return check(type)
    }
}
