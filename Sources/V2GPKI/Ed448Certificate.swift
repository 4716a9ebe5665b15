public import Ed448
public import Foundation
public import X509
import Crypto
import SwiftASN1

/// An X.509 v3 certificate whose subject key and signature are Ed448 (RFC 8410: id-Ed448 1.3.101.113, no
/// parameters), the ISO 15118-20 alternative to secp521r1.
///
/// swift-certificates' `Certificate.PublicKey` has no Ed448 case, so such certificates neither parse nor sign there;
/// this type reads and writes them on swift-asn1 and reuses X509's names and extension types.
public struct Ed448Certificate: Sendable, Hashable, CustomStringConvertible {
    /// id-Ed448 (RFC 8410 §3).
    public static let oid: ASN1ObjectIdentifier = [1, 3, 101, 113]

    public let derBytes: [UInt8]
    /// The DER TBSCertificate the signature covers, as it appears in ``derBytes``.
    public let tbsBytes: [UInt8]
    /// 1, 2 or 3.
    public let version: Int
    public let serialNumber: Certificate.SerialNumber
    public let issuer: DistinguishedName
    public let subject: DistinguishedName
    public let notValidBefore: Date
    public let notValidAfter: Date
    public let publicKey: Ed448.PublicKey
    public let extensions: Certificate.Extensions
    /// Whether the inner and outer signature algorithms are both id-Ed448 without parameters.
    public let signatureAlgorithmIsEd448: Bool
    public let signature: [UInt8]

    public var description: String { "Ed448Certificate(subject: \(subject), serial: \(serialNumber))" }

    public static func == (a: Self, b: Self) -> Bool { a.derBytes == b.derBytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(derBytes) }

