public import X509

/// The certificate profile family: which curve, signature algorithm and size limits a PKI follows.
public enum PKIProfile: String, Sendable, Hashable, CaseIterable, Codable {
    /// ISO 15118-2:2014 (and DIN SPEC 70121): secp256r1, ecdsa-with-SHA256, certificates of at most 800 bytes.
    case iso15118_2 = "iso15118-2"
    /// ISO 15118-20:2022: secp521r1 with ecdsa-with-SHA512, or Ed448 (RFC 8032/8410, issued with the package's own
    /// Ed448 implementation: `PKIDirectory.Configuration.keyAlgorithm = .ed448`).
    case iso15118_20 = "iso15118-20"

    /// The key algorithm new keys get by default.
    public var keyAlgorithm: KeyAlgorithm {
        switch self {
        case .iso15118_2: .p256
        case .iso15118_20: .p521
        }
    }

    /// The signature algorithm certificates and CRLs are signed with.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self {
        case .iso15118_2: .ecdsaWithSHA256
        case .iso15118_20: .ecdsaWithSHA512
        }
    }

    /// Largest DER certificate the message schemas carry (ISO 15118-2 `certificateType` maxLength 800; -20 1600).
    public var maxCertificateBytes: Int {
        switch self {
        case .iso15118_2: 800
        case .iso15118_20: 1600
        }
    }
}

/// Key algorithms of the V2G PKI.
public enum KeyAlgorithm: String, Sendable, Hashable, Codable {
    case p256 = "secp256r1"
    case p521 = "secp521r1"
    /// Ed448 (RFC 8032), ISO 15118-20 only.
    case ed448 = "ed448"

    /// Whether `profile` allows keys of this algorithm (-2: secp256r1; -20: secp521r1 or Ed448).
    public func isAllowed(in profile: PKIProfile) -> Bool {
        switch (self, profile) {
        case (.p256, .iso15118_2), (.p521, .iso15118_20), (.ed448, .iso15118_20): true
        default: false
        }
    }
}
