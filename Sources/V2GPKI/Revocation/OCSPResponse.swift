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

/// `ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }` (RFC 6960 §4.2.1, explicit tags).
public enum OCSPResponderID: Hashable, Sendable {
    case byName(DistinguishedName)
    /// The SHA-1 hash of the responder's subjectPublicKey BIT STRING contents.
    case byKey([UInt8])

    /// The byKey identifier of `key`.
    public static func keyHash(of key: Certificate.PublicKey) throws -> [UInt8] {
        guard let hash = OCSPCertID.HashAlgorithm.sha1.hash(try RevocationDER.subjectPublicKeyBits(key)) else {
            throw V2GPKIError.make(.unsupportedAlgorithm, "SHA-1 unavailable")
        }
        return hash
    }

    /// Whether `certificate` is the responder this identifier names.
    public func identifies(_ certificate: Certificate) -> Bool {
        switch self {
        case .byName(let name): return name == certificate.subject
        case .byKey(let hash): return (try? Self.keyHash(of: certificate.publicKey)) == hash
        }
    }

    init(derEncoded node: ASN1Node) throws {
        switch node.identifier {
        case ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific):
            self = .byName(try DER.explicitlyTagged(node, tagNumber: 1, tagClass: .contextSpecific) {
                try DistinguishedName(derEncoded: $0)
            })
        case ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific):
            let hash = try DER.explicitlyTagged(node, tagNumber: 2, tagClass: .contextSpecific) {
                try ASN1OctetString(derEncoded: $0)
            }
            guard hash.bytes.count == 20 else {
                throw ASN1Error.invalidASN1Object(reason: "KeyHash is \(hash.bytes.count) bytes, not a SHA-1 hash")
            }
            self = .byKey(Array(hash.bytes))
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .byName(let name):
            try coder.serialize(name, explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific)
        case .byKey(let hash):
            try coder.serialize(
                ASN1OctetString(contentBytes: hash[...]), explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific)
        }
    }
}

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
