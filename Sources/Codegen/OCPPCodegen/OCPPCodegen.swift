import Foundation
import OCPPMessages

/// Generates the OCPP message types of one protocol version from the OCA JSON schemas.
///
/// Deterministic: files are read in name order, shared definitions are emitted once (their structure, apart from
/// `description`/`javaType`, must agree across files), and every output file names the schema files it comes from
/// with their sha256.
public struct OCPPCodegen {
    public enum Version: String, Sendable, CaseIterable {
        case v201, v16
        /// The Swift namespace of the generated types.
        var namespace: String { self == .v201 ? "V201" : "V16" }
        var versionCase: String { self == .v201 ? ".v201" : ".v16" }
        var title: String { self == .v201 ? "OCPP 2.0.1" : "OCPP 1.6" }
    }

    public struct GeneratedFile: Sendable, Equatable {
        /// Path relative to the output folder, e.g. `V201/Authorize.swift`.
        public let path: String
        public let contents: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let version: Version
    let schemaRoot: String
    var definitions: [String: TypeDecl] = [:]
    var definitionShapes: [String: JSONValue] = [:]
    var definitionSources: [String: [String]] = [:]

    /// Generates all files for `version` from `<schemaRoot>/<version>/*.json` (schemaRoot is the folder holding
    /// `v201` and `v16`).
    public static func generate(schemaRoot: String, version: Version) throws -> [GeneratedFile] {
        var generator = OCPPCodegen(version: version, schemaRoot: schemaRoot)
        return try generator.run()
    }

    struct Schema {
        let fileName: String
        let sha256: String
        let root: JSONValue
    }

    mutating func run() throws -> [GeneratedFile] {
        let folder = schemaRoot + "/" + version.rawValue
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
        var schemas: [String: Schema] = [:]
        for name in names {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else {
                throw Failure(description: "cannot read \(folder)/\(name)")
            }
            var bytes = [UInt8](data)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // some OCA files carry a BOM
            let root: JSONValue
            do { root = try JSONValue.parse(bytes) } catch { throw Failure(description: "\(name): \(error)") }
            schemas[name] = Schema(fileName: name, sha256: SHA256.hex([UInt8](data)), root: root)
        }
        // Pair requests and responses by action.
        var actions: [(action: String, request: Schema, response: Schema)] = []
        for name in names {
            let base = String(name.dropLast(5))
            let action: String
            switch version {
            case .v201:
                guard base.hasSuffix("Request") else { continue }
                action = String(base.dropLast(7))
            case .v16:
                guard !base.hasSuffix("Response") else { continue }
                action = base
            }
            guard let request = schemas[name], let response = schemas[action + "Response.json"] else {
                throw Failure(description: "no response schema for \(name)")
            }
            actions.append((action, request, response))
        }
        var files: [GeneratedFile] = []
        for (action, request, response) in actions {
            var decls: [TypeDecl] = []
            for (schema, kind) in [(request, "Request"), (response, "Response")] {
                try collectDefinitions(schema)
                var object = try objectDecl(
                    name: action + kind, schema: schema.root, file: schema.fileName)
                if kind == "Request" { object.requestAction = action }
                decls.append(.object(object))
            }
            var out = header(sources: [request, response])
            out += "extension \(version.namespace) {\n"
            for decl in decls { out += render(decl, indent: "    ") + "\n" }
            out.removeLast()
            out += "}\n"
            files.append(GeneratedFile(path: "\(version.namespace)/\(version.namespace)+\(action).swift", contents: out))
        }
        // Shared definitions.
        var out = header(sources: Set(definitionSources.values.flatMap { $0 }).sorted().compactMap { schemas[$0] })
        out += "extension \(version.namespace) {\n"
        let defNames = definitions.keys.sorted()
        for (offset, name) in defNames.enumerated() {
            guard let decl = definitions[name] else { continue }
            out += render(decl, indent: "    ")
            if offset < defNames.count - 1 { out += "\n" }
        }
        out += "}\n"
        files.append(GeneratedFile(path: "\(version.namespace)/\(version.namespace)+Definitions.swift", contents: out))
        files.append(
            GeneratedFile(
                path: "\(version.namespace)/\(version.namespace).swift",
                contents: renderActions(actions.map { ($0.action, $0.request, $0.response) })))
        return files
    }

