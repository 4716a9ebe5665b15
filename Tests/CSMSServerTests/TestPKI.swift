import CSMS
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A small test PKI built in code with fixed keys and dates: a root CA, a CSMS server certificate for 127.0.0.1,
/// station client certificates, and a CA that signs CSRs (the CertificateAuthority port of the CSMS).
struct TestPKI {
    static let notBefore = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
    static let notAfter = Date(timeIntervalSince1970: 2_051_222_400)  // 2035-01-01

    static func key(_ seed: UInt8) -> P256.Signing.PrivateKey {
        // Fixed scalar: 31 bytes of the seed and a final 1 (always below the group order).
        try! P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 31) + [1])
    }

    let rootKey = TestPKI.key(0x11)
    let serverKey = TestPKI.key(0x22)
    let root: Certificate
    let server: Certificate

    init() throws {
        let rootName = try DistinguishedName { CommonName("OpenPnC Test Root") }
        root = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [1]),
            publicKey: .init(rootKey.publicKey), notValidBefore: Self.notBefore, notValidAfter: Self.notAfter,
            issuer: rootName, subject: rootName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(rootKey))
        server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [2]),
            publicKey: .init(serverKey.publicKey), notValidBefore: Self.notBefore, notValidAfter: Self.notAfter,
            issuer: rootName, subject: try DistinguishedName { CommonName("127.0.0.1") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])), .dnsName("localhost")])
                try ExtendedKeyUsage([.serverAuth])
            },
            issuerPrivateKey: .init(rootKey))
    }

    /// A client certificate with subject CN `commonName` signed by the root.
    func client(commonName: String, key: P256.Signing.PrivateKey, serial: UInt8) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [serial]),
            publicKey: .init(key.publicKey), notValidBefore: Self.notBefore, notValidAfter: Self.notAfter,
            issuer: root.subject, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { try ExtendedKeyUsage([.clientAuth]) },
            issuerPrivateKey: .init(rootKey))
    }

    static func pem(_ certificate: Certificate) throws -> String { try certificate.serializeAsPEM().pemString }

    static func nio(_ certificate: Certificate) throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: Array(try pem(certificate).utf8), format: .pem)
    }

    static func nio(_ key: P256.Signing.PrivateKey) throws -> NIOSSLPrivateKey {
        try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
    }

    var serverTLS: TLSConfiguration {
        get throws {
            TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try Self.nio(server))], privateKey: .privateKey(try Self.nio(serverKey)))
        }
    }

    /// A PKCS#10 CSR (PEM) for `commonName` signed with `key`.
    static func csr(commonName: String, key: P256.Signing.PrivateKey) throws -> String {
        let request = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName(commonName) }, privateKey: .init(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
        return try request.serializeAsPEM().pemString
    }
}

/// The CSMS CertificateAuthority port implemented with swift-certificates for tests: verifies the CSR's signature
/// and issues a leaf for its key and subject, signed by the test root.
struct TestCertificateAuthority: CertificateAuthority {
    let pki: TestPKI

    struct Refused: Error {}

    func sign(csrPEM: String, certificateType: String) async throws -> String {
        let request = try CertificateSigningRequest(pemEncoded: csrPEM)
        guard request.publicKey.isValidSignature(request.signature, for: request) else { throw Refused() }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x42]),
            publicKey: request.publicKey, notValidBefore: TestPKI.notBefore, notValidAfter: TestPKI.notAfter,
            issuer: pki.root.subject, subject: request.subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { try ExtendedKeyUsage([.clientAuth, .serverAuth]) },
            issuerPrivateKey: .init(pki.rootKey))
        return try TestPKI.pem(leaf)
    }
}
