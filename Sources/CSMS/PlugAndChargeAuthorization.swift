import OCPPMessages

/// A Plug & Charge authorization request in version-neutral form (OCPP 2.0.1 Authorize, 1.6 DataTransfer
/// `org.openchargealliance.iso15118pnc` Authorize).
public struct PnCAuthorizationRequest: Sendable, Hashable {
    public var stationID: String
    public var eMAID: String
    /// The contract chain (PEM, leaf first) when the station sends it.
    public var certificatePEM: String?
    /// The OCSP identities of the contract chain's certificates (leaf first).
    public var hashData: [CertificateHashData]
    public var traceID: String

    public init(stationID: String, eMAID: String, certificatePEM: String?, hashData: [CertificateHashData], traceID: String) {
        self.stationID = stationID
        self.eMAID = eMAID
        self.certificatePEM = certificatePEM
        self.hashData = hashData
        self.traceID = traceID
    }
}

/// The answer: `idTokenInfo.status` and `certificateStatus` (raw OCPP 2.0.1 values, the same in the 1.6 extension).
public struct PnCAuthorizationResult: Sendable, Hashable {
    /// AuthorizationStatusEnumType: Accepted, Blocked, Expired, Invalid, Unknown...
    public var status: String
    /// AuthorizeCertificateStatusEnumType, nil when no certificate was checked.
    public var certificateStatus: String?
    /// Why, precisely (logged with the trace id).
    public var reason: String

    public init(status: String, certificateStatus: String?, reason: String) {
        self.status = status
        self.certificateStatus = certificateStatus
        self.reason = reason
    }
}

extension CentralSystem {
    /// The vendor id of OpenPnC's customData (carries `traceId`).
    public static let customDataVendor = "org.openpnc"

    /// The trace id the station sent in customData {vendorId "org.openpnc", traceId}, or a fresh one.
    func traceID(from customData: V201.CustomData?) -> String {
        if let customData, customData.vendorId == Self.customDataVendor,
            let member = customData.additionalProperties.first(where: { $0.key == "traceId" }),
            case .string(let value) = member.value, !value.isEmpty, value.count <= 64
        {
            return value
        }
        return makeTraceID()
    }

    static func traceCustomData(_ traceID: String) -> V201.CustomData {
        V201.CustomData(vendorId: customDataVendor, additionalProperties: [JSONMember("traceId", .string(traceID))])
    }

    /// C07: Plug & Charge authorization. In order: the chain, when sent, is validated (expired → CertificateExpired,
    /// bad signature → SignatureError, no trusted root → CertChainError) and its leaf must carry the eMAID; every
    /// certificate named by the hash data (or by the chain) is checked for revocation (revoked → CertificateRevoked,
    /// unknown issuer → NoCertificateAvailable); then the eMAID must be an active contract (cancelled →
    /// ContractCancelled; blocked, expired and unknown contracts give Blocked, Expired and Unknown); finally the presented
    /// certificate must be the one the eMSP holds for the eMAID (``certificateMismatch(_:_:eMAID:)``).
    public func authorizePlugAndCharge(_ request: PnCAuthorizationRequest) async throws -> PnCAuthorizationResult {
        func refuse(_ status: String, _ certificateStatus: String?, _ reason: String) -> PnCAuthorizationResult {
            PnCAuthorizationResult(status: status, certificateStatus: certificateStatus, reason: reason)
        }
        if let switches = plugAndCharge.switches, try await !switches.plugAndChargeEnabled(stationID: request.stationID) {
            return refuse("Invalid", nil, "PnCDisabled: Plug & Charge is switched off for station \(request.stationID)")
        }
        var hashData = request.hashData
        var certificateChecked = false
        if let pem = request.certificatePEM {
            guard let validator = plugAndCharge.contractChains else {
                return refuse("Invalid", "NoCertificateAvailable", "no contract root is configured to validate the chain")
            }
            switch await validator.validate(pemChain: pem, traceID: request.traceID) {
            case .expired(let detail): return refuse("Invalid", "CertificateExpired", detail)
            case .signatureError(let detail): return refuse("Invalid", "SignatureError", detail)
            case .chainError(let detail): return refuse("Invalid", "CertChainError", detail)
            case .valid(let leafEMAID, let chainHashData):
                if let leafEMAID, Self.normalizedEMAID(leafEMAID) != Self.normalizedEMAID(request.eMAID) {
                    return refuse(
                        "Invalid", "CertChainError", "the contract certificate is for \(leafEMAID), not \(request.eMAID)")
                }
                if hashData.isEmpty { hashData = chainHashData }
                certificateChecked = true
            }
        }
        if !hashData.isEmpty {
            guard let checker = plugAndCharge.certificateStatus else {
                return refuse("Invalid", nil, "no OCSP revocation check is configured")
            }
            for data in hashData {
                do {
                    switch try await checker.status(of: data, traceID: request.traceID) {
                    case .good: continue
                    case .revoked(let reason):
                        return refuse("Invalid", "CertificateRevoked", "revoked: \(data)\(reason.map { " (\($0))" } ?? "")")
                    case .unknown:
                        return refuse("Invalid", "CertChainError", "the OCSP responder does not know \(data)")
                    }
                } catch let error as CSMSError where error.code == .unknownIssuer {
                    return refuse("Invalid", "NoCertificateAvailable", error.detail)
                } catch {
                    return refuse("Invalid", nil, "revocation status unavailable for \(data): \(error)")
                }
            }
            certificateChecked = true
        }
        let directory = plugAndCharge.contracts ?? TokenContractDirectory(tokens: tokens, now: now)
        let certificateStatus = certificateChecked ? "Accepted" : nil
        switch try await directory.contractStatus(eMAID: request.eMAID, traceID: request.traceID) {
        case .active:
            if let presented = hashData.first,
                let mismatch = Self.certificateMismatch(
                    presented, try await directory.contractCertificate(
                        eMAID: request.eMAID, hashAlgorithm: presented.hashAlgorithm, traceID: request.traceID),
                    eMAID: request.eMAID)
            {
                return refuse("Invalid", mismatch.certificateStatus, mismatch.reason)
            }
            return PnCAuthorizationResult(status: "Accepted", certificateStatus: certificateStatus, reason: "active contract")
        case .cancelled: return refuse("Invalid", "ContractCancelled", "contract \(request.eMAID) is cancelled")
        case .blocked: return refuse("Blocked", certificateStatus, "contract \(request.eMAID) is blocked")
        case .expired: return refuse("Expired", certificateStatus, "contract \(request.eMAID) is expired")
        case .unknown:
            if configuration.acceptUnknownTokens {
                return PnCAuthorizationResult(status: "Accepted", certificateStatus: certificateStatus, reason: "free vend")
            }
            // The eMSP holds no certificate for an eMAID it does not know: nothing the presented one could match.
            var unknownCertificateStatus = certificateStatus
            if let presented = hashData.first,
                try await directory.contractCertificate(
                    eMAID: request.eMAID, hashAlgorithm: presented.hashAlgorithm, traceID: request.traceID) == .unknownContract
            {
                unknownCertificateStatus = "NoCertificateAvailable"
            }
            return refuse("Unknown", unknownCertificateStatus, "\(request.eMAID) is not a known contract")
        }
    }

