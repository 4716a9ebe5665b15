import EXI
import Testing

@Suite struct EXIBitStreamTests {
    @Test("[EXI 1.0 §7.1.6] unsigned integers round-trip in 7-bit groups, least significant first")
    func unsignedIntegers() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 16383, 16384, 1 << 35, UInt64.max] {
            var w = EXIBitWriter()
            w.writeBits(1, count: 3)  // unaligned on purpose
            w.writeUnsignedInteger(value)
            var r = EXIBitReader(w.bytes)
            #expect(try r.readBits(3) == 1)
            #expect(try r.readUnsignedInteger() == value)
        }
        var w = EXIBitWriter()
        w.writeUnsignedInteger(300)
        #expect(w.bytes == [0xAC, 0x02])
    }

    @Test("[EXI 1.0 §7.1.6] unsigned integers of one, two and more octets read at each bit offset, from a window (8 octets or more left) and group by group (fewer); a value cut inside any octet is truncated at the end of the input")
    func unsignedIntegersAtEveryOffset() throws {
        for offset in 0..<8 {
            for value: UInt64 in [0, 1, 127, 128, 129, 255, 256, 16383, 16384, 2_097_151, 2_097_152, 1 << 56, UInt64.max] {
                // Followed by 0 to 9 octets: with 8 or more the reader loads a window at the integer's first octet.
                for tail in [0, 1, 7, 8, 9] {
                    let bytes = Self.framed(offset: offset, tail: tail) { $0.writeUnsignedInteger(value) }
                    try Self.readFramed(bytes, offset: offset, tail: tail) { r in
                        let read = try r.readUnsignedInteger()
                        #expect(read == value, "offset \(offset), value \(value), tail \(tail)")
                    }
                }
                var w = EXIBitWriter()
                w.writeBits(0x55, count: offset)
                w.writeUnsignedInteger(value)
                let octets = w.bitPosition / 8 - offset / 8
                w.writeBits(0b110, count: 3)
                var r = EXIBitReader(w.bytes)
                _ = try r.readBits(offset)
                #expect(try r.readUnsignedInteger() == value, "offset \(offset), value \(value)")
                #expect(try r.readBits(3) == 0b110)
                // Every prefix that ends inside the integer's octets.
                var cut = EXIBitWriter()
                cut.writeBits(0x55, count: offset)
                cut.writeUnsignedInteger(value)
                let full = cut.bytes
                for keep in 1..<(octets + (offset > 0 ? 1 : 0)) where keep < full.count {
                    var short = EXIBitReader(Array(full.prefix(keep)))
                    _ = try short.readBits(offset)
                    #expect(throws: EXIError.self, "offset \(offset), value \(value), \(keep) octets") {
                        _ = try short.readUnsignedInteger()
                    }
                }
            }
        }
    }

    @Test("[EXI 1.0 §7.1.5] signed integers: sign bit, then magnitude (negative values offset by one)")
    func signedIntegers() throws {
        for value: Int64 in [0, 1, -1, 63, -64, 1000, -1000, Int64.max, Int64.min] {
            var w = EXIBitWriter()
            w.writeInteger(value)
            var r = EXIBitReader(w.bytes)
            #expect(try r.readInteger() == value)
        }
        var w = EXIBitWriter()
        w.writeInteger(-1)
        #expect(w.bytes == [0x80, 0x00])  // sign 1, magnitude 0
    }

    @Test("[EXI 1.0 §7.1.10] strings are length+2 then code points; string-table hits are rejected")
    func strings() throws {
        var w = EXIBitWriter()
        w.writeString("urn:din")
        #expect(w.bytes == [9] + Array("urn:din".utf8))
        var r = EXIBitReader(w.bytes)
        #expect(try r.readString(maxLength: nil) == "urn:din")
        var hit = EXIBitReader([0x00])
        do {
            _ = try hit.readString(maxLength: nil)
        } catch {
            #expect(error.code == .stringTableHit)
        }
        var long = EXIBitReader([12] + Array("0123456789".utf8))
        do {
            _ = try long.readString(maxLength: 5)
            Issue.record("no error")
        } catch {
            #expect(error.code == .lengthLimitExceeded)
        }
    }

    @Test("Lengths beyond the remaining input are rejected before allocating")
    func hugeLengths() throws {
        var w = EXIBitWriter()
        w.writeUnsignedInteger(UInt64(1) << 40)
        var r = EXIBitReader(w.bytes)
        do {
            _ = try r.readBinary(maxLength: nil)
            Issue.record("no error")
        } catch {
            #expect(error.code == .truncated)
        }
        var s = EXIBitReader(w.bytes)
        do {
            _ = try s.readString(maxLength: nil)
            Issue.record("no error")
        } catch {
            #expect(error.code == .truncated)
        }
    }

    @Test("An unsigned integer wider than 64 bits is out of range, not a trap")
    func overlongInteger() throws {
        var r = EXIBitReader([UInt8](repeating: 0xFF, count: 11) + [0x01])
        do {
            _ = try r.readUnsignedInteger()
            Issue.record("no error")
        } catch {
            #expect(error.code == .valueOutOfRange)
        }
    }

    @Test("n-bit values, binary and booleans round-trip at any bit offset")
    func mixed() throws {
        var w = EXIBitWriter()
        w.writeBits(0b101, count: 3)
        w.writeBinary([1, 2, 3])
        w.writeBoolean(true)
        try w.writeBoundedInteger(-2, bits: 3, min: -3, max: 3)
        w.writeBits(0x1FF, count: 9)
        var r = EXIBitReader(w.bytes)
        #expect(try r.readBits(3) == 0b101)
        #expect(try r.readBinary(maxLength: 3) == [1, 2, 3])
        #expect(try r.readBoolean())
        #expect(try r.readBoundedInteger(bits: 3, min: -3, max: 3) == -2)
        #expect(try r.readBits(9) == 0x1FF)
        try r.checkEnd()
    }

    @Test("[EXI 1.0 §7.1.1] binary values of 0 to 300 octets, written at each of the 8 bit offsets, and followed by 0 to 24 octets, equal the stream written an octet at a time and read back (octets on a byte boundary are copied as they lie, others realigned)")
    func binaryAtEveryOffset() throws {
        for offset in 0..<8 {
            // Lengths around the 32-octet vector rounds, the writer's 16-octet rounds and 8-octet words, and past them.
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 48, 63, 64, 65, 95, 96, 97, 300] {
                let value = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ offset) }
                // Octets after the value: the reader loads whole words only where the input holds them.
                for tail in [0, 1, 8, 9, 17, 24] {
                    let bytes = Self.framed(offset: offset, tail: tail) { $0.writeBinary(value) }
                    // The same stream an octet at a time.
                    let reference = Self.framed(offset: offset, tail: tail) { w in
                        w.writeUnsignedInteger(UInt64(length))
                        for octet in value { w.writeBits(UInt64(octet), count: 8) }
                    }
                    #expect(bytes == reference, "offset \(offset), \(length) octets, tail \(tail)")
                    try Self.readFramed(bytes, offset: offset, tail: tail) { r in
                        let read = try r.readBinary(maxLength: nil)
                        #expect(read == value, "offset \(offset), \(length) octets, tail \(tail)")
                    }
                }
            }
        }
    }

    /// `offset` bits 0x2D..., what `body` writes, the bits 011, then `tail` octets 0x96 ^ index.
    static func framed(offset: Int, tail: Int, _ body: (inout EXIBitWriter) -> Void) -> [UInt8] {
        var w = EXIBitWriter()
        w.writeBits(0x2D, count: offset)
        body(&w)
        w.writeBits(0b011, count: 3)
        for index in 0..<tail { w.writeBits(UInt64(0x96 ^ index), count: 8) }
        return w.bytes
    }

    /// Reads a stream of `framed`: the prefix, then `body`, then checks the marker, the tail and the end.
    static func readFramed(
        _ bytes: [UInt8], offset: Int, tail: Int, _ body: (inout EXIBitReader) throws -> Void
    ) throws {
        var r = EXIBitReader(bytes)
        #expect(try r.readBits(offset) == 0x2D & ((1 << UInt64(offset)) - 1))
        try body(&r)
        #expect(try r.readBits(3) == 0b011)
        for index in 0..<tail { #expect(try r.readBits(8) == UInt64(0x96 ^ index)) }
        try r.checkEnd()
    }

    @Test("[EXI 1.0 §7.1.10] strings of 0 to 20 characters read at each bit offset with 0 to 24 octets after them: ASCII ones in one piece, others (a non-ASCII character at any place) code point by code point, both equal to the stream written a character at a time")
    func stringsAtEveryOffset() throws {
        for offset in 0..<8 {
            for length in 0...20 {
                let ascii = (0..<length).map { Character(Unicode.Scalar(UInt8(0x21 &+ ($0 &* 7 &+ offset) % 90))) }
                var texts = [String(ascii)]
                for place in [0, length / 2, length - 1] where length > 0 {
                    var other = ascii
                    other[place] = place % 2 == 0 ? "é" : "\u{1F50C}"
                    texts.append(String(other))
                }
                for text in texts {
                    for tail in [0, 1, 7, 8, 16, 24] {
                        let bytes = Self.framed(offset: offset, tail: tail) { $0.writeString(text) }
                        // The same stream a character at a time.
                        let reference = Self.framed(offset: offset, tail: tail) { w in
                            w.writeUnsignedInteger(UInt64(text.unicodeScalars.count + 2))
                            for scalar in text.unicodeScalars { w.writeUnsignedInteger(UInt64(scalar.value)) }
                        }
                        #expect(bytes == reference, "offset \(offset), \(text.debugDescription), tail \(tail)")
                        try Self.readFramed(reference, offset: offset, tail: tail) { r in
                            let read = try r.readString(maxLength: nil)
                            #expect(read == text, "offset \(offset), \(text.debugDescription), tail \(tail)")
                        }
                    }
                }
            }
        }
    }

    @Test("[EXI 1.0 §8.5.4] a run of constant 0 event codes is skipped in one check only when every bit is 0 and present; otherwise nothing is read")
    func skipZeroBitsAtEveryOffset() throws {
        for offset in 0..<8 {
            for count in 1...9 {
                // Zeros after `offset` one-bits, then a one-bit: skipped, and the one-bit is next.
                var w = EXIBitWriter()
                w.writeBits((1 << UInt64(offset)) - 1, count: offset)
                w.writeBits(0, count: count)
                w.writeBits(1, count: 1)
                var r = EXIBitReader(w.bytes)
                _ = try r.readBits(offset)
                let skipped = r.skipZeroBits(count)
                #expect(skipped, "offset \(offset), \(count) bits")
                #expect(r.bitPosition == offset + count)
                #expect(try r.readBits(1) == 1)
                // A one-bit at each place in the run: not skipped, position unchanged.
                for one in 0..<count {
                    var w = EXIBitWriter()
                    w.writeBits(0, count: offset)
                    w.writeBits(1 << UInt64(count - 1 - one), count: count)
                    var r = EXIBitReader(w.bytes)
                    _ = try r.readBits(offset)
                    let skipped = r.skipZeroBits(count)
                    #expect(!skipped, "offset \(offset), \(count) bits, one at \(one)")
                    #expect(r.bitPosition == offset)
                }
                // Input that ends inside the run: not skipped.
                let bytes = [UInt8](repeating: 0, count: (offset + count - 1) / 8 + (((offset + count - 1) % 8 == 0) ? 0 : 1))
                var short = EXIBitReader(bytes)
                _ = try short.readBits(offset)
                if offset + count > bytes.count * 8 {
                    let skipped = short.skipZeroBits(count)
                    #expect(!skipped)
                    #expect(short.bitPosition == offset)
                }
            }
        }
    }

    @Test("[ISO 15118-2 §7.9.1.3] the header is 0x80; anything else, truncation and trailing bytes are errors")
    func headerAndEnd() throws {
        var ok = EXIBitReader([0x80])
        try ok.readHeader()
        try ok.checkEnd()
        var bad = EXIBitReader([0x81])
        #expect(throws: EXIError.self) { try bad.readHeader() }
        var empty = EXIBitReader([])
        do {
            try empty.readHeader()
            Issue.record("no error")
        } catch {
            #expect(error.code == .truncated)
        }
        var trailing = EXIBitReader([0x80, 0x00, 0x00])
        try trailing.readHeader()
        do {
            try trailing.checkEnd()
            Issue.record("no error")
        } catch {
            #expect(error.code == .trailingData)
        }
        var short = EXIBitReader([0x80])
        try short.readHeader()
        #expect(throws: EXIError.self) { try short.readBits(1) }
    }
}

