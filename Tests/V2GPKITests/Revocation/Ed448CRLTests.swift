import Ed448
import Foundation
import PnCTesting
import SwiftASN1
import Testing
import X509
@testable import V2GPKI

/// Two SECC leaves of the shared Ed448 PKI (``Ed448Fixture``), the second revoked, and the CRL of their CA
/// (CPO Sub-CA 2).
struct Ed448CRLFixture {
    let good: Ed448Certificate
    let revoked: Ed448Certificate
    let chain: [Ed448Certificate]
    let roots: [Ed448Certificate]
    let crl: CertificateList
    let now: Date

    static func make(_ tag: String) throws -> Ed448CRLFixture {
        let directory = try PKIDirectory(root: Ed448Fixture.root, password: "pw")
        // A seed per tag (FNV-1a), so that fixtures of different tests draw different serials.
        var rng = SeededRandom(seed: tag.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
        let good = try directory.issueEd448Leaf(
            name: "crl-good-\(tag)", role: .secc, commonName: "DE*OPC*E7", validityDays: 30, now: Ed448Fixture.now, using: &rng)
        let revoked = try directory.issueEd448Leaf(
            name: "crl-revoked-\(tag)", role: .secc, commonName: "DE*OPC*E8", validityDays: 30, now: Ed448Fixture.now, using: &rng)
        let ca = URL(fileURLWithPath: directory.caDirectory(.cpoSubCA2))
        let now = Date()
        try CertificateDatabaseFile(caDirectory: ca).revoke(
            serial: revoked.serialNumber, reason: .keyCompromise, at: now.addingTimeInterval(-60))
        let crl = try RevocationCAFolder(directory: ca, password: "pw").issueCRL(
            thisUpdate: now.addingTimeInterval(-30), nextUpdate: now.addingTimeInterval(3600))
        let chain = try CertificateFile.ed448Certificates(atPath: "\(directory.leafDirectory("crl-good-\(tag)"))/chain.pem")
        return Ed448CRLFixture(
            good: good, revoked: revoked, chain: Array(chain.dropFirst()), roots: try directory.ed448Roots(), crl: crl, now: now)
    }
}

@Suite struct Ed448CRLTests {
    @Test("[RFC 8410 §6, RFC 5280 §5] an Ed448 CA signs its CRL with id-Ed448 (no parameters); the signature verifies under the CA key only and survives a DER round trip")
    func signedCRL() throws {
        let f = try Ed448CRLFixture.make("sig")
        let issuer = f.chain[0]
        let der = try f.crl.derBytes()
        // signatureAlgorithm SEQUENCE { OID 1.3.101.113 } with no parameters, inside and outside the TBSCertList.
        let algorithm: [UInt8] = [0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x71]
        #expect(f.crl.tbsCertListBytes.firstRange(of: algorithm) != nil)
        #expect(Array(der[(der.count - 114 - 3 - algorithm.count)..<(der.count - 114 - 3)]) == algorithm)
        #expect(f.crl.signature.bytes.count == Ed448.signatureLength)
        let parsed = try CertificateList(derBytes: der)
        #expect(parsed.isSignature(validFor: issuer.publicKey))
        #expect(!parsed.isSignature(validFor: f.chain[1].publicKey))
        #expect(parsed.tbsCertList.issuer == issuer.subject)
        #expect(parsed.tbsCertList.entry(for: f.revoked.serialNumber)?.reason == .keyCompromise)
        #expect(parsed.tbsCertList.entry(for: f.good.serialNumber) == nil)
        #expect(parsed.tbsCertList.crlNumber != nil)
        let aki = try #require(parsed.tbsCertList.authorityKeyIdentifier?.keyIdentifier)
        #expect(aki == (try issuer.extensions.subjectKeyIdentifier)?.keyIdentifier)
        // Each issued CRL takes the next number.
        let next = try RevocationCAFolder(
            directory: URL(fileURLWithPath: try PKIDirectory(root: Ed448Fixture.root, password: "pw").caDirectory(.cpoSubCA2)),
            password: "pw"
        ).issueCRL(thisUpdate: f.now, nextUpdate: f.now.addingTimeInterval(60))
        #expect(next.tbsCertList.crlNumber != parsed.tbsCertList.crlNumber)
        // One bit of the signature flipped: no longer valid.
        var tampered = der
        tampered[tampered.count - 5] ^= 0x01
        #expect(!(try CertificateList(derBytes: tampered)).isSignature(validFor: issuer.publicKey))
        // A key that is not the issuer's is refused.
        var rng = SeededRandom(seed: 57)
        do {
            _ = try CRLBuilder.makeCRL(
                issuer: issuer, key: Ed448.PrivateKey(using: &rng), database: CertificateDatabase(), crlNumber: 1,
                thisUpdate: f.now, nextUpdate: f.now.addingTimeInterval(60))
            Issue.record("a CRL was signed with a foreign key")
        } catch let error as V2GPKIError {
            #expect(error.code == .invalidRequest)
        }
    }