    /// Parses a DER certificate with an Ed448 subject key.
    ///
    /// - Throws: `.unsupportedAlgorithm` when the key is not Ed448; `.malformedEncoding` for anything that does not
    ///   parse as RFC 5280 DER.
    public init(derEncoded bytes: [UInt8]) throws(V2GPKIError) {
        do {
            let root = try DER.parse(bytes)
            guard root.encodedBytes.count == bytes.count else { throw ASN1Error.invalidASN1Object(reason: "trailing bytes") }
            guard case .constructed(let outer) = root.content, root.identifier == .sequence else {
                throw ASN1Error.unexpectedFieldType(root.identifier)
            }
            var o = outer.makeIterator()
            guard let tbsNode = o.next(), let outerAlgorithm = o.next(), let signatureNode = o.next(), o.next() == nil,
                case .constructed(let tbs) = tbsNode.content, tbsNode.identifier == .sequence
            else { throw ASN1Error.invalidASN1Object(reason: "Certificate is not SEQUENCE { tbs, algorithm, signature }") }
            var t = tbs.makeIterator()
            guard var node = t.next() else { throw ASN1Error.invalidASN1Object(reason: "empty TBSCertificate") }
            var version = 1
            if node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                guard case .constructed(let wrapped) = node.content, let inner = wrapped.first(where: { _ in true }) else {
                    throw ASN1Error.invalidASN1Object(reason: "version")
                }
                version = try Int(derEncoded: inner) + 1
                guard let next = t.next() else { throw ASN1Error.invalidASN1Object(reason: "TBSCertificate ends early") }
                node = next
            }
            let serialNode = node
            guard case .primitive(let serialBytes) = serialNode.content, serialNode.identifier == .integer,
                !serialBytes.isEmpty
            else { throw ASN1Error.invalidASN1Object(reason: "serialNumber") }
            guard let innerAlgorithm = t.next(), let issuerNode = t.next(), let validityNode = t.next(),
                let subjectNode = t.next(), let spkiNode = t.next()
            else { throw ASN1Error.invalidASN1Object(reason: "TBSCertificate ends early") }
            let issuer = try DistinguishedName(derEncoded: issuerNode)
            let subject = try DistinguishedName(derEncoded: subjectNode)
            guard case .constructed(let validity) = validityNode.content else { throw ASN1Error.invalidASN1Object(reason: "validity") }
            var v = validity.makeIterator()
            guard let notBeforeNode = v.next(), let notAfterNode = v.next(), v.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "validity")
            }
            let notBefore = try X509Time.date(notBeforeNode)
            let notAfter = try X509Time.date(notAfterNode)
            guard case .constructed(let spki) = spkiNode.content else { throw ASN1Error.invalidASN1Object(reason: "subjectPublicKeyInfo") }
            var s = spki.makeIterator()
            guard let keyAlgorithm = s.next(), let keyNode = s.next(), s.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "subjectPublicKeyInfo")
            }
            guard Self.isEd448AlgorithmIdentifier(keyAlgorithm) else {
                throw V2GPKIError.make(.unsupportedAlgorithm, "the subject key is not id-Ed448")
            }
            let keyBits = try ASN1BitString(derEncoded: keyNode)
            guard keyBits.paddingBits == 0 else { throw ASN1Error.invalidASN1Object(reason: "public key BIT STRING padding") }
            let publicKey: Ed448.PublicKey
            do { publicKey = try Ed448.PublicKey(rawRepresentation: keyBits.bytes) } catch {
                throw V2GPKIError.make(.malformedEncoding, "the Ed448 public key is invalid: \(error.detail)", cause: error)
            }
            var extensions: [Certificate.Extension] = []
            while let next = t.next() {
                if next.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) {
                    guard case .constructed(let wrapped) = next.content, let list = wrapped.first(where: { _ in true }),
                        case .constructed(let items) = list.content
                    else { throw ASN1Error.invalidASN1Object(reason: "extensions") }
                    for item in items { extensions.append(try Certificate.Extension(derEncoded: item)) }
                }
            }
            let signatureBits = try ASN1BitString(derEncoded: signatureNode)
            guard signatureBits.paddingBits == 0 else { throw ASN1Error.invalidASN1Object(reason: "signature padding") }
            self.derBytes = bytes
            self.tbsBytes = Array(tbsNode.encodedBytes)
            self.version = version
            self.serialNumber = Certificate.SerialNumber(bytes: serialBytes)
            self.issuer = issuer
            self.subject = subject
            self.notValidBefore = notBefore
            self.notValidAfter = notAfter
            self.publicKey = publicKey
            self.extensions = try Certificate.Extensions(extensions)
            self.signatureAlgorithmIsEd448 =
                Self.isEd448AlgorithmIdentifier(innerAlgorithm) && Self.isEd448AlgorithmIdentifier(outerAlgorithm)
            self.signature = Array(signatureBits.bytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "not a DER certificate (\(bytes.count) bytes)", cause: error)
        }
    }

    /// Whether `issuerKey` signed this certificate (id-Ed448 in both algorithm fields and a valid Ed448 signature
    /// over the TBSCertificate).
    public func isSigned(by issuerKey: Ed448.PublicKey) -> Bool {
        signatureAlgorithmIsEd448 && issuerKey.isValidSignature(signature, for: tbsBytes)
    }

    /// PEM text (`CERTIFICATE`).
    public var pemString: String { PEMDocument(type: "CERTIFICATE", derBytes: derBytes).pemString }

    /// The subject key identifier as RFC 5280 §4.2.1.2 method (1) computes it: SHA-1 of the key's BIT STRING value.
    public static func keyIdentifier(of key: Ed448.PublicKey) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: key.rawRepresentation))
    }

    static func isEd448AlgorithmIdentifier(_ node: ASN1Node) -> Bool {
        guard case .constructed(let items) = node.content, node.identifier == .sequence else { return false }
        var i = items.makeIterator()
        guard let oidNode = i.next(), i.next() == nil, let oid = try? ASN1ObjectIdentifier(derEncoded: oidNode) else {
            return false
        }
        return oid == oid448
    }
    private static let oid448 = oid

    /// Builds and signs a certificate (RFC 5280 TBSCertificate, v3, id-Ed448 without parameters).
    static func sign(
        serialNumber: Certificate.SerialNumber, issuer: DistinguishedName, subject: DistinguishedName,
        notBefore: Date, notAfter: Date, publicKey: Ed448.PublicKey, extensions: Certificate.Extensions,
        issuerKey: Ed448.PrivateKey
    ) throws -> Ed448Certificate {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { c in
            try c.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { v in
                try v.serialize(2)
            }
            c.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: serialNumber.bytes) }
            try c.appendConstructedNode(identifier: .sequence) { try $0.serialize(oid) }
            try c.serialize(issuer)
            try c.appendConstructedNode(identifier: .sequence) { v in
                try X509Time.serialize(notBefore, into: &v)
                try X509Time.serialize(notAfter, into: &v)
            }
            try c.serialize(subject)
            try c.appendConstructedNode(identifier: .sequence) { spki in
                try spki.appendConstructedNode(identifier: .sequence) { try $0.serialize(oid) }
                try spki.serialize(ASN1BitString(bytes: publicKey.rawRepresentation[...]))
            }
            if !extensions.isEmpty {
                try c.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific)) { e in
                    try e.appendConstructedNode(identifier: .sequence) { list in
                        for ext in extensions { try list.serialize(ext) }
                    }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try issuerKey.signature(for: tbsBytes)
        var certificate = DER.Serializer()
        try certificate.appendConstructedNode(identifier: .sequence) { c in
            c.serializeRawBytes(tbsBytes)
            try c.appendConstructedNode(identifier: .sequence) { try $0.serialize(oid) }
            try c.serialize(ASN1BitString(bytes: signature[...]))
        }
        return try Ed448Certificate(derEncoded: certificate.serializedBytes)
    }
}

/// RFC 5280 §4.1.2.5 Time: UTCTime through 2049, GeneralizedTime from 2050, always UTC and whole seconds.
enum X509Time {
    static func date(_ node: ASN1Node) throws -> Date {
        let (year, month, day, hours, minutes, seconds): (Int, Int, Int, Int, Int, Int)
        switch node.identifier {
        case .utcTime:
            let t = try UTCTime(derEncoded: node)
            (year, month, day, hours, minutes, seconds) = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        case .generalizedTime:
            let t = try GeneralizedTime(derEncoded: node)
            (year, month, day, hours, minutes, seconds) = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hours * 3600 + minutes * 60 + seconds))
    }

    static func serialize(_ date: Date, into serializer: inout DER.Serializer) throws {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = Int((Double(total) / 86_400).rounded(.down))
        let secondsOfDay = total - days * 86_400
        let (year, month, day) = civilFromDays(days)
        let (h, m, s) = (secondsOfDay / 3600, secondsOfDay % 3600 / 60, secondsOfDay % 60)
        if (1950..<2050).contains(year) {
            try serializer.serialize(UTCTime(year: year, month: month, day: day, hours: h, minutes: m, seconds: s))
        } else {
            try serializer.serialize(
                GeneralizedTime(year: year, month: month, day: day, hours: h, minutes: m, seconds: s, fractionalSeconds: 0)
            )
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