@Suite struct EXIIntegerTests {
    @Test("[EXI 1.0 §7.1.5] integers of any size round-trip, 20-octet certificate serials included")
    func bigIntegers() throws {
        let values: [EXIInteger] = [
            0, 1, -1, 127, -128, EXIInteger(1 << 40), EXIInteger(Int64.max), EXIInteger(Int64.min),
            EXIInteger("1234567890123456789012345678901234567890")!, EXIInteger("-98765432109876543210987654321")!,
            EXIInteger(isNegative: false, magnitude: [UInt8](repeating: 0xFF, count: 20)),
        ]
        for value in values {
            var w = EXIBitWriter()
            w.writeBits(1, count: 1)
            try w.writeBigInteger(value)
            var r = EXIBitReader(w.bytes)
            _ = try r.readBits(1)
            #expect(try r.readBigInteger() == value, "\(value)")
            #expect(EXIInteger(value.description) == value)
        }
        // Same bits as the 64-bit encoder where both apply.
        for v: Int64 in [0, 5, -5, 300, -300, Int64.max, Int64.min] {
            var a = EXIBitWriter()
            a.writeInteger(v)
            var b = EXIBitWriter()
            try b.writeBigInteger(EXIInteger(v))
            #expect(a.bytes == b.bytes, "\(v)")
        }
        #expect(EXIInteger("1234567890123456789012345678901234567890")!.description == "1234567890123456789012345678901234567890")
    }

