/// The 8-byte V2GTP header: protocol version, inverse protocol version, payload type, payload length
/// (ISO 15118-2 §7.8.3, Table 9; the same header in DIN SPEC 70121 and ISO 15118-20).
public struct V2GTPHeader: Hashable, Sendable {
    /// Header size in bytes.
    public static let size = 8
    /// Protocol version of ISO 15118-2/-20 and DIN SPEC 70121 (Table 9).
    public static let protocolVersion: UInt8 = 0x01
    /// Inverse protocol version: the bitwise complement of ``protocolVersion`` (Table 9).
    public static let inverseProtocolVersion: UInt8 = 0xFE

    public var payloadType: PayloadType
    /// Length of the payload in bytes, header excluded (0 ... 2^32-1).
    public var payloadLength: UInt32

    public init(payloadType: PayloadType, payloadLength: UInt32) {
        self.payloadType = payloadType
        self.payloadLength = payloadLength
    }

    /// Reads a header from the first 8 bytes of `bytes` and checks the version pattern.
    ///
    /// Only the version pattern is checked here; payload type and length are the receiver's policy
    /// (see ``validate(acceptedTypes:maximumPayloadLength:)``).
    /// - Throws: ``V2GTPError/Code-swift.struct/truncated`` with fewer than 8 bytes,
    ///   ``V2GTPError/Code-swift.struct/invalidVersion`` when the version is not 0x01 or its inverse not 0xFE.
    public init<Bytes: Collection>(decoding bytes: Bytes) throws(V2GTPError) where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        var header: [UInt8] = []
        header.reserveCapacity(Self.size)
        while header.count < Self.size, let byte = iterator.next() { header.append(byte) }
        guard header.count == Self.size else {
            throw .make(.truncated, "V2GTP header needs \(Self.size) bytes, got \(header.count)")
        }
        guard header[0] == Self.protocolVersion, header[1] == Self.inverseProtocolVersion else {
            throw .make(
                .invalidVersion,
                "protocol version \(hex(header[0])) / inverse \(hex(header[1])), expected 0x01 / 0xFE"
            )
        }
        self.payloadType = PayloadType(UInt16(header[2]) << 8 | UInt16(header[3]))
        self.payloadLength =
            UInt32(header[4]) << 24 | UInt32(header[5]) << 16 | UInt32(header[6]) << 8
            | UInt32(header[7])
    }

    /// Checks the payload type and length against what the receiver accepts.
    ///
    /// Order as ISO 15118-2 §7.8.3.2 (and the DoIP generic header handling V2GTP is modelled on): version pattern
    /// (already checked when decoding), then payload type, then payload length.
    /// - Throws: ``V2GTPError/Code-swift.struct/unknownPayloadType`` or
    ///   ``V2GTPError/Code-swift.struct/payloadTooLarge``.
    public func validate(acceptedTypes: Set<PayloadType>, maximumPayloadLength: Int) throws(V2GTPError) {
        guard acceptedTypes.contains(self.payloadType) else {
            throw .make(.unknownPayloadType, "payload type \(self.payloadType) is not accepted here")
        }
        guard UInt64(self.payloadLength) <= UInt64(max(0, maximumPayloadLength)) else {
            throw .make(
                .payloadTooLarge,
                "payload length \(self.payloadLength) exceeds the maximum of \(maximumPayloadLength) bytes"
            )
        }
    }

    /// The header's 8 bytes in network byte order.
    public var bytes: [UInt8] {
        [
            Self.protocolVersion, Self.inverseProtocolVersion,
            UInt8(truncatingIfNeeded: self.payloadType.rawValue >> 8),
            UInt8(truncatingIfNeeded: self.payloadType.rawValue),
            UInt8(truncatingIfNeeded: self.payloadLength >> 24), UInt8(truncatingIfNeeded: self.payloadLength >> 16),
            UInt8(truncatingIfNeeded: self.payloadLength >> 8), UInt8(truncatingIfNeeded: self.payloadLength),
        ]
    }
}

func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count == 1 ? "0" : "") + digits
}
