/// A small set of values a string-typed element usually takes (the ProtocolNamespace of the SupportedAppProtocol
/// handshake names one of a handful of message sets). A decoder reading one of them returns the stored `String`
/// instead of building a new one: a string literal longer than `String`'s 15 inline bytes is immortal, so the
/// decoded value then needs no storage of its own. Anything else decodes as before.
///
/// Matching compares octets with the ASCII values (a non-ASCII value is kept but never matched): a value is returned
/// only for input that spells exactly the same characters, so the decoded string is equal to what a new string would
/// have been.
public struct EXIKnownStrings: Sendable {
    /// The values, as given.
    public let values: [String]
    /// The UTF-8 octets of the ASCII values, one after the other (the only ones octets read as single-octet
    /// characters can spell; a non-ASCII value is kept in `values` and never matched), then 8 zero octets: every
    /// value can be read a whole word at a time.
    @usableFromInline let octets: [UInt8]
    /// Per ASCII value: its index in `values`, where its octets start in `octets`, and how many there are.
    @usableFromInline let entries: [Entry]
    /// The length of the longest ASCII value: longer input is never looked up.
    public let longestUTF8Count: Int

    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline let index: Int
        @usableFromInline let start: Int
        @usableFromInline let count: Int
        @usableFromInline init(index: Int, start: Int, count: Int) {
            self.index = index
            self.start = start
            self.count = count
        }
    }

    /// A table of `values`, looked up in this order (duplicates are harmless, the first one wins).
    public init(_ values: [String]) {
        self.values = values
        var octets: [UInt8] = []
        var entries: [Entry] = []
        for (index, value) in values.enumerated() where value.utf8.allSatisfy({ $0 < 0x80 }) {
            entries.append(Entry(index: index, start: octets.count, count: value.utf8.count))
            octets.append(contentsOf: value.utf8)
        }
        self.octets = octets + repeatElement(0, count: 8)
        self.entries = entries
        self.longestUTF8Count = entries.reduce(0) { Swift.max($0, $1.count) }
    }

    /// The stored ASCII value whose UTF-8 octets are exactly `input`, or nil.
    @inlinable
    public func value(matching input: UnsafeBufferPointer<UInt8>) -> String? {
        let n = input.count
        guard n > 0, n <= self.longestUTF8Count, let wanted = input.baseAddress else { return nil }
        return self.firstIndex(count: n) { Self.equal($0, wanted, n) }.map { self.values[$0] }
    }

    /// The index in `values` of the first stored ASCII value of `count` octets whose octets `matches` accepts.
    @inlinable
    func firstIndex(count: Int, where matches: (UnsafePointer<UInt8>) -> Bool) -> Int? {
        self.entries.withUnsafeBufferPointer { entries in
            self.octets.withUnsafeBufferPointer { all in
                guard let stored = all.baseAddress else { return nil }
                for entry in entries where entry.count == count {
                    if matches(stored + entry.start) { return entry.index }
                }
                return nil
            }
        }
    }

    /// Whether `count` octets at `p` and `q` are the same (eight at a time).
    @inlinable
    static func equal(_ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        var difference: UInt64 = 0
        while index &+ 8 <= count {
            difference |=
                UnsafeRawPointer(p + index).loadUnaligned(as: UInt64.self)
                ^ UnsafeRawPointer(q + index).loadUnaligned(as: UInt64.self)
            index &+= 8
        }
        while index < count {
            difference |= UInt64(p[index] ^ q[index])
            index &+= 1
        }
        return difference == 0
    }
}

extension EXIBitReader {
    /// Reads a string value with length facets like ``readString(minLength:maxLength:)``, returning the stored
    /// value of `known` when the characters spell one of them (no new storage); the checks, errors and the
    /// resulting value are the same as without the table.
    @inlinable
    public mutating func readString(minLength: Int, maxLength: Int?, known: EXIKnownStrings) throws(EXIError) -> String {
        let start = self.bitPosition
        let prefix = try self.readUnsignedInteger()
        guard prefix >= 2 else { throw .stringTableHit(atBit: start) }
        let count = prefix &- 2
        // Look up only what the general path would accept as to length: every error stays its own.
        if count > 0, count <= UInt64(known.longestUTF8Count), count <= UInt64(self.remainingBits / 8),
            maxLength.map({ count <= UInt64($0) }) ?? true, count >= UInt64(Swift.max(minLength, 0))
        {
            let n = Int(count)
            // Characters are code points as EXI unsigned integers: when the next `n` octets are all below 0x80,
            // each is one whole character and the string is exactly these `n` ASCII octets. Otherwise (some
            // character takes more than one octet) the general path below reads it. Only ASCII values are
            // matched: equal octets are all below 0x80, each one whole character. They are compared where they
            // are, at any bit offset.
            if let found = known.firstIndex(count: n, where: { self.nextOctetsEqual($0, n) }) {
                self.position &+= n &* 8
                return known.values[found]
            }
        }
        let value = try self.readCharacters(count: count, maxLength: maxLength, start: start)
        if minLength > 0 {
            let characters = EXIFacets.characterCount(value)
            guard characters >= minLength else {
                throw .lengthLimitExceeded("string of \(characters) characters, at least \(minLength) needed", atBit: start)
            }
        }
        return value
    }
}
