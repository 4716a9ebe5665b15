import Ed448
import Foundation
public import X509
import Crypto
import PnCCore
import SwiftASN1

/// A profile rule a certificate can break.
public struct LintRule: Hashable, Sendable, CustomStringConvertible {
    /// Stable id, e.g. `KU-CRITICAL`.
    public let id: String
    /// Where the rule comes from.
    public let reference: String
    public var description: String { "\(id) (\(reference))" }

    static let annexF2 = "ISO 15118-2:2014 Annex F"
    static let profile20 = "ISO 15118-20:2022 certificate profiles"
    static let rfc5280 = "RFC 5280"

    public static let version = LintRule(id: "VERSION", reference: annexF2)
    public static let signatureAlgorithm = LintRule(id: "SIG-ALG", reference: "\(annexF2); \(profile20)")
    public static let publicKey = LintRule(id: "KEY-CURVE", reference: "\(annexF2); \(profile20)")
    public static let serialNumber = LintRule(id: "SERIAL", reference: "\(rfc5280) §4.1.2.2")
    public static let size = LintRule(id: "DER-SIZE", reference: "ISO 15118-2 XSD certificateType maxLength 800")
    public static let subjectCN = LintRule(id: "SUBJECT-CN", reference: annexF2)
    public static let subjectO = LintRule(id: "SUBJECT-O", reference: annexF2)
    public static let subjectC = LintRule(id: "SUBJECT-C", reference: annexF2)
    public static let subjectDC = LintRule(id: "SUBJECT-DC", reference: annexF2)
    public static let basicConstraintsPresent = LintRule(id: "BC-PRESENT", reference: annexF2)
    public static let basicConstraintsCritical = LintRule(id: "BC-CRITICAL", reference: annexF2)
    public static let basicConstraintsCA = LintRule(id: "BC-CA", reference: annexF2)
    public static let pathLength = LintRule(id: "BC-PATHLEN", reference: "\(annexF2): at most two Sub-CAs")
    public static let keyUsagePresent = LintRule(id: "KU-PRESENT", reference: annexF2)
    public static let keyUsageCritical = LintRule(id: "KU-CRITICAL", reference: annexF2)
    public static let keyUsageBits = LintRule(id: "KU-BITS", reference: annexF2)
    public static let extendedKeyUsage = LintRule(id: "EKU-UNEXPECTED", reference: "\(annexF2) (no EKU in the V2G profiles)")
    public static let subjectKeyIdentifier = LintRule(id: "SKI-PRESENT", reference: "\(annexF2); \(rfc5280) §4.2.1.2")
    public static let authorityKeyIdentifier = LintRule(id: "AKI-PRESENT", reference: "\(annexF2); \(rfc5280) §4.2.1.1")
    public static let authorityKeyIdentifierMatch = LintRule(id: "AKI-MATCH", reference: "\(rfc5280) §4.2.1.1")
    public static let ocspURL = LintRule(id: "AIA-OCSP", reference: "\(annexF2): AIA with an OCSP responder URI")
    public static let crlDistributionPoint = LintRule(id: "CRL-DP", reference: "\(rfc5280) §4.2.1.13")
    public static let contractEMAID = LintRule(id: "EMAID-CN", reference: "ISO 15118-2 Annex H: contract CN = eMAID")
    public static let provisioningPCID = LintRule(id: "PCID-CN", reference: "VDE-AR-E 2802-100-1: OEM provisioning CN = PCID")
    public static let selfSigned = LintRule(id: "ROOT-SELF-SIGNED", reference: rfc5280)
    public static let validityPeriod = LintRule(id: "VALIDITY", reference: "\(rfc5280) §4.1.2.5")
    public static let role = LintRule(id: "ROLE", reference: "\(annexF2): subject DC and basicConstraints name the role")
}

/// One thing a certificate does wrong or oddly.
public struct LintFinding: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable {
        case error, warning, info
        public static func < (a: Self, b: Self) -> Bool {
            let order: [Severity] = [.error, .warning, .info]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }
    public let severity: Severity
    public let rule: LintRule
    public let message: String
    public var description: String { "\(severity.rawValue): [\(rule.id)] \(message) — \(rule.reference)" }
}

