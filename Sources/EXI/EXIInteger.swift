/// An integer of unbounded size, for `xs:integer` (EXI 1.0 §7.1.5): certificate serial numbers
/// (`X509SerialNumber`) take up to 20 octets (RFC 5280 §4.1.2.2), beyond any fixed-width Swift integer.
///
/// JSON: a number when it fits 64 bits, otherwise a string of decimal digits.
public struct EXIInteger: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// Whether the value is below zero.
    public private(set) var isNegative: Bool
    /// The absolute value, big-endian, without leading zero bytes (empty for zero).
    public private(set) var magnitude: [UInt8]

    /// The longest magnitude accepted from a stream, in bytes (far above the 20 octets of RFC 5280 serials).
    public static let maximumMagnitudeBytes = 64

    /// Creates a value from a sign and a big-endian absolute value.
    public init(isNegative: Bool, magnitude: [UInt8]) {
        let trimmed = Array(magnitude.drop { $0 == 0 })
        self.magnitude = trimmed
        self.isNegative = isNegative && !trimmed.isEmpty
    }

    public init(_ value: Int64) {
        var bytes: [UInt8] = []
        var rest = value.magnitude
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        self.init(isNegative: value < 0, magnitude: bytes)
    }

    public init(integerLiteral value: Int64) { self.init(value) }

    /// The value as `Int64`, or `nil` when it does not fit.
    public var int64: Int64? {
        guard self.magnitude.count <= 8 else { return nil }
        var value: UInt64 = 0
        for b in self.magnitude { value = value << 8 | UInt64(b) }
        if self.isNegative { return value <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- value) : nil }
        return value <= UInt64(Int64.max) ? Int64(value) : nil
    }

    /// Decimal digits, with a leading minus sign for negative values.
    public var description: String {
        if self.magnitude.isEmpty { return "0" }
        var digits: [UInt8] = []
        var number = self.magnitude
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            for b in number {
                let current = remainder * 256 + Int(b)
                let q = current / 10
                remainder = current % 10
                if !quotient.isEmpty || q != 0 { quotient.append(UInt8(q)) }
            }
            digits.append(UInt8(remainder) + 0x30)
            number = quotient
        }
        return (self.isNegative ? "-" : "") + String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Parses decimal digits with an optional leading minus sign.
    public init?(_ text: String) {
        var chars = Substring(text)
        let negative = chars.first == "-"
        if negative { chars = chars.dropFirst() }
        guard !chars.isEmpty, chars.count <= 160 else { return nil }
        var bytes: [UInt8] = []
        for c in chars.utf8 {
            guard (0x30...0x39).contains(c) else { return nil }
            var carry = Int(c - 0x30)
            for i in stride(from: bytes.count - 1, through: 0, by: -1) {
                let v = Int(bytes[i]) * 10 + carry
                bytes[i] = UInt8(v & 0xFF)
                carry = v >> 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
        }
        self.init(isNegative: negative, magnitude: bytes)
    }

    /// Adds (`+1`) or subtracts (`-1`) one from a big-endian magnitude.
    static func adjust(_ magnitude: [UInt8], by delta: Int) -> [UInt8] {
        var bytes = magnitude
        if delta > 0 {
            var i = bytes.count - 1
            while i >= 0 {
                if bytes[i] == 0xFF {
                    bytes[i] = 0
                    i -= 1
                } else {
                    bytes[i] += 1
                    return bytes
                }
            }
            return [1] + bytes
        }
        var i = bytes.count - 1
        while i >= 0 {
            if bytes[i] == 0 {
                bytes[i] = 0xFF
                i -= 1
            } else {
                bytes[i] -= 1
                break
            }
        }
        return Array(bytes.drop { $0 == 0 })
    }
}

extension EXIInteger: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int64.self) {
            self.init(value)
        } else {
            let text = try container.decode(String.self)
            guard let value = EXIInteger(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an integer: \(text)")
            }
            self = value
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = self.int64 {
            try container.encode(value)
        } else {
            try container.encode(self.description)
        }
    }
}

extension EXIBitReader {
    /// Reads an EXI integer of unbounded size (EXI 1.0 §7.1.5); magnitudes above
    /// ``EXIInteger/maximumMagnitudeBytes`` are rejected.
    public mutating func readBigInteger() throws(EXIError) -> EXIInteger {
        let start = self.bitPosition
        let negative = try self.readBoolean()
        // 7-bit groups, least significant first, collected into a big-endian magnitude.
        var groups: [UInt8] = []
        while true {
            let octet = UInt8(truncatingIfNeeded: try self.readBits(8))
            groups.append(octet & 0x7F)
            if groups.count * 7 > EXIInteger.maximumMagnitudeBytes * 8 + 7 {
                throw .lengthLimitExceeded("integer longer than \(EXIInteger.maximumMagnitudeBytes) bytes", atBit: start)
            }
            if octet & 0x80 == 0 { break }
        }
        var bytes = [UInt8](repeating: 0, count: (groups.count * 7 + 7) / 8)
        for (index, group) in groups.enumerated() {
            for bit in 0..<7 where group & (1 << bit) != 0 {
                let position = index * 7 + bit
                bytes[bytes.count - 1 - position / 8] |= 1 << (position % 8)
            }
        }
        var magnitude = Array(bytes.drop { $0 == 0 })
        if negative { magnitude = EXIInteger.adjust(magnitude, by: 1) }
        guard magnitude.count <= EXIInteger.maximumMagnitudeBytes else {
            throw .lengthLimitExceeded("integer longer than \(EXIInteger.maximumMagnitudeBytes) bytes", atBit: start)
        }
        return EXIInteger(isNegative: negative, magnitude: magnitude)
    }
}

extension EXIBitWriter {
    /// Writes an EXI integer of unbounded size.
    public mutating func writeBigInteger(_ value: EXIInteger) throws {
        guard value.magnitude.count <= EXIInteger.maximumMagnitudeBytes else {
            throw EXIError.lengthLimitExceeded("integer longer than \(EXIInteger.maximumMagnitudeBytes) bytes")
        }
        self.writeBoolean(value.isNegative)
        let magnitude = value.isNegative ? EXIInteger.adjust(value.magnitude, by: -1) : value.magnitude
        let bitCount = magnitude.count * 8
        var position = 0
        repeat {
            var group: UInt64 = 0
            for bit in 0..<7 {
                let p = position + bit
                if p < bitCount && magnitude[magnitude.count - 1 - p / 8] & (1 << (p % 8)) != 0 { group |= 1 << UInt64(bit) }
            }
            position += 7
            // More groups follow while any higher bit is set.
            var more = false
            var p = position
            while p < bitCount {
                if magnitude[magnitude.count - 1 - p / 8] & (1 << (p % 8)) != 0 {
                    more = true
                    break
                }
                p += 1
            }
            self.writeBits(group | (more ? 0x80 : 0), count: 8)
            if !more { break }
        } while true
    }
}