    @Test("An integer longer than 64 bytes is rejected without unbounded work")
    func hugeInteger() {
        var w = EXIBitWriter()
        w.writeBoolean(false)
        for _ in 0..<200 { w.writeBits(0xFF, count: 8) }
        w.writeBits(0x01, count: 8)
        var r = EXIBitReader(w.bytes)
        do {
            _ = try r.readBigInteger()
            Issue.record("accepted")
        } catch {
            #expect(error.code == .lengthLimitExceeded)
        }
    }
}

@Suite struct EXIKnownStringsTests {
    static let table = EXIKnownStrings(["urn:din:70121:2012:MsgDef", "urn:iso:15118:2:2013:MsgDef", "short", "né"])

    /// The outcome of one read: the value and where the reader stopped, or the error's code and position.
    enum Outcome: Equatable {
        case value(String, Int)
        case error(EXIError.Code, Int?)
    }

    static func read(_ bytes: [UInt8], offset: Int, min: Int, max: Int?, known: EXIKnownStrings?) -> Outcome {
        var r = EXIBitReader(bytes)
        do {
            _ = try r.readBits(offset)
            let value =
                if let known { try r.readString(minLength: min, maxLength: max, known: known) } else {
                    try r.readString(minLength: min, maxLength: max)
                }
            return .value(value, r.bitPosition)
        } catch {
            return .error(error.code, error.bitPosition)
        }
    }

