import Foundation
import PnCTesting
import Testing
import X509
@testable import V2GPKI

@Suite struct RevocationFlowTests {
    @Test("pnc pki init records every issued certificate; a revoked contract fails chain validation through the MO Sub-CA 2 CRL")
    func revokeContractThroughCRL() async throws {
        let root = Peers.temporaryDirectory("revflow")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = try PKIDirectory.create(
            at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: .fast
        )
        let chain = try CertificateFile.certificates(atPath: "\(pki.leafDirectory("contract"))/chain.pem")
        let moSub2 = try pki.authority(.moSubCA2)
        let moSub1 = try pki.authority(.moSubCA1)
        let moRoot = try pki.authority(.moRoot)
        #expect(try moSub2.status(of: chain[0].serialNumber) == .good)
        #expect(try moSub1.status(of: chain[1].serialNumber) == .good)
        #expect(try moRoot.status(of: chain[2].serialNumber) == .good)
        #expect(try moSub2.status(of: chain[2].serialNumber) == .unknown)

        let now = Date()
        let before = try moSub2.makeCRL(now: now, validity: 3600)
        let crls = [before, try moSub1.makeCRL(now: now, validity: 3600), try moRoot.makeCRL(now: now, validity: 3600)]
        let validator = ChainValidator(roots: try pki.roots())
        let ok = await validator.validate(chain: chain, at: now, role: .contract, revocation: .required(CRLRevocationChecker(crls: crls)))
        #expect((try? ok.get()) != nil, "\(ok)")

        try moSub2.revoke(serial: chain[0].serialNumber, reason: .cessationOfOperation, at: now.addingTimeInterval(-1))
        #expect(throws: V2GPKIError.self) { try moSub2.revoke(serial: chain[0].serialNumber, reason: .keyCompromise, at: now) }
        let after = try moSub2.makeCRL(now: now, validity: 3600)
        #expect(after.tbsCertList.crlNumber != before.tbsCertList.crlNumber)
        let revoked = await validator.validate(
            chain: chain, at: now, role: .contract, revocation: .required(CRLRevocationChecker(crls: [after] + crls.dropFirst()))
        )
        guard case .failure(.revoked(_, _, .cessationOfOperation)) = revoked else { Issue.record("\(revoked)"); return }

        // A stale CRL is not evidence of good standing under a strict policy.
        let stale = await validator.validate(
            chain: chain, at: now.addingTimeInterval(7200), role: .contract, revocation: .required(CRLRevocationChecker(crls: crls))
        )
        guard case .failure(.revocationUnavailable) = stale else { Issue.record("\(stale)"); return }
    }
}
