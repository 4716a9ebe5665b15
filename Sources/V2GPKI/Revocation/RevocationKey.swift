public import Ed448
public import X509

/// A key that signs CRLs and OCSP responses: any key swift-certificates holds (ECDSA P-256/P-384/P-521, Ed25519,
/// RSA), or an Ed448 key (ISO 15118-20, RFC 8410), which swift-certificates does not know.
public enum RevocationSigningKey: Sendable, Hashable {
    case certificate(Certificate.PrivateKey)
    case ed448(Ed448.PrivateKey)

    public var publicKey: RevocationPublicKey {
        switch self {
        case .certificate(let key): .certificate(key.publicKey)
        case .ed448(let key): .ed448(key.publicKey)
        }
    }
}

/// The public half of a ``RevocationSigningKey``: what checks a CRL or OCSP response signature.
public enum RevocationPublicKey: Sendable, Hashable {
    case certificate(Certificate.PublicKey)
    case ed448(Ed448.PublicKey)
}
