import Foundation
import SwiftASN1
import X509

/// Checks an OCSP response the way RFC 6960 §3.2 asks a client to, and extracts the answer for one CertID.
public enum OCSPResponseVerifier {
    /// A verified answer for one certificate.
    public struct Answer: Hashable, Sendable {
        public var certID: OCSPCertID
        public var status: OCSPCertStatus
        public var thisUpdate: Date
        /// When newer information will be available; a cache keeps the answer until then (RFC 5019 §4).
        public var nextUpdate: Date?
        public var producedAt: Date
    }

    /// Verifies `responseBytes` as the answer about `certID` from `issuer`'s responder.
    ///
    /// Checks, in order: the response status is successful; the signer is `issuer` itself or a delegated responder
    /// certificate included in the response, issued and signed by `issuer`, valid now and carrying id-kp-OCSPSigning
    /// (RFC 6960 §4.2.2.2); the signature verifies; a SingleResponse for `certID` is present; the nonce sent (if any)
    /// is echoed; thisUpdate is not in the future and nextUpdate (if any) is not in the past, both within
    /// `allowedClockSkew` (§3.2 items 4-6).
    /// - Throws: ``V2GPKIError/Code-swift.struct/malformedEncoding``, ``V2GPKIError/Code-swift.struct/revocationUnavailable``
    ///   (error status), ``V2GPKIError/Code-swift.struct/badSignature``, ``V2GPKIError/Code-swift.struct/responseMismatch``.
    public static func verify(
        responseBytes: [UInt8], certID: OCSPCertID, issuer: Certificate, nonce: Certificate.Extension?, now: Date,
        allowedClockSkew: TimeInterval = 300
    ) throws -> Answer {
        try verify(
            responseBytes: responseBytes, certID: certID, issuer: .certificate(issuer), nonce: nonce, now: now,
            allowedClockSkew: allowedClockSkew)
    }

    /// The same checks for an answer about a certificate of an Ed448 CA (ISO 15118-20): the response must be signed
    /// with id-Ed448 by that CA or by its delegated Ed448 responder.
    public static func verify(
        responseBytes: [UInt8], certID: OCSPCertID, issuer: Ed448Certificate, nonce: Certificate.Extension?, now: Date,
        allowedClockSkew: TimeInterval = 300
    ) throws -> Answer {
        try verify(
            responseBytes: responseBytes, certID: certID, issuer: .ed448(issuer), nonce: nonce, now: now,
            allowedClockSkew: allowedClockSkew)
    }

    /// The same checks for any ``RevocationCertificate`` issuer.
    public static func verify(
        responseBytes: [UInt8], certID: OCSPCertID, issuer: RevocationCertificate, nonce: Certificate.Extension?,
        now: Date, allowedClockSkew: TimeInterval = 300
    ) throws -> Answer {
        let response = try OCSPResponse(derBytes: responseBytes)
        guard response.status == .successful, let basic = response.basicResponse else {
            throw V2GPKIError.make(.revocationUnavailable, "OCSP responder answered \(response.status)")
        }
        let data = basic.responseData
        let signer = try responderCertificate(of: basic, issuer: issuer, now: now)
        guard basic.isSignature(validFor: signer.publicKey) else {
            throw V2GPKIError.make(.badSignature, "OCSP response signature does not verify under \(signer.subject)")
        }
        guard let single = data.responses.first(where: { $0.certID == certID }) else {
            throw V2GPKIError.make(.responseMismatch, "OCSP response has no answer for \(certID)")
        }
        if let nonce, data.nonce?.value != nonce.value {
            throw V2GPKIError.make(.responseMismatch, "OCSP response does not echo the request nonce")
        }
        guard single.thisUpdate <= now.addingTimeInterval(allowedClockSkew) else {
            throw V2GPKIError.make(.responseMismatch, "OCSP thisUpdate \(single.thisUpdate) is in the future")
        }
        if let nextUpdate = single.nextUpdate, nextUpdate < now.addingTimeInterval(-allowedClockSkew) {
            throw V2GPKIError.make(.responseMismatch, "OCSP answer expired at \(nextUpdate)")
        }
        return Answer(
            certID: single.certID, status: single.status, thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate,
            producedAt: data.producedAt)
    }

    /// The certificate whose key must have signed `basic`: the issuer, or an authorised delegated responder.
    static func responderCertificate(
        of basic: BasicOCSPResponse, issuer: RevocationCertificate, now: Date
    ) throws -> RevocationCertificate {
        let id = basic.responseData.responderID
        if id.identifies(issuer) { return issuer }
        for candidate in basic.embeddedCertificates where id.identifies(candidate) {
            guard candidate.issuer == issuer.subject, candidate.isSigned(by: issuer.publicKey) else { continue }
            guard hasOCSPSigningUsage(candidate.extensions) else {
                throw V2GPKIError.make(.responseMismatch, "responder \(candidate.subject) lacks id-kp-OCSPSigning")
            }
            guard candidate.notValidBefore <= now, now <= candidate.notValidAfter else {
                throw V2GPKIError.make(.responseMismatch, "responder certificate \(candidate.subject) is not valid now")
            }
            return candidate
        }
        throw V2GPKIError.make(
            .responseMismatch, "OCSP response is signed by neither \(issuer.subject) nor a responder it authorised")
    }

    /// Whether `certificate` has the extended key usage id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
    public static func hasOCSPSigningUsage(_ certificate: Certificate) -> Bool {
        hasOCSPSigningUsage(certificate.extensions)
    }

    /// Whether `extensions` carry the extended key usage id-kp-OCSPSigning.
    static func hasOCSPSigningUsage(_ extensions: Certificate.Extensions) -> Bool {
        guard let usage = try? extensions.extendedKeyUsage else { return false }
        return usage.contains(.ocspSigning)
    }
}
