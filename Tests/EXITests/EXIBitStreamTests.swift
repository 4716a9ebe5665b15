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