    /// Streams of `text` after `offset` filler bits, whole and cut short.
    static func streams(_ text: String, offset: Int) -> [[UInt8]] {
        var w = EXIBitWriter()
        w.writeBits(1, count: offset)
        w.writeString(text)
        w.writeBits(0x5A, count: 8)
        let whole = w.bytes
        return (1...whole.count).map { Array(whole.prefix($0)) } + [whole]
    }

    @Test("[EXI 1.0 §7.1.10] a known string reads as the table's own storage; values, positions and errors equal the plain read")
    func sameOutcome() throws {
        let texts = [
            "urn:din:70121:2012:MsgDef", "urn:iso:15118:2:2013:MsgDef", "urn:din:70121:2012:MsgDeg", "urn:din:70121:2012:MsgDe",
            "urn:iso:15118:2:2013:MsgDef!", "Urn:iso:15118:2:2013:MsgDef", "short", "shorT", "né", "ne", "", "x",
            "urn:din:70121:2012:MsgDéf",
        ]
        var known = 0
        for text in texts {
            for offset in [0, 1, 3, 7] {
                for bytes in Self.streams(text, offset: offset) {
                    for (min, max) in [(0, nil), (0, 100), (0, 5), (6, nil), (26, 30)] as [(Int, Int?)] {
                        let plain = Self.read(bytes, offset: offset, min: min, max: max, known: nil)
                        let viaTable = Self.read(bytes, offset: offset, min: min, max: max, known: Self.table)
                        #expect(plain == viaTable, "\(text) at offset \(offset), \(bytes.count) bytes, \(min)...\(String(describing: max))")
                        if case .value(let value, _) = viaTable, let stored = Self.table.values.first(where: { $0 == value }),
                            stored.unicodeScalars.allSatisfy(\.isASCII)
                        {
                            // The decoded string shares the table's storage: nothing new was allocated for it.
                            let decodedAddress = value.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
                            let storedAddress = stored.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
                            #expect(decodedAddress == storedAddress)
                            known += 1
                        }
                    }
                }
            }
        }
        #expect(known > 0)
        // A string-table hit (length prefix 0 or 1) is refused the same way.
        for prefix: UInt8 in [0, 1] {
            #expect(Self.read([prefix], offset: 0, min: 0, max: nil, known: Self.table) == .error(.stringTableHit, 0))
        }
    }

