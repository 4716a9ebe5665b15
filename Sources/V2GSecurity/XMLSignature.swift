public import Crypto
public import Ed448
import EXI
public import V2GPKI
public import X509
import SwiftASN1
public import XMLDSig
import Foundation

/// Algorithm identifiers used in ISO 15118 SignedInfo elements.
public enum V2GSignatureAlgorithm: Sendable, Hashable {
    /// ISO 15118-2: SHA-256 digests, ECDSA on secp256r1 with SHA-256, raw r‖s (64 bytes).
    case ecdsaP256SHA256
    /// ISO 15118-20: SHA-512 digests, ECDSA on secp521r1 with SHA-512, raw r‖s (132 bytes).
    case ecdsaP521SHA512
    /// ISO 15118-20: SHAKE256 digests of 64 bytes, pure Ed448 (RFC 8032, empty context), 114-byte SignatureValue.
    case ed448

    public static let canonicalEXI = KnownAlgorithms.canonicalEXI
    public static let sha256URI = KnownAlgorithms.sha256
    public static let sha512URI = KnownAlgorithms.sha512
    public static let ecdsaSHA256URI = KnownAlgorithms.ecdsaSHA256
    public static let ecdsaSHA512URI = KnownAlgorithms.ecdsaSHA512
    public static let ed448URI = KnownAlgorithms.ed448
    /// SHAKE256 with 512 bits of output, RFC 9231's identifier. The -20 text was not at hand: the digest length and this
    /// URI follow RFC 9231 and other -20 implementations, to be confirmed with a -20 peer.
    public static let shake256URI = KnownAlgorithms.shake256
    /// An older spelling of the SHAKE256 identifier, accepted when verifying.
    public static let shake256LegacyURI = KnownAlgorithms.shake256Legacy
    /// Bytes of SHAKE256 output in a DigestValue.
    public static let shake256DigestLength = 64

    public var digestURI: String {
        switch self {
        case .ecdsaP256SHA256: Self.sha256URI
        case .ecdsaP521SHA512: Self.sha512URI
        case .ed448: Self.shake256URI
        }
    }

    public var signatureURI: String {
        switch self {
        case .ecdsaP256SHA256: Self.ecdsaSHA256URI
        case .ecdsaP521SHA512: Self.ecdsaSHA512URI
        case .ed448: Self.ed448URI
        }
    }

    /// The algorithm a SignedInfo names, or `unsupportedAlgorithm`.
    public init(signatureMethod uri: String) throws(V2GSecurityError) {
        switch uri {
        case Self.ecdsaSHA256URI: self = .ecdsaP256SHA256
        case Self.ecdsaSHA512URI: self = .ecdsaP521SHA512
        case Self.ed448URI: self = .ed448
        default: throw .make(.unsupportedAlgorithm, "signature method \(uri)")
        }
    }

    func digest(_ bytes: [UInt8]) throws(V2GSecurityError) -> [UInt8] {
        switch self {
        case .ecdsaP256SHA256: return Array(SHA256.hash(data: bytes))
        case .ecdsaP521SHA512: return Array(SHA512.hash(data: bytes))
        case .ed448: return SHAKE256.hash(bytes, count: Self.shake256DigestLength)
        }
    }

    /// Digest method URIs a received Reference may name for this algorithm.
    var acceptedDigestURIs: [String] {
        self == .ed448 ? [Self.shake256URI, Self.shake256LegacyURI] : [digestURI]
    }
}

/// One element to sign or verify: its `Id` and its EXI fragment (header, fragment code, content, end of fragment).
public struct SignedElement: Sendable, Hashable {
    public var id: String
    public var exi: [UInt8]
    public init(id: String, exi: [UInt8]) {
        self.id = id
        self.exi = exi
    }
}

/// A key that signs SignedInfo: a P-256, P-521 or Ed448 key, or a handle from a ``KeyStore``.
public enum V2GSigningKey: Sendable {
    case p256(P256.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)
    /// ISO 15118-20 Ed448 (the package's own implementation, not constant-time: see ``Ed448``).
    case ed448(Ed448.PrivateKey)
    /// A key held by a ``KeyStore`` (an HSM or the software store); the store signs, the key stays inside.
    case certificateKey(Certificate.PrivateKey)

    /// The key under `label` in `store`.
    public static func keyStore(_ store: any KeyStore, label: String) throws(V2GSecurityError) -> Self {
        do {
            return .certificateKey(try store.signingKey(label: label))
        } catch {
            throw .make(.malformedKey, "key store has no usable key \(label)", cause: error)
        }
    }
}

/// A public key that verifies a SignatureValue.
public enum V2GVerifyingKey: Sendable {
    case p256(P256.Signing.PublicKey)
    case p521(P521.Signing.PublicKey)
    case ed448(Ed448.PublicKey)

