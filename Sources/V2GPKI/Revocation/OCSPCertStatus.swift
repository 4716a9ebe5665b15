import Foundation
import SwiftASN1
import X509

/// `CertStatus` (RFC 6960 §4.2.1).
public enum OCSPCertStatus: Hashable, Sendable, CustomStringConvertible {
    case good
    /// `RevokedInfo`: revocation time (whole seconds) and the reason when one was given.
    case revoked(at: Date, reason: CRLReason?)
    case unknown

    public var description: String {
        switch self {
        case .good: "good"
        case .revoked(let at, let reason): "revoked at \(at)\(reason.map { " (\($0))" } ?? "")"
        case .unknown: "unknown"
        }
    }

    init(derEncoded node: ASN1Node) throws {
        switch node.identifier {
        case ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific):
            _ = try ASN1Null(derEncoded: node, withIdentifier: node.identifier)
            self = .good
        case ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific):
            self = try DER.sequence(node, identifier: node.identifier) { nodes in
                let time = RevocationDER.date(try GeneralizedTime(derEncoded: &nodes))
                let reason = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try CRLReason(derEncoded: $0)
                }
                guard nodes.next() == nil else {
                    throw ASN1Error.invalidASN1Object(reason: "RevokedInfo has trailing fields")
                }
                return .revoked(at: time, reason: reason)
            }
        case ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific):
            _ = try ASN1Null(derEncoded: node, withIdentifier: node.identifier)
            self = .unknown
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .good:
            ASN1Null().serialize(into: &coder, withIdentifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        case .revoked(let at, let reason):
            try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) {
                coder in
                try coder.serialize(RevocationDER.generalizedTime(at))
                if let reason {
                    try coder.appendConstructedNode(
                        identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                    ) { coder in try reason.serialize(into: &coder) }
                }
            }
        case .unknown:
            ASN1Null().serialize(into: &coder, withIdentifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific))
        }
    }
}
