public import Foundation
public import X509
import SwiftASN1

extension CertificateAuthority {
    /// Issues a certificate for a PKCS#10 request, as the CSMS does for OCPP SignCertificate (A02/A03).
    ///
    /// The request's self-signature must verify. The subject keeps the request's CN, O and C (O and C default to the
    /// CA's) and gets the DC of `role`; extensions come from the profile, never from the request.
    /// - Throws: `.malformedEncoding` for a request that does not parse, `.badSignature` for one whose signature does
    ///   not verify, `.invalidRequest` for one without CN or with a key outside the profile.
    public func issue(
        role: CertificateRole, csr pemOrDER: [UInt8], validityDays: Int, now: Date,
        using rng: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Certificate {
        let csr = try Self.parseCSR(pemOrDER)
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw .make(.badSignature, "the CSR's signature does not verify with its own public key")
        }
        let requested = CertificateLinter.Attributes(csr.subject)
        guard let commonName = requested.commonName, !commonName.isEmpty else {
            throw .make(.invalidRequest, "the CSR subject has no CN")
        }
        guard CertificateLinter.detectProfile(publicKey: csr.publicKey) == profile else {
            throw .make(.invalidRequest, "the CSR key \(csr.publicKey) is not the \(profile.rawValue) curve")
        }
        let own = CertificateLinter.Attributes(certificate.subject)
        let subject: DistinguishedName
        do {
            subject = try CertificateIssuer.subject(
                commonName: commonName, organization: requested.organization ?? own.organization ?? "OpenPnC",
                country: requested.country ?? own.country ?? "DE", role: role
            )
        } catch { throw .make(.invalidRequest, "the CSR subject cannot be encoded", cause: error) }
        return try issue(
            role: role, subject: subject, publicKey: csr.publicKey, validityDays: validityDays, now: now, using: &rng
        )
    }

    /// Parses a PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or DER PKCS#10 request.
    public static func parseCSR(_ bytes: [UInt8]) throws(V2GPKIError) -> CertificateSigningRequest {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            if text.contains("-----BEGIN") {
                let document = try PEMDocument(pemString: text)
                guard document.discriminator.hasSuffix("CERTIFICATE REQUEST") else {
                    throw V2GPKIError.make(.malformedEncoding, "PEM type \(document.discriminator) is not a CSR")
                }
                return try CertificateSigningRequest(derEncoded: document.derBytes)
            }
            return try CertificateSigningRequest(derEncoded: bytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "the CSR does not parse as PKCS#10", cause: error)
        }
    }
}
