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
        guard CertificateLinter.detectProfile(publicKey: csr.publicKey) == profile else {
            throw .make(.invalidRequest, "the CSR key \(csr.publicKey) is not the \(profile.rawValue) curve")
        }
        let subject = try Self.subject(requested: csr.subject, issuer: certificate.subject, role: role)
        return try issue(
            role: role, subject: subject, publicKey: csr.publicKey, validityDays: validityDays, now: now, using: &rng
        )
    }

    /// The subject of a certificate issued for a request: the request's CN, O and C (O and C default to the
    /// issuer's) and the DC of `role`; the same for ECDSA and Ed448 requests.
    /// - Throws: `.invalidRequest` for a request without CN or a subject that cannot be encoded.
    static func subject(
        requested name: DistinguishedName, issuer: DistinguishedName, role: CertificateRole
    ) throws(V2GPKIError) -> DistinguishedName {
        let requested = CertificateLinter.Attributes(name)
        guard let commonName = requested.commonName, !commonName.isEmpty else {
            throw .make(.invalidRequest, "the CSR subject has no CN")
        }
        let own = CertificateLinter.Attributes(issuer)
        do {
            return try CertificateIssuer.subject(
                commonName: commonName, organization: requested.organization ?? own.organization ?? "OpenPnC",
                country: requested.country ?? own.country ?? "DE", role: role
            )
        } catch { throw .make(.invalidRequest, "the CSR subject cannot be encoded", cause: error) }
    }

    /// Parses a PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or DER PKCS#10 request.
    public static func parseCSR(_ bytes: [UInt8]) throws(V2GPKIError) -> CertificateSigningRequest {
        let der = try csrDER(bytes)
        do {
            return try CertificateSigningRequest(derEncoded: der)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "the CSR does not parse as PKCS#10", cause: error)
        }
    }

    /// The DER of a PEM (`CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST`) or DER request.
    static func csrDER(_ bytes: [UInt8]) throws(V2GPKIError) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            if text.contains("-----BEGIN") {
                let document = try PEMDocument(pemString: text)
                guard document.discriminator.hasSuffix("CERTIFICATE REQUEST") else {
                    throw V2GPKIError.make(.malformedEncoding, "PEM type \(document.discriminator) is not a CSR")
                }
                return document.derBytes
            }
            return bytes
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "the CSR does not parse as PKCS#10", cause: error)
        }
    }
}
