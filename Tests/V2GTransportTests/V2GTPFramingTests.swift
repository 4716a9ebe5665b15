import Logging
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
import V2GTP
import V2GTransport

@Suite struct V2GTPFramingTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func frame(_ type: PayloadType, _ bytes: [UInt8]) -> V2GTPFrame {
        V2GTPFrame(payloadType: type, payload: ByteBuffer(bytes: bytes))
    }

    static func wire(_ type: PayloadType, _ bytes: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: V2GTPMessage(payloadType: type, payload: bytes).bytes)
    }

    @Test(
        "[ISO 15118-2 §7.8.3] drip-fed, split and coalesced input gives the same frames (ByteToMessageDecoderVerifier)"
    )
    func verifier() throws {
        let sap: [UInt8] = [0x80, 0x00, 0xEB, 0xAB, 0x93, 0x71, 0xD3, 0x4B, 0x9B, 0x79]
        var two = Self.wire(.iso20Common, [1, 2, 3])
        two.writeImmutableBuffer(Self.wire(.iso20DC, []))
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (Self.wire(.exi, sap), [Self.frame(.exi, sap)]),
                (two, [Self.frame(.iso20Common, [1, 2, 3]), Self.frame(.iso20DC, [])]),
                (
                    Self.wire(.iso20AC, Array(repeating: 0x5A, count: 3000)),
                    [Self.frame(.iso20AC, Array(repeating: 0x5A, count: 3000))]
                ),
            ],
            decoderFactory: { V2GTPFrameDecoder(logger: Self.logger) }
        )
    }

    @Test("[ISO 15118-2 §7.8.3] the encoder writes header and payload")
    func encoder() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addV2GTPFraming(configuration: .init(), logger: Self.logger)
        try channel.writeOutbound(Self.frame(.exi, [0x80, 0x98]))
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(written.readableBytesView) == [0x01, 0xFE, 0x80, 0x01, 0, 0, 0, 2, 0x80, 0x98])
        _ = try channel.finish()
    }

    @Test("[ISO 15118-2 §7.8.3.2] a wrong version pattern is a typed error that ends the connection")
    func invalidVersion() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addV2GTPFraming(configuration: .init(), logger: Self.logger)
        #expect {
            try channel.writeInbound(ByteBuffer(bytes: [0x02, 0xFD, 0x80, 0x01, 0, 0, 0, 0]))
        } throws: { ($0 as? V2GTPError)?.code == .invalidVersion }
        _ = try? channel.finish()
    }

    @Test("[ISO 15118-2 §7.8.3.2] a payload above the maximum is refused from the header alone, nothing buffered")
    func tooLarge() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addV2GTPFraming(
            configuration: .init(maximumPayloadLength: 1024),
            logger: Self.logger
        )
        try channel.writeInbound(Self.wire(.exi, Array(repeating: 1, count: 1024)))
        #expect(try channel.readInbound(as: V2GTPFrame.self)?.payload.readableBytes == 1024)
        // only the 8 header bytes arrive: a 4 GiB announcement is refused at once
        #expect {
            try channel.writeInbound(ByteBuffer(bytes: [0x01, 0xFE, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF]))
        } throws: { ($0 as? V2GTPError)?.code == .payloadTooLarge }
        _ = try? channel.finish()
    }

    @Test(
        "[ISO 15118-2 §7.8.3.2] an unaccepted payload type is skipped and logged; the next message is read"
    )
    func unknownTypeDiscarded() throws {
        let recorder = LogRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addV2GTPFraming(configuration: .init(), logger: recorder.logger)
        var input = Self.wire(PayloadType(0xA123), Array(repeating: 7, count: 100))
        input.writeImmutableBuffer(Self.wire(.sdpRequest, [0, 0]))  // SDP has no place on a session connection
        input.writeImmutableBuffer(Self.wire(.exi, [0x80, 0x98, 0x02]))
        // drip-feed byte by byte: skipping works across reads
        for byte in input.readableBytesView {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(try channel.readInbound(as: V2GTPFrame.self) == Self.frame(.exi, [0x80, 0x98, 0x02]))
        #expect(try channel.readInbound(as: V2GTPFrame.self) == nil)
        let discarded = recorder.all.filter { $0.message.contains("discarded") }
        #expect(discarded.map { $0.metadata["v2g.payload_type"] } == ["0xA123", "0x9000"])
        _ = try channel.finish()
    }

    @Test("A connection that ends inside a message is a truncated error")
    func truncatedAtEOF() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addV2GTPFraming(configuration: .init(), logger: Self.logger)
        var partial = Self.wire(.exi, [1, 2, 3, 4])
        partial.moveWriterIndex(to: 10)
        try channel.writeInbound(partial)
        #expect { try channel.finish() } throws: { ($0 as? V2GTPError)?.code == .truncated }
    }

    @Test("Seeded mutations of a framed stream give frames or typed errors, never a trap")
    func mutatedStreams() throws {
        var rng = SplitMix64(seed: 0x15118)
        let valid =
            Array(Self.wire(.exi, [0x80, 0x98, 0x02, 0x10]).readableBytesView)
            + Array(Self.wire(.iso20DC, [1, 2, 3, 4, 5]).readableBytesView)
        var outcomes = (frames: 0, errors: 0)
        for _ in 0..<500 {
            var bytes = valid
            for _ in 0...(rng.next() % 3) {
                bytes[Int(rng.next() % UInt64(bytes.count))] ^= 1 << UInt8(rng.next() % 8)
            }
            bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addV2GTPFraming(
                configuration: .init(maximumPayloadLength: 4096),
                logger: Self.logger
            )
            do {
                try channel.writeInbound(ByteBuffer(bytes: bytes))
                while try channel.readInbound(as: V2GTPFrame.self) != nil { outcomes.frames += 1 }
                _ = try channel.finish()
            } catch is V2GTPError {
                outcomes.errors += 1
            }
        }
        #expect(outcomes.frames > 0)
        #expect(outcomes.errors > 0)
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
