import Foundation
import PnCCore
import Testing

@Suite struct TraceIDTests {
    @Test("A trace id from 128 bits is 32 lower-case hex characters, zero-padded")
    func fromBits() {
        #expect(TraceID(high: 1, low: 0xABC).rawValue == "0000000000000001" + "0000000000000abc")
        #expect(TraceID(high: .max, low: .max).rawValue == String(repeating: "f", count: 32))
    }

    @Test("Foreign trace ids are carried when printable and short; empty, spaced or long ones are refused")
    func foreignIDs() throws {
        #expect(TraceID(rawValue: "00-4bf92f3577b34da6a3ce929d0e0e4736") != nil)
        #expect(TraceID(rawValue: "") == nil)
        #expect(TraceID(rawValue: "a b") == nil)
        #expect(TraceID(rawValue: String(repeating: "a", count: 65)) == nil)
        let id = try #require(TraceID(rawValue: "trace-1"))
        let json = try JSONEncoder().encode(id)
        #expect(String(decoding: json, as: UTF8.self) == "\"trace-1\"")
        #expect(try JSONDecoder().decode(TraceID.self, from: json) == id)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TraceID.self, from: Data("\"\"".utf8)) }
    }

    @Test("Two ids drawn from one seeded generator differ")
    func random() {
        var generator = SystemRandomNumberGenerator()
        #expect(TraceID.random(using: &generator) != TraceID.random(using: &generator))
    }
}
