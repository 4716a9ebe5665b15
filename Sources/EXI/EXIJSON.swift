/// The JSON form of the generated messages: objects keyed by the schema's element and attribute names, binary values
/// as upper-case hexadecimal strings, choices and substitution groups as an object with a single key (the element
/// name).
public struct EXIJSONKey: CodingKey, Hashable, Sendable, ExpressibleByStringLiteral {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { self.stringValue = name }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
    public init(stringLiteral value: String) { self.stringValue = value }
}

/// Hexadecimal text of binary values.
public enum EXIHex {
    /// Upper-case hexadecimal digits of `bytes`.
    public static func string(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a hexadecimal string (either case, no separators), or `nil`.
    public static func bytes(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

extension KeyedEncodingContainer where Key == EXIJSONKey {
    public mutating func encodeHex(_ value: [UInt8], forKey key: Key) throws {
        try self.encode(EXIHex.string(value), forKey: key)
    }
    public mutating func encodeHexIfPresent(_ value: [UInt8]?, forKey key: Key) throws {
        if let value { try self.encodeHex(value, forKey: key) }
    }
    public mutating func encodeHexArray(_ value: [[UInt8]], forKey key: Key) throws {
        if !value.isEmpty { try self.encode(value.map(EXIHex.string), forKey: key) }
    }
    public mutating func encodeArray<T: Encodable>(_ value: [T], forKey key: Key) throws {
        if !value.isEmpty { try self.encode(value, forKey: key) }
    }
}

extension KeyedDecodingContainer where Key == EXIJSONKey {
    public func decodeHex(forKey key: Key) throws -> [UInt8] {
        let text = try self.decode(String.self, forKey: key)
        guard let bytes = EXIHex.bytes(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not hexadecimal")
        }
        return bytes
    }
    public func decodeHexIfPresent(forKey key: Key) throws -> [UInt8]? {
        guard self.contains(key) else { return nil }
        return try self.decodeHex(forKey: key)
    }
    public func decodeHexArray(forKey key: Key) throws -> [[UInt8]] {
        guard let texts = try self.decodeIfPresent([String].self, forKey: key) else { return [] }
        return try texts.map { text in
            guard let bytes = EXIHex.bytes(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not hexadecimal")
            }
            return bytes
        }
    }
    public func decodeArray<T: Decodable>(_ type: [T].Type, forKey key: Key) throws -> [T] {
        try self.decodeIfPresent(type, forKey: key) ?? []
    }
    /// The single key of a choice object.
    public func singleKey() throws -> Key {
        guard self.allKeys.count == 1, let key = self.allKeys.first else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: self.codingPath, debugDescription: "expected one element name"))
        }
        return key
    }
    public func unknownKey(_ key: Key) -> DecodingError {
        DecodingError.dataCorruptedError(
            forKey: key, in: self, debugDescription: "unknown element \(key.stringValue)")
    }
}

extension KeyedDecodingContainer where Key == EXIJSONKey {
    /// `value`, or a `keyNotFound` error naming the choice's field when no alternative was present.
    public func required<T>(_ value: T?, _ field: String) throws -> T {
        guard let value else {
            throw DecodingError.keyNotFound(
                EXIJSONKey(field),
                DecodingError.Context(codingPath: self.codingPath, debugDescription: "no alternative of \(field) present"))
        }
        return value
    }
}