    /// C07: the presented contract certificate (the leaf's hash data) must be the one the eMSP holds for the eMAID.
    /// A certificate that validates to a trusted root but is not the contract's (another serial, another issuer) is
    /// refused as CertChainError: the chain does not lead to this contract, the same answer as a leaf whose CN is not
    /// the eMAID (AuthorizeCertificateStatusEnumType has no value of its own for it). A contract without any
    /// certificate on record answers NoCertificateAvailable. nil: they agree, or the directory keeps no certificates.
    static func certificateMismatch(
        _ presented: CertificateHashData, _ onRecord: ContractCertificateOnRecord, eMAID: String
    ) -> (certificateStatus: String, reason: String)? {
        switch onRecord {
        case .notKept: return nil
        case .unknownContract:
            return ("NoCertificateAvailable", "the eMSP holds no contract certificate for \(eMAID)")
        case .noCertificate:
            return ("NoCertificateAvailable", "no certificate was issued for contract \(eMAID)")
        case .certificate(let expected):
            if presented.hashAlgorithm.uppercased() != expected.hashAlgorithm.uppercased() {
                return ("CertChainError", "the eMSP names the certificate of \(eMAID) in \(expected.hashAlgorithm), not \(presented.hashAlgorithm)")
            }
            if normalizedSerial(presented.serialNumber) != normalizedSerial(expected.serialNumber) {
                return ("CertChainError", "the presented certificate (serial \(presented.serialNumber)) is not the contract certificate of \(eMAID) (serial \(expected.serialNumber))")
            }
            if presented.issuerNameHash.lowercased() != expected.issuerNameHash.lowercased()
                || presented.issuerKeyHash.lowercased() != expected.issuerKeyHash.lowercased()
            {
                return ("CertChainError", "the presented certificate of \(eMAID) has another issuer than the contract certificate the eMSP issued (issuer name/key hash differ)")
            }
            return nil
        }
    }

    /// A hex serial number without leading zeros, lowercase.
    static func normalizedSerial(_ value: String) -> String {
        let trimmed = value.lowercased().drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    static func normalizedEMAID(_ value: String) -> String {
        String(value.uppercased().filter { $0 != "-" })
    }

    static func decision(_ result: PnCAuthorizationResult, _ request: PnCAuthorizationRequest) -> CSMSDecision {
        CSMSDecision(
            result.status == "Accepted" ? .info : .notice,
            result.status == "Accepted" ? "plug and charge authorization accepted" : "plug and charge authorization refused",
            traceID: request.traceID,
            metadata: [
                "ocpp.station_id": request.stationID, "pnc.emaid": request.eMAID, "pnc.status": result.status,
                "pnc.certificate_status": result.certificateStatus ?? "-", "pnc.reason": result.reason,
            ])
    }

    /// C07 over OCPP 2.0.1.
    func authorizePlugAndCharge201(_ authorize: V201.AuthorizeRequest, session: StationSession) async throws -> CSMSReply {
        let request = PnCAuthorizationRequest(
            stationID: session.stationID, eMAID: authorize.idToken.idToken, certificatePEM: authorize.certificate,
            hashData: (authorize.iso15118CertificateHashData ?? []).map(CertificateHashData.init),
            traceID: traceID(from: authorize.customData))
        let result = try await authorizePlugAndCharge(request)
        let response = V201.AuthorizeResponse(
            customData: Self.traceCustomData(request.traceID),
            idTokenInfo: V201.IdTokenInfo(status: V201.AuthorizationStatusEnum(rawValue: result.status) ?? .invalid),
            certificateStatus: result.certificateStatus.flatMap(V201.AuthorizeCertificateStatusEnum.init(rawValue:)))
        return CSMSReply(.result(response.json), decisions: [Self.decision(result, request)])
    }
}
