import DINMessages
import EXI
import ISO20Messages
import ISO2Messages
import SAPMessages
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
