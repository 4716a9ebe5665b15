import EXI
public import ISO2Messages
public import XMLDSig

extension ISO2Fragment {
    /// The `Id` a Reference names (`URI="#Id"`), or `nil` when the element carries none.
    public var signatureID: String? {
        switch self {
        case .authorizationReq(let v): v.id
        case .certificateInstallationReq(let v): v.id
        case .certificateUpdateReq(let v): v.id
        case .contractSignatureCertChain(let v): v.id
        case .contractSignatureEncryptedPrivateKey(let v): v.id
        case .dHpublickey(let v): v.id
        case .eMAID(let v): v.id
        case .meteringReceiptReq(let v): v.id
        case .salesTariff(let v): v.id
        case .signedInfo(let v): v.id
        }
    }

    /// The element as input of a Reference: its Id and its EXI fragment.
    public func signedElement() throws(V2GSecurityError) -> SignedElement {
        guard let id = signatureID, !id.isEmpty else { throw .make(.missingID, "signed element has no Id") }
        do { return SignedElement(id: id, exi: try exiEncoded()) } catch {
            throw .make(.encoding, "fragment #\(id) does not encode", cause: error)
        }
    }
}

/// ISO 15118-2 signatures ([V2G2-771] .. [V2G2-776], §7.9.2.4): ECDSA P-256 with SHA-256 over EXI fragments.
public enum ISO2Signature {
    /// Signs the fragments with a P-256 key (or a key store handle).
    public static func sign(_ fragments: [ISO2Fragment], with key: V2GSigningKey) throws(V2GSecurityError) -> Signature {
        switch key {
        case .p521, .ed448: throw .make(.unsupportedAlgorithm, "ISO 15118-2 signs with P-256 only")
        default: break
        }
        var elements: [SignedElement] = []
        for f in fragments { elements.append(try f.signedElement()) }
        return try XMLSignature.sign(elements, with: key)
    }

    /// Verifies a signature over exactly these fragments with a P-256 key.
    public static func verify(
        _ signature: Signature, fragments: [ISO2Fragment], key: V2GVerifyingKey
    ) throws(V2GSecurityError) {
        guard case .p256 = key else { throw .make(.unsupportedAlgorithm, "ISO 15118-2 verifies with P-256 only") }
        var elements: [SignedElement] = []
        for f in fragments { elements.append(try f.signedElement()) }
        try XMLSignature.verify(signature, elements: elements, key: key)
    }

    /// The four signed elements of a CertificateInstallationRes ([V2G2-905]).
    public static func fragments(of res: CertificateInstallationRes) -> [ISO2Fragment] {
        [
            .contractSignatureCertChain(res.contractSignatureCertChain),
            .contractSignatureEncryptedPrivateKey(res.contractSignatureEncryptedPrivateKey),
            .dHpublickey(res.dHpublickey),
            .eMAID(ISO2Fragment.ElementFragment(id: res.eMAID.id, value: res.eMAID.value)),
        ]
    }

    /// The four signed elements of a CertificateUpdateRes ([V2G2-919]).
    public static func fragments(of res: CertificateUpdateRes) -> [ISO2Fragment] {
        [
            .contractSignatureCertChain(res.contractSignatureCertChain),
            .contractSignatureEncryptedPrivateKey(res.contractSignatureEncryptedPrivateKey),
            .dHpublickey(res.dHpublickey),
            .eMAID(ISO2Fragment.ElementFragment(id: res.eMAID.id, value: res.eMAID.value)),
        ]
    }
}
