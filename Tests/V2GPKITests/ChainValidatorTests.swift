import Crypto
import Foundation
import Testing
import X509
@testable import V2GPKI

@Suite struct ChainValidatorTests {
    let pki: TestPKI
    init() throws { pki = try TestPKI() }

    @Test("A 3-deep -2 contract chain validates against the MO root", arguments: PKIProfile.allCases)
    func valid(profile: PKIProfile) async throws {
        let pki = try TestPKI(profile: profile)
        let result = await ChainValidator(roots: pki.roots).validate(chain: pki.chain(.contract), at: TestPKI.now, role: .contract)
        let chain = try result.get()
        #expect(chain.subCAs.count == 2)
        #expect(chain.root == pki.authorities[.moRoot]!.certificate)
        #expect(chain.role == .contract)
    }

    @Test("Sub-CAs may come in any order and a trailing trust anchor is ignored")
    func order() throws {
        let chain = pki.chain(.secc)
        let shuffled = [chain[0], chain[2], chain[1], pki.authorities[.v2gRoot]!.certificate]
        #expect((try? ChainValidator(roots: pki.roots).validateOffline(chain: shuffled, at: TestPKI.now).get()) != nil)
    }

    @Test("Expired and not-yet-valid certificates are named")
    func time() throws {
        let v = ChainValidator(roots: pki.roots)
        var rng = SeededRandom(seed: 3)
        let ca = pki.authorities[.moSubCA2]!
        let leaf = try ca.issue(
            role: .contract, subject: try CertificateIssuer.subject(commonName: "DEOPC0000000024", role: .contract),
            publicKey: TestPKI.key(for: .contract, profile: .iso15118_2, salt: 70).publicKey, validityDays: 30,
            now: TestPKI.now, using: &rng
        )
        let chain = [leaf] + ca.chainBelowRoot
        guard case .failure(.expired(let s, _)) = v.validateOffline(chain: chain, at: leaf.notValidAfter.addingTimeInterval(1))
        else { Issue.record("not expired"); return }
        #expect(s.contains("DEOPC0000000024"))
        guard case .failure(.notYetValid) = v.validateOffline(chain: pki.chain(.contract), at: TestPKI.now.addingTimeInterval(-86_400 * 10))
        else { Issue.record("not notYetValid"); return }
    }

    @Test("A chain from a root that is not installed: unknown root")
    func unknownRoot() {
        let result = ChainValidator(roots: [pki.authorities[.v2gRoot]!.certificate]).validateOffline(chain: pki.chain(.contract), at: TestPKI.now)
        guard case .failure(.unknownRoot) = result else { Issue.record("\(result)"); return }
    }

    @Test("A missing Sub-CA leaves the chain without a trust anchor")
    func missingSubCA() {
        let chain = pki.chain(.contract)
        let result = ChainValidator(roots: pki.roots).validateOffline(chain: [chain[0], chain[2]], at: TestPKI.now)
        guard case .failure(.unknownRoot) = result else { Issue.record("\(result)"); return }
    }

    @Test("A leaf signed with another key: bad signature")
    func badSignature() throws {
        let good = pki.leaves[.contract]!
        let tampered = try Certificate(
            version: .v3, serialNumber: good.serialNumber, publicKey: good.publicKey, notValidBefore: good.notValidBefore,
            notValidAfter: good.notValidAfter, issuer: good.issuer, subject: good.subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: good.extensions,
            issuerPrivateKey: TestPKI.key(for: .oemSubCA2, profile: .iso15118_2)
        )
        let result = ChainValidator(roots: pki.roots).validateOffline(chain: [tampered] + Array(pki.chain(.contract).dropFirst()), at: TestPKI.now)
        guard case .failure(.badSignature(let s)) = result else { Issue.record("\(result)"); return }
        #expect(s.contains("DEOPC"))
    }

    @Test("Three Sub-CAs: chain too long")
    func tooLong() throws {
        var rng = SeededRandom(seed: 7)
        let sub2 = pki.authorities[.moSubCA2]!
        // A third CA below MO Sub-CA 2, issued without the profile's pathLen guard.
        let key3 = TestPKI.key(for: .moSubCA2, profile: .iso15118_2, salt: 90)
        let sub3 = try Certificate(
            version: .v3, serialNumber: CertificateIssuer.randomSerialNumber(using: &rng), publicKey: key3.publicKey,
            notValidBefore: TestPKI.now.addingTimeInterval(-3600), notValidAfter: TestPKI.now.addingTimeInterval(86_400),
            issuer: sub2.certificate.subject, subject: try CertificateIssuer.subject(commonName: "Sub-CA 3", role: .moSubCA2),
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key3.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: sub2.certificate.publicKey).keyIdentifier)
            },
            issuerPrivateKey: sub2.key
        )
        let leafKey = TestPKI.key(for: .contract, profile: .iso15118_2, salt: 91)
        let leaf = try Certificate(
            version: .v3, serialNumber: CertificateIssuer.randomSerialNumber(using: &rng), publicKey: leafKey.publicKey,
            notValidBefore: TestPKI.now.addingTimeInterval(-3600), notValidAfter: TestPKI.now.addingTimeInterval(86_400),
            issuer: sub3.subject, subject: try CertificateIssuer.subject(commonName: "DEOPC0000000024", role: .contract),
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: key3.publicKey).keyIdentifier)
            },
            issuerPrivateKey: key3
        )
        let result = ChainValidator(roots: pki.roots).validateOffline(chain: [leaf, sub3] + sub2.chainBelowRoot, at: TestPKI.now)
        guard case .failure(.chainTooLong(3)) = result else { Issue.record("\(result)"); return }
    }

    @Test("A SECC certificate offered as a contract: wrong role")
    func wrongRole() {
        let result = ChainValidator(roots: pki.roots).validateOffline(chain: pki.chain(.secc), at: TestPKI.now, role: .contract)
        guard case .failure(.wrongRole(_, .contract, .secc)) = result else { Issue.record("\(result)"); return }
    }

    /// A revocation source over a fixed table, standing in for OCSP/CRL in pure tests.
    struct TableChecker: RevocationChecker {
        let revoked: Set<[UInt8]>
        let unreachable: Bool
        func status(of certificate: Certificate, issuer: Certificate, at time: Date) async throws(V2GPKIError) -> OCSPCertStatus {
            if unreachable { throw .make(.revocationUnavailable, "responder down") }
            return revoked.contains(Array(certificate.serialNumber.bytes)) ? .revoked(at: time, reason: .keyCompromise) : .good
        }
    }

    @Test("Revocation: a revoked Sub-CA fails the chain; an unreachable source fails only a strict policy")
    func revocation() async {
        let v = ChainValidator(roots: pki.roots)
        let sub1 = pki.authorities[.moSubCA1]!.certificate
        let revoked = TableChecker(revoked: [Array(sub1.serialNumber.bytes)], unreachable: false)
        let r1 = await v.validate(chain: pki.chain(.contract), at: TestPKI.now, revocation: .required(revoked))
        guard case .failure(.revoked(_, _, .keyCompromise)) = r1 else { Issue.record("\(r1)"); return }
        let down = TableChecker(revoked: [], unreachable: true)
        let r2 = await v.validate(chain: pki.chain(.contract), at: TestPKI.now, revocation: .required(down))
        guard case .failure(.revocationUnavailable) = r2 else { Issue.record("\(r2)"); return }
        let r3 = await v.validate(chain: pki.chain(.contract), at: TestPKI.now, revocation: .bestEffort(down))
        #expect((try? r3.get()) != nil)
    }
}