/// The outcome of linting one certificate.
public struct LintReport: Sendable {
    public let role: CertificateRole?
    public let profile: PKIProfile?
    public let findings: [LintFinding]
    public var hasErrors: Bool { findings.contains { $0.severity == .error } }
    public func has(_ rule: LintRule, _ severity: LintFinding.Severity = .error) -> Bool {
        findings.contains { $0.rule == rule && $0.severity == severity }
    }
}

/// Checks certificates against the ISO 15118-2 and -20 certificate profiles.
public enum CertificateLinter {
    /// Lints a certificate.
    ///
    /// - Parameters:
    ///   - role: the role to check against; detected from subject DC and basicConstraints when nil.
    ///   - profile: -2 or -20; detected from the key when nil.
    ///   - issuer: the issuing certificate when known (for AKI and signature checks).
    public static func lint(
        _ certificate: Certificate, role: CertificateRole? = nil, profile: PKIProfile? = nil, issuer: Certificate? = nil
    ) -> LintReport {
        let keyAlgorithm: KeyAlgorithm? =
            P256.Signing.PublicKey(certificate.publicKey) != nil ? .p256
            : P521.Signing.PublicKey(certificate.publicKey) != nil ? .p521 : nil
        let signature: SignatureKind =
            certificate.signatureAlgorithm == .ecdsaWithSHA256 ? .ecdsaWithSHA256
            : certificate.signatureAlgorithm == .ecdsaWithSHA512 ? .ecdsaWithSHA512 : .other("\(certificate.signatureAlgorithm)")
        let facts = CertificateFacts(
            isV3: certificate.version == .v3, versionText: "\(certificate.version)", signature: signature,
            keyAlgorithm: keyAlgorithm, keyText: "\(certificate.publicKey)", serialNumber: certificate.serialNumber,
            derSize: try? certificate.derBytes.count, notValidBefore: certificate.notValidBefore,
            notValidAfter: certificate.notValidAfter, subject: certificate.subject, issuer: certificate.issuer,
            extensions: certificate.extensions,
            issuerKeyIdentifier: issuer.map {
                (try? $0.extensions.subjectKeyIdentifier)?.keyIdentifier ?? SubjectKeyIdentifier(hash: $0.publicKey).keyIdentifier
            },
            selfSignatureVerifies: { certificate.publicKey.isValidSignature(certificate.signature, for: certificate) }
        )
        return lint(facts, role: role, profile: profile)
    }

    /// Lints an Ed448 certificate (ISO 15118-20; an error under -2).
    public static func lint(
        _ certificate: Ed448Certificate, role: CertificateRole? = nil, profile: PKIProfile? = nil,
        issuer: Ed448Certificate? = nil
    ) -> LintReport {
        let facts = CertificateFacts(
            isV3: certificate.version == 3, versionText: "v\(certificate.version)",
            signature: certificate.signatureAlgorithmIsEd448 ? .ed448 : .other("not id-Ed448 (or with parameters)"),
            keyAlgorithm: .ed448, keyText: "Ed448", serialNumber: certificate.serialNumber,
            derSize: certificate.derBytes.count, notValidBefore: certificate.notValidBefore,
            notValidAfter: certificate.notValidAfter, subject: certificate.subject, issuer: certificate.issuer,
            extensions: certificate.extensions,
            issuerKeyIdentifier: issuer.map {
                (try? $0.extensions.subjectKeyIdentifier)?.keyIdentifier ?? Ed448Certificate.keyIdentifier(of: $0.publicKey)[...]
            },
            selfSignatureVerifies: { certificate.isSigned(by: certificate.publicKey) }
        )
        return lint(facts, role: role, profile: profile)
    }

    enum SignatureKind: Equatable {
        case ecdsaWithSHA256, ecdsaWithSHA512, ed448
        case other(String)
        var text: String {
            switch self {
            case .ecdsaWithSHA256: "ecdsa-with-SHA256"
            case .ecdsaWithSHA512: "ecdsa-with-SHA512"
            case .ed448: "Ed448"
            case .other(let text): text
            }
        }
    }

    /// What the rules look at, whichever library parsed the certificate.
    struct CertificateFacts {
        var isV3: Bool
        var versionText: String
        var signature: SignatureKind
        var keyAlgorithm: KeyAlgorithm?
        var keyText: String
        var serialNumber: Certificate.SerialNumber
        var derSize: Int?
        var notValidBefore: Date
        var notValidAfter: Date
        var subject: DistinguishedName
        var issuer: DistinguishedName
        var extensions: Certificate.Extensions
        var issuerKeyIdentifier: ArraySlice<UInt8>?
        var selfSignatureVerifies: () -> Bool
    }

