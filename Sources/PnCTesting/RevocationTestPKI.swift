import Crypto
public import Foundation
import SwiftASN1
public import Testing
public import X509

public import V2GPKI

/// A V2G-style chain built in code with fixed keys and dates: root CA → sub-CA → leaf certificates, plus a delegated
/// OCSP responder issued by the sub-CA. P-256 (ISO 15118-2) or P-521 (ISO 15118-20).
public struct RevocationTestPKI {
    public enum Curve: String, CaseIterable, Sendable { case p256, p521 }

    public let curve: Curve
    public let rootKey: Certificate.PrivateKey
    public let root: Certificate
    public let subCAKey: Certificate.PrivateKey
    public let subCA: Certificate
    public let responderKey: Certificate.PrivateKey
    public let responder: Certificate
    public let leaves: [Certificate]
    public let otherCAKey: Certificate.PrivateKey
    public let otherCA: Certificate

    public static let notBefore = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    public static let notAfter = Date(timeIntervalSince1970: 2_082_758_400)  // 2036-01-01T00:00:00Z

    public static func key(_ label: String, _ curve: Curve) throws -> Certificate.PrivateKey {
        let seed = Array(SHA512.hash(data: Array("openpnc-revocation-test-\(label)".utf8)))
        switch curve {
        case .p256: return Certificate.PrivateKey(try P256.Signing.PrivateKey(rawRepresentation: seed[0..<32]))
        case .p521: return Certificate.PrivateKey(try P521.Signing.PrivateKey(rawRepresentation: [0, 0] + seed))
        }
    }

    public static func name(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("DE")
            OrganizationName("OpenPnC Test")
            CommonName(commonName)
        }
    }

    public static func ski(_ key: Certificate.PublicKey) throws -> SubjectKeyIdentifier {
        SubjectKeyIdentifier(keyIdentifier: try OCSPResponderID.keyHash(of: key)[...])
    }

    public init(_ curve: Curve) throws {
        self.curve = curve
        let algorithm: Certificate.SignatureAlgorithm = curve == .p256 ? .ecdsaWithSHA256 : .ecdsaWithSHA512
        let rootKey = try Self.key("root", curve)
        let rootName = try Self.name("V2G Root CA \(curve.rawValue)")
        let rootSKI = try Self.ski(rootKey.publicKey)
        self.rootKey = rootKey
        root = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(0x01), publicKey: rootKey.publicKey,
            notValidBefore: Self.notBefore, notValidAfter: Self.notAfter, issuer: rootName, subject: rootName,
            signatureAlgorithm: algorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                rootSKI
            }, issuerPrivateKey: rootKey)

        let subCAKey = try Self.key("subca", curve)
        let subName = try Self.name("CPO Sub-CA \(curve.rawValue)")
        let subSKI = try Self.ski(subCAKey.publicKey)
        let subAKI = AuthorityKeyIdentifier(keyIdentifier: rootSKI.keyIdentifier)
        self.subCAKey = subCAKey
        subCA = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(0x1001), publicKey: subCAKey.publicKey,
            notValidBefore: Self.notBefore, notValidAfter: Self.notAfter, issuer: rootName, subject: subName,
            signatureAlgorithm: algorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                subSKI
                subAKI
            }, issuerPrivateKey: rootKey)

        let responderKey = try Self.key("ocsp", curve)
        let responderSKI = try Self.ski(responderKey.publicKey)
        let ocspUsage = try ExtendedKeyUsage([.ocspSigning])
        self.responderKey = responderKey
        responder = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(0x2001), publicKey: responderKey.publicKey,
            notValidBefore: Self.notBefore, notValidAfter: Self.notAfter, issuer: subName,
            subject: try Self.name("CPO Sub-CA \(curve.rawValue) OCSP"), signatureAlgorithm: algorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                ocspUsage
                responderSKI
            }, issuerPrivateKey: subCAKey)

        var leaves: [Certificate] = []
        for (i, serial) in [UInt64(0x3001), 0x3002, 0x3003, 0x80_00_00_01].enumerated() {
            let key = try Self.key("leaf\(i)", curve)
            leaves.append(
                try Certificate(
                    version: .v3, serialNumber: Certificate.SerialNumber(serial), publicKey: key.publicKey,
                    notValidBefore: Self.notBefore, notValidAfter: Self.notAfter, issuer: subName,
                    subject: try Self.name("SECC \(i) \(curve.rawValue)"), signatureAlgorithm: algorithm,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                    }, issuerPrivateKey: subCAKey))
        }
        self.leaves = leaves

        let otherCAKey = try Self.key("other", curve)
        let otherName = try Self.name("Unrelated CA \(curve.rawValue)")
        self.otherCAKey = otherCAKey
        otherCA = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(0x0f), publicKey: otherCAKey.publicKey,
            notValidBefore: Self.notBefore, notValidAfter: Self.notAfter, issuer: otherName, subject: otherName,
            signatureAlgorithm: algorithm,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: otherCAKey)
    }

    /// The sub-CA's database: leaves 0-2 issued, leaf 1 revoked (keyCompromise), leaf 2 revoked (unspecified);
    /// leaf 3 never recorded.
    public func database(revokedAt: Date) throws -> CertificateDatabase {
        var database = CertificateDatabase()
        for leaf in leaves.prefix(3) { try database.recordIssued(leaf) }
        try database.recordIssued(responder)
        try database.revoke(serial: leaves[1].serialNumber, reason: .keyCompromise, at: revokedAt)
        try database.revoke(serial: leaves[2].serialNumber, reason: .cessationOfOperation, at: revokedAt)
        return database
    }

    public static func pem(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    /// Writes a CA folder as `pnc pki` expects it: cert.pem, key.pem (PKCS#8), ocsp/cert.pem, ocsp/key.pem,
    /// database.json.
    public func writeCAFolder(to directory: URL, database: CertificateDatabase, delegated: Bool) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.pem(subCA).write(to: directory.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try subCAKey.serializeAsPEM().pemString.write(
            to: directory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        if delegated {
            let ocsp = directory.appendingPathComponent("ocsp")
            try fm.createDirectory(at: ocsp, withIntermediateDirectories: true)
            try Self.pem(responder).write(to: ocsp.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
            try responderKey.serializeAsPEM().pemString.write(
                to: ocsp.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        }
        try CertificateDatabaseFile(caDirectory: directory).save(database)
    }
}

/// A fresh temporary folder removed when the value is dropped by the test.
public final class TemporaryDirectory: Sendable {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("openpnc-revocation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs openssl, returning exit status and combined output.
public enum OpenSSL {
    public static let path: String? = Peers.openssl
    public static var available: Bool { path != nil }
    public static let skipNote: Comment = "SKIPPED-PEER openssl: apt-get install openssl"

    /// Runs openssl in `directory` (``Peers/runAsync(_:_:cwd:timeout:)``: the wait never blocks a thread).
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL) async throws -> (status: Int32, output: String) {
        try await Peers.runAsync(path ?? "/usr/bin/openssl", arguments, cwd: directory.path)
    }
}
