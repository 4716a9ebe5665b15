import Ed448
import Foundation
public import X509
import PnCCore

/// A PKI on disk, as `pnc pki init` writes it and every other component reads it.
///
/// ```
/// <root>/pki.json                       profile and URLs
/// <root>/roots.pem                      the three trust anchors (V2G, MO, OEM)
/// <root>/ca/<role>/cert.pem, cert.der   each CA (roles: v2g-root, cpo-sub1, cpo-sub2, cps-sub1, cps-sub2, mo-root, …)
/// <root>/ca/<role>/key.pem              its key, encrypted PKCS#8
/// <root>/ca/<role>/chain.pem            the CA and its issuers below the root
/// <root>/ca/<role>/database.json        issued and revoked certificates (OCSP and CRL read it)
/// <root>/ca/<role>/ocsp/cert.pem, key.pem   the CA's delegated OCSP responder
/// <root>/leaf/<name>/cert.pem, cert.der, key.pem, chain.pem (leaf + Sub-CA 2 + Sub-CA 1)
/// ```
public struct PKIDirectory: Sendable {
    public let root: String
    public let configuration: Configuration
    let keys: SoftwareKeyStore

    /// What `pki.json` records.
    public struct Configuration: Codable, Sendable, Equatable {
        public var profile: PKIProfile
        /// The OCSP responder URL written into AIA extensions.
        public var ocspURL: String
        /// Base of the CRL distribution points; each CA's CRL is `<crlBaseURL>/<role>.crl`.
        public var crlBaseURL: String
        /// The key algorithm of every key; nil means the profile's default (secp256r1 for -2, secp521r1 for -20).
        /// `.ed448` gives an ISO 15118-20 PKI of Ed448 certificates.
        public var keyAlgorithm: KeyAlgorithm?

        public init(profile: PKIProfile, ocspURL: String, crlBaseURL: String, keyAlgorithm: KeyAlgorithm? = nil) {
            self.profile = profile
            self.ocspURL = ocspURL
            self.crlBaseURL = crlBaseURL
            self.keyAlgorithm = keyAlgorithm
        }

        /// The algorithm keys of this PKI have.
        public var effectiveKeyAlgorithm: KeyAlgorithm { keyAlgorithm ?? profile.keyAlgorithm }
    }

    /// Opens an existing PKI.
    ///
    /// - Parameter password: the key password (from a file or the environment); nil for unencrypted keys.
    public init(root: String, password: String?) throws(V2GPKIError) {
        guard let data = FileManager.default.contents(atPath: "\(root)/pki.json") else {
            throw .make(.missingFile, "\(root)/pki.json not found: not a PKI made by `pnc pki init`")
        }
        do { self.configuration = try JSONDecoder().decode(Configuration.self, from: data) } catch {
            throw .make(.malformedEncoding, "\(root)/pki.json does not parse", cause: error)
        }
        self.root = root
        self.keys = SoftwareKeyStore(directory: root, password: password)
    }

    init(root: String, configuration: Configuration, password: String?, iterations: Int) {
        self.root = root
        self.configuration = configuration
        self.keys = SoftwareKeyStore(directory: root, password: password, iterations: iterations)
    }

    public var profile: PKIProfile { configuration.profile }
    public var keyStore: any KeyStore { keys }

    public func caDirectory(_ role: CertificateRole) -> String { "\(root)/ca/\(role.rawValue)" }
    public func leafDirectory(_ name: String) -> String { "\(root)/leaf/\(name)" }

    /// The CRL URL of a CA.
    public func crlURL(of role: CertificateRole) -> String { "\(configuration.crlBaseURL)/\(role.rawValue).crl" }

