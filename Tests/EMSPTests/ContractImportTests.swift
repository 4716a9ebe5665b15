import Crypto
import EMSP
import Foundation
import PnCCore
import Testing
import V2GPKI
import X509

@Suite("Contract import (an existing contract certificate registered with the eMSP)")
struct ContractImportTests {
    static func contractChain(_ pki: ProvisioningPKI, commonName: String) throws -> [Certificate] {
        var rng = SystemRandomNumberGenerator()
        let leaf = try pki.moSub2.issue(
            role: .contract, subject: try CertificateIssuer.subject(commonName: commonName, role: .contract),
            publicKey: Certificate.PublicKey(P256.Signing.PrivateKey().publicKey), validityDays: 365,
            now: ProvisioningPKI.now, using: &rng)
        return [leaf] + pki.moSub2.chainBelowRoot
    }

    @Test("[EMSP-IMPORT] import: eMAID from the CN, validity and serial from the leaf, chain validated to the MO root")
    func importsValidChain() throws {
        let pki = try ProvisioningPKI(pcid: "WMIOPNPC000000001")
        let chain = try Self.contractChain(pki, commonName: "DEOPC000000042")
        let pcid = try PCID("WMIOPNPC000000001")
        let contract = try Contract.importing(
            chain: chain + [pki.moRoot], pcid: pcid, customerID: "fleet", trustedRoots: [pki.moRoot],
            at: ProvisioningPKI.now + 60)
        #expect(contract.emaid == (try EMAID("DEOPC000000042")))
        #expect(contract.pcid == pcid)
        #expect(contract.customerID == "fleet")
        #expect(contract.status == .active)
        #expect(contract.validFrom == chain[0].notValidBefore)
        #expect(contract.validTo == chain[0].notValidAfter)
        #expect(contract.certificateSerial == Array(chain[0].serialNumber.bytes))
        #expect(contract.certificateChain == (try chain.map { try $0.derBytes }), "the trailing root is dropped")
        #expect(contract.keyPackage == nil)
        #expect(contract.isUsable(at: ProvisioningPKI.now + 60))
        // Without roots only the form is checked.
        let unchecked = try Contract.importing(chain: chain, pcid: pcid, customerID: "fleet", trustedRoots: nil, at: ProvisioningPKI.now)
        #expect(unchecked.emaid == contract.emaid)
    }

    @Test("[EMSP-IMPORT] import refuses a chain under another MO root, an expired one, a CN that is no eMAID, a CA as leaf, broken links and an empty chain")
    func refusesBadChains() throws {
        let pki = try ProvisioningPKI(pcid: "WMIOPNPC000000001")
        let other = try ProvisioningPKI(pcid: "WMIOPNPC000000001")
        let pcid = try PCID("WMIOPNPC000000001")
        let chain = try Self.contractChain(pki, commonName: "DEOPC000000042")
        func code(_ chain: [Certificate], roots: [Certificate]?, at time: Date = ProvisioningPKI.now + 60) -> EMSPError.Code? {
            do {
                _ = try Contract.importing(chain: chain, pcid: pcid, customerID: "c", trustedRoots: roots, at: time)
                return nil
            } catch { return error.code }
        }
        #expect(code(chain, roots: [other.moRoot]) == .untrustedCertificate)
        #expect(code(chain, roots: [pki.moRoot], at: ProvisioningPKI.now + 400 * 86_400) == .untrustedCertificate)
        #expect(code(try Self.contractChain(pki, commonName: "not an eMAID"), roots: [pki.moRoot]) == .malformedCertificate)
        #expect(code(pki.moSub2.chainBelowRoot, roots: nil) == .malformedCertificate)
        #expect(code([chain[0], chain[2], chain[1]], roots: nil) == .malformedCertificate)
        #expect(code([chain[0]] + other.moSub2.chainBelowRoot, roots: nil) == .malformedCertificate)
        #expect(code([], roots: [pki.moRoot]) == .malformedCertificate)
        #expect(code(chain + chain.suffix(1), roots: nil) == .malformedCertificate)
    }
}