    func header(sources: [Schema]) -> String {
        var out = "// DO NOT EDIT. Generated by ocpp-codegen from "
        let list = sources.map { "ocpp/\(version.rawValue)/\($0.fileName) (sha256 \($0.sha256))" }
        if list.count <= 2 {
            out += list.joined(separator: ", ") + "\n"
        } else {
            out += "\(list.count) schema files:\n"
            for item in list { out += "//   \(item)\n" }
        }
        out += "// Regenerate with dev/regenerate.sh.\n// swift-format-ignore-file\n\n"
        return out
    }

    // MARK: - Model

    indirect enum FieldType {
        case string
        case integer
        case number
        case boolean
        case dateTime
        case any
        case named(String)
        case array(FieldType)

        var swift: String {
            switch self {
            case .string: "String"
            case .integer: "Int"
            case .number: "Double"
            case .boolean: "Bool"
            case .dateTime: "OCPPDateTime"
            case .any: "JSONValue"
            case .named(let name): name
            case .array(let element): "[\(element.swift)]"
            }
        }
    }

    struct Field {
        var jsonName: String
        var swiftName: String
        var type: FieldType
        var required: Bool
        var description: String?
        var maxLength: Int?
        var elementMaxLength: Int?
        var minimum: Double?
        var maximum: Double?
        var minItems: Int?
        var maxItems: Int?
    }

    struct ObjectDecl {
        var name: String
        var schemaName: String
        var description: String?
        var fields: [Field]
        var openForExtraProperties: Bool
        var nested: [TypeDecl]
        var requestAction: String?
        var responseTo: String?
    }

    struct EnumDecl {
        var name: String
        var schemaName: String
        var description: String?
        var values: [String]
    }

    enum TypeDecl {
        case object(ObjectDecl)
        case enumeration(EnumDecl)
    }

    // MARK: - Schema reading

    static func stripTypeSuffix(_ name: String) -> String {
        name.hasSuffix("Type") && name.count > 4 ? String(name.dropLast(4)) : name
    }

    /// Registers the `definitions` of a schema file (shared across files; identical structure required).
    mutating func collectDefinitions(_ schema: Schema) throws {
        guard case .object(let members)? = schema.root["definitions"] else { return }
        for member in members {
            let shape = Self.shape(member.value)
            let name = Self.stripTypeSuffix(member.key)
            definitionSources[member.key, default: []].append(schema.fileName)
            if let existing = definitionShapes[member.key] {
                guard existing == shape else {
                    throw Failure(description: "definition \(member.key) differs in \(schema.fileName)")
                }
                continue
            }
            definitionShapes[member.key] = shape
            let decl: TypeDecl
            if member.value["enum"] != nil {
                decl = .enumeration(try enumDecl(name: name, schemaName: member.key, schema: member.value))
            } else {
                decl = .object(try objectDecl(name: name, schema: member.value, file: schema.fileName, schemaName: member.key))
            }
            definitions[name] = decl
        }
    }

