public import CSMS
import Foundation
public import V2GPKI

/// The CSMS's ``CSMS/CertificateAuthority`` port served by a `pnc pki init` PKI: `V2GCertificate` requests
/// (OCPP 2.0.1 A02/A03, ISO 15118 SECC certificates) are signed by CPO Sub-CA 2 with the SECC profile and answered
/// with the chain leaf + CPO Sub-CA 2 + CPO Sub-CA 1.
public struct PKICertificateAuthority: CSMS.CertificateAuthority {
    public let pki: PKIDirectory
    public let validityDays: Int

    /// - Throws: ``V2GPKI/V2GPKIError`` when the PKI's CPO Sub-CA 2 cannot be opened (checked once, at start).
    public init(pki: PKIDirectory, validityDays: Int) throws {
        _ = try pki.authority(.cpoSubCA2)
        self.pki = pki
        self.validityDays = validityDays
    }

    public func sign(csrPEM: String, certificateType: String) async throws -> String {
        guard certificateType == "V2GCertificate" else {
            throw V2GPKIError.make(
                .invalidRequest, "\(certificateType) is not issued by the V2G PKI (only V2GCertificate is)"
            )
        }
        let ca = try pki.authority(.cpoSubCA2)
        var rng = SystemRandomNumberGenerator()
        let leaf = try ca.issue(role: .secc, csr: Array(csrPEM.utf8), validityDays: validityDays, now: Date(), using: &rng)
        return try CertificateFile.pemBundle([leaf] + ca.chainBelowRoot)
    }
}
