/// The one error type of ``V2GTP``: bytes that are not a valid V2GTP message or SDP payload.
///
/// Compare ``code``; ``detail`` says what was wrong, for people and logs.
public struct V2GTPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case invalidVersion, unknownPayloadType, payloadTooLarge, truncated, payloadLengthMismatch
            case invalidSecurity, invalidTransportProtocol, invalidAddress
        }
        private let kind: Kind

        /// Protocol version is not 0x01 or the inverse protocol version is not its complement 0xFE
        /// (ISO 15118-2 §7.8.3.2, Table 9).
        public static let invalidVersion = Self(kind: .invalidVersion)
        /// A payload type that is not accepted in this place (ISO 15118-2 Table 10, ISO 15118-20 Table 12).
        public static let unknownPayloadType = Self(kind: .unknownPayloadType)
        /// The header announces more payload than the receiver's buffer allows.
        public static let payloadTooLarge = Self(kind: .payloadTooLarge)
        /// Fewer bytes than the header or the fixed-size payload needs.
        public static let truncated = Self(kind: .truncated)
        /// The payload length does not match the bytes present or the fixed size of the payload type.
        public static let payloadLengthMismatch = Self(kind: .payloadLengthMismatch)
        /// An SDP Security byte other than 0x00 (TLS) or 0x10 (no TLS) ([V2G2-623]).
        public static let invalidSecurity = Self(kind: .invalidSecurity)
        /// An SDP TransportProtocol byte other than 0x00 (TCP) or 0x10 (UDP) ([V2G2-623]).
        public static let invalidTransportProtocol = Self(kind: .invalidTransportProtocol)
        /// An IPv6 address that is not 16 bytes or not valid text.
        public static let invalidAddress = Self(kind: .invalidAddress)

        public var description: String {
            switch self.kind {
            case .invalidVersion: "invalidVersion"
            case .unknownPayloadType: "unknownPayloadType"
            case .payloadTooLarge: "payloadTooLarge"
            case .truncated: "truncated"
            case .payloadLengthMismatch: "payloadLengthMismatch"
            case .invalidSecurity: "invalidSecurity"
            case .invalidTransportProtocol: "invalidTransportProtocol"
            case .invalidAddress: "invalidAddress"
            }
        }
    }

    public let code: Code
    public let detail: String
    let location: String

    public var description: String { "V2GTPError.\(self.code): \(self.detail)" }

    @inline(never)
    public static func make(_ code: Code, _ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: code, detail: detail, location: "\(file):\(line)")
    }
}
