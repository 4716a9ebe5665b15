import Foundation
import SwiftASN1
import PnCTesting
import Testing
import X509

@testable import V2GPKI

@Suite struct CRLBuilderTests {
    static let revokedAt = Date(timeIntervalSince1970: 1_780_000_000)

    static func crl(_ pki: RevocationTestPKI, thisUpdate: Date, number: UInt64 = 7) throws -> CertificateList {
        try CRLBuilder.makeCRL(
            issuer: pki.subCA, key: pki.subCAKey, database: try pki.database(revokedAt: revokedAt), crlNumber: number,
            thisUpdate: thisUpdate, nextUpdate: thisUpdate.addingTimeInterval(86_400))
    }

    @Test("[RFC5280-5.1] a signed v2 CRL lists revoked serials with reasons, CRL number and AKI", arguments: RevocationTestPKI.Curve.allCases)
    func content(curve: RevocationTestPKI.Curve) throws {
        let pki = try RevocationTestPKI(curve)
        let thisUpdate = Date(timeIntervalSince1970: 1_790_000_000)
        let crl = try Self.crl(pki, thisUpdate: thisUpdate)
        let parsed = try CertificateList(derBytes: try crl.derBytes())
        #expect(parsed == crl)
        #expect(parsed.isSignature(validFor: pki.subCA.publicKey))
        #expect(!parsed.isSignature(validFor: pki.root.publicKey))
        let tbs = parsed.tbsCertList
        #expect(tbs.version == 2)
        #expect(tbs.issuer == pki.subCA.subject)
        #expect(tbs.thisUpdate == thisUpdate)
        #expect(tbs.nextUpdate == thisUpdate.addingTimeInterval(86_400))
        #expect(tbs.crlNumber == Certificate.SerialNumber(7))
        #expect(tbs.authorityKeyIdentifier?.keyIdentifier == (try OCSPResponderID.keyHash(of: pki.subCA.publicKey))[...])
        #expect(tbs.revokedCertificates.map(\.serialNumber) == [pki.leaves[1].serialNumber, pki.leaves[2].serialNumber])
        #expect(tbs.entry(for: pki.leaves[1].serialNumber)?.reason == .keyCompromise)
        #expect(tbs.entry(for: pki.leaves[2].serialNumber)?.reason == .cessationOfOperation)
        #expect(tbs.entry(for: pki.leaves[1].serialNumber)?.revocationDate == Self.revokedAt)
        #expect(tbs.entry(for: pki.leaves[0].serialNumber) == nil)
        #expect(try crl.pemString().hasPrefix("-----BEGIN X509 CRL-----"))
    }

    @Test("[RFC5280-5.1.2.4] dates from 2050 are GeneralizedTime; a key that is not the issuer's is refused")
    func timesAndKeys() throws {
        let pki = try RevocationTestPKI(.p256)
        let crl = try Self.crl(pki, thisUpdate: Date(timeIntervalSince1970: 2_600_000_000))  // 2052
        let parsed = try CertificateList(derBytes: try crl.derBytes())
        #expect(parsed.tbsCertList.thisUpdate == Date(timeIntervalSince1970: 2_600_000_000))
        #expect(try crl.derBytes().contains(0x18))
        let error = #expect(throws: V2GPKIError.self) {
            try CRLBuilder.makeCRL(
                issuer: pki.subCA, key: pki.rootKey, database: CertificateDatabase(), crlNumber: 1,
                thisUpdate: Date(timeIntervalSince1970: 0), nextUpdate: Date(timeIntervalSince1970: 1))
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test(
        "[RFC5280-5] openssl crl -verify accepts our CRL and openssl verify -crl_check sees the revocation",
        .enabled(if: OpenSSL.available, OpenSSL.skipNote), arguments: RevocationTestPKI.Curve.allCases)
    func openssl(curve: RevocationTestPKI.Curve) async throws {
        let pki = try RevocationTestPKI(curve)
        let directory = try TemporaryDirectory()
        let dir = directory.url
        let crl = try Self.crl(pki, thisUpdate: Date().addingTimeInterval(-60))
        try Data(try crl.derBytes()).write(to: dir.appendingPathComponent("crl.der"))
        try crl.pemString().write(to: dir.appendingPathComponent("crl.pem"), atomically: true, encoding: .utf8)
        try RevocationTestPKI.pem(pki.subCA).write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        try (RevocationTestPKI.pem(pki.root) + RevocationTestPKI.pem(pki.subCA)).write(
            to: dir.appendingPathComponent("chain.pem"), atomically: true, encoding: .utf8)
        for (i, leaf) in pki.leaves.enumerated() {
            try RevocationTestPKI.pem(leaf).write(to: dir.appendingPathComponent("leaf\(i).pem"), atomically: true, encoding: .utf8)
        }

        let verify = try await OpenSSL.run(["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-verify", "-noout"], in: dir)
        #expect(verify.status == 0)
        #expect(verify.output.contains("verify OK"))

        let text = try await OpenSSL.run(["crl", "-inform", "DER", "-in", "crl.der", "-text", "-noout"], in: dir)
        #expect(text.status == 0)
        #expect(text.output.contains("Version 2"))
        #expect(text.output.contains("Serial Number: 3002"))
        #expect(text.output.contains("Key Compromise"))
        #expect(text.output.contains("Cessation Of Operation"))
        #expect(text.output.contains("X509v3 CRL Number"))
        #expect(text.output.contains("X509v3 Authority Key Identifier"))
        #expect(text.output.contains(curve == .p256 ? "ecdsa-with-SHA256" : "ecdsa-with-SHA512"))

        let revoked = try await OpenSSL.run(["verify", "-crl_check", "-CAfile", "chain.pem", "-CRLfile", "crl.pem", "leaf1.pem"], in: dir)
        #expect(revoked.status != 0)
        #expect(revoked.output.contains("certificate revoked"))
        let good = try await OpenSSL.run(["verify", "-crl_check", "-CAfile", "chain.pem", "-CRLfile", "crl.pem", "leaf0.pem"], in: dir)
        #expect(good.status == 0, "\(good.output)")

        // A CRL checked against the wrong CA fails.
        try RevocationTestPKI.pem(pki.otherCA).write(to: dir.appendingPathComponent("other.pem"), atomically: true, encoding: .utf8)
        let wrong = try await OpenSSL.run(["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "other.pem", "-verify", "-noout"], in: dir)
        #expect(wrong.status != 0)
    }
}
