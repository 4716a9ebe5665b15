import EXI

/// The algorithm identifiers ISO 15118 signatures name in SignedInfo (CanonicalizationMethod, SignatureMethod,
/// Transform and DigestMethod `Algorithm` attributes). This is the one table of them: the signing code names its
/// algorithms with these strings, and the generated decoders of those attributes look values up in ``table``, so a
/// decoded SignedInfo that names them allocates no string storage for them. Any other URI decodes to a new string.
public enum KnownAlgorithms {
    /// Canonical EXI, the canonicalization and the only transform of ISO 15118 signatures.
    public static let canonicalEXI = "http://www.w3.org/TR/canonical-exi/"
    /// SHA-256 digests (ISO 15118-2).
    public static let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    /// SHA-512 digests (ISO 15118-20, secp521r1).
    public static let sha512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    /// ECDSA with SHA-256 (ISO 15118-2).
    public static let ecdsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    /// ECDSA with SHA-512 (ISO 15118-20, secp521r1).
    public static let ecdsaSHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
    /// Pure Ed448 (ISO 15118-20), RFC 9231.
    public static let ed448 = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed448"
    /// SHAKE256 digests (ISO 15118-20 with Ed448), RFC 9231.
    public static let shake256 = "http://www.w3.org/2021/04/xmldsig-more#shake256"
    /// An older spelling of the SHAKE256 identifier.
    public static let shake256Legacy = "http://www.w3.org/2007/05/xmldsig-more#shake256"

    /// Every identifier above.
    public static let all: [String] = [
        canonicalEXI, sha256, sha512, ecdsaSHA256, ecdsaSHA512, ed448, shake256, shake256Legacy,
    ]

    /// The decoder's lookup table of ``all``.
    public static let table = EXIKnownStrings(all)
}
