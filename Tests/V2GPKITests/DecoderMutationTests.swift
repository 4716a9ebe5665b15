import Foundation
import Testing
import X509
@testable import V2GPKI

/// Seeded mutations of valid inputs (bit flips, truncations, insertions) must end in a value or a typed error.
@Suite struct DecoderMutationTests {
    static let seed: UInt64 = 0x5EED_0001

    static func mutations(of input: [UInt8], count: Int, rng: inout SeededRandom) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for _ in 0..<count {
            var bytes = input
            switch rng.next() % 4 {
            case 0 where !bytes.isEmpty:
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] ^= UInt8(1 << (rng.next() % 8))
                }
            case 1:
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            case 2:
                let i = Int(rng.next() % UInt64(bytes.count + 1))
                bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
            default:
                if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            out.append(bytes)
        }
        return out
    }

    @Test("Certificates, CSRs and keys under 3,000 seeded mutations: typed errors only (seed 0x5EED0001)")
    func mutatedInputs() throws {
        let pki = try TestPKI()
        var rng = SeededRandom(seed: Self.seed)
        var inputs: [[UInt8]] = []
        for leaf in pki.leaves.values { inputs.append(try leaf.derBytes) }
        inputs.append(Array(try CertificateFile.pemBundle(pki.chain(.contract)).utf8))
        let key = pki.keys[.contract]!
        inputs.append(Array(try PrivateKeyFile.pem(for: key, password: "pw", salt: Array(repeating: 1, count: 16), iv: Array(repeating: 2, count: 16), iterations: 10).utf8))
        var accepted = 0
        var rejected = 0
        for input in inputs {
            for mutated in Self.mutations(of: input, count: 500, rng: &rng) {
                do {
                    let certificates = try CertificateFile.certificates(from: mutated)
                    _ = CertificateLinter.lint(certificates[0])
                    _ = ChainValidator(roots: pki.roots).validateOffline(chain: certificates, at: TestPKI.now)
                    accepted += 1
                } catch {
                    #expect(error.code == .malformedEncoding)
                    rejected += 1
                }
                _ = try? CertificateAuthority.parseCSR(mutated)
                if let text = String(validating: mutated, as: UTF8.self) {
                    do { _ = try PrivateKeyFile.load(pem: text, password: "pw") } catch {
                        #expect([.malformedEncoding, .wrongPassword, .unsupportedAlgorithm].contains(error.code), "\(error)")
                    }
                }
            }
        }
        #expect(rejected > 0)
        print("mutation seed \(Self.seed): \(accepted) accepted, \(rejected) rejected")
    }
}
