/// A value with a strict JSON form: decoding checks what the OCPP JSON schema says (types, required members,
/// unknown members, maxLength, enums, number ranges, date-time format), encoding writes the schema's form.
public protocol OCPPJSONCodable: Sendable, Equatable {
    /// Decodes and validates `json`.
    /// - Throws: ``OCPPMessagesError`` whose `detail` names the offending path.
    init(json: JSONValue) throws(OCPPMessagesError)
    /// The JSON form.
    var json: JSONValue { get }
}

/// A request payload with its action name and response type.
public protocol OCPPRequestPayload: OCPPJSONCodable {
    associatedtype Response: OCPPJSONCodable
    /// The OCPP action name, e.g. `"BootNotification"`.
    static var action: String { get }
    /// The protocol version the type belongs to.
    static var version: OCPPVersion { get }
}

/// The OCPP-J protocol versions, named by their WebSocket subprotocol.
public enum OCPPVersion: String, Sendable, Hashable, CaseIterable {
    /// OCPP 1.6 edition 2, JSON (OCPP-J 1.6), with the 1.6 security whitepaper messages.
    case v16 = "ocpp1.6"
    /// OCPP 2.0.1 (edition 2 errata applied to the JSON schemas of the OCA distribution).
    case v201 = "ocpp2.0.1"

    /// The WebSocket subprotocol token (`Sec-WebSocket-Protocol`).
    public var subprotocol: String { rawValue }
}

extension String: OCPPJSONCodable {
    public init(json: JSONValue) throws(OCPPMessagesError) {
        guard case .string(let s) = json else { throw .typeMismatch(expected: "string", got: json) }
        self = s
    }
    public var json: JSONValue { .string(self) }
}

extension Int: OCPPJSONCodable {
    /// JSON Schema draft-06 `integer`: an integer literal, or a number whose fraction is zero, within Int range.
    public init(json: JSONValue) throws(OCPPMessagesError) {
        switch json {
        case .integer(let i):
            guard let value = Int(exactly: i) else { throw .make(.propertyConstraintViolation, "integer out of range") }
            self = value
        case .double(let d):
            guard d.rounded() == d, let value = Int(exactly: d) else {
                throw .typeMismatch(expected: "integer", got: json)
            }
            self = value
        default:
            throw .typeMismatch(expected: "integer", got: json)
        }
    }
    public var json: JSONValue { .integer(Int64(self)) }
}

extension Double: OCPPJSONCodable {
    public init(json: JSONValue) throws(OCPPMessagesError) {
        switch json {
        case .integer(let i): self = Double(i)
        case .double(let d): self = d
        default: throw .typeMismatch(expected: "number", got: json)
        }
    }
    public var json: JSONValue { .double(self) }
}

extension Bool: OCPPJSONCodable {
    public init(json: JSONValue) throws(OCPPMessagesError) {
        guard case .bool(let b) = json else { throw .typeMismatch(expected: "boolean", got: json) }
        self = b
    }
    public var json: JSONValue { .bool(self) }
}

extension JSONValue: OCPPJSONCodable {
    /// Schema `{}` (any JSON value), e.g. `DataTransfer.data` in 2.0.1.
    public init(json: JSONValue) throws(OCPPMessagesError) { self = json }
    public var json: JSONValue { self }
}

extension Array: OCPPJSONCodable where Element: OCPPJSONCodable {
    public init(json: JSONValue) throws(OCPPMessagesError) {
        guard case .array(let elements) = json else { throw .typeMismatch(expected: "array", got: json) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for (offset, element) in elements.enumerated() {
            do throws(OCPPMessagesError) {
                result.append(try Element(json: element))
            } catch {
                throw error.prefixed(String(offset))
            }
        }
        self = result
    }
    public var json: JSONValue { .array(self.map(\.json)) }
}

/// String enumerations of the schemas decode through their raw value; an unknown value is a
/// PropertyConstraintViolation.
public protocol OCPPStringEnum: OCPPJSONCodable, RawRepresentable, CaseIterable where RawValue == String {}

extension OCPPStringEnum {
    public init(json: JSONValue) throws(OCPPMessagesError) {
        guard case .string(let s) = json else { throw .typeMismatch(expected: "string", got: json) }
        guard let value = Self(rawValue: s) else {
            throw .make(.propertyConstraintViolation, "\"\(s.prefix(64))\" is not one of the \(Self.self) values")
        }
        self = value
    }
    public var json: JSONValue { .string(rawValue) }
}

extension OCPPMessagesError {
    @inline(never)
    static func typeMismatch(expected: String, got: JSONValue, file: String = #fileID, line: Int = #line) -> Self {
        .make(.typeConstraintViolation, "expected \(expected), got \(got.typeName)", file: file, line: line)
    }

