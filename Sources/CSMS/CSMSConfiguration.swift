import OCPPMessages

/// Behaviour of the CSMS functional blocks.
public struct CSMSConfiguration: Sendable {
    /// How BootNotification is answered (OCPP 2.0.1 B01-B03).
    public enum BootPolicy: String, Sendable {
        /// Every station is Accepted.
        case acceptAll
        /// Stations already in the repository are Accepted, others Pending until an operator accepts them.
        case pendingUnknown
        /// Stations not in the repository are Rejected.
        case rejectUnknown
    }

    /// Default ``BootPolicy/acceptAll``.
    public var bootPolicy: BootPolicy = .acceptAll
    /// Heartbeat interval sent in BootNotificationResponse, seconds. Default 300.
    public var heartbeatInterval: Int = 300
    /// Retry interval for Pending/Rejected boots, seconds. Default 60.
    public var bootRetryInterval: Int = 60
    /// Answer Authorize for tokens not in the repository with Accepted (a free-vend site) instead of Unknown.
    /// Default false.
    public var acceptUnknownTokens: Bool = false
    /// Root certificates installed on every 2.0.1 station after an Accepted boot (InstallCertificate), followed by a
    /// GetInstalledCertificateIds (commissioning flow): (InstallCertificateUseEnumType raw value, PEM).
    public var rootCertificatesToInstall: [(type: String, pem: String)] = []
    /// The OCPP certificate ids (SHA-256 issuer hashes and serial) of entries of ``rootCertificatesToInstall``, keyed by
    /// their PEM. When every root has one, commissioning reconciles (M05): the installed ids are read first and only
    /// the missing roots are installed (M01).
    public var rootCertificateIDs: [String: CertificateHashData] = [:]

    public init() {}
}
