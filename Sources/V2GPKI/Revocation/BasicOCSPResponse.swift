import Foundation
import SwiftASN1
import X509

/// `BasicOCSPResponse` (RFC 6960 §4.2.1): signed response data and the certificates that help verify it.
public struct BasicOCSPResponse: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public let responseData: OCSPResponseData
    /// The DER of `tbsResponseData` exactly as signed.
    public let tbsResponseDataBytes: [UInt8]
    let signatureAlgorithm: RevocationDER.AlgorithmIdentifier
    public let signature: ASN1BitString
    /// `certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL` (empty when absent), ECDSA or Ed448.
    public let embeddedCertificates: [RevocationCertificate]

    /// The embedded certificates swift-certificates reads (all but Ed448 ones).
    public var certificates: [Certificate] {
        embeddedCertificates.compactMap { if case .certificate(let c) = $0 { c } else { nil } }
    }

    /// Signs `responseData` with `key` (ecdsa-with-SHA256 for P-256, ecdsa-with-SHA512 for P-521).
    public init(signing responseData: OCSPResponseData, with key: Certificate.PrivateKey, certificates: [Certificate])
        throws
    {
        try self.init(signing: responseData, with: .certificate(key), certificates: certificates.map { .certificate($0) })
    }

    /// Signs `responseData` with an ECDSA key or an Ed448 key (id-Ed448, RFC 8410 §6).
    public init(
        signing responseData: OCSPResponseData, with key: RevocationSigningKey, certificates: [RevocationCertificate]
    ) throws {
        let tbs = try RevocationDER.derBytes(responseData)
        let (algorithm, signature) = try RevocationDER.sign(tbs, with: key)
        self.responseData = responseData
        self.tbsResponseDataBytes = tbs
        self.signatureAlgorithm = algorithm
        self.signature = ASN1BitString(bytes: signature[...])
        self.embeddedCertificates = certificates
    }

    /// Whether the signature over `tbsResponseData` verifies under `key`.
    public func isSignature(validFor key: Certificate.PublicKey) -> Bool {
        isSignature(validFor: .certificate(key))
    }

    /// Whether the signature over `tbsResponseData` verifies under an ECDSA or Ed448 key.
    public func isSignature(validFor key: RevocationPublicKey) -> Bool {
        RevocationDER.verify(signature, over: tbsResponseDataBytes[...], algorithm: signatureAlgorithm, key: key)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        (responseData, tbsResponseDataBytes, signatureAlgorithm, signature, embeddedCertificates) = try DER.sequence(
            node, identifier: identifier
        ) { nodes in
            guard let tbsNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "BasicOCSPResponse without tbsResponseData")
            }
            let data = try OCSPResponseData(derEncoded: tbsNode)
            let algorithm = try RevocationDER.AlgorithmIdentifier(derEncoded: &nodes)
            let signature = try ASN1BitString(derEncoded: &nodes)
            let certificates =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try Self.parseCertificates($0)
                } ?? []
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "BasicOCSPResponse has trailing fields")
            }
            return (data, Array(tbsNode.encodedBytes), algorithm, signature, certificates)
        }
    }

    /// `SEQUENCE OF Certificate`, each ECDSA or Ed448.
    private static func parseCertificates(_ node: ASN1Node) throws -> [RevocationCertificate] {
        guard case .constructed(let items) = node.content, node.identifier == .sequence else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        var certificates: [RevocationCertificate] = []
        for item in items {
            certificates.append(try RevocationCertificate(derEncoded: Array(item.encodedBytes)))
        }
        return certificates
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            coder.serializeRawBytes(self.tbsResponseDataBytes)
            try coder.serialize(self.signatureAlgorithm)
            try coder.serialize(self.signature)
            if !self.embeddedCertificates.isEmpty {
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                    coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        for certificate in self.embeddedCertificates { coder.serializeRawBytes(try certificate.derBytes()) }
                    }
                }
            }
        }
    }
}