    /// The same error with `component` put in front of its path (errors bubble up from the leaf).
    func prefixed(_ component: String) -> Self {
        let newPath = path.isEmpty ? component : component + "/" + path
        return Self(
            code: code, detail: detail, messageID: messageID, cause: cause, location: location, path: newPath)
    }
}

/// Reads the members of one JSON object for generated `init(json:)`: each member is taken at most once, and
/// ``finish()`` rejects members the schema does not define.
public struct JSONObjectDecoder {
    let members: [JSONMember]
    var taken = 0

    public init(_ json: JSONValue) throws(OCPPMessagesError) {
        guard case .object(let members) = json else {
            throw .make(.typeConstraintViolation, "expected object, got \(json.typeName)")
        }
        self.members = members
    }

    @usableFromInline
    mutating func take(_ key: String) -> JSONValue? {
        for member in members where member.key == key {
            taken += 1
            return member.value
        }
        return nil
    }

    /// A required member.
    public mutating func required<T: OCPPJSONCodable>(_ key: String) throws(OCPPMessagesError) -> T {
        guard let value = take(key) else {
            throw OCPPMessagesError.make(.occurrenceConstraintViolation, "required property missing").prefixed(key)
        }
        do throws(OCPPMessagesError) {
            return try T(json: value)
        } catch {
            throw error.prefixed(key)
        }
    }

    /// An optional member (absent → nil; `null` is a type violation, as in the schemas).
    public mutating func optional<T: OCPPJSONCodable>(_ key: String) throws(OCPPMessagesError) -> T? {
        guard let value = take(key) else { return nil }
        do throws(OCPPMessagesError) {
            return try T(json: value)
        } catch {
            throw error.prefixed(key)
        }
    }

    /// Rejects members the schema does not define (`additionalProperties: false`).
    public func finish(known: [String]) throws(OCPPMessagesError) {
        guard taken != members.count else { return }
        for member in members where !known.contains(member.key) {
            throw OCPPMessagesError.make(.formatViolation, "property not defined by the schema")
                .prefixed(String(member.key.prefix(64)))
        }
    }

    /// The members not defined by the schema (for `CustomDataType`, whose schema allows any extra property).
    public func remaining(known: [String]) -> [JSONMember] {
        members.filter { !known.contains($0.key) }
    }
}

/// Constraint checks the generated decoders call after reading a member.
public enum JSONCheck {
    /// `maxLength`: counted in Unicode scalars, as JSON Schema counts characters.
    public static func maxLength(_ value: String?, _ limit: Int, _ key: String) throws(OCPPMessagesError) {
        guard let value else { return }
        if value.utf8.count <= limit { return }
        let count = value.unicodeScalars.count
        if count > limit {
            throw OCPPMessagesError.make(.propertyConstraintViolation, "longer than \(limit) characters (\(count))")
                .prefixed(key)
        }
    }

    /// `maxLength` on each string of an array.
    public static func maxLength(each values: [String]?, _ limit: Int, _ key: String) throws(OCPPMessagesError) {
        guard let values else { return }
        for (offset, value) in values.enumerated() {
            do throws(OCPPMessagesError) {
                try maxLength(value, limit, String(offset))
            } catch {
                throw error.prefixed(key)
            }
        }
    }

    /// `minItems` / `maxItems`.
    public static func items<T>(_ values: [T]?, min: Int?, max: Int?, _ key: String) throws(OCPPMessagesError) {
        guard let values else { return }
        if let min, values.count < min {
            throw OCPPMessagesError.make(.occurrenceConstraintViolation, "fewer than \(min) items").prefixed(key)
        }
        if let max, values.count > max {
            throw OCPPMessagesError.make(.occurrenceConstraintViolation, "more than \(max) items").prefixed(key)
        }
    }

    /// `minimum` / `maximum` on an integer or number.
    public static func range<T: BinaryInteger>(_ value: T?, min: Double?, max: Double?, _ key: String)
        throws(OCPPMessagesError)
    {
        guard let value else { return }
        try range(Double(value), min: min, max: max, key)
    }

    public static func range(_ value: Double?, min: Double?, max: Double?, _ key: String) throws(OCPPMessagesError) {
        guard let value else { return }
        if let min, value < min {
            throw OCPPMessagesError.make(.propertyConstraintViolation, "less than minimum \(min)").prefixed(key)
        }
        if let max, value > max {
            throw OCPPMessagesError.make(.propertyConstraintViolation, "greater than maximum \(max)").prefixed(key)
        }
    }
}

/// Builds the JSON object of a generated type, in schema property order, omitting absent optionals.
public struct JSONObjectEncoder {
    public var members: [JSONMember] = []

    public init(capacity: Int) { members.reserveCapacity(capacity) }

    public mutating func add<T: OCPPJSONCodable>(_ key: String, _ value: T?) {
        if let value { members.append(JSONMember(key, value.json)) }
    }

    public var value: JSONValue { .object(members) }
}
