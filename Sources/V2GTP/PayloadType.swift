/// The V2GTP payload type: a 16-bit value that says how to read the payload.
///
/// A struct rather than an enum so that any 16-bit value can be carried and reported (manufacturer-specific
/// types 0xA000-0xFFFF, reserved ones); ``isDefined`` says whether a standard defines it.
/// Values: ISO 15118-2 Table 10 (also DIN SPEC 70121) and ISO 15118-20 Table 12.
public struct PayloadType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// 0x8001: EXI-encoded V2G message: SupportedAppProtocol, DIN SPEC 70121 and ISO 15118-2 messages;
    /// in ISO 15118-20 only the SupportedAppProtocol handshake.
    public static let exi = Self(0x8001)
    /// 0x8002: ISO 15118-20 CommonMessages ("Mainstream").
    public static let iso20Common = Self(0x8002)
    /// 0x8003: ISO 15118-20 AC messages.
    public static let iso20AC = Self(0x8003)
    /// 0x8004: ISO 15118-20 DC messages.
    public static let iso20DC = Self(0x8004)
    /// 0x8005: ISO 15118-20 ACDP (automated connection device, pantograph) messages.
    public static let iso20ACDP = Self(0x8005)
    /// 0x8006: ISO 15118-20 WPT (wireless power transfer) messages.
    public static let iso20WPT = Self(0x8006)
    /// 0x8101: ISO 15118-20 schedule renegotiation.
    public static let iso20ScheduleRenegotiation = Self(0x8101)
    /// 0x8102: ISO 15118-20 metering confirmation.
    public static let iso20MeteringConfirmation = Self(0x8102)
    /// 0x8103: ISO 15118-20 ACDP system status.
    public static let iso20ACDPSystemStatus = Self(0x8103)
    /// 0x8104: ISO 15118-20 parking status.
    public static let iso20ParkingStatus = Self(0x8104)
    /// 0x9000: SECC Discovery Protocol request (ISO 15118-2 §7.10.1).
    public static let sdpRequest = Self(0x9000)
    /// 0x9001: SECC Discovery Protocol response (ISO 15118-2 §7.10.1).
    public static let sdpResponse = Self(0x9001)
    /// 0x9002: ISO 15118-20 SDP request for wireless communication (ACDP, WPT).
    public static let sdpRequestWireless = Self(0x9002)
    /// 0x9003: ISO 15118-20 SDP response for wireless communication (ACDP, WPT).
    public static let sdpResponseWireless = Self(0x9003)

    /// Payload types carried over the TCP/TLS connection of a V2G session (every EXI family).
    public static let sessionTypes: Set<PayloadType> = [
        .exi, .iso20Common, .iso20AC, .iso20DC, .iso20ACDP, .iso20WPT,
        .iso20ScheduleRenegotiation, .iso20MeteringConfirmation, .iso20ACDPSystemStatus, .iso20ParkingStatus,
    ]
    /// Payload types of the SECC Discovery Protocol (UDP).
    public static let discoveryTypes: Set<PayloadType> = [
        .sdpRequest, .sdpResponse, .sdpRequestWireless, .sdpResponseWireless,
    ]

    /// Whether ISO 15118-2 or ISO 15118-20 defines this value (everything else is reserved or manufacturer-specific).
    public var isDefined: Bool { Self.sessionTypes.contains(self) || Self.discoveryTypes.contains(self) }

    /// Whether the value lies in the manufacturer-specific range 0xA000-0xFFFF.
    public var isManufacturerSpecific: Bool { self.rawValue >= 0xA000 }

    public var description: String {
        let hex = String(self.rawValue, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
