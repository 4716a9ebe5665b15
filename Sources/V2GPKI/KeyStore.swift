public import Ed448
public import X509
import Crypto
import Foundation

/// Where private keys live. Callers name keys by label and get a signing handle; key material never leaves the
/// store through this API, so an HSM backend (PKCS#11, through swift-certificates' `CustomPrivateKey`) can stand in
/// for the software store without changing callers.
public protocol KeyStore: Sendable {
    /// Creates a new key pair under `label` (replacing none: an existing label is an error) and returns its public key.
    func generateKey(label: String, algorithm: KeyAlgorithm) throws(V2GPKIError) -> Certificate.PublicKey
    /// A handle that signs with the key under `label`.
    func signingKey(label: String) throws(V2GPKIError) -> Certificate.PrivateKey
    /// Whether a key exists under `label`.
    func containsKey(label: String) -> Bool
    /// Creates a new Ed448 key pair under `label` from `generator` and returns its public key.
    func generateEd448Key(label: String, using generator: inout some RandomNumberGenerator) throws(V2GPKIError) -> Ed448.PublicKey
    /// A handle that signs with the Ed448 key under `label`.
    func ed448SigningKey(label: String) throws(V2GPKIError) -> Ed448.PrivateKey
}

extension KeyStore {
    /// Stores without Ed448 support refuse Ed448 keys with `.unsupportedAlgorithm`.
    public func generateEd448Key(
        label: String, using generator: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Ed448.PublicKey {
        throw .make(.unsupportedAlgorithm, "this key store holds no Ed448 keys")
    }

    public func ed448SigningKey(label: String) throws(V2GPKIError) -> Ed448.PrivateKey {
        throw .make(.unsupportedAlgorithm, "this key store holds no Ed448 keys")
    }
}

/// A ``KeyStore`` over a folder of encrypted PKCS#8 PEM files, `<label>.pem`, written with mode 0600.
///
/// Labels are relative paths of `[A-Za-z0-9._-]` components (`ca/v2g-root/key`).
public struct SoftwareKeyStore: KeyStore {
    public let directory: String
    private let password: String?
    /// PBKDF2 iterations for keys this store writes.
    public let iterations: Int

    /// - Parameters:
    ///   - password: the PBES2 password; nil writes unencrypted PKCS#8 (tests and throw-away PKIs only).
    ///   - iterations: PBKDF2 iterations for new key files.
    public init(directory: String, password: String?, iterations: Int = PrivateKeyFile.defaultIterations) {
        self.directory = directory
        self.password = password
        self.iterations = iterations
    }

    public func path(for label: String) -> String { "\(directory)/\(label).pem" }

    public func containsKey(label: String) -> Bool { FileManager.default.fileExists(atPath: path(for: label)) }

    public func generateKey(label: String, algorithm: KeyAlgorithm) throws(V2GPKIError) -> Certificate.PublicKey {
        guard Self.isValidLabel(label) else { throw .make(.invalidRequest, "key label \(label) is not a relative path of [A-Za-z0-9._-] parts") }
        guard !containsKey(label: label) else { throw .make(.invalidRequest, "a key \(label) exists already") }
        let key: Certificate.PrivateKey =
            switch algorithm {
            case .p256: Certificate.PrivateKey(P256.Signing.PrivateKey())
            case .p521: Certificate.PrivateKey(P521.Signing.PrivateKey())
            case .ed448:
                throw .make(.unsupportedAlgorithm, "X509 keys cannot be Ed448; use generateEd448Key(label:using:)")
            }
        try store(key, label: label)
        return key.publicKey
    }

    public func generateEd448Key(
        label: String, using generator: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Ed448.PublicKey {
        guard Self.isValidLabel(label) else { throw .make(.invalidRequest, "key label \(label) is not a relative path of [A-Za-z0-9._-] parts") }
        guard !containsKey(label: label) else { throw .make(.invalidRequest, "a key \(label) exists already") }
        let key = Ed448.PrivateKey(using: &generator)
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try write(PrivateKeyFile.pem(for: key, password: password, salt: salt, iv: iv, iterations: iterations), label: label)
        return key.publicKey
    }

    public func ed448SigningKey(label: String) throws(V2GPKIError) -> Ed448.PrivateKey {
        try PrivateKeyFile.loadEd448(path: path(for: label), password: password)
    }

    /// Stores an existing key (import) under a new label.
    public func store(_ key: Certificate.PrivateKey, label: String) throws(V2GPKIError) {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try write(PrivateKeyFile.pem(for: key, password: password, salt: salt, iv: iv, iterations: iterations), label: label)
    }

    private func write(_ pem: String, label: String) throws(V2GPKIError) {
        let folder = (path(for: label) as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch { throw .make(.missingFile, "cannot create \(folder)", cause: error) }
        guard FileManager.default.createFile(
            atPath: path(for: label), contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600]
        ) else { throw .make(.missingFile, "cannot write \(path(for: label))") }
    }

    public func signingKey(label: String) throws(V2GPKIError) -> Certificate.PrivateKey {
        try PrivateKeyFile.load(path: path(for: label), password: password)
    }

    static func isValidLabel(_ label: String) -> Bool {
        let parts = label.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { isValidComponent(String($0)) }
    }

    static func isValidComponent(_ label: String) -> Bool {
        !label.isEmpty && label.utf8.allSatisfy {
            ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        } && !label.hasPrefix(".")
    }
}

enum ASCII {
    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b)
    }
}
