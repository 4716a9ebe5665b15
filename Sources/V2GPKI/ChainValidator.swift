public import Foundation
public import X509

/// Why a chain is not valid, precisely enough to pick the ISO 15118 response code or OCPP status.
public enum ChainValidationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// A certificate's notAfter lies before the validation time (`FAILED_CertificateExpired`).
    case expired(subject: String, notAfter: Date)
    /// A certificate's notBefore lies after the validation time.
    case notYetValid(subject: String, notBefore: Date)
    /// The chain does not end in an installed trust anchor (`FAILED_NoCertificateAvailable` / `CertChainError`).
    case unknownRoot(issuer: String)
    /// More than two Sub-CAs between leaf and root.
    case chainTooLong(subCAs: Int)
    /// A signature in the chain does not verify with its issuer's key (`FAILED_CertChainError`).
    case badSignature(subject: String)
    /// A certificate is revoked (`FAILED_CertificateRevoked`).
    case revoked(subject: String, serial: String, reason: CRLReason?)
    /// The leaf is not a certificate of the role asked for.
    case wrongRole(subject: String, expected: CertificateRole, found: CertificateRole?)
    /// An issuer is not a CA, or lacks keyCertSign.
    case issuerNotCA(subject: String)
    /// A Sub-CA's pathLenConstraint is exceeded.
    case pathLengthExceeded(subject: String)
    /// Revocation status could not be learned and the policy requires it.
    case revocationUnavailable(subject: String, detail: String)
    /// No certificate was given.
    case emptyChain

    public var description: String {
        switch self {
        case .expired(let s, let d): "expired: \(s) (notAfter \(d))"
        case .notYetValid(let s, let d): "not yet valid: \(s) (notBefore \(d))"
        case .unknownRoot(let i): "unknown root: no trust anchor \(i)"
        case .chainTooLong(let n): "chain too long: \(n) Sub-CAs, at most 2"
        case .badSignature(let s): "bad signature on \(s)"
        case .revoked(let s, let serial, let r): "revoked: \(s) serial \(serial)\(r.map { " (\($0))" } ?? "")"
        case .wrongRole(let s, let e, let f): "wrong role: \(s) is \(f?.rawValue ?? "unrecognised"), expected \(e.rawValue)"
        case .issuerNotCA(let s): "issuer is not a CA: \(s)"
        case .pathLengthExceeded(let s): "pathLen exceeded at \(s)"
        case .revocationUnavailable(let s, let d): "revocation status unavailable for \(s): \(d)"
        case .emptyChain: "no certificate given"
        }
    }
}

/// A source of revocation status (OCSP, CRL, a local database).
public protocol RevocationChecker: Sendable {
    /// The status of `certificate`, issued by `issuer`, at `time`.
    func status(of certificate: Certificate, issuer: Certificate, at time: Date) async throws(V2GPKIError) -> OCSPCertStatus
}

/// A chain that passed validation, leaf first.
public struct ValidatedChain: Sendable {
    public let leaf: Certificate
    /// Sub-CAs from the leaf's issuer upward.
    public let subCAs: [Certificate]
    public let root: Certificate
    public let role: CertificateRole?
    public var path: [Certificate] { [leaf] + subCAs + [root] }
}

/// Validates chains the ISO 15118 way: at most two Sub-CAs, pathLen, validity at a given time, signatures, the role
/// of the leaf and, when asked, revocation of every certificate below the root.
public struct ChainValidator: Sendable {
    public enum RevocationPolicy: Sendable {
        /// No revocation check.
        case none
        /// Check every certificate below the root; `unknown` or an unreachable source fails the chain.
        case required(any RevocationChecker)
        /// Check every certificate below the root; only a definite `revoked` fails the chain.
        case bestEffort(any RevocationChecker)
    }

    public let roots: [Certificate]
    public let maxSubCAs: Int

    public init(roots: [Certificate], maxSubCAs: Int = 2) {
        self.roots = roots
        self.maxSubCAs = maxSubCAs
    }

