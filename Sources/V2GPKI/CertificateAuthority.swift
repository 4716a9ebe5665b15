public import Foundation
public import X509

/// A CA that can issue: its certificate, the chain below the root, and a signing handle from a ``KeyStore``.
public struct CertificateAuthority: Sendable {
    public let role: CertificateRole
    public let certificate: Certificate
    /// This CA and its issuers up to, not including, the root (empty for a root).
    public let chainBelowRoot: [Certificate]
    let key: Certificate.PrivateKey
    /// The CA's folder; its certificate database lives there.
    public let directory: String
    public let profile: PKIProfile
    public let ocspURL: String
    /// The URL of this CA's own CRL, written into what it issues.
    public let crlURL: String

    public init(
        role: CertificateRole, certificate: Certificate, chainBelowRoot: [Certificate], key: Certificate.PrivateKey,
        directory: String, profile: PKIProfile, ocspURL: String, crlURL: String
    ) {
        self.role = role
        self.certificate = certificate
        self.chainBelowRoot = chainBelowRoot
        self.key = key
        self.directory = directory
        self.profile = profile
        self.ocspURL = ocspURL
        self.crlURL = crlURL
    }

    /// Issues a certificate for `publicKey`, valid from an hour before `now` for `validityDays`, capped at the CA's
    /// own notAfter, and records it in the CA's database.
    public func issue(
        role: CertificateRole, subject: DistinguishedName, publicKey: Certificate.PublicKey, validityDays: Int,
        now: Date, using rng: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Certificate {
        guard role == .ocspSigner || role.issuerRole == self.role else {
            throw .make(.invalidRequest, "\(self.role.rawValue) does not issue \(role.rawValue) certificates")
        }
        guard validityDays > 0 else { throw .make(.invalidRequest, "validity must be at least one day") }
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = min(notBefore.addingTimeInterval(Double(validityDays) * 86_400), certificate.notValidAfter)
        let request = IssuanceRequest(
            role: role, subject: subject, publicKey: publicKey,
            serialNumber: CertificateIssuer.randomSerialNumber(using: &rng), notBefore: notBefore, notAfter: notAfter,
            ocspURL: ocspURL, crlURL: crlURL
        )
        let issued = try CertificateIssuer(profile: profile).issue(request, issuer: certificate, issuerKey: key)
        recordIssued(issued)
        return issued
    }

    /// Records an issued certificate so that OCSP can answer `good` for it.
    func recordIssued(_ certificate: Certificate) {
        // The certificate database (OCSP/CRL) hooks in here.
    }
}
