/// Writes an EXI bit-packed stream (EXI 1.0 §7): the mirror of ``EXIBitReader``.
///
/// Bits collect in a 64-bit accumulator and move to memory several bytes at a time, with one unaligned 8-byte store
/// when there is room. The memory is either the writer's own (``init(capacity:)``: it grows as needed and is freed
/// with the writer) or a buffer the caller lends (``withUnsafeWriter(into:_:)``, ``EXIBitWriter/encode(into:_:)``):
/// nothing is allocated then, and a stream that does not fit moves into memory of the writer's own, which the caller
/// sees through ``fitsBorrowedBuffer``.
///
/// The writer is non-copyable: it owns its memory, and a copy would have to duplicate it.
public struct EXIBitWriter: ~Copyable {
    /// The first byte of the output.
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    /// Bytes available at `base`.
    @usableFromInline var capacity: Int
    /// Complete bytes stored at `base`.
    @usableFromInline var count: Int
    /// Bits not yet stored: the low `pendingCount` bits (0...63), higher bits zero.
    @usableFromInline var pending: UInt64
    @usableFromInline var pendingCount: Int
    /// Whether `base` is the writer's own allocation (freed in `deinit`, grown on demand).
    @usableFromInline var owned: Bool
    /// Whether the writer started on a borrowed buffer and had to move to memory of its own.
    @usableFromInline var outgrewBorrowed: Bool

    /// Creates an empty writer with memory of its own; `capacity` is the expected size in bytes.
    public init(capacity: Int = 64) {
        let capacity = Swift.max(capacity, 16)
        self.base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        self.capacity = capacity
        self.count = 0
        self.pending = 0
        self.pendingCount = 0
        self.owned = true
        self.outgrewBorrowed = false
    }

    /// Creates a writer over memory lent by the caller, which must stay valid while the writer is used.
    @inlinable
    init(borrowing buffer: UnsafeMutableRawBufferPointer) {
        if let address = buffer.baseAddress, buffer.count > 0 {
            self.base = address.assumingMemoryBound(to: UInt8.self)
            self.capacity = buffer.count
            self.owned = false
        } else {
            self.base = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
            self.capacity = 16
            self.owned = true
        }
        self.count = 0
        self.pending = 0
        self.pendingCount = 0
        self.outgrewBorrowed = self.owned
    }

    deinit {
        if self.owned { self.base.deallocate() }
    }

    /// Runs `body` with a writer over `buffer` (no allocation while the stream fits) and returns what it returns.
    ///
    /// When the stream outgrows `buffer`, the writer continues in memory of its own; ``fitsBorrowedBuffer`` then
    /// turns false and ``bytes`` still returns the whole stream.
    @inlinable
    public static func withUnsafeWriter<R, E: Error>(
        into buffer: UnsafeMutableRawBufferPointer, _ body: (inout EXIBitWriter) throws(E) -> R
    ) throws(E) -> R {
        var writer = EXIBitWriter(borrowing: buffer)
        return try body(&writer)
    }

    /// Encodes with `body` into `buffer` and returns the number of bytes of the stream (the last one padded with zero
    /// bits), without allocating.
    /// - Throws: what `body` throws, or ``EXIError/Code/bufferTooSmall`` when the stream does not fit `buffer`.
    @inlinable
    public static func encode(
        into buffer: UnsafeMutableRawBufferPointer, _ body: (inout EXIBitWriter) throws(EXIError) -> Void
    ) throws(EXIError) -> Int {
        var writer = EXIBitWriter(borrowing: buffer)
        try body(&writer)
        writer.finish()
        guard writer.fitsBorrowedBuffer else {
            throw .bufferTooSmall("stream of \(writer.count) bytes, buffer of \(buffer.count)")
        }
        return writer.count
    }

