import Logging
import NIOCore
import V2GTP

/// One V2GTP message on a TCP/TLS connection: payload type and payload bytes (the header is implied).
public struct V2GTPFrame: Sendable, Hashable {
    public var payloadType: PayloadType
    public var payload: ByteBuffer

    public init(payloadType: PayloadType, payload: ByteBuffer) {
        self.payloadType = payloadType
        self.payload = payload
    }
}

/// What a V2GTP receiver accepts on a session connection.
public struct V2GTPFramingConfiguration: Sendable {
    /// The largest payload accepted; a header announcing more closes the connection before any payload is buffered.
    ///
    /// ISO 15118-2 Table 9 lets the length field reach 2^32-1 and leaves the buffer size to the implementation. The
    /// largest messages are certificate installation/update responses: four certificate chains of at most
    /// 800-byte certificates ([V2G2] certificateType) plus an encrypted key and signatures, a few KiB in EXI.
    /// 64 KiB holds them many times over.
    public var maximumPayloadLength: Int
    /// Payload types handled here; others are discarded (payload skipped unread) and logged.
    public var acceptedPayloadTypes: Set<PayloadType>

    public static let defaultMaximumPayloadLength = 65_536

    public init(
        maximumPayloadLength: Int = Self.defaultMaximumPayloadLength,
        acceptedPayloadTypes: Set<PayloadType> = PayloadType.sessionTypes
    ) {
        self.maximumPayloadLength = maximumPayloadLength
        self.acceptedPayloadTypes = acceptedPayloadTypes
    }
}

/// Splits a byte stream into ``V2GTPFrame``s (ISO 15118-2 §7.8.3).
///
/// Header handling (ISO 15118-2 §7.8.3.2): a wrong version pattern is fatal (``V2GTPError`` `invalidVersion`, the
/// connection closes); a payload type that is not accepted is discarded: its payload is skipped as it arrives, the
/// reason is logged, and the next message is read. The length is checked before the type: a length above the
/// maximum is fatal (`payloadTooLarge`, decided from the 8 header bytes before any payload is buffered), so neither
/// a kept nor a skipped message can make the receiver hold or read more than the maximum.
public struct V2GTPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = V2GTPFrame

    public let configuration: V2GTPFramingConfiguration
    private let logger: Logger
    /// Bytes of a discarded message still to skip.
    private var skipping = 0

    public init(configuration: V2GTPFramingConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> V2GTPFrame? {
        while true {
            if self.skipping > 0 {
                let count = min(self.skipping, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: count)
                self.skipping -= count
                if self.skipping > 0 { return nil }
            }
            guard buffer.readableBytes >= V2GTPHeader.size else { return nil }
            let header = try buffer.withUnsafeReadableBytes { bytes throws(V2GTPError) in
                try V2GTPHeader(decoding: UnsafeRawBufferPointer(rebasing: bytes.prefix(V2GTPHeader.size)))
            }
            guard UInt64(header.payloadLength) <= UInt64(max(0, self.configuration.maximumPayloadLength)) else {
                throw V2GTPError.make(
                    .payloadTooLarge,
                    "payload length \(header.payloadLength) exceeds the maximum of "
                        + "\(self.configuration.maximumPayloadLength) bytes (type \(header.payloadType))"
                )
            }
            let length = Int(header.payloadLength)
            guard self.configuration.acceptedPayloadTypes.contains(header.payloadType) else {
                self.logger.info(
                    "V2GTP message discarded: payload type not accepted",
                    metadata: ["v2g.payload_type": "\(header.payloadType)", "v2g.payload_length": "\(length)"]
                )
                buffer.moveReaderIndex(forwardBy: V2GTPHeader.size)
                self.skipping = length
                continue
            }
            guard buffer.readableBytes >= V2GTPHeader.size + length else { return nil }
            buffer.moveReaderIndex(forwardBy: V2GTPHeader.size)
            guard let payload = buffer.readSlice(length: length) else { return nil }
            return V2GTPFrame(payloadType: header.payloadType, payload: payload)
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> V2GTPFrame? {
        if let frame = try self.decode(buffer: &buffer) { return frame }
        if seenEOF, buffer.readableBytes > 0, self.skipping == 0 {
            throw V2GTPError.make(
                .truncated,
                "connection ended inside a V2GTP message (\(buffer.readableBytes) bytes left)"
            )
        }
        return nil
    }
}

/// Writes ``V2GTPFrame``s as header + payload.
public struct V2GTPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = V2GTPFrame

    public init() {}

    public func encode(data: V2GTPFrame, out: inout ByteBuffer) throws {
        guard let length = UInt32(exactly: data.payload.readableBytes) else {
            throw V2GTransportError.make(.messageTooLarge, "payload of \(data.payload.readableBytes) bytes")
        }
        out.reserveCapacity(V2GTPHeader.size + data.payload.readableBytes)
        out.writeBytes(V2GTPHeader(payloadType: data.payloadType, payloadLength: length).bytes)
        out.writeImmutableBuffer(data.payload)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds the V2GTP decoder and encoder at the end of the pipeline.
    public func addV2GTPFraming(configuration: V2GTPFramingConfiguration, logger: Logger) throws {
        try self.addHandler(ByteToMessageHandler(V2GTPFrameDecoder(configuration: configuration, logger: logger)))
        try self.addHandler(MessageToByteHandler(V2GTPFrameEncoder()))
    }
}