    /// The public key of a DER certificate (P-256, P-521 or Ed448).
    public init(certificateDER der: [UInt8]) throws(V2GSecurityError) {
        let cert: Certificate
        do { cert = try Certificate(derEncoded: der) } catch {
            // swift-certificates reads no Ed448 keys; an ISO 15118-20 Ed448 certificate is read here.
            if let ed448 = try? Ed448Certificate(derEncoded: der) {
                self = .ed448(ed448.publicKey)
                return
            }
            throw .make(.malformedKey, "certificate does not parse", cause: error)
        }
        try self.init(cert.publicKey)
    }

    public init(_ key: Certificate.PublicKey) throws(V2GSecurityError) {
        if let k = P256.Signing.PublicKey(key) {
            self = .p256(k)
        } else if let k = P521.Signing.PublicKey(key) {
            self = .p521(k)
        } else {
            throw .make(.malformedKey, "public key is neither P-256 nor P-521")
        }
    }
}

/// XML signatures over EXI fragments (ISO 15118-2 §7.9.2.4, [V2G2-771]; ISO 15118-20 the same with SHA-512).
///
/// The SignatureValue signs the EXI of SignedInfo encoded with the standalone xmldsig fragment grammar; each
/// Reference carries the digest of one element's EXI fragment and `URI="#Id"`.
public enum XMLSignature {
    /// The SignedInfo for `elements`, one Reference per element, in order.
    public static func signedInfo(
        for elements: [SignedElement], algorithm: V2GSignatureAlgorithm
    ) throws(V2GSecurityError) -> SignedInfo {
        guard !elements.isEmpty else { throw .make(.missingReference, "nothing to sign") }
        var seen: Set<String> = []
        var references: [Reference] = []
        for element in elements {
            guard !element.id.isEmpty else { throw .make(.missingID, "a signed element has an empty Id") }
            guard seen.insert(element.id).inserted else { throw .make(.missingID, "Id \(element.id) used twice") }
            references.append(
                Reference(
                    uri: "#" + element.id,
                    transforms: Transforms(transform: [Transform(algorithm: V2GSignatureAlgorithm.canonicalEXI)]),
                    digestMethod: DigestMethod(algorithm: algorithm.digestURI),
                    digestValue: try algorithm.digest(element.exi)
                )
            )
        }
        return SignedInfo(
            canonicalizationMethod: CanonicalizationMethod(algorithm: V2GSignatureAlgorithm.canonicalEXI),
            signatureMethod: SignatureMethod(algorithm: algorithm.signatureURI),
            reference: references
        )
    }

    /// The EXI that the SignatureValue signs: SignedInfo with the optional parts [V2G2-771] excludes cleared,
    /// encoded with the standalone xmldsig grammar.
    public static func canonicalSignedInfoEXI(_ signedInfo: SignedInfo) throws(V2GSecurityError) -> [UInt8] {
        var s = signedInfo
        s.id = nil
        s.signatureMethod.hmacOutputLength = nil
        for i in s.reference.indices {
            s.reference[i].type = nil
            s.reference[i].id = nil
            if var t = s.reference[i].transforms {
                for j in t.transform.indices { t.transform[j].choice = [] }
                s.reference[i].transforms = t
            }
        }
        do { return try XMLDSigFragment.signedInfo(s).exiEncoded() } catch {
            throw .make(.encoding, "SignedInfo does not encode", cause: error)
        }
    }

    /// Signs `elements`: SignedInfo plus raw r‖s SignatureValue.
    public static func sign(_ elements: [SignedElement], with key: V2GSigningKey) throws(V2GSecurityError) -> Signature {
        let algorithm: V2GSignatureAlgorithm
        switch key {
        case .p256: algorithm = .ecdsaP256SHA256
        case .p521: algorithm = .ecdsaP521SHA512
        case .ed448: algorithm = .ed448
        case .certificateKey(let k):
            switch k.publicKey.keyAlgorithmFamily {
            case .p256: algorithm = .ecdsaP256SHA256
            case .p521: algorithm = .ecdsaP521SHA512
            case .other: throw .make(.unsupportedAlgorithm, "key store key is neither P-256 nor P-521")
            }
        }
        let info = try signedInfo(for: elements, algorithm: algorithm)
        let bytes = try canonicalSignedInfoEXI(info)
        let value = try rawSignature(bytes, key: key)
        return Signature(signedInfo: info, signatureValue: SignatureValue(value: value))
    }