    static func lint(_ certificate: CertificateFacts, role: CertificateRole?, profile: PKIProfile?) -> LintReport {
        var findings: [LintFinding] = []
        func add(_ severity: LintFinding.Severity, _ rule: LintRule, _ message: String) {
            findings.append(LintFinding(severity: severity, rule: rule, message: message))
        }
        let profile = profile ?? certificate.keyAlgorithm.map(detectProfile(keyAlgorithm:))
        let role = role ?? detectRole(subject: certificate.subject, issuer: certificate.issuer, extensions: certificate.extensions)
        if role == nil {
            add(.warning, .role, "role not recognised (no DC V2G/CPO/CPS/MO/OEM with matching basicConstraints); role rules skipped")
        }

        // Version, algorithms, serial, size.
        if !certificate.isV3 { add(.error, .version, "version is \(certificate.versionText), not v3") }
        switch profile {
        case .iso15118_2:
            if certificate.signature != .ecdsaWithSHA256 {
                add(.error, .signatureAlgorithm, "signature algorithm \(certificate.signature.text), -2 needs ecdsa-with-SHA256")
            }
            if certificate.keyAlgorithm != .p256 {
                add(.error, .publicKey, "public key is \(certificate.keyText), not secp256r1 (-2 allows no other key)")
            }
        case .iso15118_20:
            switch certificate.keyAlgorithm {
            case .p521:
                if certificate.signature != .ecdsaWithSHA512 {
                    add(.error, .signatureAlgorithm, "signature algorithm \(certificate.signature.text), -20 needs ecdsa-with-SHA512 with a secp521r1 key")
                }
            case .ed448:
                if certificate.signature != .ed448 {
                    add(.error, .signatureAlgorithm, "signature algorithm \(certificate.signature.text), -20 needs Ed448 with an Ed448 key")
                }
            default:
                if certificate.signature != .ecdsaWithSHA512 && certificate.signature != .ed448 {
                    add(.error, .signatureAlgorithm, "signature algorithm \(certificate.signature.text), -20 needs ecdsa-with-SHA512 or Ed448")
                }
                add(.error, .publicKey, "public key is \(certificate.keyText), not secp521r1 or Ed448")
            }
        case nil:
            add(.error, .publicKey, "public key is neither secp256r1 (-2) nor secp521r1 or Ed448 (-20): \(certificate.keyText)")
        }
        let serial = Array(certificate.serialNumber.bytes)
        if serial.count > 20 { add(.error, .serialNumber, "serial number has \(serial.count) octets, at most 20 allowed") }
        if let first = serial.first, first & 0x80 != 0 { add(.error, .serialNumber, "serial number is negative") }
        if serial.allSatisfy({ $0 == 0 }) { add(.error, .serialNumber, "serial number is zero") }
        if let size = certificate.derSize, let profile, size > profile.maxCertificateBytes {
            add(.error, .size, "DER is \(size) bytes; \(profile.rawValue) messages carry at most \(profile.maxCertificateBytes)")
        }
        if certificate.notValidBefore >= certificate.notValidAfter {
            add(.error, .validityPeriod, "notBefore is not before notAfter")
        }

        // Subject.
        let subject = Attributes(certificate.subject)
        if subject.commonName == nil { add(.error, .subjectCN, "subject has no CN") }
        if subject.organization == nil { add(.error, .subjectO, "subject has no O") }
        if let c = subject.country {
            if c.utf8.count != 2 || !c.utf8.allSatisfy({ (65...90).contains($0) }) {
                add(.error, .subjectC, "subject C=\(c) is not an ISO 3166 alpha-2 code")
            }
        } else {
            add(.error, .subjectC, "subject has no C")
        }
        if let role {
            if subject.domainComponent == nil {
                add(.error, .subjectDC, "subject has no DC; \(role.rawValue) needs DC=\(role.domainComponent)")
            } else if subject.domainComponent?.uppercased() != role.domainComponent, role != .ocspSigner {
                add(.error, .subjectDC, "subject DC=\(subject.domainComponent!) but \(role.rawValue) needs DC=\(role.domainComponent)")
            }
        }

        // Basic constraints.
        let bcExtension = certificate.extensions[oid: .X509ExtensionID.basicConstraints]
        let basicConstraints = try? certificate.extensions.basicConstraints
        if bcExtension == nil {
            add(.error, .basicConstraintsPresent, "basicConstraints is missing")
        } else if bcExtension?.critical == false {
            add(.error, .basicConstraintsCritical, "basicConstraints is not critical")
        }
        if let role, let basicConstraints {
            switch basicConstraints {
            case .isCertificateAuthority(let pathLength):
                if !role.isCA { add(.error, .basicConstraintsCA, "\(role.rawValue) must be CA:false") }
                if let expected = role.pathLength {
                    if role.isRoot {
                        if let pathLength, pathLength < 2 {
                            add(.error, .pathLength, "root pathLen \(pathLength) leaves no room for two Sub-CAs")
                        }
                    } else if pathLength != expected {
                        add(.error, .pathLength, "\(role.rawValue) pathLen is \(pathLength.map(String.init) ?? "absent"), must be \(expected)")
                    }
                }
            case .notCertificateAuthority:
                if role.isCA { add(.error, .basicConstraintsCA, "\(role.rawValue) must be CA:true") }
            }
        }

        // Key usage.
        let kuExtension = certificate.extensions[oid: .X509ExtensionID.keyUsage]
        if kuExtension == nil {
            add(.error, .keyUsagePresent, "keyUsage is missing")
        } else if kuExtension?.critical == false {
            add(.error, .keyUsageCritical, "keyUsage is not critical")
        }
        if let role, let keyUsage = try? certificate.extensions.keyUsage, !role.acceptedKeyUsages.contains(keyUsage) {
            add(.error, .keyUsageBits, "keyUsage is \(keyUsage), \(role.rawValue) needs exactly \(role.keyUsage)")
        }
        if let eku = try? certificate.extensions.extendedKeyUsage {
            let expected = role?.extendedKeyUsage ?? []
            let unexpected = eku.filter { !expected.contains($0) }
            if !unexpected.isEmpty {
                add(.error, .extendedKeyUsage, "extendedKeyUsage \(unexpected.map(\.description).joined(separator: ", ")) is not part of the profile")
            }
        } else if let role, !role.extendedKeyUsage.isEmpty {
            add(.error, .extendedKeyUsage, "an OCSP responder certificate needs extendedKeyUsage id-kp-OCSPSigning")
        }

        // Key identifiers.
        let ski = try? certificate.extensions.subjectKeyIdentifier
        if ski == nil { add(.error, .subjectKeyIdentifier, "subjectKeyIdentifier is missing") }
        let selfIssued = certificate.subject == certificate.issuer
        let aki = try? certificate.extensions.authorityKeyIdentifier
        if !selfIssued && aki?.keyIdentifier == nil {
            add(.error, .authorityKeyIdentifier, "authorityKeyIdentifier is missing")
        }
        if let issuerSKI = certificate.issuerKeyIdentifier, let akiID = aki?.keyIdentifier {
            if akiID != issuerSKI { add(.error, .authorityKeyIdentifierMatch, "authorityKeyIdentifier does not match the issuer's key") }
        }

        // Revocation pointers.
        let isRoot = role?.isRoot ?? selfIssued
        if !isRoot, role != .ocspSigner {
            let aia = try? certificate.extensions.authorityInformationAccess
            let hasOCSP = aia?.contains { $0.method == .ocspServer } ?? false
            if !hasOCSP { add(.error, .ocspURL, "authorityInformationAccess has no OCSP URI") }
            let crl = certificate.extensions[oid: CRLDistributionPoints.oid].flatMap { try? CRLDistributionPoints($0) }
            if crl?.uris.isEmpty ?? true { add(.warning, .crlDistributionPoint, "no CRL distribution point") }
        }

        // Roots, contract and provisioning identities.
        if role?.isRoot == true {
            if !selfIssued {
                add(.error, .selfSigned, "a root must be self-issued (subject = issuer)")
            } else if !certificate.selfSignatureVerifies() {
                add(.error, .selfSigned, "the root's self-signature does not verify")
            }
        }
        if role == .contract, let cn = subject.commonName {
            do {
                let (emaid, form) = try EMAID.parse(cn)
                if form == .din { add(.warning, .contractEMAID, "CN \(cn) is in DIN SPEC 91286 form; ISO form is \(emaid.normalized)") }
                if form == .isoWithoutCheckDigit { add(.info, .contractEMAID, "CN \(cn) has no check character (\(emaid.checkDigit))") }
            } catch {
                add(.error, .contractEMAID, "CN \(cn) is not a valid eMAID: \(error.detail)")
            }
        }
        if role == .oemProvisioning, let cn = subject.commonName, (try? PCID(cn)) == nil {
            add(.warning, .provisioningPCID, "CN \(cn) is not a PCID (17-18 letters and digits)")
        }
        return LintReport(role: role, profile: profile, findings: findings.sorted { $0.severity < $1.severity })
    }