    /// A CA: its certificate, its chain below the root, and a signing handle.
    ///
    /// - Throws: `.unsupportedAlgorithm` for an Ed448 PKI (its certificates are ``Ed448Certificate``s; see
    ///   ``ed448Roots()``).
    public func authority(_ role: CertificateRole) throws(V2GPKIError) -> CertificateAuthority {
        guard role.isCA else { throw .make(.invalidRequest, "\(role.rawValue) is not a CA") }
        guard configuration.effectiveKeyAlgorithm != .ed448 else {
            throw .make(.unsupportedAlgorithm, "\(root) is an Ed448 PKI; issuing from it after init is not supported yet")
        }
        let dir = caDirectory(role)
        let certificate = try CertificateFile.certificates(atPath: "\(dir)/cert.pem")[0]
        let chain = try CertificateFile.certificates(atPath: "\(dir)/chain.pem")
        let key = try keys.signingKey(label: "ca/\(role.rawValue)/key")
        return CertificateAuthority(
            role: role, certificate: certificate, chainBelowRoot: role.isRoot ? [] : chain, key: key,
            directory: dir, profile: profile, ocspURL: configuration.ocspURL, crlURL: crlURL(of: role)
        )
    }

    /// The trust anchors of the PKI.
    public func roots() throws(V2GPKIError) -> [Certificate] {
        try CertificateFile.certificates(atPath: "\(root)/roots.pem")
    }

    /// Options of ``create(at:configuration:password:validityDays:caValidityDays:now:)``.
    public struct InitOptions: Sendable {
        public var leafValidityDays: Int?
        public var caValidityDays: Int?
        public var contractEMAID: EMAID?
        public var pcid: PCID?
        /// PBKDF2 iterations of the key files (lower only for tests).
        public var keyIterations: Int = PrivateKeyFile.defaultIterations
        public init(
            leafValidityDays: Int? = nil, caValidityDays: Int? = nil, contractEMAID: EMAID? = nil, pcid: PCID? = nil
        ) {
            self.leafValidityDays = leafValidityDays
            self.caValidityDays = caValidityDays
            self.contractEMAID = contractEMAID
            self.pcid = pcid
        }
    }