    static func rawSignature(_ bytes: [UInt8], key: V2GSigningKey) throws(V2GSecurityError) -> [UInt8] {
        do {
            switch key {
            case .p256(let k): return Array(try k.signature(for: bytes).rawRepresentation)
            case .p521(let k): return Array(try k.signature(for: bytes).rawRepresentation)
            case .ed448(let k): return try k.signature(for: bytes)
            case .certificateKey(let k):
                switch k.publicKey.keyAlgorithmFamily {
                case .p256:
                    let sig = try k.sign(bytes: bytes, signatureAlgorithm: .ecdsaWithSHA256)
                    guard let der = sig.ecdsaDER else { throw V2GSecurityError.make(.badSignature, "no ECDSA signature") }
                    return Array(try P256.Signing.ECDSASignature(derRepresentation: der).rawRepresentation)
                case .p521:
                    let sig = try k.sign(bytes: bytes, signatureAlgorithm: .ecdsaWithSHA512)
                    guard let der = sig.ecdsaDER else { throw V2GSecurityError.make(.badSignature, "no ECDSA signature") }
                    return Array(try P521.Signing.ECDSASignature(derRepresentation: der).rawRepresentation)
                case .other:
                    throw V2GSecurityError.make(.unsupportedAlgorithm, "key is neither P-256 nor P-521")
                }
            }
        } catch let e as V2GSecurityError {
            throw e
        } catch {
            throw .make(.badSignature, "signing failed", cause: error)
        }
    }

    /// Verifies `signature` over exactly `elements`: every element has a Reference with the right digest, every
    /// Reference names an element, the algorithms are the profile's, and the SignatureValue verifies with `key`.
    public static func verify(
        _ signature: Signature, elements: [SignedElement], key: V2GVerifyingKey
    ) throws(V2GSecurityError) {
        let info = signature.signedInfo
        guard info.canonicalizationMethod.algorithm == V2GSignatureAlgorithm.canonicalEXI else {
            throw .make(.unsupportedAlgorithm, "canonicalization \(info.canonicalizationMethod.algorithm)")
        }
        let algorithm = try V2GSignatureAlgorithm(signatureMethod: info.signatureMethod.algorithm)
        switch (algorithm, key) {
        case (.ecdsaP256SHA256, .p256), (.ecdsaP521SHA512, .p521), (.ed448, .ed448): break
        default: throw .make(.unsupportedAlgorithm, "signature method \(algorithm.signatureURI) does not match the key")
        }
        guard !info.reference.isEmpty else { throw .make(.missingReference, "SignedInfo has no Reference") }
        var byURI: [String: Reference] = [:]
        for reference in info.reference {
            guard let uri = reference.uri, uri.hasPrefix("#") else {
                throw .make(.missingReference, "Reference without a local URI")
            }
            guard byURI.updateValue(reference, forKey: uri) == nil else {
                throw .make(.missingReference, "two References to \(uri)")
            }
            let transforms = reference.transforms?.transform ?? []
            guard transforms.count == 1, transforms[0].algorithm == V2GSignatureAlgorithm.canonicalEXI else {
                throw .make(.unsupportedAlgorithm, "Reference \(uri) does not use exactly the canonical-exi transform")
            }
            guard algorithm.acceptedDigestURIs.contains(reference.digestMethod.algorithm) else {
                throw .make(.unsupportedAlgorithm, "digest method \(reference.digestMethod.algorithm)")
            }
        }
        guard byURI.count == elements.count else {
            throw .make(.missingReference, "SignedInfo has \(byURI.count) References for \(elements.count) elements")
        }
        for element in elements {
            guard let reference = byURI["#" + element.id] else {
                throw .make(.missingReference, "no Reference for #\(element.id)")
            }
            guard try algorithm.digest(element.exi) == reference.digestValue else {
                throw .make(.digestMismatch, "digest of #\(element.id) does not match")
            }
        }
        let bytes = try canonicalSignedInfoEXI(info)
        let value = signature.signatureValue.value
        let ok: Bool
        switch key {
        case .p256(let k):
            guard value.count == 64, let s = try? P256.Signing.ECDSASignature(rawRepresentation: value) else {
                throw .make(.badSignature, "SignatureValue is \(value.count) bytes, not a raw P-256 r‖s")
            }
            ok = k.isValidSignature(s, for: bytes)
        case .p521(let k):
            guard value.count == 132, let s = try? P521.Signing.ECDSASignature(rawRepresentation: value) else {
                throw .make(.badSignature, "SignatureValue is \(value.count) bytes, not a raw P-521 r‖s")
            }
            ok = k.isValidSignature(s, for: bytes)
        case .ed448(let k):
            guard value.count == Ed448.signatureLength else {
                throw .make(.badSignature, "SignatureValue is \(value.count) bytes, not an Ed448 R‖S (114)")
            }
            do { try k.verify(value, for: bytes) } catch {
                throw .make(.badSignature, "SignatureValue does not verify (\(error.code))")
            }
            ok = true
        }
        guard ok else { throw .make(.badSignature, "SignatureValue does not verify") }
    }
}

enum KeyFamily { case p256, p521, other }

extension Certificate.PublicKey {
    var keyAlgorithmFamily: KeyFamily {
        if P256.Signing.PublicKey(self) != nil { return .p256 }
        if P521.Signing.PublicKey(self) != nil { return .p521 }
        return .other
    }
}

extension Certificate.Signature {
    /// The DER ECDSA-Sig-Value of an ECDSA signature (swift-certificates' raw representation of ECDSA is DER).
    var ecdsaDER: [UInt8]? { rawRepresentation }
}