    /// Validates `chain` (leaf first, then Sub-CAs in any order; a trailing root is ignored if it is a trust anchor).
    public func validate(
        chain: [Certificate], at time: Date, role expectedRole: CertificateRole? = nil,
        revocation: RevocationPolicy = .none
    ) async -> Result<ValidatedChain, ChainValidationFailure> {
        switch validateOffline(chain: chain, at: time, role: expectedRole) {
        case .failure(let failure): return .failure(failure)
        case .success(let validated):
            let checker: (any RevocationChecker)?
            let strict: Bool
            switch revocation {
            case .none: return .success(validated)
            case .required(let c): (checker, strict) = (c, true)
            case .bestEffort(let c): (checker, strict) = (c, false)
            }
            guard let checker else { return .success(validated) }
            let path = validated.path
            for index in 0..<(path.count - 1) {
                let certificate = path[index]
                let name = certificate.subject.description
                do {
                    switch try await checker.status(of: certificate, issuer: path[index + 1], at: time) {
                    case .good: continue
                    case .revoked(_, let reason):
                        return .failure(.revoked(subject: name, serial: certificate.serialNumber.description, reason: reason))
                    case .unknown:
                        if strict { return .failure(.revocationUnavailable(subject: name, detail: "responder answered unknown")) }
                    }
                } catch {
                    if strict { return .failure(.revocationUnavailable(subject: name, detail: error.detail)) }
                }
            }
            return .success(validated)
        }
    }

    /// Everything but revocation; pure and synchronous.
    public func validateOffline(
        chain: [Certificate], at time: Date, role expectedRole: CertificateRole? = nil
    ) -> Result<ValidatedChain, ChainValidationFailure> {
        ChainPath.validate(chain: chain, roots: roots, maxSubCAs: maxSubCAs, at: time, role: expectedRole).map {
            ValidatedChain(leaf: $0.leaf, subCAs: $0.subCAs, root: $0.root, role: $0.role)
        }
    }

}

/// What path validation needs from a certificate, whichever library parsed it.
protocol ChainLink: Equatable {
    var subject: DistinguishedName { get }
    var issuer: DistinguishedName { get }
    var extensions: Certificate.Extensions { get }
    var notValidBefore: Date { get }
    var notValidAfter: Date { get }
    /// Whether `issuer`'s key verifies this certificate's signature.
    func isSigned(byIssuer issuer: Self) -> Bool
}

extension Certificate: ChainLink {
    func isSigned(byIssuer issuer: Certificate) -> Bool { issuer.publicKey.isValidSignature(signature, for: self) }
}

extension Ed448Certificate: ChainLink {
    func isSigned(byIssuer issuer: Ed448Certificate) -> Bool { isSigned(by: issuer.publicKey) }
}

/// The ISO 15118 path rules shared by ``ChainValidator`` and ``Ed448ChainValidator``.
enum ChainPath {
    struct Validated<C: ChainLink> {
        let leaf: C
        let subCAs: [C]
        let root: C
        let role: CertificateRole?
    }

