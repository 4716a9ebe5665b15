public import Foundation
public import X509
import SwiftASN1

/// Revocation by OCSP: asks the responder named in the certificate's AIA (or a fixed URL) through an
/// ``OCSPClient``, whose cache answers until nextUpdate.
public struct OCSPRevocationChecker: RevocationChecker {
    public let client: OCSPClient
    /// Used when a certificate names no responder.
    public let fallbackURL: String?

    public init(client: OCSPClient, fallbackURL: String? = nil) {
        self.client = client
        self.fallbackURL = fallbackURL
    }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async throws(V2GPKIError) -> OCSPCertStatus {
        let aia = try? certificate.extensions.authorityInformationAccess
        let named = aia?.first { $0.method == .ocspServer }.flatMap { description -> String? in
            if case .uniformResourceIdentifier(let uri) = description.location { return uri }
            return nil
        }
        guard let url = named ?? fallbackURL else {
            throw .make(.revocationUnavailable, "\(certificate.subject) names no OCSP responder")
        }
        do {
            return try await client.status(of: certificate, issuer: issuer, responderURL: url).status
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.revocationUnavailable, "OCSP \(url): \(error)", cause: error)
        }
    }
}

/// Revocation by CRL: looks the serial up in the CRL of the certificate's issuer, after checking that CRL's
/// signature and freshness (RFC 5280 §6.3).
public struct CRLRevocationChecker: RevocationChecker, Ed448RevocationChecker {
    public let crls: [CertificateList]

    public init(crls: [CertificateList]) { self.crls = crls }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async throws(V2GPKIError) -> OCSPCertStatus {
        try statusNow(of: certificate, issuer: issuer, at: time)
    }

    /// The synchronous lookup behind ``status(of:issuer:at:)``.
    public func statusNow(of certificate: Certificate, issuer: Certificate, at time: Date) throws(V2GPKIError) -> OCSPCertStatus {
        try statusNow(serial: certificate.serialNumber, issuer: issuer.subject, issuerKey: .certificate(issuer.publicKey), at: time)
    }

    /// The status of an Ed448 certificate from the Ed448-signed CRL of its issuer (ISO 15118-20).
    public func status(of certificate: Ed448Certificate, issuer: Ed448Certificate, at time: Date) async throws(V2GPKIError) -> OCSPCertStatus {
        try statusNow(of: certificate, issuer: issuer, at: time)
    }

    /// The synchronous lookup behind ``status(of:issuer:at:)-(Ed448Certificate,_,_)``.
    public func statusNow(of certificate: Ed448Certificate, issuer: Ed448Certificate, at time: Date) throws(V2GPKIError) -> OCSPCertStatus {
        try statusNow(serial: certificate.serialNumber, issuer: issuer.subject, issuerKey: .ed448(issuer.publicKey), at: time)
    }

    /// The status of `serial` in the CRL `issuer` signed with `issuerKey`.
    func statusNow(
        serial: Certificate.SerialNumber, issuer: DistinguishedName, issuerKey: RevocationPublicKey, at time: Date
    ) throws(V2GPKIError) -> OCSPCertStatus {
        let candidates = crls.filter { $0.tbsCertList.issuer == issuer }
        guard !candidates.isEmpty else {
            throw .make(.revocationUnavailable, "no CRL from \(issuer)")
        }
        guard let crl = candidates.first(where: { $0.isSignature(validFor: issuerKey) }) else {
            throw .make(.badSignature, "the CRL from \(issuer) is not signed by its key")
        }
        if crl.tbsCertList.thisUpdate > time {
            throw .make(.revocationUnavailable, "the CRL from \(issuer) is from the future (thisUpdate \(crl.tbsCertList.thisUpdate))")
        }
        if let next = crl.tbsCertList.nextUpdate, next < time {
            throw .make(.revocationUnavailable, "the CRL from \(issuer) is stale (nextUpdate \(next))")
        }
        if let entry = crl.tbsCertList.revokedCertificates.first(where: { $0.serialNumber == serial }),
            entry.revocationDate <= time
        {
            return .revoked(at: entry.revocationDate, reason: entry.reason)
        }
        return .good
    }
}

extension CertificateList {
    /// Reads a CRL from DER or from PEM (`X509 CRL`).
    public init(pemOrDER bytes: [UInt8]) throws(V2GPKIError) {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            if text.contains("-----BEGIN X509 CRL-----") {
                let document = try PEMDocument(pemString: text)
                try self.init(derBytes: document.derBytes)
            } else {
                try self.init(derBytes: bytes)
            }
        } catch {
            throw .make(.malformedEncoding, "not an X.509 CRL", cause: error)
        }
    }
}
