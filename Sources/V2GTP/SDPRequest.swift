/// The SECC Discovery Protocol request (payload type 0x9000): 2 bytes, Security then TransportProtocol
/// (ISO 15118-2 §7.10.1.2, [V2G2-623]).
public struct SDPRequest: Hashable, Sendable {
    /// Payload size in bytes.
    public static let payloadLength = 2

    public var security: SDPSecurity
    public var transportProtocol: SDPTransportProtocol

    public init(security: SDPSecurity, transportProtocol: SDPTransportProtocol = .tcp) {
        self.security = security
        self.transportProtocol = transportProtocol
    }

    /// Decodes the 2-byte payload.
    public init<Bytes: Collection>(payload: Bytes) throws(V2GTPError) where Bytes.Element == UInt8 {
        guard payload.count == Self.payloadLength else {
            throw .make(.payloadLengthMismatch, "SDP request payload is \(payload.count) bytes, expected 2")
        }
        var iterator = payload.makeIterator()
        guard let security = iterator.next(), let transport = iterator.next() else {
            throw .make(.truncated, "SDP request payload ended early")
        }
        self.security = try SDPSecurity(wire: security)
        self.transportProtocol = try SDPTransportProtocol(wire: transport)
    }

    /// Decodes a whole datagram: V2GTP header with payload type 0x9000 and the 2-byte payload.
    public init<Bytes: Collection>(datagram: Bytes) throws(V2GTPError) where Bytes.Element == UInt8 {
        let message = try V2GTPMessage(
            datagram: datagram,
            acceptedTypes: [.sdpRequest],
            maximumPayloadLength: Self.payloadLength
        )
        try self.init(payload: message.payload)
    }

    public var payload: [UInt8] { [self.security.rawValue, self.transportProtocol.rawValue] }

    /// The whole datagram: V2GTP header (0x9000) and payload.
    public var datagram: [UInt8] { V2GTPMessage(payloadType: .sdpRequest, payload: self.payload).bytes }
}
