import DINMessages
import EXI
import ISO20Messages
import ISO2Messages
import SAPMessages
import Testing

/// The allocation-free entry points: `exiEncode(into:)` into the caller's buffer and `init(exi:)` over the caller's
/// memory give exactly what the array entry points give.
@Suite struct BufferEntryPointTests {
    /// Encodes `value` into buffers of exactly its size, of one byte less, and into a large one.
    func checkBuffers(_ expected: [UInt8], _ encode: (UnsafeMutableRawBufferPointer) throws(EXIError) -> Int) throws {
        let exact = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count, alignment: 1)
        defer { exact.deallocate() }
        #expect(try encode(exact) == expected.count)
        #expect(Array(exact) == expected)
        let short = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count - 1, alignment: 1)
        defer { short.deallocate() }
        do {
            _ = try encode(short)
            Issue.record("a stream of \(expected.count) bytes fit into \(expected.count - 1)")
        } catch {
            #expect(error.code == .bufferTooSmall)
        }
        let large = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count + 4096, alignment: 1)
        defer { large.deallocate() }
        large.initializeMemory(as: UInt8.self, repeating: 0xA5)
        let size = try encode(large)
        #expect(Array(large.prefix(size)) == expected)
    }

    @Test(
        "[ISO 15118-2 §7.9.1] every capture line: exiEncode(into:) and init(exi: UnsafeRawBufferPointer) match the array entry points",
        .enabled(if: GoldenLine.available, "SKIPPED-PEER ../shared/golden: check out the shared folder next to the repo"))
    func captures() throws {
        var checked = 0
        for line in GoldenRoundTripTests.lines {
            let bytes = line.exi
            try bytes.withUnsafeBytes { raw in
                switch line.payloadType {
                case 0x8001 where bytes[1] >> 6 < 2:
                    let value = try SAPDocument(exi: raw)
                    #expect(value == (try SAPDocument(exi: bytes)))
                    try checkBuffers(bytes, value.exiEncode(into:))
                case 0x8001 where bytes[1] >> 1 == 77:
                    let value = try DINDocument(exi: raw)
                    #expect(value == (try DINDocument(exi: bytes)))
                    try checkBuffers(bytes, value.exiEncode(into:))
                case 0x8001:
                    let value = try ISO2Document(exi: raw)
                    #expect(value == (try ISO2Document(exi: bytes)))
                    try checkBuffers(bytes, value.exiEncode(into:))
                case 0x8002:
                    try checkBuffers(bytes, try ISO20CommonMessagesDocument(exi: raw).exiEncode(into:))
                case 0x8003:
                    try checkBuffers(bytes, try ISO20ACDocument(exi: raw).exiEncode(into:))
                case 0x8004:
                    try checkBuffers(bytes, try ISO20DCDocument(exi: raw).exiEncode(into:))
                default:
                    Issue.record("payload type \(line.payloadType)")
                }
            }
            checked += 1
        }
        #expect(checked == GoldenRoundTripTests.lines.count)
    }

    @Test("A stream longer than the encoder's 1 KB stack buffer (a 2.4 KB certificate chain) encodes the same both ways")
    func largeStream() throws {
        let certificate = (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let document = ISO2Document.v2gMessage(
            V2GMessage(
                header: MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8]),
                body: Body(
                    bodyElement: .paymentDetailsReq(
                        PaymentDetailsReq(
                            eMAID: "DE8AA0012345670",
                            contractSignatureCertChain: CertificateChain(
                                certificate: Array(certificate.prefix(800)),
                                subCertificates: SubCertificates(certificate: [
                                    Array(certificate[800..<1600]), Array(certificate[1600..<2400]),
                                ])))))))
        let bytes = try document.exiEncoded()
        #expect(bytes.count > 2400)
        try checkBuffers(bytes, document.exiEncode(into:))
        #expect(try ISO2Document(exi: bytes) == document)
        // The bit writer with memory of its own grows past its first capacity.
        var writer = EXIBitWriter(capacity: 16)
        writer.writeBits(1, count: 3)
        certificate.withUnsafeBufferPointer { writer.writeOctets($0) }
        #expect(writer.bitPosition == 3 + 8 * certificate.count)
        let out = writer.bytes
        var reader = EXIBitReader(out)
        #expect(try reader.readBits(3) == 1)
        for expected in certificate { #expect(try reader.readBits(8) == UInt64(expected)) }
    }
}
