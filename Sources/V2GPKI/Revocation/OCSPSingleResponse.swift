import Foundation
import SwiftASN1
import X509

/// `SingleResponse` (RFC 6960 §4.2.1).
public struct OCSPSingleResponse: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var certID: OCSPCertID
    public var status: OCSPCertStatus
    public var thisUpdate: Date
    public var nextUpdate: Date?
    /// `singleExtensions [1] EXPLICIT Extensions OPTIONAL` (empty when absent).
    public var extensions: [Certificate.Extension]

    public init(
        certID: OCSPCertID, status: OCSPCertStatus, thisUpdate: Date, nextUpdate: Date?,
        extensions: [Certificate.Extension] = []
    ) {
        self.certID = certID
        self.status = status
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.extensions = extensions
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let certID = try OCSPCertID(derEncoded: &nodes)
            guard let statusNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "SingleResponse without certStatus")
            }
            let status = try OCSPCertStatus(derEncoded: statusNode)
            let thisUpdate = RevocationDER.date(try GeneralizedTime(derEncoded: &nodes))
            let nextUpdate = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                RevocationDER.date(try GeneralizedTime(derEncoded: $0))
            }
            let extensions =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                    try RevocationDER.parseExtensions($0)
                } ?? []
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "SingleResponse has trailing fields")
            }
            return OCSPSingleResponse(
                certID: certID, status: status, thisUpdate: thisUpdate, nextUpdate: nextUpdate, extensions: extensions)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(self.certID)
            try self.status.serialize(into: &coder)
            try coder.serialize(RevocationDER.generalizedTime(self.thisUpdate))
            if let nextUpdate = self.nextUpdate {
                try coder.serialize(
                    RevocationDER.generalizedTime(nextUpdate), explicitlyTaggedWithTagNumber: 0,
                    tagClass: .contextSpecific)
            }
            if !self.extensions.isEmpty {
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) {
                    coder in try RevocationDER.serializeExtensions(self.extensions, into: &coder)
                }
            }
        }
    }
}
