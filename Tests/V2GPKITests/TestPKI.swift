import Crypto
import Foundation
import X509
@testable import V2GPKI

/// An in-memory ISO 15118 PKI with fixed keys and dates, for tests that must not touch the disk.
struct TestPKI {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21
    let profile: PKIProfile
    var authorities: [CertificateRole: CertificateAuthority] = [:]
    var keys: [CertificateRole: Certificate.PrivateKey] = [:]
    var leaves: [CertificateRole: Certificate] = [:]

    /// Deterministic keys: scalar = role index + 1 padded (never for production).
    static func key(for role: CertificateRole, profile: PKIProfile, salt: UInt8 = 0) -> Certificate.PrivateKey {
        let index = UInt8(CertificateRole.allCases.firstIndex(of: role)! + 1) &+ salt
        switch profile {
        case .iso15118_2:
            var raw = [UInt8](repeating: 0x11, count: 32)
            raw[31] = index
            return Certificate.PrivateKey(try! P256.Signing.PrivateKey(rawRepresentation: raw))
        case .iso15118_20:
            var raw = [UInt8](repeating: 0x01, count: 66)
            raw[0] = 0
            raw[65] = index
            return Certificate.PrivateKey(try! P521.Signing.PrivateKey(rawRepresentation: raw))
        }
    }

    init(profile: PKIProfile = .iso15118_2) throws {
        self.profile = profile
        var rng = SeededRandom(seed: 42)
        let issuer = CertificateIssuer(profile: profile)
        let order: [CertificateRole] = [
            .v2gRoot, .cpoSubCA1, .cpoSubCA2, .cpsSubCA1, .cpsSubCA2, .moRoot, .moSubCA1, .moSubCA2, .oemRoot,
            .oemSubCA1, .oemSubCA2,
        ]
        let notBefore = Self.now.addingTimeInterval(-86_400)
        for role in order {
            let key = Self.key(for: role, profile: profile)
            let parent = role.issuerRole.flatMap { authorities[$0] }
            let cert = try issuer.issue(
                IssuanceRequest(
                    role: role, subject: try CertificateIssuer.subject(commonName: role.defaultCommonName, role: role),
                    publicKey: key.publicKey, serialNumber: CertificateIssuer.randomSerialNumber(using: &rng),
                    notBefore: notBefore, notAfter: notBefore.addingTimeInterval(Double(role.defaultValidityDays) * 86_400),
                    ocspURL: parent == nil ? nil : "http://127.0.0.1:8888/ocsp",
                    crlURL: parent == nil ? nil : "http://127.0.0.1:8888/crl/\(parent!.role.rawValue).crl"
                ),
                issuer: parent?.certificate, issuerKey: parent?.key ?? key
            )
            keys[role] = key
            authorities[role] = CertificateAuthority(
                role: role, certificate: cert, chainBelowRoot: role.isRoot ? [] : [cert] + (parent?.chainBelowRoot ?? []),
                key: key, directory: nil, profile: profile, ocspURL: "http://127.0.0.1:8888/ocsp",
                crlURL: "http://127.0.0.1:8888/crl/\(role.rawValue).crl"
            )
        }
        for role in [CertificateRole.secc, .cps, .contract, .oemProvisioning] {
            let key = Self.key(for: role, profile: profile)
            keys[role] = key
            leaves[role] = try authorities[role.issuerRole!]!.issue(
                role: role, subject: try CertificateIssuer.subject(commonName: role.defaultCommonName, role: role),
                publicKey: key.publicKey, validityDays: role.defaultValidityDays, now: Self.now, using: &rng
            )
        }
    }

    func chain(_ role: CertificateRole) -> [Certificate] {
        [leaves[role]!] + authorities[role.issuerRole!]!.chainBelowRoot
    }

    var roots: [Certificate] { [.v2gRoot, .moRoot, .oemRoot].map { authorities[$0]!.certificate } }
}

/// SplitMix64: a seeded generator for reproducible tests.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension PKIDirectory.InitOptions {
    /// Few PBKDF2 iterations: the key files are throw-away.
    static var fast: Self {
        var options = Self()
        options.keyIterations = 1_000
        return options
    }
}
