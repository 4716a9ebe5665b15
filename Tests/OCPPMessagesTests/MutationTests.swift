import Foundation
import OCPPMessages
import Testing

/// SplitMix64: a small seeded generator so that every failure can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
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

/// Decodes a frame and, for a CALL, its payload with the action's type: the path a CSMS takes for each message.
func decodeAll(_ bytes: [UInt8], version: OCPPVersion) -> OCPPMessagesError? {
    do {
        let frame = try OCPPFrame.decode(bytes)
        if case .call(_, let action, let payload) = frame {
            switch version {
            case .v201: _ = try V201.Request(action: action, payload: payload)
            case .v16: _ = try V16.Request(action: action, payload: payload)
            }
        }
        return nil
    } catch {
        return error
    }
}

@Suite struct MutationTests {
    static let seeds: [String] = [
        #"[2,"1","TransactionEvent",\#(transactionEvent201)]"#,
        #"[2,"2","BootNotification",\#(bootRequest201)]"#,
        #"[2,"3","Authorize",{"idToken":{"idToken":"DEABCC1234567890","type":"eMAID"},"iso15118CertificateHashData":[{"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"0A","responderURL":"http://o"}]}]"#,
        #"[3,"4",{"status":"Accepted","currentTime":"2026-11-21T01:02:03Z","interval":300}]"#,
        #"[4,"5","FormatViolation","bad",{"a":[1,2,{"b":null}]}]"#,
    ]

    @Test("Seeded bit flips and truncations of valid frames give typed errors or valid values, never a crash")
    func mutations() {
        let seed: UInt64 = 0x0C99_2001
        var rng = SplitMix64(seed: seed)
        var typedErrors = 0
        for text in Self.seeds {
            let original = Array(text.utf8)
            #expect(decodeAll(original, version: .v201) == nil, "seed frame must be valid: \(text)")
            for cut in 0..<original.count {
                if decodeAll(Array(original[0..<cut]), version: .v201) != nil { typedErrors += 1 }
            }
            for _ in 0..<2000 {
                var mutated = original
                let flips = Int.random(in: 1...3, using: &rng)
                for _ in 0..<flips {
                    let index = Int.random(in: 0..<mutated.count, using: &rng)
                    mutated[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                }
                if decodeAll(mutated, version: .v201) != nil { typedErrors += 1 }
                _ = decodeAll(mutated, version: .v16)
            }
        }
        // Every truncation of a frame is invalid JSON, so at least those must have been rejected.
        #expect(typedErrors >= Self.seeds.map(\.utf8.count).reduce(0, +), "seed \(seed)")
    }

    @Test("Fuzzer crashers in FuzzTesting/FailCases/OCPP decode to typed errors or values (regression replay)")
    func failCases() throws {
        let folder = repositoryRoot + "/FuzzTesting/FailCases/OCPP"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for file in files where !file.hasPrefix(".") {
            let data = try #require(FileManager.default.contents(atPath: folder + "/" + file))
            _ = decodeAll([UInt8](data), version: .v201)
            _ = decodeAll([UInt8](data), version: .v16)
        }
    }
}
