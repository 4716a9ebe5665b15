import Foundation
import SwiftASN1
import X509

/// `ResponseData` (RFC 6960 §4.2.1).
public struct OCSPResponseData: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// `version [0] EXPLICIT Version DEFAULT v1`; only v1 (0) is defined.
    public var version: Int
    public var responderID: OCSPResponderID
    /// `producedAt GeneralizedTime`, whole seconds.
    public var producedAt: Date
    public var responses: [OCSPSingleResponse]
    /// `responseExtensions [1] EXPLICIT Extensions OPTIONAL` (empty when absent).
    public var extensions: [Certificate.Extension]

    public init(
        responderID: OCSPResponderID, producedAt: Date, responses: [OCSPSingleResponse],
        extensions: [Certificate.Extension] = []
    ) {
        self.version = 0
        self.responderID = responderID
        self.producedAt = producedAt
        self.responses = responses
        self.extensions = extensions
    }

    /// The nonce extension echoed by the responder (RFC 6960 §4.4.1), if any.
    public var nonce: Certificate.Extension? { extensions.first { $0.oid == RevocationDER.OID.ocspNonce } }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let version =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try Int(derEncoded: $0)
                } ?? 0
            guard version == 0 else {
                throw ASN1Error.invalidASN1Object(reason: "ResponseData version \(version) is not v1")
            }
            guard let idNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "ResponseData without responderID")
            }
            let responderID = try OCSPResponderID(derEncoded: idNode)
            let producedAt = RevocationDER.date(try GeneralizedTime(derEncoded: &nodes))
            let responses = try DER.sequence(of: OCSPSingleResponse.self, identifier: .sequence, nodes: &nodes)
            let extensions =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                    try RevocationDER.parseExtensions($0)
                } ?? []
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "ResponseData has trailing fields")
            }
            return OCSPResponseData(
                responderID: responderID, producedAt: producedAt, responses: responses, extensions: extensions)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if self.version != 0 {
                try coder.serialize(self.version, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            }
            try self.responderID.serialize(into: &coder)
            try coder.serialize(RevocationDER.generalizedTime(self.producedAt))
            try coder.serializeSequenceOf(self.responses)
            if !self.extensions.isEmpty {
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) {
                    coder in try RevocationDER.serializeExtensions(self.extensions, into: &coder)
                }
            }
        }
    }
}
