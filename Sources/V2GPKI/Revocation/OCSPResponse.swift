import Foundation
import SwiftASN1
import X509

/// `OCSPResponse` (RFC 6960 §4.2.1): a status and, when successful, a `BasicOCSPResponse` (id-pkix-ocsp-basic).
public struct OCSPResponse: DERImplicitlyTaggable, Hashable, Sendable {
    /// `OCSPResponseStatus ::= ENUMERATED` (RFC 6960 §4.2.1).
    public enum Status: Int, Hashable, Sendable, CustomStringConvertible {
        case successful = 0
        case malformedRequest = 1
        case internalError = 2
        case tryLater = 3
        // 4 is not used.
        case sigRequired = 5
        case unauthorized = 6

        public var description: String {
            switch self {
            case .successful: "successful"
            case .malformedRequest: "malformedRequest"
            case .internalError: "internalError"
            case .tryLater: "tryLater"
            case .sigRequired: "sigRequired"
            case .unauthorized: "unauthorized"
            }
        }
    }

    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var status: Status
    /// The basic response; present exactly when ``status`` is ``Status/successful``.
    public var basicResponse: BasicOCSPResponse?

    /// An error response: a status other than successful and no response bytes (RFC 6960 §2.3).
    public init(errorStatus: Status) {
        self.status = errorStatus
        self.basicResponse = nil
    }

    public init(basicResponse: BasicOCSPResponse) {
        self.status = .successful
        self.basicResponse = basicResponse
    }

    /// Parses DER; every failure is a ``V2GPKIError/Code-swift.struct/malformedEncoding``.
    public init(derBytes: [UInt8]) throws {
        do {
            self = try OCSPResponse(derEncoded: derBytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw V2GPKIError.make(.malformedEncoding, "OCSPResponse: \(error)", cause: error)
        }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            guard let statusNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "OCSPResponse without status")
            }
            let raw = try Int(derEncoded: statusNode, withIdentifier: .enumerated)
            guard let status = Status(rawValue: raw) else {
                throw ASN1Error.invalidASN1Object(reason: "OCSPResponseStatus \(raw) is not defined")
            }
            let basic = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                try DER.sequence(node, identifier: .sequence) { nodes in
                    let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
                    guard type == RevocationDER.OID.ocspBasic else {
                        throw ASN1Error.invalidASN1Object(reason: "response type \(type) is not id-pkix-ocsp-basic")
                    }
                    let octets = try ASN1OctetString(derEncoded: &nodes)
                    guard nodes.next() == nil else {
                        throw ASN1Error.invalidASN1Object(reason: "ResponseBytes has trailing fields")
                    }
                    return try BasicOCSPResponse(derEncoded: octets.bytes)
                }
            }
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "OCSPResponse has trailing fields")
            }
            guard (status == .successful) == (basic != nil) else {
                throw ASN1Error.invalidASN1Object(reason: "status \(status) with\(basic == nil ? "out" : "") responseBytes")
            }
            var response = OCSPResponse(errorStatus: status)
            response.basicResponse = basic
            return response
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try self.status.rawValue.serialize(into: &coder, withIdentifier: .enumerated)
            if let basic = self.basicResponse {
                let bytes = try RevocationDER.derBytes(basic)
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                    coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(RevocationDER.OID.ocspBasic)
                        try coder.serialize(ASN1OctetString(contentBytes: bytes[...]))
                    }
                }
            }
        }
    }

    /// The DER encoding.
    public func derBytes() throws -> [UInt8] { try RevocationDER.derBytes(self) }
}
