/// The one identifier that follows a decision through every actor: the EV session, the OCPP messages it causes and the
/// PKI checks they run (OpenPnC's answer to refusals that surface as a bare "Failed").
///
/// A trace id is made at the edge where a decision starts (the SECC when a vehicle connects, the CSMS for a
/// CSMS-initiated flow) from randomness the caller supplies, and is carried unchanged by every port call.
public struct TraceID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 32 lower-case hexadecimal characters (128 bits), the W3C trace-context trace-id form.
    public let rawValue: String

    /// Wraps an existing trace id; any non-empty printable ASCII string of at most 64 characters is accepted so that
    /// ids from other systems (OCPP customData, HTTP headers) can be carried through.
    public init?(rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 64,
            rawValue.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A new trace id from 128 random bits supplied by the caller (L0 draws no randomness itself).
    public init(high: UInt64, low: UInt64) {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        self.rawValue = hex(high) + hex(low)
    }

    /// A new trace id drawn from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> TraceID {
        TraceID(high: generator.next(), low: generator.next())
    }

    public var description: String { self.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = TraceID(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a trace id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
