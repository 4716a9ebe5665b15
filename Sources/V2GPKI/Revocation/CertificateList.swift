public import Ed448
import Foundation
import SwiftASN1
import X509

/// An X.509 v2 CRL, `CertificateList` (RFC 5280 §5.1).
public struct CertificateList: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let tbsCertList: TBSCertList
    /// The DER of `tbsCertList` exactly as signed.
    public let tbsCertListBytes: [UInt8]
    let signatureAlgorithm: RevocationDER.AlgorithmIdentifier
    public let signature: ASN1BitString

    /// Signs `tbsCertList` with `key`; the algorithm inside `tbsCertList` is set to match the key (RFC 5280 §5.1.1.2).
    public init(signing tbsCertList: TBSCertList, with key: Certificate.PrivateKey) throws {
        try self.init(signing: tbsCertList, with: .certificate(key))
    }

    /// Signs `tbsCertList` with an ECDSA or Ed448 key (RFC 8410 §6 for id-Ed448).
    public init(signing tbsCertList: TBSCertList, with key: RevocationSigningKey) throws {
        var tbs = tbsCertList
        let algorithm = try RevocationDER.signatureAlgorithm(for: key.publicKey)
        tbs.signatureAlgorithm = algorithm
        let bytes = try RevocationDER.derBytes(tbs)
        let (signatureAlgorithm, signature) = try RevocationDER.sign(bytes, with: key)
        self.tbsCertList = tbs
        self.tbsCertListBytes = bytes
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = ASN1BitString(bytes: signature[...])
    }

    /// Parses DER; every failure is a ``V2GPKIError/Code-swift.struct/malformedEncoding``.
    public init(derBytes: [UInt8]) throws {
        do {
            self = try CertificateList(derEncoded: derBytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw V2GPKIError.make(.malformedEncoding, "CertificateList: \(error)", cause: error)
        }
    }

    /// Whether the CRL's signature verifies under `key` and names the same algorithm inside and outside the signed part
    /// (RFC 5280 §5.1.1.2).
    public func isSignature(validFor key: Certificate.PublicKey) -> Bool {
        isSignature(validFor: .certificate(key))
    }

    /// Whether an Ed448 CA key signed this CRL (id-Ed448 inside and outside the signed part).
    public func isSignature(validFor key: Ed448.PublicKey) -> Bool { isSignature(validFor: .ed448(key)) }

    /// Whether the CRL's signature verifies under `key`, ECDSA or Ed448.
    public func isSignature(validFor key: RevocationPublicKey) -> Bool {
        signatureAlgorithm == tbsCertList.signatureAlgorithm
            && RevocationDER.verify(signature, over: tbsCertListBytes[...], algorithm: signatureAlgorithm, key: key)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        (tbsCertList, tbsCertListBytes, signatureAlgorithm, signature) = try DER.sequence(node, identifier: identifier) {
            nodes in
            guard let tbsNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "CertificateList without tbsCertList")
            }
            let tbs = try TBSCertList(derEncoded: tbsNode)
            let algorithm = try RevocationDER.AlgorithmIdentifier(derEncoded: &nodes)
            let signature = try ASN1BitString(derEncoded: &nodes)
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "CertificateList has trailing fields")
            }
            return (tbs, Array(tbsNode.encodedBytes), algorithm, signature)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            coder.serializeRawBytes(self.tbsCertListBytes)
            try coder.serialize(self.signatureAlgorithm)
            try coder.serialize(self.signature)
        }
    }

    /// The DER encoding.
    public func derBytes() throws -> [UInt8] { try RevocationDER.derBytes(self) }

    /// The PEM encoding (`-----BEGIN X509 CRL-----`).
    public func pemString() throws -> String {
        PEMDocument(type: "X509 CRL", derBytes: try derBytes()).pemString
    }
}
