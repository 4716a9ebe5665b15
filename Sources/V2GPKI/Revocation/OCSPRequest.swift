import SwiftASN1
import X509

/// `OCSPRequest` (RFC 6960 §4.1.1): a `TBSRequest` and an optional signature.
///
/// The requestor name and the optional signature are carried opaquely: the responder does not require signed
/// requests (RFC 6960 §4.1.2 leaves that to local policy).
public struct OCSPRequest: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// `version [0] EXPLICIT Version DEFAULT v1`; only v1 (0) is defined.
    public var version: Int
    /// `requestorName [1] EXPLICIT GeneralName OPTIONAL`, as DER.
    public var requestorName: ASN1Any?
    /// `requestList SEQUENCE OF Request`.
    public var requests: [OCSPSingleRequest]
    /// `requestExtensions [2] EXPLICIT Extensions OPTIONAL` (empty when absent).
    public var extensions: [Certificate.Extension]
    /// `optionalSignature [0] EXPLICIT Signature OPTIONAL`, as DER.
    public var optionalSignature: ASN1Any?

    public init(requests: [OCSPSingleRequest], nonce: [UInt8]? = nil) {
        self.version = 0
        self.requestorName = nil
        self.requests = requests
        self.extensions = nonce.map { [OCSPNonce.makeExtension($0)] } ?? []
        self.optionalSignature = nil
    }

    /// The nonce the request carries (RFC 6960 §4.4.1), if any.
    public var nonce: Certificate.Extension? {
        extensions.first { $0.oid == RevocationDER.OID.ocspNonce }
    }

    /// Parses DER; a wrapper that maps every failure to ``V2GPKIError/Code-swift.struct/malformedEncoding``.
    public init(derBytes: [UInt8]) throws {
        do {
            self = try OCSPRequest(derEncoded: derBytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw V2GPKIError.make(.malformedEncoding, "OCSPRequest: \(error)", cause: error)
        }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            var request: OCSPRequest = try DER.sequence(
                nodes.next() ?? { throw ASN1Error.invalidASN1Object(reason: "OCSPRequest without TBSRequest") }(),
                identifier: .sequence
            ) { nodes in
                let version =
                    try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                        try Int(derEncoded: $0)
                    } ?? 0
                guard version == 0 else {
                    throw ASN1Error.invalidASN1Object(reason: "OCSP request version \(version) is not v1")
                }
                let requestorName = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                    ASN1Any(derEncoded: $0)
                }
                let requests = try DER.sequence(of: OCSPSingleRequest.self, identifier: .sequence, nodes: &nodes)
                guard !requests.isEmpty else {
                    throw ASN1Error.invalidASN1Object(reason: "OCSP request list is empty")
                }
                let extensions =
                    try DER.optionalExplicitlyTagged(&nodes, tagNumber: 2, tagClass: .contextSpecific) {
                        try RevocationDER.parseExtensions($0)
                    } ?? []
                guard nodes.next() == nil else {
                    throw ASN1Error.invalidASN1Object(reason: "TBSRequest has trailing fields")
                }
                var request = OCSPRequest(requests: requests)
                request.requestorName = requestorName
                request.extensions = extensions
                return request
            }
            request.optionalSignature = try DER.optionalExplicitlyTagged(
                &nodes, tagNumber: 0, tagClass: .contextSpecific
            ) { ASN1Any(derEncoded: $0) }
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "OCSPRequest has trailing fields")
            }
            return request
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                if self.version != 0 {
                    try coder.serialize(self.version, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
                }
                if let name = self.requestorName {
                    try coder.serialize(name, explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific)
                }
                try coder.serializeSequenceOf(self.requests)
                if !self.extensions.isEmpty {
                    try coder.appendConstructedNode(
                        identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)
                    ) { coder in try RevocationDER.serializeExtensions(self.extensions, into: &coder) }
                }
            }
            if let signature = self.optionalSignature {
                try coder.serialize(signature, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
        }
    }

    /// The DER encoding.
    public func derBytes() throws -> [UInt8] { try RevocationDER.derBytes(self) }
}
