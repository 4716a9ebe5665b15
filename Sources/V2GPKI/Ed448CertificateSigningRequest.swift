public import Ed448
public import X509
import SwiftASN1

/// A PKCS#10 request (RFC 2986) for an Ed448 key (RFC 8410): what `openssl req -new -key <ed448 key>` writes.
///
/// swift-certificates' `CertificateSigningRequest` has no Ed448 key type, so this reads the request on swift-asn1.
public struct Ed448CertificateSigningRequest: Sendable, Hashable {
    public let subject: DistinguishedName
    public let publicKey: Ed448.PublicKey
    /// The DER CertificationRequestInfo the signature covers.
    public let infoBytes: [UInt8]
    /// Whether the signature algorithm is id-Ed448 without parameters.
    public let signatureAlgorithmIsEd448: Bool
    public let signature: [UInt8]

    /// Parses a PEM or DER request for an Ed448 key (the signature is not checked here; see ``isSelfSigned``).
    /// - Throws: `.unsupportedAlgorithm` when the request's key is not Ed448; `.malformedEncoding` for anything that
    ///   does not parse as RFC 2986 DER.
    public init(pemOrDER bytes: [UInt8]) throws(V2GPKIError) {
        let der = try CertificateAuthority.csrDER(bytes)
        do {
            let root = try DER.parse(der)
            guard root.encodedBytes.count == der.count else { throw ASN1Error.invalidASN1Object(reason: "trailing bytes") }
            guard case .constructed(let outer) = root.content, root.identifier == .sequence else {
                throw ASN1Error.unexpectedFieldType(root.identifier)
            }
            var o = outer.makeIterator()
            guard let infoNode = o.next(), let algorithmNode = o.next(), let signatureNode = o.next(), o.next() == nil,
                case .constructed(let info) = infoNode.content, infoNode.identifier == .sequence
            else { throw ASN1Error.invalidASN1Object(reason: "CertificationRequest is not SEQUENCE { info, algorithm, signature }") }
            var i = info.makeIterator()
            guard let versionNode = i.next(), let subjectNode = i.next(), let spkiNode = i.next() else {
                throw ASN1Error.invalidASN1Object(reason: "CertificationRequestInfo ends early")
            }
            guard try Int(derEncoded: versionNode) == 0 else { throw ASN1Error.invalidASN1Object(reason: "version is not v1") }
            let subject = try DistinguishedName(derEncoded: subjectNode)
            guard case .constructed(let spki) = spkiNode.content, spkiNode.identifier == .sequence else {
                throw ASN1Error.invalidASN1Object(reason: "subjectPKInfo")
            }
            var s = spki.makeIterator()
            guard let keyAlgorithm = s.next(), let keyNode = s.next(), s.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "subjectPKInfo")
            }
            guard Ed448Certificate.isEd448AlgorithmIdentifier(keyAlgorithm) else {
                throw V2GPKIError.make(.unsupportedAlgorithm, "the requested key is not id-Ed448")
            }
            let keyBits = try ASN1BitString(derEncoded: keyNode)
            guard keyBits.paddingBits == 0 else { throw ASN1Error.invalidASN1Object(reason: "public key BIT STRING padding") }
            let publicKey: Ed448.PublicKey
            do { publicKey = try Ed448.PublicKey(rawRepresentation: keyBits.bytes) } catch {
                throw V2GPKIError.make(.malformedEncoding, "the Ed448 public key is invalid: \(error.detail)", cause: error)
            }
            // attributes [0] IMPLICIT SET OF Attribute: present (possibly empty) in RFC 2986; extension requests in it
            // are ignored, the profile decides the extensions.
            if let attributes = i.next() {
                guard attributes.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) else {
                    throw ASN1Error.unexpectedFieldType(attributes.identifier)
                }
            }
            guard i.next() == nil else { throw ASN1Error.invalidASN1Object(reason: "CertificationRequestInfo has trailing fields") }
            let signatureBits = try ASN1BitString(derEncoded: signatureNode)
            guard signatureBits.paddingBits == 0 else { throw ASN1Error.invalidASN1Object(reason: "signature padding") }
            self.subject = subject
            self.publicKey = publicKey
            self.infoBytes = Array(infoNode.encodedBytes)
            self.signatureAlgorithmIsEd448 = Ed448Certificate.isEd448AlgorithmIdentifier(algorithmNode)
            self.signature = Array(signatureBits.bytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "the CSR does not parse as an Ed448 PKCS#10 request", cause: error)
        }
    }

    /// Whether the request is signed with id-Ed448 by the key it asks a certificate for (proof of possession).
    public var isSelfSigned: Bool {
        signatureAlgorithmIsEd448 && publicKey.isValidSignature(signature, for: infoBytes)
    }
}
