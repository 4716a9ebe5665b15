extension EXIError {
    // The range errors of the inlined reads, built out of line: a message built in place adds the blocks of its string
    // interpolation to every decoder, and a decoder past the inliner's size limit no longer inlines the reads at all.
    @usableFromInline @inline(never)
    static func outOfRange(_ value: Int64, above max: Int64, atBit: Int) -> EXIError {
        .valueOutOfRange("\(value) above maximum \(max)", atBit: atBit)
    }

    @usableFromInline @inline(never)
    static func outOfRange<T: BinaryInteger>(_ value: T, _ min: T, _ max: T, atBit: Int) -> EXIError {
        .valueOutOfRange("\(value) outside \(min)...\(max)", atBit: atBit)
    }

    @usableFromInline @inline(never)
    static func enumerationIndex(_ index: Int, of count: Int, atBit: Int) -> EXIError {
        .valueOutOfRange("enumeration index \(index) of \(count)", atBit: atBit)
    }
}

extension EXIBitReader {
    /// Reads the CH event code that starts the content of a simple-typed element (one production plus the
    /// non-strict escape: one bit, which must be 0).
    @inlinable @inline(__always)
    public mutating func readSimpleContentStart() throws(EXIError) {
        let at = self.bitPosition
        guard try self.readBits(1) == 0 else { throw .unexpectedEvent("escape instead of CH", atBit: at) }
    }

    /// Reads the EE event code that ends a simple-typed element (one bit, which must be 0).
    @inlinable @inline(__always)
    public mutating func readSimpleContentEnd() throws(EXIError) {
        let at = self.bitPosition
        guard try self.readBits(1) == 0 else { throw .unexpectedEvent("escape instead of EE", atBit: at) }
    }

    /// Reads an integer of a bounded type (range of at most 4096 values): an n-bit offset from `min`
    /// (EXI 1.0 §7.1.9), checked against `max`.
    @inlinable @inline(always)
    public mutating func readBoundedInteger(bits: Int, min: Int64, max: Int64) throws(EXIError) -> Int64 {
        let at = self.bitPosition
        let value = min &+ Int64(try self.readBits(bits))
        guard value <= max else { throw EXIError.outOfRange(value, above: max, atBit: at) }
        return value
    }

    /// Reads an EXI unsigned integer and checks it against the type's range.
    @inlinable @inline(always)
    public mutating func readUnsignedInteger(min: UInt64, max: UInt64) throws(EXIError) -> UInt64 {
        let at = self.bitPosition
        let value = try self.readUnsignedInteger()
        guard value >= min && value <= max else { throw EXIError.outOfRange(value, min, max, atBit: at) }
        return value
    }

    /// Reads an EXI integer and checks it against the type's range.
    @inlinable @inline(always)
    public mutating func readInteger(min: Int64, max: Int64) throws(EXIError) -> Int64 {
        let at = self.bitPosition
        let value = try self.readInteger()
        guard value >= min && value <= max else { throw EXIError.outOfRange(value, min, max, atBit: at) }
        return value
    }

    /// Reads an enumeration index of `bits` bits and checks it against the number of values (EXI 1.0 §7.2).
    @inlinable @inline(always)
    public mutating func readEnumerationIndex(bits: Int, count: Int) throws(EXIError) -> Int {
        let at = self.bitPosition
        let index = Int(truncatingIfNeeded: try self.readBits(bits))
        guard index < count else { throw EXIError.enumerationIndex(index, of: count, atBit: at) }
        return index
    }

    /// Reads a string value with length facets.
    @inlinable
    public mutating func readString(minLength: Int, maxLength: Int?) throws(EXIError) -> String {
        let at = self.bitPosition
        let value = try self.readString(maxLength: maxLength)
        if minLength > 0 {
            let count = EXIFacets.characterCount(value)
            guard count >= minLength else {
                throw .lengthLimitExceeded("string of \(count) characters, at least \(minLength) needed", atBit: at)
            }
        }
        return value
    }

