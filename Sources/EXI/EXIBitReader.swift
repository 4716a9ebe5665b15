/// Reads an EXI bit-packed stream (EXI 1.0 §7, alignment "bit-packed"): n-bit unsigned integers most significant bit
/// first, EXI unsigned and signed integers, booleans, binary and length+2 strings (string tables off).
///
/// Every read checks the remaining length and throws ``EXIError`` with code ``EXIError/Code/truncated`` instead of
/// trapping; lengths read from the stream are checked against the remaining input before anything is allocated.
public struct EXIBitReader: Sendable {
    @usableFromInline let bytes: [UInt8]
    @usableFromInline var position: Int
    /// The position of the next bit to read, counted from the first bit of the input.
    @inlinable public var bitPosition: Int { self.position }
    @usableFromInline let bitCount: Int

    /// Creates a reader over `bytes`, positioned at the first bit.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
        self.bitCount = bytes.count &* 8
    }

    /// Creates a reader over a copy of the bytes in `buffer`.
    public init(_ buffer: UnsafeRawBufferPointer) {
        self.init(Array(buffer))
    }

    /// The number of bits not yet read.
    @inlinable public var remainingBits: Int { self.bitCount &- self.bitPosition }

    /// Reads `count` bits (0...64) as an unsigned integer, most significant bit first.
    @inlinable @inline(__always)
    public mutating func readBits(_ count: Int) throws(EXIError) -> UInt64 {
        guard count > 0 else { return 0 }
        guard count <= self.bitCount &- self.position else { throw .truncated(atBit: self.bitCount) }
        let offset = self.position & 7
        if count <= 8 &- offset {
            // Within one byte: the common case for event codes.
            let byte = UInt64(self.bytes[self.position >> 3])
            self.position &+= count
            return (byte >> UInt64(8 &- offset &- count)) & ((1 << UInt64(count)) &- 1)
        }
        if count <= 16 &- offset {
            // Across two bytes (octets of integers and characters at an odd offset); both exist, checked above.
            let index = self.position >> 3
            let word = UInt64(self.bytes[index]) << 8 | UInt64(self.bytes[index &+ 1])
            self.position &+= count
            return (word >> UInt64(16 &- offset &- count)) & ((1 << UInt64(count)) &- 1)
        }
        return self.readBitsAcrossBytes(count)
    }

    @usableFromInline
    mutating func readBitsAcrossBytes(_ count: Int) -> UInt64 {
        var result: UInt64 = 0
        var needed = count
        var position = self.bitPosition
        while needed > 0 {
            let byte = UInt64(self.bytes[position >> 3])
            let offset = position & 7
            let available = 8 &- offset
            let take = available < needed ? available : needed
            let shifted = (byte >> UInt64(available &- take)) & ((1 << UInt64(take)) &- 1)
            result = (result << UInt64(take)) | shifted
            needed &-= take
            position &+= take
        }
        self.position = position
        return result
    }

    /// Reads an event code of `width` bits as an `Int`.
    @inlinable @inline(__always)
    public mutating func readEventCode(width: Int) throws(EXIError) -> Int {
        Int(truncatingIfNeeded: try self.readBits(width))
    }

    /// Reads one bit as a boolean (EXI 1.0 §7.1.2).
    @inlinable
    public mutating func readBoolean() throws(EXIError) -> Bool {
        try self.readBits(1) == 1
    }

    /// Reads an EXI unsigned integer (EXI 1.0 §7.1.6): 7-bit groups, least significant first, high bit = more.
    @inlinable
    public mutating func readUnsignedInteger() throws(EXIError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let start = self.bitPosition
            let octet = try self.readBits(8)
            let group = octet & 0x7F
            if shift == 63 && group > 1 || shift > 63 {
                throw .valueOutOfRange("unsigned integer wider than 64 bits", atBit: start)
            }
            result |= group << shift
            if octet & 0x80 == 0 { return result }
            shift &+= 7
        }
    }

    /// Reads an EXI unsigned integer that must fit `Int` and not exceed `limit`.
    @inlinable
    public mutating func readLength(limit: Int) throws(EXIError) -> Int {
        let start = self.bitPosition
        let value = try self.readUnsignedInteger()
        guard value <= UInt64(limit) else {
            throw .lengthLimitExceeded("length \(value) exceeds \(limit)", atBit: start)
        }
        return Int(value)
    }

    /// Reads an EXI integer (EXI 1.0 §7.1.5): a sign bit, then the magnitude as an unsigned integer (negative
    /// values store -(value + 1)).
    @inlinable
    public mutating func readInteger() throws(EXIError) -> Int64 {
        let start = self.bitPosition
        let negative = try self.readBoolean()
        let magnitude = try self.readUnsignedInteger()
        guard magnitude <= UInt64(Int64.max) else {
            throw .valueOutOfRange("integer outside 64-bit range", atBit: start)
        }
        return negative ? -Int64(magnitude) &- 1 : Int64(magnitude)
    }

    /// Reads binary data (EXI 1.0 §7.1.1): the length as an unsigned integer, then the bytes.
    /// - Parameter maxLength: the schema's `maxLength`/`length` facet, or `nil` when the type has none.
    @inlinable
    public mutating func readBinary(maxLength: Int?) throws(EXIError) -> [UInt8] {
        let start = self.bitPosition
        let length = try self.readUnsignedInteger()
        if let maxLength, length > UInt64(maxLength) {
            throw .lengthLimitExceeded("binary of \(length) bytes, at most \(maxLength) allowed", atBit: start)
        }
        guard length <= UInt64(self.remainingBits / 8) else { throw .truncated(atBit: self.bitCount) }
        return self.readOctets(Int(length))
    }

    /// Reads a string value (EXI 1.0 §7.3 with the value string table off): length+2 as an unsigned integer, then
    /// each character as an unsigned integer code point. A string-table hit (0 or 1) is an error.
    /// - Parameter maxLength: the schema's `maxLength`/`length` facet in characters, or `nil`.
    @inlinable
    public mutating func readString(maxLength: Int?) throws(EXIError) -> String {
        let start = self.bitPosition
        let prefix = try self.readUnsignedInteger()
        guard prefix >= 2 else { throw .stringTableHit(atBit: start) }
        return try self.readCharacters(count: prefix &- 2, maxLength: maxLength, start: start)
    }

    /// Reads a string whose length is not offset by 2 (qualified names, and the untyped characters of
    /// built-in grammars are offset; this is for the plain length form of EXI 1.0 §7.1.10).
    @inlinable
    public mutating func readPlainString(maxLength: Int?) throws(EXIError) -> String {
        let start = self.bitPosition
        let count = try self.readUnsignedInteger()
        return try self.readCharacters(count: count, maxLength: maxLength, start: start)
    }

    @usableFromInline
    mutating func readCharacters(count: UInt64, maxLength: Int?, start: Int) throws(EXIError) -> String {
        if let maxLength, count > UInt64(maxLength) {
            throw .lengthLimitExceeded("string of \(count) characters, at most \(maxLength) allowed", atBit: start)
        }
        // Each character takes at least 8 bits: a longer claim cannot be satisfied by the remaining input.
        guard count <= UInt64(self.remainingBits / 8) else { throw .truncated(atBit: self.bitCount) }
        // Fast path: ASCII characters are single octets below 0x80, read like binary data.
        let n = Int(count)
        let start = self.position
        let octets = self.readOctets(n)
        if !octets.contains(where: { $0 >= 0x80 }) { return String(decoding: octets, as: UTF8.self) }
        // Some character takes more than one octet: decode code point by code point.
        self.position = start
        var scalars = String.UnicodeScalarView()
        for _ in 0..<n {
            let at = self.position
            let codePoint = try self.readUnsignedInteger()
            guard codePoint <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(codePoint)) else {
                throw .valueOutOfRange("code point \(codePoint) is not a Unicode scalar", atBit: at)
            }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// Reads `count` octets at any bit offset; the caller has checked that `count * 8` bits remain.
    @usableFromInline
    mutating func readOctets(_ count: Int) -> [UInt8] {
        let first = self.position >> 3
        let shift = UInt8(self.position & 7)
        self.position &+= count &* 8
        if shift == 0 { return Array(self.bytes[first..<(first &+ count)]) }
        return self.bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
                for index in 0..<count {
                    output[index] = input[first &+ index] << shift | input[first &+ index &+ 1] >> (8 &- shift)
                }
                initialized = count
            }
        }
    }

    /// Reads and checks the EXI header of the ISO 15118 profile: the single byte 0x80 (distinguishing bits `10`,
    /// no options, final version 1), ISO 15118-2 §7.9.1.3.
    @inlinable
    public mutating func readHeader() throws(EXIError) {
        guard self.remainingBits >= 8 else { throw .truncated(atBit: self.bitCount) }
        let header = try self.readBits(8)
        guard header == 0x80 else {
            throw .invalidHeader("header byte 0x\(String(header, radix: 16)), expected 0x80")
        }
    }

    /// Checks that only zero padding bits of the last byte remain (after ED).
    @inlinable
    public func checkEnd() throws(EXIError) {
        let remaining = self.remainingBits
        guard remaining < 8 else {
            throw .trailingData("\(remaining / 8) byte(s) after the end of the stream", atBit: self.bitPosition)
        }
        if remaining > 0 {
            let last = self.bytes[self.bytes.count - 1]
            guard last & UInt8((1 << remaining) - 1) == 0 else {
                throw .trailingData("non-zero padding bits", atBit: self.bitPosition)
            }
        }
    }
}
