import Crypto
import Foundation
import SwiftASN1
import X509

/// `CertID` (RFC 6960 §4.1.1): names a certificate by the hashes of its issuer's name and key and its serial number.
///
/// Equality and hashing ignore the hash algorithm's parameters (absent or NULL), as RFC 6960 responders and clients do.
public struct OCSPCertID: DERImplicitlyTaggable, Hashable, Sendable, CustomStringConvertible {
    /// The hash algorithm of `issuerNameHash` and `issuerKeyHash`.
    public enum HashAlgorithm: Hashable, Sendable, CustomStringConvertible {
        /// SHA-1 (1.3.14.3.2.26), the RFC 5019 default and what most clients send.
        case sha1
        /// SHA-256 (2.16.840.1.101.3.4.2.1).
        case sha256
        /// Any other algorithm: parsed and carried, never matched.
        case other(ASN1ObjectIdentifier)

        var oid: ASN1ObjectIdentifier {
            switch self {
            case .sha1: RevocationDER.OID.sha1
            case .sha256: RevocationDER.OID.sha256
            case .other(let oid): oid
            }
        }

        init(oid: ASN1ObjectIdentifier) {
            switch oid {
            case RevocationDER.OID.sha1: self = .sha1
            case RevocationDER.OID.sha256: self = .sha256
            default: self = .other(oid)
            }
        }

        func hash(_ bytes: some DataProtocol) -> [UInt8]? {
            switch self {
            case .sha1: Array(Insecure.SHA1.hash(data: bytes))
            case .sha256: Array(SHA256.hash(data: bytes))
            case .other: nil
            }
        }

        public var description: String {
            switch self {
            case .sha1: "sha1"
            case .sha256: "sha256"
            case .other(let oid): "\(oid)"
            }
        }
    }

    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var hashAlgorithm: HashAlgorithm
    public var issuerNameHash: [UInt8]
    public var issuerKeyHash: [UInt8]
    public var serialNumber: Certificate.SerialNumber

    public init(
        hashAlgorithm: HashAlgorithm, issuerNameHash: [UInt8], issuerKeyHash: [UInt8],
        serialNumber: Certificate.SerialNumber
    ) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }

    /// The CertID of the certificate `serialNumber` issued by `issuer`: the hash of the issuer's DER subject name and
    /// of its subjectPublicKey BIT STRING contents (RFC 6960 §4.1.1).
    /// - Throws: ``V2GPKIError/Code-swift.struct/unsupportedAlgorithm`` for a hash other than SHA-1 or SHA-256.
    public init(issuer: Certificate, serialNumber: Certificate.SerialNumber, hashAlgorithm: HashAlgorithm = .sha1) throws {
        try self.init(issuer: .certificate(issuer), serialNumber: serialNumber, hashAlgorithm: hashAlgorithm)
    }

    /// The CertID for `certificate` as issued by the Ed448 CA `issuer` (the issuerKeyHash covers its 57-byte key).
    public init(certificate: Ed448Certificate, issuer: Ed448Certificate, hashAlgorithm: HashAlgorithm = .sha1) throws {
        try self.init(issuer: .ed448(issuer), serialNumber: certificate.serialNumber, hashAlgorithm: hashAlgorithm)
    }

    /// The CertID of the certificate `serialNumber` issued by `issuer`, ECDSA or Ed448.
    public init(issuer: RevocationCertificate, serialNumber: Certificate.SerialNumber, hashAlgorithm: HashAlgorithm = .sha1) throws {
        let name = try RevocationDER.derBytes(of: issuer.subject)
        let key = issuer.publicKey.subjectPublicKeyBits
        guard let nameHash = hashAlgorithm.hash(name), let keyHash = hashAlgorithm.hash(key) else {
            throw V2GPKIError.make(.unsupportedAlgorithm, "CertID hash \(hashAlgorithm)")
        }
        self.init(
            hashAlgorithm: hashAlgorithm, issuerNameHash: nameHash, issuerKeyHash: keyHash, serialNumber: serialNumber)
    }

    /// The CertID for `certificate` as issued by `issuer`.
    public init(certificate: Certificate, issuer: Certificate, hashAlgorithm: HashAlgorithm = .sha1) throws {
        try self.init(issuer: issuer, serialNumber: certificate.serialNumber, hashAlgorithm: hashAlgorithm)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let algorithm = try RevocationDER.AlgorithmIdentifier(derEncoded: &nodes)
            if let parameters = algorithm.parameters, parameters != RevocationDER.AlgorithmIdentifier.derNull {
                throw ASN1Error.invalidASN1Object(reason: "CertID hash algorithm parameters must be absent or NULL")
            }
            let nameHash = try ASN1OctetString(derEncoded: &nodes)
            let keyHash = try ASN1OctetString(derEncoded: &nodes)
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            return OCSPCertID(
                hashAlgorithm: HashAlgorithm(oid: algorithm.algorithm), issuerNameHash: Array(nameHash.bytes),
                issuerKeyHash: Array(keyHash.bytes), serialNumber: Certificate.SerialNumber(bytes: serial))
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(
                RevocationDER.AlgorithmIdentifier(
                    algorithm: self.hashAlgorithm.oid, parameters: RevocationDER.AlgorithmIdentifier.derNull))
            try coder.serialize(ASN1OctetString(contentBytes: self.issuerNameHash[...]))
            try coder.serialize(ASN1OctetString(contentBytes: self.issuerKeyHash[...]))
            try coder.serialize(self.serialNumber.bytes)
        }
    }

    public var description: String {
        "CertID(\(hashAlgorithm), serial \(serialNumber.hexString))"
    }
}