    /// Reads binary data with length facets.
    @inlinable
    public mutating func readBinary(minLength: Int, maxLength: Int?) throws(EXIError) -> [UInt8] {
        let at = self.bitPosition
        let value = try self.readBinary(maxLength: maxLength)
        guard value.count >= minLength else {
            throw .lengthLimitExceeded("binary of \(value.count) bytes, at least \(minLength) needed", atBit: at)
        }
        return value
    }
}

/// The writes that check facets throw ``EXIError`` untyped: the generated encoders pass them stored fields and array
/// elements, which a call to a function with typed throws makes the optimizer copy (retain and release) first.
extension EXIBitWriter {
    /// Writes the CH event code of a simple-typed element's content (1 bit, 0).
    @inlinable @inline(__always)
    public mutating func writeSimpleContentStart() { self.writeBits(0, count: 1) }

    /// Writes the EE event code of a simple-typed element (1 bit, 0).
    @inlinable @inline(__always)
    public mutating func writeSimpleContentEnd() { self.writeBits(0, count: 1) }

    /// Writes an integer of a bounded type as an n-bit offset from `min`.
    @inlinable @inline(__always)
    public mutating func writeBoundedInteger<T: BinaryInteger>(_ value: T, bits: Int, min: Int64, max: Int64)
        throws
    {
        guard let v = Int64(exactly: value), v >= min, v <= max else {
            throw EXIError.valueOutOfRange("\(value) outside \(min)...\(max)")
        }
        self.writeBits(UInt64(v &- min), count: bits)
    }

    /// Writes an EXI unsigned integer after checking the type's range.
    @inlinable @inline(__always)
    public mutating func writeUnsignedInteger<T: BinaryInteger>(_ value: T, min: UInt64, max: UInt64)
        throws
    {
        guard let v = UInt64(exactly: value), v >= min, v <= max else {
            throw EXIError.valueOutOfRange("\(value) outside \(min)...\(max)")
        }
        self.writeUnsignedInteger(v)
    }

    /// Writes an EXI integer after checking the type's range.
    @inlinable @inline(__always)
    public mutating func writeInteger<T: BinaryInteger>(_ value: T, min: Int64, max: Int64) throws {
        guard let v = Int64(exactly: value), v >= min, v <= max else {
            throw EXIError.valueOutOfRange("\(value) outside \(min)...\(max)")
        }
        self.writeInteger(v)
    }

    /// Writes a string value after checking its length facets.
    @inlinable @inline(__always)
    public mutating func writeString(_ value: String, minLength: Int, maxLength: Int?) throws {
        // ASCII within the facets (every string the standards use): one character per octet, written from the UTF-8
        // view in place.
        let limit = maxLength ?? Int.max
        let written = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard utf8.count >= minLength, utf8.count <= limit, EXIFacets.isASCII(utf8) else { return false }
            self.writeUnsignedInteger(UInt64(utf8.count &+ 2))
            self.writeOctets(utf8)
            return true
        }
        if written == true { return }
        try self.writeCountedString(value, minLength: minLength, maxLength: maxLength)
    }

    /// Counts the characters of `value`, checks them against the facets and writes the string.
    @usableFromInline @inline(never) @_effects(releasenone)
    mutating func writeCountedString(_ value: String, minLength: Int, maxLength: Int?) throws {
        let count = EXIFacets.characterCount(value)
        if count < minLength { throw EXIError.lengthLimitExceeded("string of \(count) characters, at least \(minLength)") }
        if let maxLength, count > maxLength {
            throw EXIError.lengthLimitExceeded("string of \(count) characters, at most \(maxLength)")
        }
        self.writeString(value)
    }

    /// Writes binary data after checking its length facets.
    @inlinable @inline(__always)
    public mutating func writeBinary(_ value: [UInt8], minLength: Int, maxLength: Int?) throws {
        if value.count < minLength { throw EXIError.lengthLimitExceeded("binary of \(value.count) bytes, at least \(minLength)") }
        if let maxLength, value.count > maxLength {
            throw EXIError.lengthLimitExceeded("binary of \(value.count) bytes, at most \(maxLength)")
        }
        self.writeBinary(value)
    }
}
