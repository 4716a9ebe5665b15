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
    /// `certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL` (empty when absent).
    public let certificates: [Certificate]

    /// Signs `responseData` with `key` (ecdsa-with-SHA256 for P-256, ecdsa-with-SHA512 for P-521).
    public init(signing responseData: OCSPResponseData, with key: Certificate.PrivateKey, certificates: [Certificate])
        throws
    {
        let tbs = try RevocationDER.derBytes(responseData)
        let (algorithm, signature) = try RevocationDER.sign(tbs, with: key)
        self.responseData = responseData
        self.tbsResponseDataBytes = tbs
        self.signatureAlgorithm = algorithm
        self.signature = ASN1BitString(bytes: signature[...])
        self.certificates = certificates
    }

    /// Whether the signature over `tbsResponseData` verifies under `key`.
    public func isSignature(validFor key: Certificate.PublicKey) -> Bool {
        RevocationDER.verify(signature, over: tbsResponseDataBytes[...], algorithm: signatureAlgorithm, key: key)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        (responseData, tbsResponseDataBytes, signatureAlgorithm, signature, certificates) = try DER.sequence(
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
                    try DER.sequence(of: Certificate.self, identifier: .sequence, rootNode: $0)
                } ?? []
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "BasicOCSPResponse has trailing fields")
            }
            return (data, Array(tbsNode.encodedBytes), algorithm, signature, certificates)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            coder.serializeRawBytes(self.tbsResponseDataBytes)
            try coder.serialize(self.signatureAlgorithm)
            try coder.serialize(self.signature)
            if !self.certificates.isEmpty {
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                    coder in try coder.serializeSequenceOf(self.certificates)
                }
            }
        }
    }
}