    /// Encodes with `body` and returns the stream as a new array of exactly its size: small streams are written on
    /// the stack first, so the array is the only allocation.
    @inlinable
    public static func encodedBytes(_ body: (inout EXIBitWriter) throws(EXIError) -> Void) throws(EXIError) -> [UInt8] {
        try withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) {
            (buffer: UnsafeMutableRawBufferPointer) throws(EXIError) -> [UInt8] in
            var writer = EXIBitWriter(borrowing: buffer)
            try body(&writer)
            writer.finish()
            return [UInt8](UnsafeBufferPointer(start: writer.base, count: writer.count))
        }
    }

    /// Whether everything written so far is in the buffer the writer was created over (always true for a writer with
    /// memory of its own).
    @inlinable public var fitsBorrowedBuffer: Bool { !self.outgrewBorrowed }

    /// The bytes written so far, the last one padded with zero bits.
    @inlinable public var bytes: [UInt8] {
        let tail = self.pendingCount & 7
        let whole = self.pendingCount >> 3
        return [UInt8](unsafeUninitializedCapacity: self.count &+ whole &+ (tail > 0 ? 1 : 0)) { out, initialized in
            var n = 0
            if let address = out.baseAddress {
                address.update(from: self.base, count: self.count)
                n = self.count
                var remaining = self.pendingCount
                while remaining >= 8 {
                    remaining &-= 8
                    out[n] = UInt8(truncatingIfNeeded: self.pending >> UInt64(remaining))
                    n &+= 1
                }
                if remaining > 0 {
                    out[n] = UInt8(truncatingIfNeeded: self.pending << UInt64(8 &- remaining))
                    n &+= 1
                }
            }
            initialized = n
        }
    }

    /// The number of bits written.
    @inlinable public var bitPosition: Int { self.count &* 8 &+ self.pendingCount }

    /// Stores every pending bit, the last byte padded with zero bits: `count` is then the size of the stream.
    @inlinable
    public mutating func finish() {
        self.flush()
        if self.pendingCount > 0 {
            self.pending <<= UInt64(8 &- self.pendingCount)
            self.pendingCount = 8
            self.flush()
        }
    }

    /// Writes the low `count` bits (0...64) of `value`, most significant first.
    @inlinable @inline(__always)
    public mutating func writeBits(_ value: UInt64, count: Int) {
        if count > 56 {
            self.writeWideBits(value, count: count)
            return
        }
        if self.pendingCount &+ count > 64 { self.flush() }
        let masked = value & ((1 &<< UInt64(count)) &- 1)
        self.pending = self.pending &<< UInt64(count) | masked
        self.pendingCount &+= count
    }

    @usableFromInline @inline(never) @_effects(releasenone)
    mutating func writeWideBits(_ value: UInt64, count: Int) {
        self.writeBits(value >> 32, count: count &- 32)
        self.writeBits(value & 0xFFFF_FFFF, count: 32)
    }

    /// Moves the whole bytes of the accumulator to memory; afterwards `pendingCount` is 0...7.
    @inlinable @inline(__always)
    mutating func flush() {
        let whole = self.pendingCount >> 3
        guard whole > 0 else { return }
        let rest = self.pendingCount & 7
        let out = self.pending >> UInt64(rest)
        if self.capacity &- self.count >= 8 {
            // Left-align the whole bytes and store 8 bytes at once; bytes past `whole` are overwritten later.
            let aligned = out << UInt64(64 &- whole &* 8)
            UnsafeMutableRawPointer(self.base + self.count).storeBytes(of: aligned.bigEndian, as: UInt64.self)
        } else {
            self.storeNearEnd(out, whole)
        }
        self.count &+= whole
        self.pendingCount = rest
        self.pending &= (1 &<< UInt64(rest)) &- 1
    }

    /// Stores the low `whole` bytes of `out` one at a time, where fewer than 8 bytes of room are left.
    @usableFromInline @inline(never) @_effects(releasenone)
    mutating func storeNearEnd(_ out: UInt64, _ whole: Int) {
        if self.capacity &- self.count < whole { self.reserve(whole) }
        var index = 0
        while index < whole {
            self.base[self.count &+ index] = UInt8(truncatingIfNeeded: out >> UInt64((whole &- 1 &- index) &* 8))
            index &+= 1
        }
    }

    /// Makes room for at least `extra` more bytes: grows memory of the writer's own, or moves a borrowed buffer's
    /// content into memory of its own.
    @usableFromInline @inline(never) @_effects(releasenone)
    mutating func reserve(_ extra: Int) {
        guard self.capacity &- self.count < extra else { return }
        let needed = self.count + extra
        let capacity = Swift.max(needed, self.capacity * 2)
        let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        memory.update(from: self.base, count: self.count)
        if self.owned { self.base.deallocate() } else { self.outgrewBorrowed = true }
        self.base = memory
        self.capacity = capacity
        self.owned = true
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
    @inlinable @inline(__always)
    public mutating func writeUnsignedInteger(_ value: UInt64) {
        if value < 0x80 {
            self.writeBits(value, count: 8)
        } else if value < 0x4000 {
            self.writeBits((value & 0x7F | 0x80) << 8 | value >> 7, count: 16)
        } else {
            self.writeLongUnsignedInteger(value)
        }
    }

    /// Writes an EXI unsigned integer of three octets or more.
    @usableFromInline @inline(never) @_effects(releasenone)
    mutating func writeLongUnsignedInteger(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            self.writeBits((rest & 0x7F) | 0x80, count: 8)
            rest >>= 7
        }
        self.writeBits(rest, count: 8)
    }

    /// Writes an EXI integer (EXI 1.0 §7.1.5): sign bit then magnitude.
    @inlinable @inline(__always)
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
    @inlinable @_effects(releasenone)
    public mutating func writeOctets(_ octets: UnsafeBufferPointer<UInt8>) {
        self.flush()
        let n = octets.count
        guard n > 0, let source = octets.baseAddress else { return }
        if self.capacity &- self.count < n { self.reserve(n) }
        let out = self.base + self.count
        if self.pendingCount == 0 {
            out.update(from: source, count: n)
            self.count &+= n
            return
        }
        // 0 < pendingCount < 8: each output byte joins the pending bits with the top of the next octet.
        let shift = UInt64(self.pendingCount)
        var carry = self.pending
        var index = 0
        if n > 32 {
            // Output byte 0 joins the pending bits with octet 0; byte j > 0 joins octets j - 1 and j, 32 at a time.
            out[0] = UInt8(truncatingIfNeeded: carry &<< (8 &- shift) | UInt64(source[0]) &>> shift)
            index = 1 &+ EXIOctetShift.join(source, out + 1, count: n &- 1, shift: 8 &- Int(shift))
            carry = UInt64(source[index &- 1])
        }
        while index &+ 16 <= n {
            // Two words per round: each output word depends only on the input, not on the previous round.
            let word = UInt64(bigEndian: UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self))
            let next = UInt64(bigEndian: UnsafeRawPointer(source + (index &+ 8)).loadUnaligned(as: UInt64.self))
            let first = carry &<< (64 &- shift) | word &>> shift
            let second = word &<< (64 &- shift) | next &>> shift
            UnsafeMutableRawPointer(out + index).storeBytes(of: first.bigEndian, as: UInt64.self)
            UnsafeMutableRawPointer(out + (index &+ 8)).storeBytes(of: second.bigEndian, as: UInt64.self)
            carry = next
            index &+= 16
        }
        while index &+ 8 <= n {
            let word = UInt64(bigEndian: UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self))
            let joined = carry &<< (64 &- shift) | word &>> shift
            UnsafeMutableRawPointer(out + index).storeBytes(of: joined.bigEndian, as: UInt64.self)
            carry = word
            index &+= 8
        }
        while index < n {
            let joined = carry << 8 | UInt64(source[index])
            out[index] = UInt8(truncatingIfNeeded: joined >> shift)
            carry = joined
            index &+= 1
        }
        self.count &+= n
        self.pending = carry & ((1 &<< shift) &- 1)
    }

    /// Writes binary data: length, then the bytes.
    @inlinable @inline(__always)
    public mutating func writeBinary(_ value: [UInt8]) {
        self.writeUnsignedInteger(UInt64(value.count))
        value.withUnsafeBufferPointer { self.writeOctets($0) }
    }

    /// Writes a string value as length+2 and code points (string tables off).
    @inlinable @inline(__always)
    public mutating func writeString(_ value: String) {
        let written = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard EXIFacets.isASCII(utf8) else { return false }
            // One octet per character, as EXI unsigned integers below 0x80 are.
            self.writeUnsignedInteger(UInt64(utf8.count &+ 2))
            self.writeOctets(utf8)
            return true
        }
        if written != true { self.writeNonASCII(value) }
    }

    @usableFromInline @inline(never) @_effects(releasenone)
    mutating func writeNonASCII(_ value: String) {
        self.writeUnsignedInteger(UInt64(EXIFacets.characterCount(value) &+ 2))
        for scalar in value.unicodeScalars { self.writeUnsignedInteger(UInt64(scalar.value)) }
    }

    /// Writes the EXI header of the ISO 15118 profile (0x80).
    @inlinable @inline(__always)
    public mutating func writeHeader() {
        self.writeBits(0x80, count: 8)
    }
}

