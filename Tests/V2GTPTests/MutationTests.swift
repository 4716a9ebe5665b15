import Foundation
import Testing
import V2GTP

/// Seeded mutation tests: bit flips and truncations of valid inputs give a value or a typed error, never a crash.
@Suite struct MutationTests {
    static let seeds: [UInt64] = [1, 0x15118, 0xDEAD_BEEF, 20_260_101]

    static let validDatagrams: [[UInt8]] = [
        SDPRequest(security: .tls).datagram,
        SDPRequest(security: .none, transportProtocol: .udp).datagram,
        SDPResponse(address: .loopback, port: 64109, security: .tls).datagram,
        V2GTPMessage(payloadType: .exi, payload: [0x80, 0x00, 0xEB, 0xAB, 0x93, 0x71]).bytes,
        V2GTPMessage(payloadType: .iso20DC, payload: []).bytes,
    ]

    @Test("Bit flips and truncations of V2GTP/SDP datagrams never trap", arguments: seeds)
    func mutations(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var decoded = 0
        var rejected = 0
        for _ in 0..<2_000 {
            var bytes = Self.validDatagrams[Int(rng.next() % UInt64(Self.validDatagrams.count))]
            switch rng.next() % 3 {
            case 0:
                for _ in 0...(rng.next() % 4) where !bytes.isEmpty {
                    let index = Int(rng.next() % UInt64(bytes.count))
                    bytes[index] ^= 1 << UInt8(rng.next() % 8)
                }
            case 1:
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            default:
                bytes += (0..<(rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            for outcome in Self.decodeAll(bytes) {
                if outcome { decoded += 1 } else { rejected += 1 }
            }
        }
        // both outcomes happen: the mutator reaches valid and invalid inputs (seed \(seed))
        #expect(decoded > 0, "seed \(seed)")
        #expect(rejected > 0, "seed \(seed)")
    }

    /// Runs every parser on the bytes; true = decoded, false = typed error. Any other error fails the test.
    static func decodeAll(_ bytes: [UInt8]) -> [Bool] {
        func run(_ body: () throws -> Void) -> Bool {
            do {
                try body()
                return true
            } catch is V2GTPError {
                return false
            } catch {
                Issue.record("untyped error \(error) for \(bytes)")
                return false
            }
        }
        return [
            run { _ = try V2GTPHeader(decoding: bytes) },
            run { _ = try SDPRequest(datagram: bytes) },
            run { _ = try SDPResponse(datagram: bytes) },
            run {
                _ = try V2GTPMessage(datagram: bytes, acceptedTypes: PayloadType.sessionTypes, maximumPayloadLength: 64)
            },
        ]
    }
}

/// SplitMix64: a small deterministic generator for seeded tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FuzzFailCaseTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzTesting/FailCases/V2GTP")

    static var cases: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.lastPathComponent != "README.md" }
    }

    @Test("Fuzzer crashers replay as typed errors or values", arguments: cases)
    func replay(_ file: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: file))
        _ = MutationTests.decodeAll(bytes)
    }

    @Test("The fail-case folder exists where FuzzTesting/run-v2gtp.sh writes")
    func folderExists() {
        #expect(FileManager.default.fileExists(atPath: Self.folder.appendingPathComponent("README.md").path))
    }
}
