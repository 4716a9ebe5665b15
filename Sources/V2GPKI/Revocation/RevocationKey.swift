public import Ed448
public import X509
public import Foundation
import SwiftASN1

/// A key that signs CRLs and OCSP responses: any key swift-certificates holds (ECDSA P-256/P-384/P-521, Ed25519,
/// RSA), or an Ed448 key (ISO 15118-20, RFC 8410), which swift-certificates does not know.
public enum RevocationSigningKey: Sendable, Hashable {
    case certificate(Certificate.PrivateKey)
    case ed448(Ed448.PrivateKey)

    public var publicKey: RevocationPublicKey {
        switch self {
        case .certificate(let key): .certificate(key.publicKey)
        case .ed448(let key): .ed448(key.publicKey)
        }
    }
}

/// The public half of a ``RevocationSigningKey``: what checks a CRL or OCSP response signature.
public enum RevocationPublicKey: Sendable, Hashable {
    case certificate(Certificate.PublicKey)
    case ed448(Ed448.PublicKey)
}

/// A CA or OCSP responder certificate on the revocation paths: one swift-certificates parses, or an Ed448 one
/// (ISO 15118-20), which it does not.
public enum RevocationCertificate: Sendable, Hashable {
    case certificate(Certificate)
    case ed448(Ed448Certificate)

    /// Parses DER: swift-certificates first, then the Ed448 reader.
    /// - Throws: ``V2GPKIError/Code-swift.struct/malformedEncoding`` when neither reads it.
    public init(derEncoded bytes: [UInt8]) throws(V2GPKIError) {
        if let certificate = try? Certificate(derEncoded: bytes) {
            self = .certificate(certificate)
            return
        }
        do { self = .ed448(try Ed448Certificate(derEncoded: bytes)) } catch {
            throw .make(.malformedEncoding, "not a certificate (\(bytes.count) bytes)", cause: error)
        }
    }

    public var subject: DistinguishedName {
        switch self {
        case .certificate(let c): c.subject
        case .ed448(let c): c.subject
        }
    }

    public var issuer: DistinguishedName {
        switch self {
        case .certificate(let c): c.issuer
        case .ed448(let c): c.issuer
        }
    }

    public var publicKey: RevocationPublicKey {
        switch self {
        case .certificate(let c): .certificate(c.publicKey)
        case .ed448(let c): .ed448(c.publicKey)
        }
    }

    public var extensions: Certificate.Extensions {
        switch self {
        case .certificate(let c): c.extensions
        case .ed448(let c): c.extensions
        }
    }

    public var notValidBefore: Date {
        switch self {
        case .certificate(let c): c.notValidBefore
        case .ed448(let c): c.notValidBefore
        }
    }

    public var notValidAfter: Date {
        switch self {
        case .certificate(let c): c.notValidAfter
        case .ed448(let c): c.notValidAfter
        }
    }

    /// The DER encoding.
    public func derBytes() throws -> [UInt8] {
        switch self {
        case .certificate(let c): try RevocationDER.derBytes(c)
        case .ed448(let c): c.derBytes
        }
    }

    /// Whether `key` signed this certificate (an ECDSA issuer signs only ECDSA certificates here, Ed448 only Ed448).
    public func isSigned(by key: RevocationPublicKey) -> Bool {
        switch (self, key) {
        case (.certificate(let c), .certificate(let k)): k.isValidSignature(c.signature, for: c)
        case (.ed448(let c), .ed448(let k)): c.isSigned(by: k)
        default: false
        }
    }
}

extension RevocationPublicKey {
    /// The contents of the subjectPublicKey BIT STRING (what RFC 6960 hashes for issuerKeyHash and KeyHash); for
    /// Ed448 the 57-byte key (RFC 8410 §4).
    var subjectPublicKeyBits: ArraySlice<UInt8> {
        switch self {
        case .certificate(let key): key.subjectPublicKeyInfoBytes
        case .ed448(let key): key.rawRepresentation[...]
        }
    }
}
