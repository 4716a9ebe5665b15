import Foundation
import SwiftASN1
import X509

/// `ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }` (RFC 6960 §4.2.1, explicit tags).
public enum OCSPResponderID: Hashable, Sendable {
    case byName(DistinguishedName)
    /// The SHA-1 hash of the responder's subjectPublicKey BIT STRING contents.
    case byKey([UInt8])

    /// The byKey identifier of `key`.
    public static func keyHash(of key: Certificate.PublicKey) throws -> [UInt8] {
        try keyHash(of: .certificate(key))
    }

    /// The byKey identifier of an ECDSA or Ed448 key.
    public static func keyHash(of key: RevocationPublicKey) throws -> [UInt8] {
        guard let hash = OCSPCertID.HashAlgorithm.sha1.hash(key.subjectPublicKeyBits) else {
            throw V2GPKIError.make(.unsupportedAlgorithm, "SHA-1 unavailable")
        }
        return hash
    }

    /// Whether `certificate` is the responder this identifier names.
    public func identifies(_ certificate: Certificate) -> Bool {
        identifies(.certificate(certificate))
    }

    /// Whether `certificate` (ECDSA or Ed448) is the responder this identifier names.
    public func identifies(_ certificate: RevocationCertificate) -> Bool {
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
