/// The SDP Security byte: whether the V2G session runs over TLS ([V2G2-623], ISO 15118-2 Table 16/17).
public enum SDPSecurity: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// 0x00: secured with TLS.
    case tls = 0x00
    /// 0x10: no transport layer security.
    case none = 0x10

    init(wire byte: UInt8) throws(V2GTPError) {
        guard let value = Self(rawValue: byte) else {
            throw .make(.invalidSecurity, "SDP Security \(hex(byte)), expected 0x00 (TLS) or 0x10 (no TLS)")
        }
        self = value
    }

    public var description: String { self == .tls ? "TLS" : "TCP" }
}

/// The SDP TransportProtocol byte ([V2G2-623], ISO 15118-2 Table 16/17).
public enum SDPTransportProtocol: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// 0x00: TCP.
    case tcp = 0x00
    /// 0x10: reserved for UDP.
    case udp = 0x10

    init(wire byte: UInt8) throws(V2GTPError) {
        guard let value = Self(rawValue: byte) else {
            throw .make(
                .invalidTransportProtocol,
                "SDP TransportProtocol \(hex(byte)), expected 0x00 (TCP) or 0x10 (UDP)"
            )
        }
        self = value
    }

    public var description: String { self == .tcp ? "TCP" : "UDP" }
}