    /// Creates the complete test PKI under `root`: three roots, two Sub-CAs under each, the SECC, CPS, contract and
    /// OEM provisioning leaves, and a delegated OCSP responder for every CA.
    ///
    /// - Throws: `.invalidRequest` when `root` already holds a PKI.
    @discardableResult
    public static func create(
        at root: String, configuration: Configuration, password: String?, options: InitOptions = .init(),
        now: Date = Date()
    ) throws(V2GPKIError) -> PKIDirectory {
        if FileManager.default.fileExists(atPath: "\(root)/pki.json") {
            throw .make(.invalidRequest, "\(root) already holds a PKI (pki.json exists)")
        }
        let algorithm = configuration.effectiveKeyAlgorithm
        guard algorithm.isAllowed(in: configuration.profile) else {
            throw .make(.unsupportedAlgorithm, "\(configuration.profile.rawValue) does not allow \(algorithm.rawValue) keys")
        }
        if algorithm == .ed448 {
            return try createEd448(at: root, configuration: configuration, password: password, options: options, now: now)
        }
        let pki = PKIDirectory(root: root, configuration: configuration, password: password, iterations: options.keyIterations)
        try pki.createDirectory(root)
        var rng = SystemRandomNumberGenerator()
        let issuer = CertificateIssuer(profile: configuration.profile)
        let notBefore = now.addingTimeInterval(-3600)  // an hour of clock skew between parties

        func validity(_ role: CertificateRole) -> Date {
            let days = role.isCA ? (options.caValidityDays ?? role.defaultValidityDays)
                : (options.leafValidityDays ?? role.defaultValidityDays)
            return notBefore.addingTimeInterval(Double(days) * 86_400)
        }

        var authorities: [CertificateRole: CertificateAuthority] = [:]
        let caOrder: [CertificateRole] = [
            .v2gRoot, .cpoSubCA1, .cpoSubCA2, .cpsSubCA1, .cpsSubCA2, .moRoot, .moSubCA1, .moSubCA2, .oemRoot,
            .oemSubCA1, .oemSubCA2,
        ]
        for role in caOrder {
            let dir = pki.caDirectory(role)
            try pki.createDirectory(dir)
            let label = "ca/\(role.rawValue)/key"
            let publicKey = try pki.keys.generateKey(label: label, algorithm: configuration.profile.keyAlgorithm)
            let key = try pki.keys.signingKey(label: label)
            let parent = role.issuerRole.flatMap { authorities[$0] }
            let request = IssuanceRequest(
                role: role,
                subject: try subject(role.defaultCommonName, role: role),
                publicKey: publicKey, serialNumber: CertificateIssuer.randomSerialNumber(using: &rng),
                notBefore: notBefore, notAfter: min(validity(role), parent?.certificate.notValidAfter ?? .distantFuture),
                ocspURL: parent == nil ? nil : configuration.ocspURL,
                crlURL: parent.map { pki.crlURL(of: $0.role) }
            )
            let certificate = try issuer.issue(request, issuer: parent?.certificate, issuerKey: parent?.key ?? key)
            let chain = role.isRoot ? [certificate] : [certificate] + (parent?.chainBelowRoot ?? [])
            try pki.write(certificate, to: dir)
            try pki.writeFile("\(dir)/chain.pem", CertificateFile.pemBundle(chain))
            let authority = CertificateAuthority(
                role: role, certificate: certificate, chainBelowRoot: role.isRoot ? [] : chain, key: key,
                directory: dir, profile: configuration.profile, ocspURL: configuration.ocspURL,
                crlURL: pki.crlURL(of: role)
            )
            try parent?.recordIssued(certificate)
            authorities[role] = authority
        }
        try pki.writeFile(
            "\(root)/roots.pem",
            CertificateFile.pemBundle([.v2gRoot, .moRoot, .oemRoot].compactMap { authorities[$0]?.certificate })
        )

        // OCSP responders, one per CA.
        for role in caOrder {
            guard let ca = authorities[role] else { continue }
            let dir = "\(pki.caDirectory(role))/ocsp"
            try pki.createDirectory(dir)
            let label = "ca/\(role.rawValue)/ocsp/key"
            let publicKey = try pki.keys.generateKey(label: label, algorithm: configuration.profile.keyAlgorithm)
            let certificate = try ca.issue(
                role: .ocspSigner, subject: subject("\(role.defaultCommonName) OCSP", role: .ocspSigner),
                publicKey: publicKey, validityDays: options.leafValidityDays ?? CertificateRole.ocspSigner.defaultValidityDays,
                now: now, using: &rng
            )
            try pki.write(certificate, to: dir)
        }

        // Leaves.
        let contractCN = options.contractEMAID?.normalized ?? CertificateRole.contract.defaultCommonName
        let oemCN = options.pcid?.value ?? CertificateRole.oemProvisioning.defaultCommonName
        let leaves: [(String, CertificateRole, String)] = [
            ("secc", .secc, CertificateRole.secc.defaultCommonName), ("cps", .cps, CertificateRole.cps.defaultCommonName),
            ("contract", .contract, contractCN), ("oem-prov", .oemProvisioning, oemCN),
        ]
        for (name, role, commonName) in leaves {
            guard let issuerRole = role.issuerRole, let ca = authorities[issuerRole] else { continue }
            try pki.issueLeaf(
                name: name, role: role, commonName: commonName, by: ca,
                validityDays: options.leafValidityDays ?? role.defaultValidityDays, now: now, using: &rng
            )
        }
        try pki.writeFile("\(root)/pki.json", String(decoding: try pki.encodedConfiguration(), as: UTF8.self))
        return pki
    }

    /// The trust anchors of an Ed448 PKI.
    public func ed448Roots() throws(V2GPKIError) -> [Ed448Certificate] {
        try CertificateFile.ed448Certificates(atPath: "\(root)/roots.pem")
    }

