/// The SECC Discovery Protocol response (payload type 0x9001): 20 bytes, the SECC's IPv6 address (16), its port
/// (2, big-endian), Security and TransportProtocol (ISO 15118-2 §7.10.1.3, Table 17).
public struct SDPResponse: Hashable, Sendable {
    /// Payload size in bytes.
    public static let payloadLength = 20

    public var address: IPv6Address
    public var port: UInt16
    public var security: SDPSecurity
    public var transportProtocol: SDPTransportProtocol

    public init(
        address: IPv6Address,
        port: UInt16,
        security: SDPSecurity,
        transportProtocol: SDPTransportProtocol = .tcp
    ) {
        self.address = address
        self.port = port
        self.security = security
        self.transportProtocol = transportProtocol
    }

    /// Decodes the 20-byte payload.
    public init<Bytes: Collection>(payload: Bytes) throws(V2GTPError) where Bytes.Element == UInt8 {
        guard payload.count == Self.payloadLength else {
            throw .make(.payloadLengthMismatch, "SDP response payload is \(payload.count) bytes, expected 20")
        }
        let bytes = Array(payload)
        self.address = try IPv6Address(bytes: bytes[0..<16])
        self.port = UInt16(bytes[16]) << 8 | UInt16(bytes[17])
        self.security = try SDPSecurity(wire: bytes[18])
        self.transportProtocol = try SDPTransportProtocol(wire: bytes[19])
    }

    /// Decodes a whole datagram: V2GTP header with payload type 0x9001 and the 20-byte payload.
    public init<Bytes: Collection>(datagram: Bytes) throws(V2GTPError) where Bytes.Element == UInt8 {
        let message = try V2GTPMessage(
            datagram: datagram,
            acceptedTypes: [.sdpResponse],
            maximumPayloadLength: Self.payloadLength
        )
        try self.init(payload: message.payload)
    }

    public var payload: [UInt8] {
        self.address.bytes + [
            UInt8(truncatingIfNeeded: self.port >> 8), UInt8(truncatingIfNeeded: self.port),
            self.security.rawValue, self.transportProtocol.rawValue,
        ]
    }

    /// The whole datagram: V2GTP header (0x9001) and payload.
    public var datagram: [UInt8] { V2GTPMessage(payloadType: .sdpResponse, payload: self.payload).bytes }
}