    static func validate<C: ChainLink>(
        chain: [C], roots: [C], maxSubCAs: Int, at time: Date, role expectedRole: CertificateRole?
    ) -> Result<Validated<C>, ChainValidationFailure> {
        guard let leaf = chain.first else { return .failure(.emptyChain) }
        var pool = Array(chain.dropFirst()).filter { candidate in !roots.contains(candidate) }
        var path: [C] = [leaf]
        var root: C?
        while root == nil {
            let current = path[path.count - 1]
            if let anchor = roots.first(where: { $0.subject == current.issuer && keyIdentifiersMatch(current, $0) }) {
                if current == anchor { break }
                root = anchor
                break
            }
            guard let index = pool.firstIndex(where: { $0.subject == current.issuer && keyIdentifiersMatch(current, $0) }),
                pool[index].subject != pool[index].issuer
            else {
                return .failure(.unknownRoot(issuer: current.issuer.description))
            }
            path.append(pool.remove(at: index))
            if path.count - 1 > maxSubCAs { return .failure(.chainTooLong(subCAs: path.count - 1)) }
        }
        guard let root else { return .failure(.unknownRoot(issuer: leaf.issuer.description)) }
        let full = path + [root]

        // Signatures, top down.
        for index in stride(from: full.count - 2, through: 0, by: -1) {
            let certificate = full[index]
            if !certificate.isSigned(byIssuer: full[index + 1]) {
                return .failure(.badSignature(subject: certificate.subject.description))
            }
        }
        // Validity.
        for certificate in full.reversed() {
            if time > certificate.notValidAfter {
                return .failure(.expired(subject: certificate.subject.description, notAfter: certificate.notValidAfter))
            }
            if time < certificate.notValidBefore {
                return .failure(.notYetValid(subject: certificate.subject.description, notBefore: certificate.notValidBefore))
            }
        }
        // Issuers are CAs with keyCertSign; pathLen holds.
        for index in 1..<full.count {
            let issuer = full[index]
            guard case .isCertificateAuthority(let pathLength) = try? issuer.extensions.basicConstraints else {
                return .failure(.issuerNotCA(subject: issuer.subject.description))
            }
            if let keyUsage = try? issuer.extensions.keyUsage, !keyUsage.keyCertSign {
                return .failure(.issuerNotCA(subject: issuer.subject.description))
            }
            let subCAsBelow = index - 1
            if let pathLength, subCAsBelow > pathLength {
                return .failure(.pathLengthExceeded(subject: issuer.subject.description))
            }
        }
        // Role.
        func role(_ c: C) -> CertificateRole? {
            CertificateLinter.detectRole(subject: c.subject, issuer: c.issuer, extensions: c.extensions)
        }
        let found = role(leaf)
        if let expectedRole {
            var matches = found == expectedRole
            if matches, let keyUsage = try? leaf.extensions.keyUsage {
                matches = expectedRole.acceptedKeyUsages.contains { needed in
                    (!needed.digitalSignature || keyUsage.digitalSignature) && (!needed.keyAgreement || keyUsage.keyAgreement)
                        && (!needed.keyCertSign || keyUsage.keyCertSign)
                }
            }
            if matches, let anchorRole = expectedRole.anchorRole, role(root) != anchorRole {
                matches = false
            }
            if !matches {
                return .failure(.wrongRole(subject: leaf.subject.description, expected: expectedRole, found: found))
            }
        }
        return .success(Validated(leaf: leaf, subCAs: Array(path.dropFirst()), root: root, role: found))
    }

    /// AKI of `certificate` against SKI of `issuer` when both are present; names alone decide otherwise.
    static func keyIdentifiersMatch<C: ChainLink>(_ certificate: C, _ issuer: C) -> Bool {
        guard let aki = (try? certificate.extensions.authorityKeyIdentifier)?.keyIdentifier,
            let ski = (try? issuer.extensions.subjectKeyIdentifier)?.keyIdentifier
        else { return true }
        return aki == ski
    }
}

/// An Ed448 chain that passed validation, leaf first.
public struct ValidatedEd448Chain: Sendable {
    public let leaf: Ed448Certificate
    /// Sub-CAs from the leaf's issuer upward.
    public let subCAs: [Ed448Certificate]
    public let root: Ed448Certificate
    public let role: CertificateRole?
    public var path: [Ed448Certificate] { [leaf] + subCAs + [root] }
}

/// ``ChainValidator`` for ISO 15118-20 chains of Ed448 certificates: the same path, validity, pathLen and role rules
/// and failure reasons, with signatures checked by the package's Ed448. Revocation of Ed448 chains is not checked here.
public struct Ed448ChainValidator: Sendable {
    public let roots: [Ed448Certificate]
    public let maxSubCAs: Int

    public init(roots: [Ed448Certificate], maxSubCAs: Int = 2) {
        self.roots = roots
        self.maxSubCAs = maxSubCAs
    }

    /// Validates `chain` (leaf first, then Sub-CAs in any order; a trailing root is ignored if it is a trust anchor).
    public func validateOffline(
        chain: [Ed448Certificate], at time: Date, role expectedRole: CertificateRole? = nil
    ) -> Result<ValidatedEd448Chain, ChainValidationFailure> {
        ChainPath.validate(chain: chain, roots: roots, maxSubCAs: maxSubCAs, at: time, role: expectedRole).map {
            ValidatedEd448Chain(leaf: $0.leaf, subCAs: $0.subCAs, root: $0.root, role: $0.role)
        }
    }
}
