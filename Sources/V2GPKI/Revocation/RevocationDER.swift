import Crypto
import Ed448
import Foundation
import SwiftASN1
import X509

/// DER building blocks shared by the OCSP (RFC 6960) and CRL (RFC 5280 §5) types: algorithm identifiers, times,
/// extensions and signatures. Internal: the public surface is the message types.
enum RevocationDER {
    /// `AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }` (RFC 5280 §4.1.1.2).
    struct AlgorithmIdentifier: DERImplicitlyTaggable, Hashable, Sendable {
        static var defaultIdentifier: ASN1Identifier { .sequence }
        var algorithm: ASN1ObjectIdentifier
        var parameters: ASN1Any?

        init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Any?) {
            self.algorithm = algorithm
            self.parameters = parameters
        }

        init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
            self = try DER.sequence(node, identifier: identifier) { nodes in
                let algorithm = try ASN1ObjectIdentifier(derEncoded: &nodes)
                let parameters = nodes.next().map { ASN1Any(derEncoded: $0) }
                guard nodes.next() == nil else {
                    throw ASN1Error.invalidASN1Object(reason: "AlgorithmIdentifier has trailing fields")
                }
                return AlgorithmIdentifier(algorithm: algorithm, parameters: parameters)
            }
        }

        func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
            try coder.appendConstructedNode(identifier: identifier) { coder in
                try coder.serialize(self.algorithm)
                if let parameters = self.parameters { try coder.serialize(parameters) }
            }
        }

        // Erasing a NULL cannot fail: the serializer writes two constant bytes.
        static let derNull: ASN1Any = try! ASN1Any(erasing: ASN1Null())
    }

    enum OID {
        static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
        static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
        static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
        static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
        static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
        static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
        /// id-Ed448 (RFC 8410 §3), also the signature algorithm (RFC 8410 §6: no parameters).
        static let ed448: ASN1ObjectIdentifier = [1, 3, 101, 113]
        static let sha256WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
        static let sha384WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
        static let sha512WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
        /// id-pkix-ocsp-basic (RFC 6960 §4.2.1).
        static let ocspBasic: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
        /// id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 8954).
        static let ocspNonce: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
        /// id-ce-cRLNumber (RFC 5280 §5.2.3).
        static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
        /// id-ce-cRLReasons (RFC 5280 §5.3.1).
        static let crlReason: ASN1ObjectIdentifier = [2, 5, 29, 21]
        /// id-ce-authorityKeyIdentifier (RFC 5280 §4.2.1.1).
        static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    }

    // MARK: Signatures

    /// The signature algorithm ISO 15118 expects for a key: ecdsa-with-SHA256 for P-256 (ISO 15118-2), ecdsa-with-SHA512
    /// for P-521 (ISO 15118-20), ecdsa-with-SHA384 for P-384; Ed25519 and RSA for completeness.
    static func signatureAlgorithm(for key: Certificate.PublicKey) throws -> (AlgorithmIdentifier, Certificate.SignatureAlgorithm) {
        if P256.Signing.PublicKey(key) != nil {
            return (AlgorithmIdentifier(algorithm: OID.ecdsaWithSHA256, parameters: nil), .ecdsaWithSHA256)
        }
        if P384.Signing.PublicKey(key) != nil {
            return (AlgorithmIdentifier(algorithm: OID.ecdsaWithSHA384, parameters: nil), .ecdsaWithSHA384)
        }
        if P521.Signing.PublicKey(key) != nil {
            return (AlgorithmIdentifier(algorithm: OID.ecdsaWithSHA512, parameters: nil), .ecdsaWithSHA512)
        }
        if Curve25519.Signing.PublicKey(key) != nil {
            return (AlgorithmIdentifier(algorithm: OID.ed25519, parameters: nil), .ed25519)
        }
        return (AlgorithmIdentifier(algorithm: OID.sha256WithRSAEncryption, parameters: AlgorithmIdentifier.derNull),
                .sha256WithRSAEncryption)
    }

    /// Maps a signature AlgorithmIdentifier read from the wire onto swift-certificates' algorithm.
    static func certificateSignatureAlgorithm(_ identifier: AlgorithmIdentifier) throws -> Certificate.SignatureAlgorithm {
        switch identifier.algorithm {
        case OID.ecdsaWithSHA256: return .ecdsaWithSHA256
        case OID.ecdsaWithSHA384: return .ecdsaWithSHA384
        case OID.ecdsaWithSHA512: return .ecdsaWithSHA512
        case OID.ed25519: return .ed25519
        case OID.sha256WithRSAEncryption: return .sha256WithRSAEncryption
        case OID.sha384WithRSAEncryption: return .sha384WithRSAEncryption
        case OID.sha512WithRSAEncryption: return .sha512WithRSAEncryption
        default:
            throw V2GPKIError.make(.unsupportedAlgorithm, "signature algorithm \(identifier.algorithm)")
        }
    }

    /// Signs `bytes` with `key`, returning the algorithm identifier and the BIT STRING contents.
    static func sign(_ bytes: [UInt8], with key: Certificate.PrivateKey) throws -> (AlgorithmIdentifier, [UInt8]) {
        let (identifier, algorithm) = try signatureAlgorithm(for: key.publicKey)
        do {
            let signature = try key.sign(bytes: bytes, signatureAlgorithm: algorithm)
            return (identifier, signature.rawRepresentation)
        } catch {
            throw V2GPKIError.make(.unsupportedAlgorithm, "signing with \(algorithm) failed", cause: error)
        }
    }

    /// Whether `signature` (BIT STRING contents) over `bytes` verifies under `key` with the algorithm named on the wire.
    static func verify(
        _ signature: ASN1BitString, over bytes: ArraySlice<UInt8>, algorithm: AlgorithmIdentifier,
        key: Certificate.PublicKey
    ) -> Bool {
        guard signature.paddingBits == 0,
              let algorithm = try? certificateSignatureAlgorithm(algorithm)
        else { return false }
        return key.isValidSignature(signature.bytes, for: bytes, signatureAlgorithm: algorithm)
    }

    /// Signs `bytes` with `key`: swift-certificates' keys through ``sign(_:with:)-(_,Certificate.PrivateKey)``,
    /// Ed448 as RFC 8410 §6 says (id-Ed448 without parameters, the 114-byte signature as the BIT STRING).
    static func sign(_ bytes: [UInt8], with key: RevocationSigningKey) throws -> (AlgorithmIdentifier, [UInt8]) {
        switch key {
        case .certificate(let key):
            return try sign(bytes, with: key)
        case .ed448(let key):
            do {
                return (AlgorithmIdentifier(algorithm: OID.ed448, parameters: nil), try key.signature(for: bytes))
            } catch {
                throw V2GPKIError.make(.unsupportedAlgorithm, "Ed448 signing failed", cause: error)
            }
        }
    }

    /// ``verify(_:over:algorithm:key:)-(_,_,_,Certificate.PublicKey)`` for any revocation key; an Ed448 key accepts
    /// only id-Ed448 without parameters.
    static func verify(
        _ signature: ASN1BitString, over bytes: ArraySlice<UInt8>, algorithm: AlgorithmIdentifier,
        key: RevocationPublicKey
    ) -> Bool {
        switch key {
        case .certificate(let key):
            return verify(signature, over: bytes, algorithm: algorithm, key: key)
        case .ed448(let key):
            return signature.paddingBits == 0 && algorithm.algorithm == OID.ed448 && algorithm.parameters == nil
                && key.isValidSignature(Array(signature.bytes), for: bytes)
        }
    }

    /// The AlgorithmIdentifier a signature by `key` carries.
    static func signatureAlgorithm(for key: RevocationPublicKey) throws -> AlgorithmIdentifier {
        switch key {
        case .certificate(let key): try signatureAlgorithm(for: key).0
        case .ed448: AlgorithmIdentifier(algorithm: OID.ed448, parameters: nil)
        }
    }

    // MARK: Keys and names

    /// The contents of the subjectPublicKey BIT STRING of a key (what RFC 6960 hashes for issuerKeyHash and KeyHash).
    static func subjectPublicKeyBits(_ key: Certificate.PublicKey) throws -> ArraySlice<UInt8> {
        // swift-certificates names the BIT STRING contents (not the whole SubjectPublicKeyInfo) so.
        key.subjectPublicKeyInfoBytes
    }

    static func derBytes(of name: DistinguishedName) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(name)
        return serializer.serializedBytes
    }

    static func derBytes(_ value: some DERSerializable) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(value)
        return serializer.serializedBytes
    }

    // MARK: Extensions

    static func serializeExtensions(_ extensions: [Certificate.Extension], into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            for ext in extensions { try coder.serialize(ext) }
        }
    }

    static func parseExtensions(_ node: ASN1Node) throws -> [Certificate.Extension] {
        let extensions = try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: node)
        var seen = Set<ASN1ObjectIdentifier>()
        for ext in extensions where !seen.insert(ext.oid).inserted {
            throw ASN1Error.invalidASN1Object(reason: "extension \(ext.oid) appears twice")
        }
        return extensions
    }

    // MARK: Time

    /// Whole seconds since 1970 as `GeneralizedTime` "YYYYMMDDHHMMSSZ" (RFC 5280 §4.1.2.5.2: no fractions).
    static func generalizedTime(_ date: Date) throws -> GeneralizedTime {
        let c = CivilTime(date)
        return try GeneralizedTime(
            year: c.year, month: c.month, day: c.day, hours: c.hour, minutes: c.minute, seconds: c.second,
            fractionalSeconds: 0)
    }

    static func date(_ time: GeneralizedTime) -> Date {
        CivilTime(
            year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes,
            second: time.seconds
        ).date.addingTimeInterval(time.fractionalSeconds)
    }

    /// RFC 5280 `Time`: UTCTime through 2049, GeneralizedTime from 2050 (§4.1.2.5, §5.1.2.4).
    static func serializeTime(_ date: Date, into coder: inout DER.Serializer) throws {
        let c = CivilTime(date)
        if c.year >= 1950 && c.year < 2050 {
            try coder.serialize(
                UTCTime(year: c.year, month: c.month, day: c.day, hours: c.hour, minutes: c.minute, seconds: c.second))
        } else {
            try coder.serialize(generalizedTime(date))
        }
    }

    static func parseTime(_ node: ASN1Node) throws -> Date {
        switch node.identifier {
        case .utcTime:
            let t = try UTCTime(derEncoded: node)
            return CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hours, minute: t.minutes, second: t.seconds).date
        case .generalizedTime:
            return date(try GeneralizedTime(derEncoded: node))
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    /// Proleptic Gregorian calendar arithmetic in UTC (days-from-civil), so that no time zone database is consulted.
    struct CivilTime {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

        init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
            (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
        }

        init(_ date: Date) {
            let total = Int(date.timeIntervalSince1970.rounded(.down))
            var days = total / 86_400
            var seconds = total % 86_400
            if seconds < 0 { seconds += 86_400; days -= 1 }
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            self.init(
                year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d, hour: seconds / 3600,
                minute: seconds % 3600 / 60, second: seconds % 60)
        }

        var date: Date {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let mp = month > 2 ? month - 3 : month + 9
            let doy = (153 * mp + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            let days = era * 146_097 + doe - 719_468
            return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
        }
    }
}

extension Certificate.SerialNumber {
    /// The serial number as lowercase hex without separators or a sign byte (the form `database.json` and `pnc pki
    /// revoke` use).
    public var hexString: String {
        var bytes = self.bytes
        while bytes.count > 1, bytes.first == 0 { bytes = bytes.dropFirst() }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Parses hex (`0x` prefix, `:` separators and either case allowed), as printed by openssl or `pnc`.
    public init(hexString: String) throws {
        var text = hexString.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ":", with: "").lowercased()
        if text.hasPrefix("0x") { text.removeFirst(2) }
        guard !text.isEmpty, text.count <= 80, text.allSatisfy(\.isHexDigit) else {
            throw V2GPKIError.make(.invalidRequest, "serial number \"\(hexString)\" is not hex (at most 40 bytes)")
        }
        if text.count % 2 == 1 { text = "0" + text }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else {
                throw V2GPKIError.make(.invalidRequest, "serial number \"\(hexString)\" is not hex")
            }
            bytes.append(byte)
            index = next
        }
        self.init(bytes: bytes)
    }
}
