public import Foundation
public import PnCCore
import V2GPKI
public import X509

extension Contract {
    /// A contract for a contract certificate that already exists (issued by the MO Sub-CA 2 outside the contract
    /// provisioning, e.g. the one a vehicle already holds): eMAID from the leaf's CN, validity and serial number from
    /// the leaf. The private key stays with the vehicle, so the contract has no key package.
    ///
    /// - Parameters:
    ///   - chain: contract certificate first, then MO Sub-CA 2 and MO Sub-CA 1; a trailing self-signed root is dropped.
    ///   - trustedRoots: MO roots the chain must validate to (ISO 15118-2 path rules, role contract) at `time`; nil
    ///     checks only the form: the leaf is no CA, each certificate is issued and signed by the next one.
    /// - Throws: `.malformedCertificate` for a chain of the wrong form, `.untrustedCertificate` for one that does not
    ///   validate to `trustedRoots`.
    public static func importing(
        chain: [Certificate], pcid: PCID, customerID: String, trustedRoots: [Certificate]?, at time: Date
    ) throws(EMSPError) -> Contract {
        var certificates = chain
        if certificates.count > 1, let last = certificates.last, last.subject == last.issuer { certificates.removeLast() }
        guard let leaf = certificates.first else { throw .make(.malformedCertificate, "the chain holds no certificate") }
        guard certificates.count <= 3 else {
            throw .make(.malformedCertificate, "\(certificates.count) certificates below the root: at most contract, MO Sub-CA 2 and MO Sub-CA 1")
        }
        guard let cn = leaf.subject.commonNameString else {
            throw .make(.malformedCertificate, "the contract certificate has no CN")
        }
        let emaid: EMAID
        do { emaid = try EMAID(cn) } catch {
            throw .make(.malformedCertificate, "the contract certificate's CN \(cn) is not an eMAID", cause: error)
        }
        if case .isCertificateAuthority = try? leaf.extensions.basicConstraints {
            throw .make(.malformedCertificate, "the first certificate (CN \(cn)) is a CA, not a contract certificate")
        }
        for (child, parent) in zip(certificates, certificates.dropFirst()) {
            guard child.issuer == parent.subject, parent.publicKey.isValidSignature(child.signature, for: child) else {
                throw .make(.malformedCertificate, "\(child.subject) is not issued and signed by the next certificate, \(parent.subject)")
            }
        }
        if let trustedRoots {
            if case .failure(let failure) = ChainValidator(roots: trustedRoots).validateOffline(chain: certificates, at: time, role: .contract) {
                throw .make(.untrustedCertificate, "the contract chain of \(cn) does not validate to the MO root: \(failure)")
            }
        }
        let der: [[UInt8]]
        do { der = try certificates.map { try $0.derBytes } } catch {
            throw .make(.malformedCertificate, "the chain does not re-encode", cause: error)
        }
        return Contract(
            emaid: emaid, pcid: pcid, customerID: customerID, validFrom: leaf.notValidBefore, validTo: leaf.notValidAfter,
            certificateChain: der, certificateSerial: Array(leaf.serialNumber.bytes))
    }
}