    /// The profile a key algorithm belongs to: secp256r1 → -2, secp521r1 and Ed448 → -20.
    public static func detectProfile(keyAlgorithm: KeyAlgorithm) -> PKIProfile {
        switch keyAlgorithm {
        case .p256: .iso15118_2
        case .p521, .ed448: .iso15118_20
        }
    }

    /// The profile the key implies.
    public static func detectProfile(_ certificate: Certificate) -> PKIProfile? {
        detectProfile(publicKey: certificate.publicKey)
    }

    /// The profile a public key belongs to: secp256r1 → -2, secp521r1 → -20.
    public static func detectProfile(publicKey: Certificate.PublicKey) -> PKIProfile? {
        if P256.Signing.PublicKey(publicKey) != nil { return .iso15118_2 }
        if P521.Signing.PublicKey(publicKey) != nil { return .iso15118_20 }
        return nil
    }

    /// The role the subject's DC, basicConstraints and EKU imply.
    public static func detectRole(_ certificate: Certificate) -> CertificateRole? {
        detectRole(subject: certificate.subject, issuer: certificate.issuer, extensions: certificate.extensions)
    }

    /// The role of an Ed448 certificate, as ``detectRole(_:)-(Certificate)`` finds it.
    public static func detectRole(_ certificate: Ed448Certificate) -> CertificateRole? {
        detectRole(subject: certificate.subject, issuer: certificate.issuer, extensions: certificate.extensions)
    }

