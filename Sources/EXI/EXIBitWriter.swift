/// Writes an EXI bit-packed stream (EXI 1.0 §7): the mirror of ``EXIBitReader``.
public struct EXIBitWriter: Sendable {
    @usableFromInline var storage: [UInt8]
    @usableFromInline var position: Int

    /// The bytes written so far; the last byte may be partly filled (its low bits are zero).
    @inlinable public var bytes: [UInt8] { self.storage }
    /// The number of bits written.
    @inlinable public var bitPosition: Int { self.position }

    /// Creates an empty writer; `capacity` reserves storage for the expected size in bytes.
    public init(capacity: Int = 64) {
        self.storage = []
        self.storage.reserveCapacity(capacity)
        self.position = 0
    }

    /// Writes the low `count` bits (0...64) of `value`, most significant first.
    @inlinable
    public mutating func writeBits(_ value: UInt64, count: Int) {
        var remaining = count
        while remaining > 0 {
            let offset = self.position & 7
            if offset == 0 { self.storage.append(0) }
            let free = 8 &- offset
            let take = free < remaining ? free : remaining
            let chunk = (value >> UInt64(remaining &- take)) & ((1 << UInt64(take)) &- 1)
            self.storage[self.storage.count &- 1] |= UInt8(truncatingIfNeeded: chunk << UInt64(free &- take))
            remaining &-= take
            self.position &+= take
        }
    }

    /// Writes an event code of `width` bits.
    @inlinable
    public mutating func writeEventCode(_ code: Int, width: Int) {
        self.writeBits(UInt64(truncatingIfNeeded: code), count: width)
    }

    /// Writes a boolean as one bit.
    @inlinable
    public mutating func writeBoolean(_ value: Bool) {
        self.writeBits(value ? 1 : 0, count: 1)
    }

    /// Writes an EXI unsigned integer (EXI 1.0 §7.1.6).
    @inlinable
    public mutating func writeUnsignedInteger(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            self.writeBits((rest & 0x7F) | 0x80, count: 8)
            rest >>= 7
        }
        self.writeBits(rest, count: 8)
    }

    /// Writes an EXI integer (EXI 1.0 §7.1.5): sign bit then magnitude.
    @inlinable
    public mutating func writeInteger(_ value: Int64) {
        if value < 0 {
            self.writeBoolean(true)
            self.writeUnsignedInteger(UInt64(bitPattern: ~value))
        } else {
            self.writeBoolean(false)
            self.writeUnsignedInteger(UInt64(value))
        }
    }

    /// Writes binary data: length, then the bytes.
    @inlinable
    public mutating func writeBinary(_ value: [UInt8]) {
        self.writeUnsignedInteger(UInt64(value.count))
        let shift = UInt8(self.position & 7)
        if shift == 0 {
            self.storage.append(contentsOf: value)
        } else {
            // The last byte is partly filled: each input byte ends it and starts the next one.
            self.storage.reserveCapacity(self.storage.count &+ value.count)
            for byte in value {
                self.storage[self.storage.count &- 1] |= byte >> shift
                self.storage.append(byte << (8 &- shift))
            }
        }
        self.position &+= value.count &* 8
    }

    /// Writes a string value as length+2 and code points (string tables off).
    @inlinable
    public mutating func writeString(_ value: String) {
        var ascii = true
        var count = 0
        for scalar in value.unicodeScalars {
            count &+= 1
            if scalar.value >= 0x80 { ascii = false }
        }
        self.writeUnsignedInteger(UInt64(count &+ 2))
        if ascii {
            // One octet per character: the same bits as binary data without the length.
            let shift = UInt8(self.position & 7)
            for byte in value.utf8 {
                if shift == 0 {
                    self.storage.append(byte)
                } else {
                    self.storage[self.storage.count &- 1] |= byte >> shift
                    self.storage.append(byte << (8 &- shift))
                }
            }
            self.position &+= count &* 8
        } else {
            for scalar in value.unicodeScalars { self.writeUnsignedInteger(UInt64(scalar.value)) }
        }
    }

    /// Writes the EXI header of the ISO 15118 profile (0x80).
    @inlinable
    public mutating func writeHeader() {
        self.writeBits(0x80, count: 8)
    }

    /// The stream, padded with zero bits to a whole byte.
    @inlinable
    public var finishedBytes: [UInt8] { self.storage }
}

/// Checks of schema facets shared by the generated codecs.
public enum EXIFacets {
    /// Throws ``EXIError/Code/lengthLimitExceeded`` unless `minLength <= count <= maxLength`.
    @inlinable
    public static func checkLength(_ count: Int, min: Int, max: Int?, _ what: StaticString) throws(EXIError) {
        if count < min { throw .lengthLimitExceeded("\(what): length \(count) below minimum \(min)") }
        if let max, count > max { throw .lengthLimitExceeded("\(what): length \(count) above maximum \(max)") }
    }

    /// The number of characters of `value` as EXI counts them (Unicode scalars).
    @inlinable
    public static func characterCount(_ value: String) -> Int {
        var count = 0
        for _ in value.unicodeScalars { count &+= 1 }
        return count
    }

    /// Throws ``EXIError/Code/valueOutOfRange`` unless `min <= value <= max`.
    @inlinable
    public static func checkRange<T: BinaryInteger>(_ value: T, min: T, max: T, _ what: StaticString)
        throws(EXIError)
    {
        if value < min || value > max {
            throw .valueOutOfRange("\(what): \(value) outside \(min)...\(max)")
        }
    }
}