    /// ``create(at:configuration:password:options:now:)`` for Ed448: the same hierarchy, subjects, extensions, files
    /// and databases, with Ed448 keys (RFC 8410 PKCS#8) and Ed448 signatures.
    static func createEd448(
        at root: String, configuration: Configuration, password: String?, options: InitOptions, now: Date
    ) throws(V2GPKIError) -> PKIDirectory {
        let pki = PKIDirectory(root: root, configuration: configuration, password: password, iterations: options.keyIterations)
        try pki.createDirectory(root)
        var rng = SystemRandomNumberGenerator()
        let issuer = CertificateIssuer(profile: configuration.profile)
        let notBefore = now.addingTimeInterval(-3600)
        struct Authority {
            let certificate: Ed448Certificate
            let key: Ed448.PrivateKey
            let chainBelowRoot: [Ed448Certificate]
            let directory: String
        }
        func validityEnd(_ role: CertificateRole, cap: Date?) -> Date {
            let days = role.isCA ? (options.caValidityDays ?? role.defaultValidityDays)
                : (options.leafValidityDays ?? role.defaultValidityDays)
            return min(notBefore.addingTimeInterval(Double(days) * 86_400), cap ?? .distantFuture)
        }
        func record(_ certificate: Ed448Certificate, in parent: Authority) throws(V2GPKIError) {
            do { try CertificateDatabaseFile(caDirectory: URL(fileURLWithPath: parent.directory)).recordIssued(certificate) } catch {
                throw .make(.missingFile, "cannot record serial \(certificate.serialNumber) in \(parent.directory)", cause: error)
            }
        }
        func write(_ certificate: Ed448Certificate, to dir: String) throws(V2GPKIError) {
            try pki.writeFile("\(dir)/cert.pem", certificate.pemString)
            try pki.writeData("\(dir)/cert.der", Data(certificate.derBytes))
        }
        func issue(
            role: CertificateRole, commonName: String, label: String, parent: Authority?
        ) throws(V2GPKIError) -> (Ed448Certificate, Ed448.PrivateKey) {
            let publicKey = try pki.keys.generateEd448Key(label: label, using: &rng)
            let key = try pki.keys.ed448SigningKey(label: label)
            let request = Ed448IssuanceRequest(
                role: role, subject: try subject(commonName, role: role), publicKey: publicKey,
                serialNumber: CertificateIssuer.randomSerialNumber(using: &rng), notBefore: notBefore,
                notAfter: validityEnd(role, cap: parent?.certificate.notValidAfter),
                ocspURL: parent == nil ? nil : configuration.ocspURL,
                crlURL: parent.map { _ in pki.crlURL(of: role.issuerRole ?? role) }
            )
            let certificate = try issuer.issueEd448(request, issuer: parent?.certificate, issuerKey: parent?.key ?? key)
            if let parent { try record(certificate, in: parent) }
            return (certificate, key)
        }

        var authorities: [CertificateRole: Authority] = [:]
        let caOrder: [CertificateRole] = [
            .v2gRoot, .cpoSubCA1, .cpoSubCA2, .cpsSubCA1, .cpsSubCA2, .moRoot, .moSubCA1, .moSubCA2, .oemRoot,
            .oemSubCA1, .oemSubCA2,
        ]
        for role in caOrder {
            let dir = pki.caDirectory(role)
            try pki.createDirectory(dir)
            let parent = role.issuerRole.flatMap { authorities[$0] }
            let (certificate, key) = try issue(
                role: role, commonName: role.defaultCommonName, label: "ca/\(role.rawValue)/key", parent: parent
            )
            let chain = role.isRoot ? [certificate] : [certificate] + (parent?.chainBelowRoot ?? [])
            try write(certificate, to: dir)
            try pki.writeFile("\(dir)/chain.pem", chain.map { $0.pemString + "\n" }.joined())
            authorities[role] = Authority(
                certificate: certificate, key: key, chainBelowRoot: role.isRoot ? [] : chain, directory: dir
            )
        }
        try pki.writeFile(
            "\(root)/roots.pem",
            [CertificateRole.v2gRoot, .moRoot, .oemRoot].compactMap { authorities[$0]?.certificate.pemString }
                .map { $0 + "\n" }.joined()
        )
        for role in caOrder {
            guard let ca = authorities[role] else { continue }
            let dir = "\(pki.caDirectory(role))/ocsp"
            try pki.createDirectory(dir)
            let publicKey = try pki.keys.generateEd448Key(label: "ca/\(role.rawValue)/ocsp/key", using: &rng)
            let request = Ed448IssuanceRequest(
                role: .ocspSigner, subject: try subject("\(role.defaultCommonName) OCSP", role: .ocspSigner),
                publicKey: publicKey, serialNumber: CertificateIssuer.randomSerialNumber(using: &rng),
                notBefore: notBefore, notAfter: validityEnd(.ocspSigner, cap: ca.certificate.notValidAfter),
                ocspURL: configuration.ocspURL, crlURL: pki.crlURL(of: role)
            )
            let certificate = try issuer.issueEd448(request, issuer: ca.certificate, issuerKey: ca.key)
            try record(certificate, in: ca)
            try write(certificate, to: dir)
        }
        let contractCN = options.contractEMAID?.normalized ?? CertificateRole.contract.defaultCommonName
        let oemCN = options.pcid?.value ?? CertificateRole.oemProvisioning.defaultCommonName
        let leaves: [(String, CertificateRole, String)] = [
            ("secc", .secc, CertificateRole.secc.defaultCommonName), ("cps", .cps, CertificateRole.cps.defaultCommonName),
            ("contract", .contract, contractCN), ("oem-prov", .oemProvisioning, oemCN),
        ]
        for (name, role, commonName) in leaves {
            guard let issuerRole = role.issuerRole, let ca = authorities[issuerRole] else { continue }
            let dir = pki.leafDirectory(name)
            try pki.createDirectory(dir)
            let (certificate, _) = try issue(role: role, commonName: commonName, label: "leaf/\(name)/key", parent: ca)
            try write(certificate, to: dir)
            try pki.writeFile("\(dir)/chain.pem", ([certificate] + ca.chainBelowRoot).map { $0.pemString + "\n" }.joined())
        }
        try pki.writeFile("\(root)/pki.json", String(decoding: try pki.encodedConfiguration(), as: UTF8.self))
        return pki
    }

