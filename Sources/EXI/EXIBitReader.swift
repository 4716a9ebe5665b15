/// Reads an EXI bit-packed stream (EXI 1.0 §7, alignment "bit-packed"): n-bit unsigned integers most significant bit
/// first, EXI unsigned and signed integers, booleans, binary and length+2 strings (string tables off).
///
/// Every read checks the remaining length and throws ``EXIError`` with code ``EXIError/Code/truncated`` instead of
/// trapping; lengths read from the stream are checked against the remaining input before anything is allocated.
public struct EXIBitReader: ~Copyable {
    /// The first byte of the input (never dereferenced when the input is empty).
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline var position: Int
    /// The position of the next bit to read, counted from the first bit of the input.
    @inlinable public var bitPosition: Int { self.position }
    @usableFromInline let bitCount: Int
    /// Whether `base` is the reader's own copy of the input (freed in `deinit`).
    @usableFromInline let owned: Bool
    /// The number of octets ``window()`` may load from: the input's length, or 0 in a reader made to read without
    /// windows (a test compares the two ways).
    @usableFromInline let windowEnd: Int

    /// Creates a reader over a copy of `bytes`, positioned at the first bit.
    public init(_ bytes: [UInt8]) {
        self.init(bytes, windows: true)
    }

    /// Creates a reader over a copy of `bytes` that reads without windows when `windows` is false: every generated
    /// decoder then takes its reads one value at a time.
    package init(_ bytes: [UInt8], windows: Bool) {
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(bytes.count, 1))
        bytes.withUnsafeBufferPointer { source in
            if let address = source.baseAddress { copy.initialize(from: address, count: source.count) }
        }
        self.base = UnsafePointer(copy)
        self.position = 0
        self.bitCount = bytes.count &* 8
        self.owned = true
        self.windowEnd = windows ? bytes.count : 0
    }

    /// Creates a reader over a copy of the bytes in `buffer`.
    public init(_ buffer: UnsafeRawBufferPointer) {
        self.init(Array(buffer))
    }

    /// Creates a reader over memory lent by the caller, which must stay valid while the reader is used.
    @inlinable
    init(borrowing buffer: UnsafeRawBufferPointer) {
        if let address = buffer.baseAddress, buffer.count > 0 {
            self.base = address.assumingMemoryBound(to: UInt8.self)
            self.owned = false
        } else {
            self.base = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))
            self.owned = true
        }
        self.position = 0
        self.bitCount = buffer.count &* 8
        self.windowEnd = buffer.count
    }

    deinit {
        if self.owned { self.base.deallocate() }
    }

    /// Runs `body` with a reader over `buffer`, without copying it, and returns what `body` returns.
    @inlinable
    public static func withUnsafeReader<R, E: Error>(
        over buffer: UnsafeRawBufferPointer, _ body: (inout EXIBitReader) throws(E) -> R
    ) throws(E) -> R {
        var reader = EXIBitReader(borrowing: buffer)
        return try body(&reader)
    }

    /// Runs `body` with a reader over the bytes of `bytes`, without copying them, and returns what `body` returns.
    @inlinable
    public static func withReader<R>(
        over bytes: [UInt8], _ body: (inout EXIBitReader) throws(EXIError) -> R
    ) throws(EXIError) -> R {
        let result: Result<R, EXIError> = bytes.withUnsafeBytes { raw in
            var reader = EXIBitReader(borrowing: raw)
            do throws(EXIError) {
                return .success(try body(&reader))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
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
            let byte = UInt64(self.base[self.position >> 3])
            self.position &+= count
            return (byte >> UInt64(8 &- offset &- count)) & ((1 << UInt64(count)) &- 1)
        }
        if count <= 16 &- offset {
            // Across two bytes (octets of integers and characters at an odd offset); both exist, checked above.
            let index = self.position >> 3
            let word = UInt64(self.base[index]) << 8 | UInt64(self.base[index &+ 1])
            self.position &+= count
            return (word >> UInt64(16 &- offset &- count)) & ((1 << UInt64(count)) &- 1)
        }
        return self.readBitsAcrossBytes(count)
    }

    @usableFromInline @inline(never)
    mutating func readBitsAcrossBytes(_ count: Int) -> UInt64 {
        var result: UInt64 = 0
        var needed = count
        var position = self.bitPosition
        while needed > 0 {
            let byte = UInt64(self.base[position >> 3])
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

    /// The next bits of the stream in one word (``EXIWindow``), when the 8 octets from the current one all exist;
    /// nil nearer the end of the input. The generated decoders read a type's fixed-width content from it in one go,
    /// and fall back to the reads one at a time when it is nil or the content does not fit it.
    @inlinable @inline(__always)
    public func window() -> EXIWindow? {
        let index = self.position >> 3
        guard index &+ 8 <= self.windowEnd else { return nil }
        let word = UInt64(bigEndian: UnsafeRawPointer(self.base + index).loadUnaligned(as: UInt64.self))
        return EXIWindow(word &<< UInt64(self.position & 7))
    }

    /// Moves past the bits taken from `window`, a ``window()`` of this reader at the current position.
    @inlinable @inline(__always)
    public mutating func advance(past window: EXIWindow) { self.position &+= window.used }

    /// Skips the next `count` bits (1...9) when they are present and all 0, and returns true; otherwise reads nothing
    /// and returns false. The generated decoders check a run of constant event codes with one call, and read them
    /// one at a time (for the error that names the first wrong one) only when it returns false.
    @inlinable @inline(__always)
    public mutating func skipZeroBits(_ count: Int) -> Bool {
        guard count <= self.bitCount &- self.position else { return false }
        let index = self.position >> 3
        let offset = self.position & 7
        let bits: UInt64
        if count <= 8 &- offset {
            bits = UInt64(self.base[index]) >> UInt64(8 &- offset &- count)
        } else if count <= 16 &- offset {
            // Both octets exist: the count was checked against the input above.
            bits = (UInt64(self.base[index]) << 8 | UInt64(self.base[index &+ 1])) >> UInt64(16 &- offset &- count)
        } else {
            return false
        }
        guard bits & ((1 << UInt64(count)) &- 1) == 0 else { return false }
        self.position &+= count
        return true
    }

    /// Reads an event code of `width` bits as an `Int`.
    @inlinable @inline(__always)
    public mutating func readEventCode(width: Int) throws(EXIError) -> Int {
        Int(truncatingIfNeeded: try self.readBits(width))
    }

    /// Reads one bit as a boolean (EXI 1.0 §7.1.2).
    @inlinable @inline(__always)
    public mutating func readBoolean() throws(EXIError) -> Bool {
        try self.readBits(1) == 1
    }

    /// Reads an EXI unsigned integer (EXI 1.0 §7.1.6): 7-bit groups, least significant first, high bit = more.
    @inlinable @inline(__always)
    public mutating func readUnsignedInteger() throws(EXIError) -> UInt64 {
        // Up to three octets (times of a day, lengths of certificates) from a window: one load, one branch per octet.
        if var window = self.window(), let value = window.magnitude() {
            self.advance(past: window)
            return value
        }
        // Fewer than 8 octets left, or a fourth group: group by group.
        return try self.readUnsignedIntegerGroups()
    }

    /// Reads an EXI unsigned integer group by group, each octet bounds-checked: the path near the end of the input
    /// and for integers of more than three octets.
    @usableFromInline @inline(never)
    mutating func readUnsignedIntegerGroups() throws(EXIError) -> UInt64 {
        let start = self.bitPosition
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
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
    @inlinable @inline(always)
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
        let n = Int(count)
        if n == 0 { return "" }
        // Short strings (ids, URIs, the eMAID) fit in the string's inline form: realigned in registers when ASCII,
        // else (some character takes more than one octet) decoded code point by code point.
        if n <= 15 {
            if let text = self.readShortASCII(n) { return text }
            return try self.readCodePoints(n)
        }
        let first = self.position
        // Fast path: ASCII characters are single octets below 0x80, copied straight into the string's storage.
        var ascii = true
        let text = String(unsafeUninitializedCapacity: n) { buffer in
            guard let address = buffer.baseAddress else { return 0 }
            self.copyOctets(into: address, n)
            ascii = EXIFacets.isASCII(UnsafeBufferPointer(start: address, count: n))
            return ascii ? n : 0
        }
        if ascii { return text }
        // Some character takes more than one octet: decode code point by code point.
        self.position = first
        return try self.readCodePoints(n)
    }

    /// Reads `count` (1...15) ASCII characters as two realigned words, or returns `nil` and reads nothing when one is
    /// not ASCII; the caller has checked that `count * 8` bits remain.
    ///
    /// The characters are stored as whole words and the string made from them: building it in the storage that
    /// `String(unsafeUninitializedCapacity:)` lends writes octets that the library then loads as words, and that load
    /// cannot be served from the pending octet stores (about a third of the time of a short string).
    @inlinable
    mutating func readShortASCII(_ count: Int) -> String? {
        // The characters, realigned: octets 0...7 in `leading`, 8...14 in `trailing`.
        let leading = Self.leadingOctets(self.realignedWord(0), count)
        let trailing = count > 8 ? Self.leadingOctets(self.realignedWord(8), count &- 8) : 0
        guard (leading | trailing) & 0x8080_8080_8080_8080 == 0 else { return nil }
        self.position &+= count &* 8
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
            guard let octets = buffer.baseAddress else { return nil }
            let raw = UnsafeMutableRawPointer(octets)
            raw.storeBytes(of: leading.bigEndian, as: UInt64.self)
            raw.storeBytes(of: trailing.bigEndian, toByteOffset: 8, as: UInt64.self)
            return String(decoding: UnsafeBufferPointer(start: octets, count: count), as: UTF8.self)
        }
    }

    @usableFromInline @inline(never)
    mutating func readCodePoints(_ n: Int) throws(EXIError) -> String {
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

    /// Copies `count` octets at any bit offset to `output`; the caller has checked that `count * 8` bits remain.
    @inlinable
    mutating func copyOctets(into output: UnsafeMutablePointer<UInt8>, _ count: Int) {
        defer { self.position &+= count &* 8 }
        let first = self.position >> 3
        let shift = UInt64(self.position & 7)
        let input = self.base + first
        if shift == 0 {
            output.update(from: input, count: count)
            return
        }
        // Output byte i joins the low bits of input byte i with the high bits of input byte i + 1, which exists
        // because count * 8 bits remain after a non-zero offset into input byte 0.
        var index = EXIOctetShift.join(input, output, count: count, shift: Int(shift))
        // The rest (under 32 octets) a word at a time.
        while index < count {
            let word = self.realignedWord(index)
            if index &+ 8 <= count {
                UnsafeMutableRawPointer(output + index).storeBytes(of: word.bigEndian, as: UInt64.self)
            } else {
                for octet in 0..<(count &- index) {
                    output[index &+ octet] = UInt8(truncatingIfNeeded: word &>> UInt64(56 &- octet &* 8))
                }
            }
            index &+= 8
        }
    }

    /// The 8 octets at `address` as a big-endian word; those from `available` on read as 0 (one load when all exist).
    @inlinable @inline(__always)
    static func word(at address: UnsafePointer<UInt8>, available: Int) -> UInt64 {
        if available >= 8 { return UInt64(bigEndian: UnsafeRawPointer(address).loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        var index = 0
        while index < available {
            word |= UInt64(address[index]) &<< UInt64(56 &- index &* 8)
            index &+= 1
        }
        return word
    }

    /// Octets `index..<index + 8` of the stream from the current bit (at any offset) as a big-endian word, without
    /// reading them; octets past the end of the input read as 0. Output octet i joins input octets i and i + 1.
    @inlinable @inline(__always)
    func realignedWord(_ index: Int) -> UInt64 {
        let first = self.position >> 3 &+ index
        let available = self.bitCount >> 3 &- first
        let high = Self.word(at: self.base + first, available: available)
        let shift = UInt64(self.position & 7)
        guard shift != 0 else { return high }
        let low: UInt64 = available > 8 ? UInt64(self.base[first &+ 8]) : 0
        return high &<< shift | low &>> (8 &- shift)
    }

    /// The first `count` octets of a big-endian word (all of it from 8 on), the others 0.
    @inlinable @inline(__always)
    static func leadingOctets(_ word: UInt64, _ count: Int) -> UInt64 {
        count >= 8 ? word : count <= 0 ? 0 : word & ~(UInt64.max &>> UInt64(count &* 8))
    }

    /// Whether the next `count` octets, at any bit offset, are the `count` octets at `stored`; reads nothing. The
    /// caller has checked that `count * 8` bits remain, and `stored` can be read a whole word at a time up to the
    /// word that holds its last octet (``EXIKnownStrings`` pads its octets for that).
    @inlinable
    func nextOctetsEqual(_ stored: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        var difference: UInt64 = 0
        while index < count {
            let left = count &- index
            let storedWord = UInt64(bigEndian: UnsafeRawPointer(stored + index).loadUnaligned(as: UInt64.self))
            difference |= Self.leadingOctets(self.realignedWord(index) ^ storedWord, left)
            index &+= 8
        }
        return difference == 0
    }

    /// Reads `count` octets at any bit offset; the caller has checked that `count * 8` bits remain.
    ///
    /// The array is made from the input octets as they lie; when they do not start on a byte boundary the realigned
    /// octets (``copyOctets(into:_:)``) then overwrite them: that way of making an array is specialized for `UInt8`, while `Array(unsafeUninitializedCapacity:)`
    /// and `Array(repeating:count:)` look the storage type up at run time (80 % more per array in a micro-benchmark).
    @inlinable
    mutating func readOctets(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var octets = Array(UnsafeBufferPointer(start: self.base + (self.position >> 3), count: count))
        if self.position & 7 == 0 {
            self.position &+= count &* 8
        } else {
            octets.withUnsafeMutableBufferPointer { buffer in
                guard let address = buffer.baseAddress else { return }
                self.copyOctets(into: address, count)
            }
        }
        return octets
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
            let last = self.base[(self.bitCount >> 3) &- 1]
            guard last & UInt8((1 << remaining) - 1) == 0 else {
                throw .trailingData("non-zero padding bits", atBit: self.bitPosition)
            }
        }
    }
}
