import DINMessages
import EXI
import ISO20Messages
import ISO2Messages
import SAPMessages
import Foundation
import Testing

@Suite struct GoldenRoundTripTests {
    static let lines = GoldenLine.all()

    @Test(
        "[ISO 15118-2 §7.9.1] every SAP, DIN and ISO 15118-2 capture line decodes and re-encodes byte-identically",
        .enabled(if: GoldenLine.available, "SKIPPED-PEER ../shared/golden: check out the shared folder next to the repo"),
        arguments: lines.filter { $0.payloadType == 0x8001 })
    func v2gRoundTrip(_ line: GoldenLine) throws {
        let reencoded = try roundTrip8001(line.exi)
        #expect(hexString(reencoded) == hexString(line.exi))
    }
}

func roundTrip8001(_ bytes: [UInt8]) throws -> [UInt8] {
    guard bytes.count >= 2 else { throw EXIError.truncated(atBit: bytes.count * 8) }
    if bytes[1] >> 6 < 2 { return try SAPDocument(exi: bytes).exiEncoded() }
    if bytes[1] >> 1 == 77 { return try DINDocument(exi: bytes).exiEncoded() }
    return try ISO2Document(exi: bytes).exiEncoded()
}

@Suite struct GoldenISO20RoundTripTests {
    @Test(
        "[ISO 15118-20 §8.3] every -20 capture line decodes and re-encodes byte-identically",
        .enabled(if: GoldenLine.available, "SKIPPED-PEER ../shared/golden: check out the shared folder next to the repo"),
        arguments: GoldenRoundTripTests.lines.filter { $0.payloadType != 0x8001 })
    func iso20RoundTrip(_ line: GoldenLine) throws {
        let reencoded = try roundTrip20(line.payloadType, line.exi)
        #expect(hexString(reencoded) == hexString(line.exi))
    }
}

func roundTrip20(_ payloadType: UInt16, _ bytes: [UInt8]) throws -> [UInt8] {
    switch payloadType {
    case 0x8002: try ISO20CommonMessagesDocument(exi: bytes).exiEncoded()
    case 0x8003: try ISO20ACDocument(exi: bytes).exiEncoded()
    case 0x8004: try ISO20DCDocument(exi: bytes).exiEncoded()
    case 0x8005: try ISO20ACDPDocument(exi: bytes).exiEncoded()
    case 0x8006: try ISO20WPTDocument(exi: bytes).exiEncoded()
    default: throw EXIError.unsupported("payload type \(payloadType)")
    }
}

@Suite struct JSONRoundTripTests {
    @Test(
        "Every capture line renders as JSON and comes back to the same value and the same EXI",
        .enabled(if: GoldenLine.available, "SKIPPED-PEER ../shared/golden: check out the shared folder next to the repo"))
    func jsonRoundTrip() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decoder = JSONDecoder()
        var count = 0
        for line in GoldenRoundTripTests.lines {
            let json: Data
            let back: [UInt8]
            switch line.payloadType {
            case 0x8001 where line.exi[1] >> 6 < 2:
                let d = try SAPDocument(exi: line.exi)
                json = try encoder.encode(d)
                let r = try decoder.decode(SAPDocument.self, from: json)
                #expect(r == d)
                back = try r.exiEncoded()
            case 0x8001 where line.exi[1] >> 1 == 77:
                let d = try DINDocument(exi: line.exi)
                json = try encoder.encode(d)
                let r = try decoder.decode(DINDocument.self, from: json)
                #expect(r == d)
                back = try r.exiEncoded()
            case 0x8001:
                let d = try ISO2Document(exi: line.exi)
                json = try encoder.encode(d)
                let r = try decoder.decode(ISO2Document.self, from: json)
                #expect(r == d)
                back = try r.exiEncoded()
            case 0x8002:
                let d = try ISO20CommonMessagesDocument(exi: line.exi)
                json = try encoder.encode(d)
                let r = try decoder.decode(ISO20CommonMessagesDocument.self, from: json)
                #expect(r == d)
                back = try r.exiEncoded()
            case 0x8003:
                let d = try ISO20ACDocument(exi: line.exi)
                json = try encoder.encode(d)
                let r = try decoder.decode(ISO20ACDocument.self, from: json)
                #expect(r == d)
                back = try r.exiEncoded()
            case 0x8004:
                let d = try ISO20DCDocument(exi: line.exi)
                json = try encoder.encode(d)
                let r = try decoder.decode(ISO20DCDocument.self, from: json)
                #expect(r == d)
                back = try r.exiEncoded()
            default:
                continue
            }
            #expect(back == line.exi, "\(line.testDescription): \(String(decoding: json, as: UTF8.self))")
            count += 1
        }
        #expect(count == GoldenRoundTripTests.lines.count)
    }

    @Test("JSON of a SessionSetupReq uses the schema's names and hex for binary values")
    func jsonShape() throws {
        let document = try ISO2Document(exi: hexBytes("809802000000000000000011d01a321640a2ff1400")!)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(document), as: UTF8.self)
        #expect(text.contains("\"V2G_Message\""))
        #expect(text.contains("\"SessionSetupReq\""))
        #expect(text.contains("\"SessionID\":\"0000000000000000\""))
    }
}