/// Checks of schema facets shared by the generated codecs.
public enum EXIFacets {
    /// Throws ``EXIError/Code/lengthLimitExceeded`` unless `minLength <= count <= maxLength`.
    @inlinable
    public static func checkLength(_ count: Int, min: Int, max: Int?, _ what: StaticString) throws {
        if count < min { throw EXIError.lengthLimitExceeded("\(what): length \(count) below minimum \(min)") }
        if let max, count > max { throw EXIError.lengthLimitExceeded("\(what): length \(count) above maximum \(max)") }
    }

    /// The number of characters of `value` as EXI counts them (Unicode scalars).
    @inlinable
    public static func characterCount(_ value: String) -> Int {
        let utf8 = value.utf8
        if let ascii = utf8.withContiguousStorageIfAvailable({ Self.isASCII($0) }), ascii { return utf8.count }
        var count = 0
        for _ in value.unicodeScalars { count &+= 1 }
        return count
    }

    /// Whether every octet is below 0x80 (eight at a time).
    @inlinable
    public static func isASCII(_ octets: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = octets.baseAddress else { return true }
        let n = octets.count
        var index = 0
        var high: UInt64 = 0
        while index &+ 8 <= n {
            high |= UnsafeRawPointer(start + index).loadUnaligned(as: UInt64.self)
            index &+= 8
        }
        while index < n {
            high |= UInt64(start[index])
            index &+= 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}
