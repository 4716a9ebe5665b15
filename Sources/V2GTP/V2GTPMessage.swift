/// A whole V2GTP message held in memory: header fields plus payload.
///
/// Used for datagrams (SDP) and tests; the TCP/TLS stream is framed incrementally by `V2GTransport`.
public struct V2GTPMessage: Hashable, Sendable {
    public var payloadType: PayloadType
    public var payload: [UInt8]

    public init(payloadType: PayloadType, payload: [UInt8]) {
        self.payloadType = payloadType
        self.payload = payload
    }

    /// Decodes exactly one message that fills `bytes` (a UDP datagram): header, then exactly `payloadLength` bytes.
    ///
    /// - Parameters:
    ///   - acceptedTypes: payload types the receiver handles; others throw
    ///     ``V2GTPError/Code-swift.struct/unknownPayloadType``.
    ///   - maximumPayloadLength: larger announced lengths throw ``V2GTPError/Code-swift.struct/payloadTooLarge``
    ///     before anything is copied.
    public init<Bytes: Collection>(
        datagram bytes: Bytes,
        acceptedTypes: Set<PayloadType>,
        maximumPayloadLength: Int
    ) throws(V2GTPError) where Bytes.Element == UInt8 {
        let header = try V2GTPHeader(decoding: bytes)
        try header.validate(acceptedTypes: acceptedTypes, maximumPayloadLength: maximumPayloadLength)
        let available = bytes.count - V2GTPHeader.size
        guard UInt64(available) == UInt64(header.payloadLength) else {
            if UInt64(available) < UInt64(header.payloadLength) {
                throw .make(
                    .truncated,
                    "header announces \(header.payloadLength) payload bytes, datagram has \(available)"
                )
            }
            throw .make(
                .payloadLengthMismatch,
                "header announces \(header.payloadLength) payload bytes, datagram has \(available)"
            )
        }
        self.payloadType = header.payloadType
        self.payload = Array(bytes.dropFirst(V2GTPHeader.size))
    }

    /// Header followed by payload. The payload must fit a 32-bit length (any V2G message does).
    public var bytes: [UInt8] {
        V2GTPHeader(payloadType: self.payloadType, payloadLength: UInt32(clamping: self.payload.count)).bytes
            + self.payload
    }
}
