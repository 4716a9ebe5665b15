import SwiftASN1
import X509

/// The OCSP nonce extension (RFC 6960 §4.4.1; RFC 8954: 1 to 32 octets, the value an OCTET STRING).
public enum OCSPNonce {
    /// A non-critical nonce extension whose extnValue is the DER OCTET STRING of `nonce` (as openssl sends it).
    public static func makeExtension(_ nonce: [UInt8]) -> Certificate.Extension {
        var serializer = DER.Serializer()
        // Serializing an OCTET STRING cannot fail.
        try? serializer.serialize(ASN1OctetString(contentBytes: nonce[...]))
        return Certificate.Extension(oid: RevocationDER.OID.ocspNonce, critical: false, value: serializer.serializedBytes[...])
    }
}
