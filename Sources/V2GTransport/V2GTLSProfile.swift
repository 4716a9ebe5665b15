import Crypto
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// The cipher suite ISO 15118-2 requires ([V2G2-602]): TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (0xC023,
/// RFC 5289). BoringSSL marks it deprecated and enables it only when named, so every -2 profile names it.
public let iso15118_2CipherSuite = NIOTLSCipher(rawValue: 0xC023)

/// TLS 1.3 signature schemes of the -20 profiles: ecdsa_secp521r1_sha512 (the -20 certificates are P-521), with
/// P-384/P-256 accepted for chains issued before a P-521 PKI exists. BoringSSL offers no Ed448.
public let iso15118_20SignatureAlgorithms: [SignatureAlgorithm] = [
    .ecdsaSecp521R1Sha512, .ecdsaSecp384R1Sha384, .ecdsaSecp256R1Sha256,
]

/// A certificate chain and its key that the SECC can present, with the root it chains to.
public struct V2GTLSIdentity: Sendable {
    /// Leaf first, then the sub-CAs (the root is not sent).
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey
    /// RFC 6066 `key_sha1_hash` of the root this chain ends at (SHA-1 of the root's subjectPublicKey), when the root
    /// is known; the -20 server uses it to pick the chain a vehicle trusts (``TrustedCAKeys``).
    public var rootKeyHash: [UInt8]?
    /// RFC 6066 `cert_sha1_hash` of that root (SHA-1 of its DER certificate), when the root is known.
    public var rootCertificateHash: [UInt8]?
    /// DER DistinguishedName of that root (RFC 6066 `x509_name`, RFC 8446 certificate_authorities), when known.
    public var rootSubject: [UInt8]?

    /// How a ClientHello can name this identity's root.
    public var rootKeys: TrustedRootKeys {
        TrustedRootKeys(keyHash: self.rootKeyHash, certificateHash: self.rootCertificateHash, subject: self.rootSubject)
    }

    /// - Parameters:
    ///   - certificateChain: leaf first, then sub-CAs.
    ///   - root: the root certificate the chain verifies to, needed only to choose between several identities
    ///     (ISO 15118-20 trusted-CA selection).
    public init(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey, root: NIOSSLCertificate?) throws {
        guard !certificateChain.isEmpty else {
            throw V2GTransportError.make(.invalidConfiguration, "a TLS identity needs at least a leaf certificate")
        }
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.rootKeyHash = try root.map { try TrustedCAKeys.keyHash(of: $0) }
        if let root {
            let der: [UInt8]
            let parsed: Certificate
            do {
                der = try root.toDERBytes()
                parsed = try Certificate(derEncoded: der)
                var serializer = DER.Serializer()
                try serializer.serialize(parsed.subject)
                self.rootSubject = serializer.serializedBytes
            } catch {
                throw V2GTransportError.make(.invalidConfiguration, "root certificate does not parse", cause: error)
            }
            self.rootCertificateHash = Array(Insecure.SHA1.hash(data: der))
        }
    }
}

/// TLS settings of the SECC's server socket for one of the ISO 15118 profiles.
public struct V2GTLSServerProfile: Sendable {
    public let name: String
    let context: NIOSSLContext
    /// The configuration the context was made from (for inspection and tests).
    public let configuration: TLSConfiguration

