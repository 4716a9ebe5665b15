import Foundation
import PnCTesting
import Testing
import X509

@testable import V2GPKI

/// Seeded bit flips and truncations of valid OCSP requests, OCSP responses and CRLs: every parser and the responder
/// must answer with a typed error or a proper OCSP status, never trap.
@Suite struct RevocationMutationTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutations(of input: [UInt8], seed: UInt64, count: Int) -> [[UInt8]] {
        var rng = SplitMix64(state: seed)
        var result: [[UInt8]] = (0..<input.count).map { Array(input.prefix($0)) }
        for _ in 0..<count {
            var bytes = input
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                }
            }
            result.append(bytes)
        }
        return result
    }

    static func typed(_ body: () throws -> Void) -> Bool {
        do { try body() } catch is V2GPKIError { return true } catch { return false }
        return true
    }

    @Test("OCSP request mutations: the parser throws V2GPKIError and the responder answers a valid OCSPResponse")
    func requests() throws {
        let seed: UInt64 = 0x0C5F_2026
        let pki = try RevocationTestPKI(.p256)
        let responder = OCSPResponder(
            authorities: [
                try OCSPResponder.Authority(
                    issuer: pki.subCA, signerKey: pki.subCAKey, database: try pki.database(revokedAt: Date(timeIntervalSince1970: 1_780_000_000)))
            ], validity: 60)
        let valid = try OCSPRequest(
            requests: pki.leaves.map { OCSPSingleRequest(certID: try OCSPCertID(certificate: $0, issuer: pki.subCA)) },
            nonce: Array(0..<16)
        ).derBytes()
        var statuses: [OCSPResponse.Status: Int] = [:]
        for input in Self.mutations(of: valid, seed: seed, count: 1500) {
            #expect(Self.typed { _ = try OCSPRequest(derBytes: input) }, "seed \(seed)")
            let response = try OCSPResponse(derBytes: responder.respond(to: input, now: Date(timeIntervalSince1970: 1_790_000_000)))
            statuses[response.status, default: 0] += 1
        }
        #expect(statuses[.malformedRequest, default: 0] > 0)
        #expect(statuses[.successful, default: 0] + statuses[.unauthorized, default: 0] > 0)
    }

    @Test("OCSP response and CRL mutations: parsing and verification throw V2GPKIError or yield a value, never trap")
    func responsesAndCRLs() throws {
        let seed: UInt64 = 0xC71_2026
        let pki = try RevocationTestPKI(.p256)
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let database = try pki.database(revokedAt: Date(timeIntervalSince1970: 1_780_000_000))
        let responder = OCSPResponder(
            authorities: [try OCSPResponder.Authority(issuer: pki.subCA, signer: pki.responder, signerKey: pki.responderKey, database: database)],
            validity: 60)
        let certID = try OCSPCertID(certificate: pki.leaves[1], issuer: pki.subCA)
        let response = responder.respond(to: try OCSPRequest(requests: [OCSPSingleRequest(certID: certID)]).derBytes(), now: now)
        var accepted = 0
        for input in Self.mutations(of: response, seed: seed, count: 1500) {
            #expect(Self.typed { _ = try OCSPResponse(derBytes: input) }, "seed \(seed)")
            #expect(Self.typed {
                _ = try OCSPResponseVerifier.verify(responseBytes: input, certID: certID, issuer: pki.subCA, nonce: nil, now: now)
                accepted += 1
            })
        }
        // Flips inside the signed data or the signature never verify; the unsigned tail (certs) may still parse.
        #expect(accepted < 1500 / 10)

        let crl = try CRLBuilder.makeCRL(
            issuer: pki.subCA, key: pki.subCAKey, database: database, crlNumber: 3, thisUpdate: now,
            nextUpdate: now.addingTimeInterval(3600)
        ).derBytes()
        let original = try CertificateList(derBytes: crl)
        var forged = 0
        for input in Self.mutations(of: crl, seed: seed, count: 1500) {
            #expect(Self.typed {
                let parsed = try CertificateList(derBytes: input)
                if parsed.tbsCertListBytes != original.tbsCertListBytes, parsed.isSignature(validFor: pki.subCA.publicKey) {
                    forged += 1
                }
            }, "seed \(seed)")
        }
        #expect(forged == 0)
    }

    @Test("Fuzzer crashers in FuzzTesting/FailCases/PKIRevocation and the fuzz seeds parse to a value or a typed error")
    func failCases() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let folders = ["FuzzTesting/FailCases/PKIRevocation", "FuzzTesting/PKIRevocation/Corpus/ocsp-request",
                       "FuzzTesting/PKIRevocation/Corpus/ocsp-response", "FuzzTesting/PKIRevocation/Corpus/crl"]
        var seen = 0
        for folder in folders {
            let directory = root.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names where name.hasSuffix(".der") {
                let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
                seen += 1
                #expect(Self.typed { _ = try OCSPRequest(derBytes: bytes) }, "\(name)")
                #expect(Self.typed { _ = try OCSPResponse(derBytes: bytes) }, "\(name)")
                #expect(Self.typed { _ = try CertificateList(derBytes: bytes) }, "\(name)")
            }
        }
        #expect(seen >= 3, "the fuzz seeds are part of the repository")
        // The seeds are what they claim to be.
        let corpus = root.appendingPathComponent("FuzzTesting/PKIRevocation/Corpus")
        _ = try OCSPRequest(derBytes: Array(try Data(contentsOf: corpus.appendingPathComponent("ocsp-request/openssl-request.der"))))
        let response = try OCSPResponse(derBytes: Array(try Data(contentsOf: corpus.appendingPathComponent("ocsp-response/openssl-response.der"))))
        #expect(response.status == .successful)
        if case .revoked(_, let reason)? = response.basicResponse?.responseData.responses.first?.status {
            #expect(reason == .keyCompromise)
        } else {
            Issue.record("the openssl response seed should say revoked")
        }
        _ = try CertificateList(derBytes: Array(try Data(contentsOf: corpus.appendingPathComponent("crl/pnc-crl.der"))))
    }
}