    @Test("[RFC 5280 §6.3, ISO 15118-20] Ed448 chain validation with the CA's Ed448 CRL: the revoked leaf fails as revoked (keyCompromise), the other passes; a forged or missing CRL makes revocation unavailable")
    func chainValidation() async throws {
        let f = try Ed448CRLFixture.make("chain")
        let validator = Ed448ChainValidator(roots: f.roots)
        let at = f.now
        // The CRL covers only CPO Sub-CA 2; the Sub-CA 1 certificate is checked best-effort here.
        let checker = CRLRevocationChecker(crls: [f.crl])
        #expect(try checker.statusNow(of: f.good, issuer: f.chain[0], at: at) == .good)
        guard case .revoked(_, .keyCompromise) = try checker.statusNow(of: f.revoked, issuer: f.chain[0], at: at) else {
            Issue.record("the revoked leaf is not revoked in the CRL")
            return
        }
        switch await validator.validate(chain: [f.revoked] + f.chain, at: at, role: .secc, revocation: .bestEffort(checker)) {
        case .failure(.revoked(_, let serial, .keyCompromise)): #expect(serial == f.revoked.serialNumber.description)
        case let other: Issue.record("revoked leaf gave \(other)")
        }
        if case .failure(let failure) = await validator.validate(
            chain: [f.good] + f.chain, at: at, role: .secc, revocation: .bestEffort(checker))
        {
            Issue.record("good leaf failed: \(failure)")
        }
        // Required revocation without a CRL for Sub-CA 1 fails as unavailable.
        guard case .failure(.revocationUnavailable) = await validator.validate(
            chain: [f.good] + f.chain, at: at, role: .secc, revocation: .required(checker))
        else {
            Issue.record("a missing CRL did not make revocation unavailable")
            return
        }
        // A forged CRL (signature bit flipped) is refused as a bad signature.
        var tampered = try f.crl.derBytes()
        tampered[tampered.count - 5] ^= 0x01
        let forged = CRLRevocationChecker(crls: [try CertificateList(derBytes: tampered)])
        do {
            _ = try forged.statusNow(of: f.revoked, issuer: f.chain[0], at: at)
            Issue.record("a forged CRL was accepted")
        } catch {
            #expect(error.code == .badSignature)
        }
        // Stale CRL.
        do {
            _ = try checker.statusNow(of: f.good, issuer: f.chain[0], at: at.addingTimeInterval(7200))
            Issue.record("a stale CRL was accepted")
        } catch {
            #expect(error.code == .revocationUnavailable)
        }
    }

    @Test(
        "[RFC 8410, RFC 5280 §5] OpenSSL 3 verifies our Ed448 CRL (openssl crl -verify) and openssl verify -crl_check reports the revoked Ed448 leaf and accepts the good one",
        .enabled(if: OpenSSL.available, OpenSSL.skipNote))
    func openSSLAcceptsEd448CRL() async throws {
        let f = try Ed448CRLFixture.make("openssl")
        let dir = URL(fileURLWithPath: Peers.temporaryDirectory("ed448crl"))
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ text: String, _ name: String) throws {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try Data(try f.crl.derBytes()).write(to: dir.appendingPathComponent("crl.der"))
        try write(try f.crl.pemString() + "\n", "crl.pem")
        try write(f.chain[0].pemString + "\n", "ca.pem")
        try write((f.chain + f.roots).map(\.pemString).joined(separator: "\n") + "\n", "cas.pem")
        try write(f.good.pemString + "\n", "good.pem")
        try write(f.revoked.pemString + "\n", "revoked.pem")

        let verify = try await OpenSSL.run(["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-verify", "-noout"], in: dir)
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("verify OK"))
        let text = try await OpenSSL.run(["crl", "-inform", "DER", "-in", "crl.der", "-text", "-noout"], in: dir)
        #expect(text.output.contains("ED448"))
        #expect(text.output.contains("Key Compromise"))
        #expect(text.output.contains("X509v3 CRL Number"))

        let revoked = try await OpenSSL.run(["verify", "-crl_check", "-CAfile", "cas.pem", "-CRLfile", "crl.pem", "revoked.pem"], in: dir)
        #expect(revoked.status != 0)
        #expect(revoked.output.contains("certificate revoked"), "\(revoked.output)")
        let good = try await OpenSSL.run(["verify", "-crl_check", "-CAfile", "cas.pem", "-CRLfile", "crl.pem", "good.pem"], in: dir)
        #expect(good.status == 0, "\(good.output)")

        // The CRL does not verify under another Ed448 CA.
        try write(f.chain[1].pemString + "\n", "other.pem")
        let wrong = try await OpenSSL.run(["crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "other.pem", "-verify", "-noout"], in: dir)
        #expect(wrong.status != 0)
    }
}