    init(name: String, configuration: TLSConfiguration) throws {
        self.name = name
        self.configuration = configuration
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw V2GTransportError.make(.invalidConfiguration, "TLS server profile \(name)", cause: error)
        }
    }

    /// ISO 15118-2 (§7.7.3): TLS 1.2 only ([V2G2-067]), the SECC is the server ([V2G2-068]), cipher suite
    /// ECDHE-ECDSA-AES128-SHA256 only ([V2G2-602]), curve secp256r1; the server sends leaf and sub-CAs so that the
    /// EVCC can verify up to its V2G root; no client certificate is requested.
    public static func iso15118_2(identity: V2GTLSIdentity) throws -> Self {
        try Self.iso15118_2(identities: [identity])
    }

    /// The ISO 15118-2 profile for an SECC holding chains under several V2G roots: the first is presented unless
    /// the EVCC names another root in its trusted-CA hint (``TrustedCAKeys``; the standard's trusted_ca_keys
    /// extension itself cannot be read through BoringSSL).
    public static func iso15118_2(identities: [V2GTLSIdentity]) throws -> Self {
        guard let first = identities.first else {
            throw V2GTransportError.make(.invalidConfiguration, "ISO 15118-2 server needs at least one identity")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: first.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(first.privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = [iso15118_2CipherSuite]
        configuration.curves = [.secp256r1]
        configuration.certificateVerification = .none
        try Self.selectIdentityByHint(&configuration, identities)
        return try Self(name: "ISO 15118-2", configuration: configuration)
    }

    /// With several identities, installs the SNI callback that picks one by the client's trusted-CA hint.
    private static func selectIdentityByHint(
        _ configuration: inout TLSConfiguration,
        _ identities: [V2GTLSIdentity]
    )
        throws
    {
        guard identities.count > 1 else { return }
        guard identities.allSatisfy({ $0.rootKeyHash != nil }) else {
            throw V2GTransportError.make(
                .invalidConfiguration,
                "with several identities each needs its root to be chosen by"
            )
        }
        configuration.sslContextCallback = { values, promise in
            promise.succeed(TrustedCAKeys.override(for: values.serverHostname, choosingFrom: identities))
        }
    }

    /// ISO 15118-20: TLS 1.3 only, mutual authentication: the EVCC must present its vehicle (OEM) chain, verified
    /// against `vehicleTrustRoots`; the server announces those roots as acceptable CAs (certificate_authorities in
    /// the CertificateRequest). With several identities (one per V2G root) the server picks the one whose root the
    /// client names in its trusted-CA hint (see ``TrustedCAKeys``); without a match it presents the first.
    ///
    /// Not done, because BoringSSL (via swift-nio-ssl) offers no control over them: restricting the TLS 1.3 cipher
    /// suites to the -20 list and offering x448 key exchange. Key exchange is limited to secp521r1 and x25519-free
    /// NIST curves (secp521r1, secp384r1).
    public static func iso15118_20(identities: [V2GTLSIdentity], vehicleTrustRoots: [NIOSSLCertificate]) throws -> Self
    {
        guard let first = identities.first else {
            throw V2GTransportError.make(.invalidConfiguration, "ISO 15118-20 server needs at least one identity")
        }
        guard !vehicleTrustRoots.isEmpty else {
            throw V2GTransportError.make(.invalidConfiguration, "ISO 15118-20 server needs the vehicle (OEM) roots")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: first.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(first.privateKey)
        )
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.curves = [.secp521r1, .secp384r1]
        configuration.signingSignatureAlgorithms = iso15118_20SignatureAlgorithms
        configuration.verifySignatureAlgorithms = iso15118_20SignatureAlgorithms
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(vehicleTrustRoots)
        configuration.sendCANameList = true
        try Self.selectIdentityByHint(&configuration, identities)
        return try Self(name: "ISO 15118-20", configuration: configuration)
    }
}

/// TLS settings of the EVCC's client socket for one of the ISO 15118 profiles.
public struct V2GTLSClientProfile: Sendable {
    public let name: String
    let context: NIOSSLContext
    /// Server name sent in SNI: the trusted-CA hint (``TrustedCAKeys``), or nil.
    let serverHostname: String?
    public let configuration: TLSConfiguration

    init(name: String, configuration: TLSConfiguration, serverHostname: String?) throws {
        self.name = name
        self.configuration = configuration
        self.serverHostname = serverHostname
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw V2GTransportError.make(.invalidConfiguration, "TLS client profile \(name)", cause: error)
        }
    }

    /// ISO 15118-2: TLS 1.2 only, only ECDHE-ECDSA-AES128-SHA256, secp256r1; the SECC chain must verify to one of
    /// `v2gRoots`; no hostname check (the SECC is reached by a link-local address); no client certificate.
    ///
    /// The -2 EVCC sends the trusted_ca_keys extension (RFC 6066) in the standard; BoringSSL cannot send it, so
    /// `sendTrustedCAHint` puts the same information into SNI instead (see ``TrustedCAKeys``).
    public static func iso15118_2(v2gRoots: [NIOSSLCertificate], sendTrustedCAHint: Bool = false) throws -> Self {
        guard !v2gRoots.isEmpty else {
            throw V2GTransportError.make(.invalidConfiguration, "ISO 15118-2 client needs at least one V2G root")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = [iso15118_2CipherSuite]
        configuration.curves = [.secp256r1]
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(v2gRoots)
        let hint = sendTrustedCAHint ? try TrustedCAKeys.serverName(for: v2gRoots) : nil
        return try Self(name: "ISO 15118-2", configuration: configuration, serverHostname: hint)
    }

    /// ISO 15118-20: TLS 1.3 only, mutual: presents the vehicle chain (`identity`, leaf first) and verifies the SECC
    /// chain against `v2gRoots` without a hostname check. The trusted-CA hint (``TrustedCAKeys``) is always sent so
    /// that an SECC holding chains under several V2G roots presents one this vehicle trusts.
    public static func iso15118_20(v2gRoots: [NIOSSLCertificate], identity: V2GTLSIdentity) throws -> Self {
        guard !v2gRoots.isEmpty else {
            throw V2GTransportError.make(.invalidConfiguration, "ISO 15118-20 client needs at least one V2G root")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.curves = [.secp521r1, .secp384r1]
        configuration.signingSignatureAlgorithms = iso15118_20SignatureAlgorithms
        configuration.verifySignatureAlgorithms = iso15118_20SignatureAlgorithms
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(v2gRoots)
        configuration.certificateChain = identity.certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(identity.privateKey)
        return try Self(
            name: "ISO 15118-20",
            configuration: configuration,
            serverHostname: try TrustedCAKeys.serverName(for: v2gRoots)
        )
    }

    /// A -2 client for tests and diagnostics that offers other versions or cipher suites than the profile allows.
    public static func custom(name: String, configuration: TLSConfiguration) throws -> Self {
        try Self(name: name, configuration: configuration, serverHostname: nil)
    }
}

/// Trusted-CA selection between an EVCC and an SECC that holds chains under several V2G roots.
///
/// The standards use the TLS extensions trusted_ca_keys (RFC 6066 §6, ISO 15118-2) and certificate_authorities
/// (RFC 8446 §4.2.4, ISO 15118-20) in the ClientHello. BoringSSL, as exposed by swift-nio-ssl, can neither send
/// these in a ClientHello nor show them to the server. What is done instead: the client lists the RFC 6066
/// `key_sha1_hash` of up to five trusted roots as DNS labels of the SNI name
/// (`<40 hex>.<40 hex>.trusted-ca.invalid`; `.invalid` per RFC 6761 so it never resolves), and the server picks
/// the first of its identities whose root matches. A peer that sends the real extensions is not understood (the
/// server then presents its first chain), and our client's hint means nothing to other servers: it is only
/// ever an SNI name they ignore or use for virtual hosting.
public enum TrustedCAKeys {
    /// Suffix of the SNI name that carries the hint.
    public static let suffix = "trusted-ca.invalid"
    /// At most this many root hashes fit a DNS name (5 × 41 + 18 ≤ 253).
    public static let maximumRoots = 5

    /// SHA-1 of the certificate's subjectPublicKey (the uncompressed EC point), RFC 6066 `key_sha1_hash`.
    public static func keyHash(of certificate: NIOSSLCertificate) throws -> [UInt8] {
        let parsed: Certificate
        do {
            parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        } catch {
            throw V2GTransportError.make(.invalidConfiguration, "root certificate does not parse", cause: error)
        }
        let point: [UInt8]
        if let key = P256.Signing.PublicKey(parsed.publicKey) {
            point = Array(key.x963Representation)
        } else if let key = P384.Signing.PublicKey(parsed.publicKey) {
            point = Array(key.x963Representation)
        } else if let key = P521.Signing.PublicKey(parsed.publicKey) {
            point = Array(key.x963Representation)
        } else {
            throw V2GTransportError.make(.invalidConfiguration, "root key is not a NIST P-256/P-384/P-521 EC key")
        }
        return Array(Insecure.SHA1.hash(data: point))
    }

    /// The SNI name that lists the roots' key hashes, in order of preference.
    public static func serverName(for roots: [NIOSSLCertificate]) throws -> String {
        let labels = try roots.prefix(Self.maximumRoots).map { root in
            try Self.keyHash(of: root).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
        return (labels + [Self.suffix]).joined(separator: ".")
    }

    /// Parses an SNI name into the listed key hashes; nil when it is not a hint.
    public static func keyHashes(inServerName name: String) -> [[UInt8]]? {
        guard name.hasSuffix("." + Self.suffix) else { return nil }
        let labels = name.dropLast(Self.suffix.count + 1).split(separator: ".")
        guard !labels.isEmpty, labels.count <= Self.maximumRoots else { return nil }
        var hashes: [[UInt8]] = []
        for label in labels {
            guard label.utf8.count == 40 else { return nil }
            var bytes: [UInt8] = []
            var index = label.startIndex
            while index < label.endIndex {
                let next = label.index(index, offsetBy: 2)
                guard let byte = UInt8(label[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            hashes.append(bytes)
        }
        return hashes
    }

    /// The identity to present for a client's SNI name: the first whose root the client lists, else no change.
    static func override(
        for serverName: String?,
        choosingFrom identities: [V2GTLSIdentity]
    ) -> NIOSSLContextConfigurationOverride {
        guard let serverName, let wanted = Self.keyHashes(inServerName: serverName) else { return .noChanges }
        for hash in wanted {
            if let identity = identities.first(where: { $0.rootKeyHash == hash }) {
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = identity.certificateChain.map { .certificate($0) }
                override.privateKey = .privateKey(identity.privateKey)
                return override
            }
        }
        return .noChanges
    }
}