    @Test("The table matches exact octets only, and never a non-ASCII value (its characters are read one by one)")
    func matching() {
        func match(_ text: String) -> String? {
            Array(text.utf8).withUnsafeBufferPointer { Self.table.value(matching: $0) }
        }
        #expect(match("short") == "short")
        #expect(match("urn:iso:15118:2:2013:MsgDef") == "urn:iso:15118:2:2013:MsgDef")
        #expect(match("urn:iso:15118:2:2013:MsgDeF") == nil)
        #expect(match("shor") == nil)
        #expect(match("né") == nil)
        #expect(match("") == nil)
        #expect(Self.table.longestUTF8Count == 27)
        #expect(Self.table.values.count == 4)
    }
}

@Suite struct EXIArrayCapacityTests {
    struct Wide { var a: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) }

    @Test("A decoded list reserves what fits in 512 bytes (at least 8 items) and never more than maxOccurs")
    func firstCapacity() {
        #expect(EXIArrayCapacity.first(of: UInt8.self, maxOccurs: 1024) == 512)
        #expect(EXIArrayCapacity.first(of: UInt8.self, maxOccurs: 20) == 20)
        // 16-byte schedule entries: 32, so a day of 24 entries needs one allocation.
        #expect(EXIArrayCapacity.first(of: (Int64, Int64).self, maxOccurs: 1024) == 32)
        #expect(EXIArrayCapacity.first(of: [UInt8].self, maxOccurs: 4) == 4)
        #expect(EXIArrayCapacity.first(of: [UInt8].self, maxOccurs: Int.max) == 64)
        // Items of 128 bytes: 4 would fit, 8 are reserved.
        #expect(EXIArrayCapacity.first(of: Wide.self, maxOccurs: Int.max) == 8)
        #expect(EXIArrayCapacity.first(of: Wide.self, maxOccurs: 1) == 1)
    }
}
