/// Writes an EXI bit-packed stream (EXI 1.0 §7): the mirror of ``EXIBitReader``.
///
/// Bits collect in a 64-bit accumulator and move to the byte buffer a byte at a time.
public struct EXIBitWriter: Sendable {
    @usableFromInline var storage: [UInt8]
    /// Bits not yet in `storage`: the low `pendingCount` bits (0...7 between calls).
    @usableFromInline var pending: UInt64
    @usableFromInline var pendingCount: Int

    /// Creates an empty writer; `capacity` reserves storage for the expected size in bytes.
    public init(capacity: Int = 64) {
        self.storage = []
        self.storage.reserveCapacity(capacity)
        self.pending = 0
        self.pendingCount = 0
    }

    /// The bytes written so far, the last one padded with zero bits.
    @inlinable public var bytes: [UInt8] {
        guard self.pendingCount > 0 else { return self.storage }
        var out = self.storage
        out.append(UInt8(truncatingIfNeeded: self.pending << UInt64(8 &- self.pendingCount)))
        return out
    }

    /// The number of bits written.
    @inlinable public var bitPosition: Int { self.storage.count &* 8 &+ self.pendingCount }

    /// Writes the low `count` bits (0...64) of `value`, most significant first.
    @inlinable @inline(__always)
    public mutating func writeBits(_ value: UInt64, count: Int) {
        if count > 56 {
            self.writeWideBits(value, count: count)
            return
        }
        guard count > 0 else { return }
        let masked = value & ((1 << UInt64(count)) &- 1)
        self.pending = self.pending << UInt64(count) | masked
        self.pendingCount &+= count
        while self.pendingCount >= 8 {
            self.pendingCount &-= 8
            self.storage.append(UInt8(truncatingIfNeeded: self.pending >> UInt64(self.pendingCount)))
        }
        self.pending &= (1 << UInt64(self.pendingCount)) &- 1
    }

    @usableFromInline @inline(never)
    mutating func writeWideBits(_ value: UInt64, count: Int) {
        for shift in stride(from: count - 8, through: 0, by: -8) {
            self.storage.reserveCapacity(self.storage.count + 9)
            self.appendBits(value >> UInt64(shift), count: 8)
        }
        let rest = count % 8
        if rest > 0 { self.appendBits(value, count: rest) }
    }

    @inlinable @inline(__always)
    mutating func appendBits(_ value: UInt64, count: Int) {
        let masked = value & ((1 << UInt64(count)) &- 1)
        self.pending = self.pending << UInt64(count) | masked
        self.pendingCount &+= count
        while self.pendingCount >= 8 {
            self.pendingCount &-= 8
            self.storage.append(UInt8(truncatingIfNeeded: self.pending >> UInt64(self.pendingCount)))
        }
        self.pending &= (1 << UInt64(self.pendingCount)) &- 1
    }

    /// Writes an event code of `width` bits.
    @inlinable @inline(__always)
    public mutating func writeEventCode(_ code: Int, width: Int) {
        self.writeBits(UInt64(truncatingIfNeeded: code), count: width)
    }

    /// Writes a boolean as one bit.
    @inlinable @inline(__always)
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

    /// Writes octets (binary content or ASCII characters) at any bit offset.
    @inlinable
    mutating func writeOctets(_ octets: UnsafeBufferPointer<UInt8>) {
        if self.pendingCount == 0 {
            self.storage.append(contentsOf: octets)
            return
        }
        let shift = UInt64(self.pendingCount)
        let base = self.storage.count
        let count = octets.count
        self.storage.append(contentsOf: repeatElement(0, count: count))
        var carry = self.pending
        self.storage.withUnsafeMutableBufferPointer { out in
            for index in 0..<count {
                let joined = carry << 8 | UInt64(octets[index])
                out[base &+ index] = UInt8(truncatingIfNeeded: joined >> shift)
                carry = joined
            }
        }
        self.pending = carry & ((1 << shift) &- 1)
    }

    /// Writes binary data: length, then the bytes.
    @inlinable
    public mutating func writeBinary(_ value: [UInt8]) {
        self.writeUnsignedInteger(UInt64(value.count))
        value.withUnsafeBufferPointer { self.writeOctets($0) }
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
            // One octet per character, as EXI unsigned integers below 0x80 are.
            var text = value
            text.withUTF8 { self.writeOctets($0) }
        } else {
            for scalar in value.unicodeScalars { self.writeUnsignedInteger(UInt64(scalar.value)) }
        }
    }

    /// Writes the EXI header of the ISO 15118 profile (0x80).
    @inlinable
    public mutating func writeHeader() {
        self.writeBits(0x80, count: 8)
    }
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
