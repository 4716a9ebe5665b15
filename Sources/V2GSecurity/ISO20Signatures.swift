import EXI
public import ISO20Messages
public import XMLDSig

extension ISO20Fragment {
    /// The element as input of a Reference: its Id and its EXI fragment (-20 CommonMessages fragment grammar).
    public func signedElement(id: String) throws(V2GSecurityError) -> SignedElement {
        guard !id.isEmpty else { throw .make(.missingID, "signed element has no Id") }
        do { return SignedElement(id: id, exi: try exiEncoded()) } catch {
            throw .make(.encoding, "fragment #\(id) does not encode", cause: error)
        }
    }
}

/// ISO 15118-20 signatures: ecdsa-sha512 on secp521r1 with SHA-512 digests, or Ed448
/// (`http://www.w3.org/2021/04/xmldsig-more#eddsa-ed448`, pure Ed448 with an empty context, 114-byte SignatureValue)
/// with 64-byte SHAKE256 digests.
///
/// The elements' Ids are passed with the fragments since the -20 types name them differently. As for -2, the
/// SignatureValue signs SignedInfo encoded with the standalone xmldsig fragment grammar; the -20 text on this point
/// was not at hand, so this follows the -2 rule (EXI-FACTS) and is to be confirmed with a -20 peer.
public enum ISO20Signature {
    /// The EXI fragment a Reference digests for `fragment` under `id`.
    public static func signedElementEXI(_ fragment: ISO20Fragment, id: String) throws(V2GSecurityError) -> [UInt8] {
        try fragment.signedElement(id: id).exi
    }

    public static func sign(
        _ fragments: [(id: String, fragment: ISO20Fragment)], with key: V2GSigningKey
    ) throws(V2GSecurityError) -> Signature {
        if case .p256 = key { throw .make(.unsupportedAlgorithm, "ISO 15118-20 signs with P-521 (or Ed448)") }
        var elements: [SignedElement] = []
        for f in fragments { elements.append(try f.fragment.signedElement(id: f.id)) }
        return try XMLSignature.sign(elements, with: key)
    }

    public static func verify(
        _ signature: Signature, fragments: [(id: String, fragment: ISO20Fragment)], key: V2GVerifyingKey
    ) throws(V2GSecurityError) {
        switch key {
        case .p521, .ed448: break
        case .p256: throw .make(.unsupportedAlgorithm, "ISO 15118-20 verifies with P-521 or Ed448")
        }
        var elements: [SignedElement] = []
        for f in fragments { elements.append(try f.fragment.signedElement(id: f.id)) }
        try XMLSignature.verify(signature, elements: elements, key: key)
    }
}