    static func detectRole(
        subject: DistinguishedName, issuer: DistinguishedName, extensions: Certificate.Extensions
    ) -> CertificateRole? {
        if let eku = try? extensions.extendedKeyUsage, eku.contains(.ocspSigning) { return .ocspSigner }
        let dc = Attributes(subject).domainComponent?.uppercased()
        let bc = try? extensions.basicConstraints
        var pathLength: Int?? = nil
        if case .isCertificateAuthority(let p) = bc { pathLength = .some(p) }
        let selfIssued = subject == issuer
        func ca(root: CertificateRole?, sub1: CertificateRole, sub2: CertificateRole, leaf: CertificateRole) -> CertificateRole? {
            guard let pathLength else { return leaf }
            if selfIssued, let root { return root }
            switch pathLength {
            case .some(0): return sub2
            case .some(1): return sub1
            default: return selfIssued ? root : sub1
            }
        }
        switch dc {
        case "V2G": return selfIssued ? .v2gRoot : (pathLength == .some(.some(0)) ? .cpoSubCA2 : .cpoSubCA1)
        case "CPO": return ca(root: nil, sub1: .cpoSubCA1, sub2: .cpoSubCA2, leaf: .secc)
        case "CPS": return ca(root: nil, sub1: .cpsSubCA1, sub2: .cpsSubCA2, leaf: .cps)
        case "MO": return ca(root: .moRoot, sub1: .moSubCA1, sub2: .moSubCA2, leaf: .contract)
        case "OEM": return ca(root: .oemRoot, sub1: .oemSubCA1, sub2: .oemSubCA2, leaf: .oemProvisioning)
        default: return nil
        }
    }

    /// The string attributes of a name that the profiles use.
    struct Attributes {
        var commonName: String?
        var organization: String?
        var country: String?
        var domainComponent: String?
        init(_ name: DistinguishedName) {
            for rdn in name {
                for attribute in rdn {
                    let value = String(attribute.value)
                    switch attribute.type {
                    case .RDNAttributeType.commonName: commonName = value
                    case .RDNAttributeType.organizationName: organization = value
                    case .RDNAttributeType.countryName: country = value
                    case .RDNAttributeType.domainComponent: domainComponent = value
                    default: break
                    }
                }
            }
        }
    }
}
