import SwiftASN1
import X509

/// `Request` (RFC 6960 §4.1.1): one certificate's CertID and its extensions.
public struct OCSPSingleRequest: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }
    public var certID: OCSPCertID
    /// `singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL` (empty when absent).
    public var extensions: [Certificate.Extension]

    public init(certID: OCSPCertID, extensions: [Certificate.Extension] = []) {
        self.certID = certID
        self.extensions = extensions
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let certID = try OCSPCertID(derEncoded: &nodes)
            let extensions =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try RevocationDER.parseExtensions($0)
                } ?? []
            guard nodes.next() == nil else { throw ASN1Error.invalidASN1Object(reason: "Request has trailing fields") }
            return OCSPSingleRequest(certID: certID, extensions: extensions)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(self.certID)
            if !self.extensions.isEmpty {
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                    coder in try RevocationDER.serializeExtensions(self.extensions, into: &coder)
                }
            }
        }
    }
}
