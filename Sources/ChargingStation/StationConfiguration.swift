import ISO15118SECC
import OCPPTransport
import V2GPKI

/// What the station decides while the CSMS is unreachable (OCPP 2.0.1 AuthCtrlr.LocalAuthorizeOffline,
/// LocalAuthListCtrlr.Enabled, AuthCtrlr.OfflineTxForUnknownIdEnabled, ISO15118Ctrlr.ContractValidationOffline).
public struct OfflineAuthorizationPolicy: Sendable, Hashable {
    /// Authorize offline at all; false refuses every request while offline. Default true.
    public var localAuthorizeOffline = true
    /// Decide EIM tokens from ``localAuthList`` while offline. Default true.
    public var localAuthListEnabled = true
    /// idToken → status of the local authorization list.
    public var localAuthList: [String: BackendAuthorizationDecision.Status] = [:]
    /// Accept tokens that are not on the list while offline (free vend). Default false.
    public var offlineTxForUnknownIdEnabled = false
    /// Accept contracts (Plug & Charge) whose chain the SECC validated locally while offline. Default false.
    public var contractValidationOffline = false

    public init() {}

    /// The offline decision for `identification`, with its reason.
    public func decide(_ identification: BackendAuthorizationRequest.Identification) -> BackendAuthorizationDecision {
        guard localAuthorizeOffline else {
            return .init(status: .invalid, detail: "offline: LocalAuthorizeOffline is false")
        }
        switch identification {
        case .contract(let eMAID, _, _):
            if contractValidationOffline {
                return .init(
                    status: .accepted, certificateStatus: .accepted,
                    detail: "offline: contract \(eMAID) accepted by ContractValidationOffline (chain checked locally)")
            }
            if localAuthListEnabled, let status = localAuthList[eMAID] {
                return .init(status: status, detail: "offline: eMAID \(eMAID) is \(status.rawValue) in the local list")
            }
            return .init(
                status: .unknown, certificateStatus: .noCertificateAvailable,
                detail: "offline: no OCSP check possible and ContractValidationOffline is false")
        case .external(let idToken, _):
            if localAuthListEnabled, let status = localAuthList[idToken] {
                return .init(status: status, detail: "offline: token is \(status.rawValue) in the local list")
            }
            if offlineTxForUnknownIdEnabled {
                return .init(status: .accepted, detail: "offline: unknown token accepted (OfflineTxForUnknownIdEnabled)")
            }
            return .init(
                status: .unknown,
                detail: localAuthListEnabled
                    ? "offline: token not in the local list" : "offline: LocalAuthListEnabled is false")
        }
    }
}

/// Settings of a charging station.
public struct StationConfiguration: Sendable {
    public var ocpp: OCPPClientConfiguration
    /// Where the offline journal and the certificate store live.
    public var dataDirectory: String
    public var vendorName = "OpenPnC"
    public var model = "OpenPnC-SECC"
    public var serialNumber: String?
    public var firmwareVersion: String?
    /// Number of EVSEs (one connector each); StatusNotification is sent for each after boot.
    public var evseCount = 1
    /// Heartbeat interval until the CSMS sets one, seconds. Default 300.
    public var heartbeatInterval = 300
    /// Meter values period for TransactionEvent Updated, seconds (SampledDataCtrlr.TxUpdatedInterval). Default 60.
    public var txUpdatedInterval = 60
    public var offlinePolicy = OfflineAuthorizationPolicy()
    /// The SECC certificate profiles the station serves TLS with, one V2GCertificate each (A02/A03): ISO 15118-2
    /// (secp256r1) and/or ISO 15118-20 (secp521r1). TriggerMessage(SignV2GCertificate) renews all of them. Default
    /// ISO 15118-2 only.
    public var seccProfiles: [PKIProfile] = [.iso15118_2]
    /// Reconnect back-off (OCPP 2.0.1 B10). Default 1 s.
    public var minimumBackOff: Duration = .seconds(1)

    public init(ocpp: OCPPClientConfiguration, dataDirectory: String) {
        self.ocpp = ocpp
        self.dataDirectory = dataDirectory
    }
}