    /// The structure of a schema without the prose (`description`, `javaType`, `comment`).
    static func shape(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.filter { !["description", "javaType", "comment"].contains($0.key) }
                    .map { JSONMember($0.key, shape($0.value)) }
                    .sorted { $0.key < $1.key })
        case .array(let elements): return .array(elements.map(shape))
        default: return value
        }
    }

    func enumDecl(name: String, schemaName: String, schema: JSONValue) throws -> EnumDecl {
        guard case .array(let values)? = schema["enum"] else { throw Failure(description: "\(name): no enum") }
        return EnumDecl(
            name: name, schemaName: schemaName, description: Self.clean(schema["description"]?.stringValue),
            values: values.compactMap(\.stringValue))
    }

    func objectDecl(name: String, schema: JSONValue, file: String, schemaName: String? = nil) throws -> ObjectDecl {
        var nested: [TypeDecl] = []
        var fields: [Field] = []
        var required: [String] = []
        if case .array(let list)? = schema["required"] { required = list.compactMap(\.stringValue) }
        if case .object(let properties)? = schema["properties"] {
            for property in properties {
                var field = Field(
                    jsonName: property.key, swiftName: Self.identifier(property.key), type: .any,
                    required: required.contains(property.key),
                    description: Self.clean(property.value["description"]?.stringValue))
                field.type = try fieldType(
                    property.value, field: &field, owner: name, propertyName: property.key, nested: &nested,
                    file: file, isElement: false)
                fields.append(field)
            }
        }
        for key in required where !fields.contains(where: { $0.jsonName == key }) {
            throw Failure(description: "\(file): \(name) requires undefined property \(key)")
        }
        let open: Bool
        if case .bool(false)? = schema["additionalProperties"] { open = false } else { open = true }
        return ObjectDecl(
            name: name, schemaName: schemaName ?? name, description: Self.clean(schema["description"]?.stringValue),
            fields: fields, openForExtraProperties: open, nested: nested)
    }

    func fieldType(
        _ schema: JSONValue, field: inout Field, owner: String, propertyName: String, nested: inout [TypeDecl],
        file: String, isElement: Bool
    ) throws -> FieldType {
        if let ref = schema["$ref"]?.stringValue {
            let prefix = "#/definitions/"
            guard ref.hasPrefix(prefix) else { throw Failure(description: "\(file): unsupported $ref \(ref)") }
            return .named(Self.stripTypeSuffix(String(ref.dropFirst(prefix.count))))
        }
        func number(_ key: String) -> Double? {
            switch schema[key] {
            case .integer(let i)?: Double(i)
            case .double(let d)?: d
            default: nil
            }
        }
        func integer(_ key: String) -> Int? {
            if case .integer(let i)? = schema[key] { return Int(i) }
            return nil
        }
        let type = schema["type"]?.stringValue
        if schema["enum"] != nil {
            let nestedName = Self.nestedTypeName(propertyName)
            nested.append(.enumeration(try enumDecl(name: nestedName, schemaName: nestedName, schema: schema)))
            return .named(nestedName)
        }
        switch type {
        case "string":
            if isElement { field.elementMaxLength = integer("maxLength") } else { field.maxLength = integer("maxLength") }
            return schema["format"]?.stringValue == "date-time" ? .dateTime : .string
        case "integer":
            field.minimum = number("minimum")
            field.maximum = number("maximum")
            return .integer
        case "number":
            field.minimum = number("minimum")
            field.maximum = number("maximum")
            return .number
        case "boolean":
            return .boolean
        case "array":
            field.minItems = integer("minItems")
            field.maxItems = integer("maxItems")
            guard let items = schema["items"] else { throw Failure(description: "\(file): array without items") }
            let singular = Self.singular(propertyName)
            return .array(
                try fieldType(
                    items, field: &field, owner: owner, propertyName: singular, nested: &nested, file: file,
                    isElement: true))
        case "object":
            let nestedName = Self.nestedTypeName(propertyName)
            nested.append(.object(try objectDecl(name: nestedName, schema: schema, file: file)))
            return .named(nestedName)
        case nil:
            return .any
        default:
            throw Failure(description: "\(file): unsupported type \(type ?? "?") at \(owner).\(propertyName)")
        }
    }

    static func singular(_ name: String) -> String {
        name
    }

    static let reservedTypeNames: Set<String> = ["Type", "Protocol", "Self", "Any", "String", "Int", "Double", "Bool"]

    static func nestedTypeName(_ propertyName: String) -> String {
        let name = propertyName.prefix(1).uppercased() + propertyName.dropFirst()
        return reservedTypeNames.contains(name) ? name + "Value" : name
    }

    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer",
        "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where",
        "while", "as", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "Any", "Type",
    ]

    static func identifier(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    static func caseName(_ raw: String) -> String {
        let parts = raw.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        var out = ""
        for (offset, part) in parts.enumerated() {
            if offset == 0 {
                let chars = Array(part)
                var upper = 0
                while upper < chars.count, chars[upper].isUppercase { upper += 1 }
                if upper == 0 {
                    out += part
                } else if upper == 1 || upper == chars.count || !chars[upper].isLowercase {
                    out += String(chars[0..<upper]).lowercased() + String(chars[upper...])
                } else {
                    out += String(chars[0..<(upper - 1)]).lowercased() + String(chars[(upper - 1)...])
                }
            } else {
                out += part.prefix(1).uppercased() + part.dropFirst()
            }
        }
        if out.isEmpty { out = "empty" }
        if let first = out.first, first.isNumber { out = "_" + out }
        return identifier(out)
    }

    static func clean(_ text: String?) -> String? {
        guard let text else { return nil }
        let words = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ", omittingEmptySubsequences: true)
        let joined = words.joined(separator: " ")
        return joined.isEmpty ? nil : joined
    }

    // MARK: - Rendering

    static func docLines(_ text: String?, indent: String, width: Int = 110) -> String {
        guard let text else { return "" }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + word.count + 1 > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { "\(indent)/// \($0)\n" }.joined()
    }

    func render(_ decl: TypeDecl, indent: String) -> String {
        switch decl {
        case .enumeration(let e): return renderEnum(e, indent: indent)
        case .object(let o): return renderObject(o, indent: indent)
        }
    }

    func renderEnum(_ e: EnumDecl, indent: String) -> String {
        var out = Self.docLines(e.description, indent: indent)
        out += "\(indent)/// Schema: `\(e.schemaName)` (\(version.title)).\n"
        out += "\(indent)public enum \(e.name): String, OCPPStringEnum, Hashable {\n"
        var used: Set<String> = []
        for (offset, value) in e.values.enumerated() {
            var name = Self.caseName(value)
            if used.contains(name) { name += "_\(offset)" }
            used.insert(name)
            out += "\(indent)    case \(name) = \"\(value)\"\n"
        }
        out += "\(indent)}\n"
        return out
    }

    func renderObject(_ o: ObjectDecl, indent: String) -> String {
        let i1 = indent + "    "
        let i2 = i1 + "    "
        var out = Self.docLines(o.description, indent: indent)
        out += "\(indent)/// Schema: `\(o.schemaName)` (\(version.title)).\n"
        let conformance = o.requestAction != nil ? "OCPPRequestPayload" : "OCPPJSONCodable"
        out += "\(indent)public struct \(o.name): \(conformance), Hashable {\n"
        if let action = o.requestAction {
            out += "\(i1)public typealias Response = \(action)Response\n"
            out += "\(i1)public static let action = \"\(action)\"\n"
            out += "\(i1)public static let version = OCPPVersion\(version.versionCase)\n\n"
        }
        for nested in o.nested { out += render(nested, indent: i1) + "\n" }
        for field in o.fields {
            out += Self.docLines(field.description, indent: i1)
            out += "\(i1)public var \(field.swiftName): \(field.type.swift)\(field.required ? "" : "?")\n"
        }
        if o.openForExtraProperties {
            out += "\(i1)/// Properties beyond those the schema names (the schema allows any).\n"
            out += "\(i1)public var additionalProperties: [JSONMember]\n"
        }
        if !o.fields.isEmpty || o.openForExtraProperties { out += "\n" }
        // Memberwise initialiser.
        var params = o.fields.map { "\($0.swiftName): \($0.type.swift)\($0.required ? "" : "? = nil")" }
        if o.openForExtraProperties { params.append("additionalProperties: [JSONMember] = []") }
        if params.isEmpty {
            out += "\(i1)public init() {}\n\n"
        } else {
            out += "\(i1)public init(\n"
            out += params.map { "\(i2)\($0)" }.joined(separator: ",\n") + "\n"
            out += "\(i1)) {\n"
            for field in o.fields {
                let bare = field.swiftName.replacingOccurrences(of: "`", with: "")
                out += "\(i2)self.\(bare) = \(field.swiftName)\n"
            }
            if o.openForExtraProperties { out += "\(i2)self.additionalProperties = additionalProperties\n" }
            out += "\(i1)}\n\n"
        }
        // Decoder.
        let keys = o.fields.map { "\"\($0.jsonName)\"" }.joined(separator: ", ")
        out += "\(i1)static let jsonKeys: [String] = [\(keys)]\n\n"
        out += "\(i1)public init(json: JSONValue) throws(OCPPMessagesError) {\n"
        out += "\(i2)\(o.fields.isEmpty && !o.openForExtraProperties ? "let" : "var") decoder = try JSONObjectDecoder(json)\n"
        for field in o.fields {
            let bare = field.swiftName.replacingOccurrences(of: "`", with: "")
            let key = "\"\(field.jsonName)\""
            out += "\(i2)self.\(bare) = try decoder.\(field.required ? "required" : "optional")(\(key))\n"
            if let max = field.maxLength { out += "\(i2)try JSONCheck.maxLength(self.\(bare), \(max), \(key))\n" }
            if let max = field.elementMaxLength {
                out += "\(i2)try JSONCheck.maxLength(each: self.\(bare), \(max), \(key))\n"
            }
            if field.minItems != nil || field.maxItems != nil {
                out += "\(i2)try JSONCheck.items(self.\(bare), min: \(field.minItems.map(String.init) ?? "nil"), "
                    + "max: \(field.maxItems.map(String.init) ?? "nil"), \(key))\n"
            }
            if field.minimum != nil || field.maximum != nil {
                out += "\(i2)try JSONCheck.range(self.\(bare), min: \(field.minimum.map { "\($0)" } ?? "nil"), "
                    + "max: \(field.maximum.map { "\($0)" } ?? "nil"), \(key))\n"
            }
        }
        if o.openForExtraProperties {
            out += "\(i2)self.additionalProperties = decoder.remaining(known: Self.jsonKeys)\n"
        } else {
            out += "\(i2)try decoder.finish(known: Self.jsonKeys)\n"
        }
        out += "\(i1)}\n\n"
        // Encoder.
        out += "\(i1)public var json: JSONValue {\n"
        if o.fields.isEmpty && !o.openForExtraProperties {
            out += "\(i2).object([])\n"
        } else {
            out += "\(i2)var encoder = JSONObjectEncoder(capacity: \(o.fields.count))\n"
            for field in o.fields {
                let bare = field.swiftName.replacingOccurrences(of: "`", with: "")
                out += "\(i2)encoder.add(\"\(field.jsonName)\", self.\(bare))\n"
            }
            if o.openForExtraProperties { out += "\(i2)encoder.members += additionalProperties\n" }
            out += "\(i2)return encoder.value\n"
        }
        out += "\(i1)}\n"
        out += "\(indent)}\n"
        return out
    }

    func renderActions(_ actions: [(String, Schema, Schema)]) -> String {
        let ns = version.namespace
        var out = header(sources: actions.flatMap { [$0.1, $0.2] })
        out += "/// The \(version.title) message types, generated from the OCA JSON schemas.\n"
        out += "public enum \(ns) {\n"
        out += "    /// Every action of \(version.title), in schema file order.\n"
        out += "    public static let actions: [String] = [\n"
        for (action, _, _) in actions { out += "        \"\(action)\",\n" }
        out += "    ]\n\n"
        out += "    /// The request type of an action, or nil for an action \(version.title) does not define.\n"
        out += "    public static func requestType(for action: String) -> (any OCPPRequestPayload.Type)? {\n"
        out += "        switch action {\n"
        for (action, _, _) in actions { out += "        case \"\(action)\": \(action)Request.self\n" }
        out += "        default: nil\n        }\n    }\n\n"
        out += "    /// Any request of \(version.title), for exhaustive dispatch.\n"
        out += "    public enum Request: Sendable, Hashable {\n"
        for (action, _, _) in actions {
            out += "        case \(Self.caseName(action))(\(action)Request)\n"
        }
        out += "\n        /// Decodes the payload of a CALL for `action`.\n"
        out += "        /// - Throws: `unknownAction` for an action \(version.title) does not define, or the payload's\n"
        out += "        ///   schema violation.\n"
        out += "        public init(action: String, payload: JSONValue) throws(OCPPMessagesError) {\n"
        out += "            switch action {\n"
        for (action, _, _) in actions {
            out += "            case \"\(action)\": self = .\(Self.caseName(action))(try \(action)Request(json: payload))\n"
        }
        out += "            default: throw .make(.unknownAction, \"\\\"\\(action.prefix(64))\\\" is not an \(version.title) action\")\n"
        out += "            }\n        }\n\n"
        out += "        /// The action name.\n"
        out += "        public var action: String {\n            switch self {\n"
        for (action, _, _) in actions { out += "            case .\(Self.caseName(action)): \"\(action)\"\n" }
        out += "            }\n        }\n\n"
        out += "        /// The payload.\n"
        out += "        public var payload: any OCPPRequestPayload {\n            switch self {\n"
        for (action, _, _) in actions { out += "            case .\(Self.caseName(action))(let payload): payload\n" }
        out += "            }\n        }\n    }\n}\n"
        return out
    }
}
