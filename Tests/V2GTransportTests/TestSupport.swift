import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import PnCTesting
import SwiftASN1
import Synchronization
import V2GTransport
import X509

/// Certificate chains root → Sub-CA 1 → Sub-CA 2 → leaf built in code (ISO 15118-2 profile shape: pathLen 1 and
/// 0, critical keyUsage, leaf CA:false with digitalSignature + keyAgreement).
struct TestChain {
    enum Curve { case p256, p521 }

    let root: NIOSSLCertificate
    /// Leaf first, then Sub-CA 2, Sub-CA 1.
    let chain: [NIOSSLCertificate]
    let leafKey: NIOSSLPrivateKey
    let rootDER: [UInt8]

    var identity: V2GTLSIdentity {
        get throws { try V2GTLSIdentity(certificateChain: self.chain, privateKey: self.leafKey, root: self.root) }
    }

    /// Root certificate as PEM text (for openssl).
    var rootPEM: String {
        "-----BEGIN CERTIFICATE-----\n"
            + Data(self.rootDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE-----\n"
    }

    init(domain: String, curve: Curve = .p256) throws {
        let now = Date()
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = now.addingTimeInterval(86_400)
        func name(_ cn: String) throws -> DistinguishedName {
            try DistinguishedName {
                CommonName(cn)
                OrganizationName("OpenPnC Test")
                CountryName("DE")
                DomainComponent(domain)
            }
        }
        func key() throws -> (Certificate.PrivateKey, NIOSSLPrivateKey) {
            switch curve {
            case .p256:
                let key = P256.Signing.PrivateKey()
                return (
                    Certificate.PrivateKey(key),
                    try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
                )
            case .p521:
                let key = P521.Signing.PrivateKey()
                return (
                    Certificate.PrivateKey(key),
                    try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
                )
            }
        }
        let algorithm: Certificate.SignatureAlgorithm = curve == .p256 ? .ecdsaWithSHA256 : .ecdsaWithSHA512
        func issue(
            _ subject: DistinguishedName,
            _ publicKey: Certificate.PublicKey,
            by issuer: DistinguishedName,
            _ issuerKey: Certificate.PrivateKey,
            pathLength: Int?
        ) throws -> [UInt8] {
            let extensions = try Certificate.Extensions {
                if let pathLength {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                } else {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                }
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: issuer,
                subject: subject,
                signatureAlgorithm: algorithm,
                extensions: extensions,
                issuerPrivateKey: issuerKey
            )
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        }
        let (rootKey, _) = try key()
        let (sub1Key, _) = try key()
        let (sub2Key, _) = try key()
        let (leafKey, leafNIOKey) = try key()
        let rootName = try name("\(domain) Root CA")
        let sub1Name = try name("\(domain) Sub-CA 1")
        let sub2Name = try name("\(domain) Sub-CA 2")
        let leafName = try name("\(domain) Leaf")
        let rootDER = try issue(rootName, rootKey.publicKey, by: rootName, rootKey, pathLength: 2)
        let sub1DER = try issue(sub1Name, sub1Key.publicKey, by: rootName, rootKey, pathLength: 1)
        let sub2DER = try issue(sub2Name, sub2Key.publicKey, by: sub1Name, sub1Key, pathLength: 0)
        let leafDER = try issue(leafName, leafKey.publicKey, by: sub2Name, sub2Key, pathLength: nil)
        self.rootDER = rootDER
        self.root = try NIOSSLCertificate(bytes: rootDER, format: .der)
        self.chain = try [leafDER, sub2DER, sub1DER].map { try NIOSSLCertificate(bytes: $0, format: .der) }
        self.leafKey = leafNIOKey
    }
}

/// Collects log messages so tests can check that a refusal was logged with its reason.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    var all: [Entry] { self.entries.withLock { $0 } }

    /// Waits (bounded: 60 s, long enough for a loaded machine) until an entry satisfies `predicate`; returns it or nil.
    func waitFor(_ predicate: (Entry) -> Bool) async -> Entry? {
        await pollWhile { !self.all.contains(where: predicate) }
        return self.all.first(where: predicate)
    }

    fileprivate func append(_ entry: Entry) { self.entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            var merged: [String: String] = [:]
            for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                merged[key] = "\(value)"
            }
            self.recorder.append(Entry(level: event.level, message: "\(event.message)", metadata: merged))
        }
    }
}

/// The repository root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The first executable named `name` on PATH, or nil.
func executable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
