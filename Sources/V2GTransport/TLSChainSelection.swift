/// How a ClientHello can name one of the SECC's V2G roots.
public struct TrustedRootKeys: Sendable, Hashable {
    /// SHA-1 of the root's subjectPublicKey (RFC 6066 `key_sha1_hash`).
    public var keyHash: [UInt8]?
    /// SHA-1 of the root's DER certificate (RFC 6066 `cert_sha1_hash`).
    public var certificateHash: [UInt8]?
    /// The root's DER DistinguishedName (RFC 6066 `x509_name`, RFC 8446 certificate_authorities).
    public var subject: [UInt8]?

    public init(keyHash: [UInt8]?, certificateHash: [UInt8]?, subject: [UInt8]?) {
        self.keyHash = keyHash
        self.certificateHash = certificateHash
        self.subject = subject
    }

    func matches(_ authority: TLSClientHello.TrustedAuthority) -> Bool {
        switch authority {
        case .preAgreed: false
        case .keySHA1Hash(let hash): self.keyHash == hash
        case .certSHA1Hash(let hash): self.certificateHash == hash
        case .x509Name(let name): self.subject == name
        }
    }
}

/// Which of the SECC's chains answers a ClientHello, and why.
public struct TLSChainChoice: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable {
        /// An entry of trusted_ca_keys (RFC 6066 §6) names the chain's root; the client's order is kept.
        case trustedCAKeys
        /// A DistinguishedName of certificate_authorities (RFC 8446 §4.2.4) is the chain's root's subject.
        case certificateAuthorities
        /// The SNI trusted-CA hint of OpenPnC EVCCs (``TrustedCAKeys``) lists the root's key hash.
        case serverNameHint
        /// Nothing named a root this SECC holds: the first chain.
        case first
    }

    /// Index into the chains offered to ``choose(for:among:preferCertificateAuthorities:)``.
    public var index: Int
    public var reason: Reason

    public init(index: Int, reason: Reason) {
        self.index = index
        self.reason = reason
    }

    /// Picks the chain for `hello` among `roots` (one entry per chain, in configuration order): the first
    /// trusted_ca_keys entry (in client order) that names one of the roots, else the first certificate_authorities
    /// name that is one of the roots' subject, else the SNI trusted-CA hint, else chain 0. With
    /// `preferCertificateAuthorities` (the ISO 15118-20 profile, where certificate_authorities is the standard's
    /// extension) the two extensions are consulted the other way round. Nil when `roots` is empty.
    public static func choose(
        for hello: TLSClientHello,
        among roots: [TrustedRootKeys],
        preferCertificateAuthorities: Bool = false
    ) -> TLSChainChoice? {
        guard !roots.isEmpty else { return nil }
        func byTrustedCAKeys() -> TLSChainChoice? {
            for authority in hello.trustedCAKeys ?? [] {
                if let index = roots.firstIndex(where: { $0.matches(authority) }) {
                    return TLSChainChoice(index: index, reason: .trustedCAKeys)
                }
            }
            return nil
        }
        func byCertificateAuthorities() -> TLSChainChoice? {
            for name in hello.certificateAuthorities ?? [] {
                if let index = roots.firstIndex(where: { $0.subject == name }) {
                    return TLSChainChoice(index: index, reason: .certificateAuthorities)
                }
            }
            return nil
        }
        let extensions =
            preferCertificateAuthorities
            ? [byCertificateAuthorities, byTrustedCAKeys] : [byTrustedCAKeys, byCertificateAuthorities]
        for lookup in extensions {
            if let choice = lookup() { return choice }
        }
        if let name = hello.serverName, let hashes = TrustedCAKeys.keyHashes(inServerName: name) {
            for hash in hashes {
                if let index = roots.firstIndex(where: { $0.keyHash == hash }) {
                    return TLSChainChoice(index: index, reason: .serverNameHint)
                }
            }
        }
        return TLSChainChoice(index: 0, reason: .first)
    }
}
