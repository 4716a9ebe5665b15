import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import V2GPKI

/// Every profile rule, proved by a certificate that breaks only that rule.
@Suite struct CertificateLinterTests {
    let pki: TestPKI

    init() throws { pki = try TestPKI() }

    /// What a crafted certificate looks like; defaults give a profile-conformant SECC leaf.
    struct Parts {
        var subject = try! CertificateIssuer.subject(commonName: "DE*OPC*E1", role: .secc)
        var key: Certificate.PrivateKey = TestPKI.key(for: .secc, profile: .iso15118_2, salt: 50)
        var serial: Certificate.SerialNumber = Certificate.SerialNumber(bytes: [0x01, 0x02, 0x03])
        var signatureAlgorithm: Certificate.SignatureAlgorithm = .ecdsaWithSHA256
        var basicConstraints: Certificate.Extension? = try! Critical(BasicConstraints.notCertificateAuthority).makeCertificateExtension()
        var keyUsage: Certificate.Extension? = try! Critical(KeyUsage(digitalSignature: true, keyAgreement: true)).makeCertificateExtension()
        var extra: [Certificate.Extension] = []
        var ski = true
        var aki = true
        var ocsp = true
        var crl = true
    }

    func craft(_ parts: Parts, issuer role: CertificateRole = .cpoSubCA2) throws -> Certificate {
        let ca = pki.authorities[role]!
        var extensions = Certificate.Extensions()
        if let bc = parts.basicConstraints { try extensions.append(bc) }
        if let ku = parts.keyUsage { try extensions.append(ku) }
        if parts.ski { try extensions.append(SubjectKeyIdentifier(hash: parts.key.publicKey).makeCertificateExtension()) }
        if parts.aki {
            try extensions.append(
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: ca.certificate.publicKey).keyIdentifier)
                    .makeCertificateExtension()
            )
        }
        if parts.ocsp {
            try extensions.append(
                AuthorityInformationAccess([.init(method: .ocspServer, location: .uniformResourceIdentifier("http://127.0.0.1/ocsp"))])
                    .makeCertificateExtension()
            )
        }
        if parts.crl { try extensions.append(CRLDistributionPoints(uris: ["http://127.0.0.1/crl"]).makeCertificateExtension()) }
        for e in parts.extra { try extensions.append(e) }
        return try Certificate(
            version: .v3, serialNumber: parts.serial, publicKey: parts.key.publicKey,
            notValidBefore: TestPKI.now, notValidAfter: TestPKI.now.addingTimeInterval(86_400 * 30),
            issuer: ca.certificate.subject, subject: parts.subject, signatureAlgorithm: parts.signatureAlgorithm,
            extensions: extensions, issuerPrivateKey: ca.key
        )
    }

    @Test("Every certificate of the test PKI (-2 and -20) lints clean for its role", arguments: PKIProfile.allCases)
    func issuedCertificatesAreClean(profile: PKIProfile) throws {
        let pki = try TestPKI(profile: profile)
        for (role, ca) in pki.authorities {
            let report = CertificateLinter.lint(ca.certificate)
            #expect(report.role == role)
            #expect(report.profile == profile)
            #expect(!report.hasErrors, "\(role): \(report.findings)")
        }
        for (role, leaf) in pki.leaves {
            let report = CertificateLinter.lint(leaf, issuer: pki.authorities[role.issuerRole!]!.certificate)
            #expect(report.role == role)
            #expect(report.findings.filter { $0.severity != .info }.isEmpty, "\(role): \(report.findings)")
            if profile == .iso15118_2 { #expect(try leaf.derBytes.count <= 800) }
        }
    }

    @Test("The crafted baseline SECC leaf is clean, so each variant below fails for its one rule")
    func baselineIsClean() throws {
        let report = CertificateLinter.lint(try craft(Parts()), issuer: pki.authorities[.cpoSubCA2]!.certificate)
        #expect(report.role == .secc)
        #expect(report.findings.isEmpty, "\(report.findings)")
    }

    static let variants: [(String, LintRule, @Sendable (inout Parts) throws -> Void)] = [
        ("keyUsage not critical", .keyUsageCritical, { $0.keyUsage = try KeyUsage(digitalSignature: true, keyAgreement: true).makeCertificateExtension() }),
        ("keyUsage missing", .keyUsagePresent, { $0.keyUsage = nil }),
        ("keyUsage with keyEncipherment", .keyUsageBits, { $0.keyUsage = try Critical(KeyUsage(digitalSignature: true, keyEncipherment: true, keyAgreement: true)).makeCertificateExtension() }),
        ("basicConstraints not critical", .basicConstraintsCritical, { $0.basicConstraints = try BasicConstraints.notCertificateAuthority.makeCertificateExtension() }),
        ("basicConstraints missing", .basicConstraintsPresent, { $0.basicConstraints = nil }),
        ("leaf marked CA", .basicConstraintsCA, { $0.basicConstraints = try Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0)).makeCertificateExtension(); $0.keyUsage = try Critical(KeyUsage(digitalSignature: true, keyAgreement: true)).makeCertificateExtension() }),
        ("serverAuth EKU", .extendedKeyUsage, { $0.extra = [try ExtendedKeyUsage([.serverAuth]).makeCertificateExtension()] }),
        ("no SKI", .subjectKeyIdentifier, { $0.ski = false }),
        ("no AKI", .authorityKeyIdentifier, { $0.aki = false }),
        ("no OCSP URL", .ocspURL, { $0.ocsp = false }),
        ("no CN", .subjectCN, { $0.subject = try DistinguishedName { OrganizationName("OpenPnC"); CountryName("DE"); DomainComponent("CPO") } }),
        ("no O", .subjectO, { $0.subject = try DistinguishedName { CommonName("x"); CountryName("DE"); DomainComponent("CPO") } }),
        ("no C", .subjectC, { $0.subject = try DistinguishedName { CommonName("x"); OrganizationName("OpenPnC"); DomainComponent("CPO") } }),
        ("C not alpha-2", .subjectC, { $0.subject = try DistinguishedName { CommonName("x"); OrganizationName("OpenPnC"); CountryName("D1"); DomainComponent("CPO") } }),
        ("ecdsa-with-SHA384", .signatureAlgorithm, { $0.signatureAlgorithm = .ecdsaWithSHA384 }),
        ("P-384 key", .publicKey, { $0.key = Certificate.PrivateKey(P384.Signing.PrivateKey()) }),
        ("negative serial", .serialNumber, { $0.serial = Certificate.SerialNumber(bytes: [0x80, 0x01]) }),
        ("21-octet serial", .serialNumber, { $0.serial = Certificate.SerialNumber(bytes: [0x01] + [UInt8](repeating: 7, count: 20)) }),
        ("over 800 bytes", .size, { p in
            let long = String(repeating: "x", count: 400)
            p.subject = try DistinguishedName { CommonName("DE*OPC*E1"); OrganizationName(long); CountryName("DE"); DomainComponent("CPO") }
        }),
    ]

    @Test("Each broken rule is reported with its rule id", arguments: 0..<variants.count)
    func brokenRule(index: Int) throws {
        let (name, rule, modify) = Self.variants[index]
        var parts = Parts()
        try modify(&parts)
        let report = CertificateLinter.lint(
            try craft(parts), role: .secc, profile: .iso15118_2, issuer: pki.authorities[.cpoSubCA2]!.certificate
        )
        #expect(report.has(rule), "\(name): \(report.findings)")
        #expect(report.hasErrors)
    }

    @Test("Subject DC must name the role's domain")
    func wrongDC() throws {
        var parts = Parts()
        parts.subject = try CertificateIssuer.subject(commonName: "x", role: .contract)  // DC=MO
        let report = CertificateLinter.lint(try craft(parts), role: .secc)
        #expect(report.has(.subjectDC))
    }

    @Test("Sub-CA pathLen must match its position; a root with pathLen 1 leaves no room for two Sub-CAs")
    func pathLength() throws {
        var parts = Parts()
        parts.subject = try CertificateIssuer.subject(commonName: "sub", role: .cpoSubCA2)
        parts.basicConstraints = try Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1)).makeCertificateExtension()
        parts.keyUsage = try Critical(KeyUsage(keyCertSign: true, cRLSign: true)).makeCertificateExtension()
        #expect(CertificateLinter.lint(try craft(parts, issuer: .cpoSubCA1), role: .cpoSubCA2).has(.pathLength))
        #expect(!CertificateLinter.lint(try craft(parts, issuer: .cpoSubCA1), role: .cpoSubCA1).has(.pathLength))
    }

    @Test("AKI must name the issuer's key")
    func akiMismatch() throws {
        let cert = try craft(Parts())
        #expect(CertificateLinter.lint(cert, issuer: pki.authorities[.moSubCA2]!.certificate).has(.authorityKeyIdentifierMatch))
    }

    @Test("[ISO 15118-2 Annex H] contract CN must be an eMAID with a valid check character; Josev's UKSWI123456791A is reported")
    func contractEMAID() throws {
        var parts = Parts()
        parts.keyUsage = try Critical(KeyUsage(digitalSignature: true, nonRepudiation: true, keyEncipherment: true, keyAgreement: true)).makeCertificateExtension()
        parts.subject = try CertificateIssuer.subject(commonName: "UKSWI123456791A", role: .contract)
        let bad = CertificateLinter.lint(try craft(parts, issuer: .moSubCA2))
        #expect(bad.role == .contract)
        #expect(bad.has(.contractEMAID))
        parts.subject = try CertificateIssuer.subject(commonName: "UKSWI1234567915", role: .contract)
        #expect(!CertificateLinter.lint(try craft(parts, issuer: .moSubCA2)).has(.contractEMAID))
    }

    @Test("A root must be self-signed with a signature that verifies")
    func rootSelfSignature() throws {
        let root = pki.authorities[.v2gRoot]!.certificate
        #expect(!CertificateLinter.lint(root).has(.selfSigned))
        let forged = try Certificate(
            version: .v3, serialNumber: root.serialNumber, publicKey: root.publicKey, notValidBefore: root.notValidBefore,
            notValidAfter: root.notValidAfter, issuer: root.subject, subject: root.subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: root.extensions,
            issuerPrivateKey: TestPKI.key(for: .moRoot, profile: .iso15118_2)
        )
        #expect(CertificateLinter.lint(forged, role: .v2gRoot).has(.selfSigned))
    }

    @Test("An OCSP responder certificate needs id-kp-OCSPSigning")
    func ocspSignerEKU() throws {
        var parts = Parts()
        parts.keyUsage = try Critical(KeyUsage(digitalSignature: true)).makeCertificateExtension()
        #expect(CertificateLinter.lint(try craft(parts), role: .ocspSigner).has(.extendedKeyUsage))
        parts.extra = [try ExtendedKeyUsage([.ocspSigning]).makeCertificateExtension()]
        let report = CertificateLinter.lint(try craft(parts))
        #expect(report.role == .ocspSigner)
        #expect(!report.has(.extendedKeyUsage))
    }
}
