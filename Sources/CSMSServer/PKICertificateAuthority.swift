public import CSMS
import Foundation
public import V2GPKI
import X509

/// The CSMS's ``CSMS/CertificateAuthority`` port served by `pnc pki init` PKIs: `V2GCertificate` requests
/// (OCPP 2.0.1 A02/A03, ISO 15118 SECC certificates) are signed by the CPO Sub-CA 2 of the PKI whose profile the
/// CSR's key belongs to (secp256r1 → an ISO 15118-2 PKI, secp521r1 → an ISO 15118-20 PKI, whose SECC certificates
/// serve the -20 TLS 1.3 profile) with the SECC profile, and answered with the chain leaf + CPO Sub-CA 2 + CPO Sub-CA 1.
/// A CSR whose key matches no configured PKI is refused with a ``V2GPKI/V2GPKIError`` `invalidRequest` that names
/// the curve and the configured profiles.
public struct PKICertificateAuthority: CSMS.CertificateAuthority {
    /// The configured PKIs, at most one per profile.
    public let pkis: [PKIDirectory]
    public let validityDays: Int

    /// The first configured PKI (the single one of ``init(pki:validityDays:)``).
    public var pki: PKIDirectory { pkis[0] }

    /// - Throws: ``V2GPKI/V2GPKIError`` when the PKI's CPO Sub-CA 2 cannot be opened (checked once, at start).
    public init(pki: PKIDirectory, validityDays: Int) throws {
        try self.init(pkis: [pki], validityDays: validityDays)
    }

    /// One PKI per profile, e.g. an ISO 15118-2 and an ISO 15118-20 one.
    /// - Throws: ``V2GPKI/V2GPKIError`` `invalidRequest` without a PKI or with two of one profile; the error of a PKI
    ///   whose CPO Sub-CA 2 cannot be opened (checked once, at start).
    public init(pkis: [PKIDirectory], validityDays: Int) throws {
        guard !pkis.isEmpty else { throw V2GPKIError.make(.invalidRequest, "no PKI configured") }
        for (index, pki) in pkis.enumerated() {
            guard !pkis[..<index].contains(where: { $0.profile == pki.profile }) else {
                throw V2GPKIError.make(.invalidRequest, "two \(pki.profile.rawValue) PKIs configured (one per profile)")
            }
            _ = try pki.authority(.cpoSubCA2)
        }
        self.pkis = pkis
        self.validityDays = validityDays
    }

    /// The configured profiles, for messages.
    public var profiles: [PKIProfile] { pkis.map(\.profile) }

    public func sign(csrPEM: String, certificateType: String) async throws -> String {
        guard certificateType == "V2GCertificate" else {
            throw V2GPKIError.make(
                .invalidRequest, "\(certificateType) is not issued by the V2G PKI (only V2GCertificate is)"
            )
        }
        let pki = try self.pki(for: csrPEM)
        let ca = try pki.authority(.cpoSubCA2)
        var rng = SystemRandomNumberGenerator()
        let leaf = try ca.issue(role: .secc, csr: Array(csrPEM.utf8), validityDays: validityDays, now: Date(), using: &rng)
        return try CertificateFile.pemBundle([leaf] + ca.chainBelowRoot)
    }

    /// The PKI whose profile the CSR's key belongs to.
    /// - Throws: ``V2GPKI/V2GPKIError`` `malformedEncoding` for a CSR that does not parse, `invalidRequest` for a key
    ///   of another curve or of a profile no configured PKI has.
    public func pki(for csrPEM: String) throws -> PKIDirectory {
        let csr = try CertificateAuthority.parseCSR(Array(csrPEM.utf8))
        let configured = profiles.map(\.rawValue).joined(separator: ", ")
        guard let profile = CertificateLinter.detectProfile(publicKey: csr.publicKey) else {
            throw V2GPKIError.make(
                .invalidRequest,
                "the CSR key is neither secp256r1 (ISO 15118-2) nor secp521r1 (ISO 15118-20); configured: \(configured)")
        }
        guard let pki = pkis.first(where: { $0.profile == profile }) else {
            let curve = profile == .iso15118_2 ? "secp256r1" : "secp521r1"
            throw V2GPKIError.make(
                .invalidRequest,
                "the CSR key is \(curve) (\(profile.rawValue)) but no \(profile.rawValue) PKI is configured"
                    + " (configured: \(configured))")
        }
        return pki
    }
}