    /// Issues an Ed448 leaf with a fresh key into `leaf/<name>/` (cert, key, chain) from the issuing CA of `role` in an
    /// Ed448 PKI, and records it in that CA's database.
    ///
    /// - Throws: `.unsupportedAlgorithm` when the PKI is not an Ed448 PKI; `.invalidRequest` for a CA role, a bad
    ///   name or an existing leaf.
    @discardableResult
    public func issueEd448Leaf(
        name: String, role: CertificateRole, commonName: String, validityDays: Int, now: Date,
        using rng: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Ed448Certificate {
        guard configuration.effectiveKeyAlgorithm == .ed448 else {
            throw .make(.unsupportedAlgorithm, "\(root) is not an Ed448 PKI")
        }
        guard !role.isCA, role != .ocspSigner, let issuerRole = role.issuerRole else {
            throw .make(.invalidRequest, "\(role.rawValue) is not a leaf role")
        }
        guard validityDays > 0 else { throw .make(.invalidRequest, "validity must be at least one day") }
        guard SoftwareKeyStore.isValidComponent(name) else { throw .make(.invalidRequest, "leaf name \(name) is not [A-Za-z0-9._-]+") }
        let dir = leafDirectory(name)
        guard !FileManager.default.fileExists(atPath: "\(dir)/cert.pem") else {
            throw .make(.invalidRequest, "\(dir) already holds a certificate")
        }
        let caDir = caDirectory(issuerRole)
        guard let ca = try CertificateFile.ed448Certificates(atPath: "\(caDir)/cert.pem").first else {
            throw .make(.missingFile, "\(caDir)/cert.pem holds no certificate")
        }
        let caChain = try CertificateFile.ed448Certificates(atPath: "\(caDir)/chain.pem")
        let caKey = try keys.ed448SigningKey(label: "ca/\(issuerRole.rawValue)/key")
        try createDirectory(dir)
        let publicKey = try keys.generateEd448Key(label: "leaf/\(name)/key", using: &rng)
        let notBefore = now.addingTimeInterval(-3600)
        let request = Ed448IssuanceRequest(
            role: role, subject: try Self.subject(commonName, role: role), publicKey: publicKey,
            serialNumber: CertificateIssuer.randomSerialNumber(using: &rng), notBefore: notBefore,
            notAfter: min(notBefore.addingTimeInterval(Double(validityDays) * 86_400), ca.notValidAfter),
            ocspURL: configuration.ocspURL, crlURL: crlURL(of: issuerRole)
        )
        let certificate = try CertificateIssuer(profile: profile).issueEd448(request, issuer: ca, issuerKey: caKey)
        do { try CertificateDatabaseFile(caDirectory: URL(fileURLWithPath: caDir)).recordIssued(certificate) } catch {
            throw .make(.missingFile, "cannot record serial \(certificate.serialNumber) in \(caDir)", cause: error)
        }
        try writeFile("\(dir)/cert.pem", certificate.pemString)
        try writeData("\(dir)/cert.der", Data(certificate.derBytes))
        try writeFile("\(dir)/chain.pem", ([certificate] + caChain).map { $0.pemString + "\n" }.joined())
        return certificate
    }

    /// Issues a leaf with a fresh key into `leaf/<name>/` (cert, key, chain).
    @discardableResult
    public func issueLeaf(
        name: String, role: CertificateRole, commonName: String, by ca: CertificateAuthority, validityDays: Int,
        now: Date, using rng: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Certificate {
        guard SoftwareKeyStore.isValidComponent(name) else { throw .make(.invalidRequest, "leaf name \(name) is not [A-Za-z0-9._-]+") }
        let dir = leafDirectory(name)
        guard !FileManager.default.fileExists(atPath: "\(dir)/cert.pem") else {
            throw .make(.invalidRequest, "\(dir) already holds a certificate")
        }
        try createDirectory(dir)
        let publicKey = try keys.generateKey(label: "leaf/\(name)/key", algorithm: profile.keyAlgorithm)
        let certificate = try ca.issue(
            role: role, subject: Self.subject(commonName, role: role), publicKey: publicKey,
            validityDays: validityDays, now: now, using: &rng
        )
        try write(certificate, to: dir)
        try writeFile("\(dir)/chain.pem", CertificateFile.pemBundle([certificate] + ca.chainBelowRoot))
        return certificate
    }

    static func subject(_ commonName: String, role: CertificateRole) throws(V2GPKIError) -> DistinguishedName {
        do { return try CertificateIssuer.subject(commonName: commonName, role: role) } catch {
            throw .make(.invalidRequest, "subject CN=\(commonName) cannot be encoded", cause: error)
        }
    }

    func encodedConfiguration() throws(V2GPKIError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(configuration) } catch {
            throw .make(.invalidRequest, "cannot encode pki.json", cause: error)
        }
    }

    func write(_ certificate: Certificate, to dir: String) throws(V2GPKIError) {
        try writeFile("\(dir)/cert.pem", CertificateFile.pem(certificate))
        try writeData("\(dir)/cert.der", Data(certificate.derBytesChecked()))
    }

    func createDirectory(_ path: String) throws(V2GPKIError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .make(.missingFile, "cannot create \(path)", cause: error)
        }
    }

    func writeFile(_ path: String, _ text: String) throws(V2GPKIError) { try writeData(path, Data(text.utf8)) }

    func writeData(_ path: String, _ data: Data) throws(V2GPKIError) {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .make(.missingFile, "cannot write \(path)", cause: error)
        }
    }
}

extension Certificate {
    func derBytesChecked() throws(V2GPKIError) -> [UInt8] {
        do { return try derBytes } catch { throw .make(.malformedEncoding, "cannot serialise certificate", cause: error) }
    }
}
