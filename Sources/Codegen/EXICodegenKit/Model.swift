import Foundation

/// How a simple value is represented in EXI and in Swift (EXI 1.0 §7.1, Table 7-1).
enum ValueKind {
    /// `known`: the Swift expression of an `EXIKnownStrings` table the decoder looks values up in, or nil.
    case string(min: Int, max: Int?, known: String?)
    case binary(min: Int, max: Int?)
    case boolean
    case bounded(bits: Int, min: Int64, max: Int64, swift: String)
    case unsigned(min: UInt64, max: UInt64, swift: String)
    case signed(min: Int64, max: Int64, swift: String)
    case enumeration(typeName: String, bits: Int, count: Int)
    case bigInteger

    var swiftType: String {
        switch self {
        case .string: "String"
        case .binary: "[UInt8]"
        case .boolean: "Bool"
        case .bounded(_, _, _, let s), .unsigned(_, _, let s), .signed(_, _, let s): s
        case .enumeration(let t, _, _): t
        case .bigInteger: "EXIInteger"
        }
    }
    var isBinary: Bool {
        if case .binary = self { return true }
        return false
    }
}

enum ContentRef {
    case simple(ValueKind)
    case complex(String)
    var swiftType: String {
        switch self {
        case .simple(let k): k.swiftType
        case .complex(let t): t
        }
    }
}

struct Member {
    var id: Int
    var decl: ElementDecl
    var content: ContentRef
    var caseName: String
}

final class ChoiceModel {
    var name: String
    var alternatives: [(caseName: String, xmlName: String, node: Node)] = []
    init(name: String) { self.name = name }
}

final class GroupModel {
    var name: String
    var fields: [FieldModel] = []
    init(name: String) { self.name = name }
}

indirect enum Node {
    case attribute(qname: QName, kind: ValueKind, id: Int, required: Bool)
    case simpleContent(ValueKind)
    case element(members: [Member], groupEnum: String?, min: Int, max: Occurs)
    case choice(ChoiceModel, min: Int, max: Occurs)
    case group(GroupModel, min: Int, max: Occurs)
    case wildcard

    var cardinality: (Int, Occurs) {
        switch self {
        case .attribute(_, _, _, let required): (required ? 1 : 0, .bounded(1))
        case .simpleContent: (1, .bounded(1))
        case .element(_, _, let a, let b), .choice(_, let a, let b), .group(_, let a, let b): (a, b)
        case .wildcard: (0, .unbounded)
        }
    }

    var baseSwiftType: String {
        switch self {
        case .attribute(_, let k, _, _), .simpleContent(let k): k.swiftType
        case .element(let members, let g, _, _): g ?? members[0].content.swiftType
        case .choice(let c, _, _): c.name
        case .group(let g, _, _): g.name
        case .wildcard: "Never"
        }
    }

    var swiftType: String {
        let (min, max) = cardinality
        if case .bounded(1) = max { return min == 1 ? baseSwiftType : baseSwiftType + "?" }
        return "[\(baseSwiftType)]"
    }

    var isArray: Bool {
        if case .bounded(let m) = cardinality.1, m <= 1 { return false }
        return true
    }

    var isOptional: Bool { !isArray && cardinality.0 == 0 }

    /// Event ids that can start this node.
    var first: [Int] {
        switch self {
        case .attribute(_, _, let id, _): [id]
        case .simpleContent: [1]
        case .element(let members, _, _, _): members.map(\.id)
        case .choice(let c, _, _): c.alternatives.flatMap { $0.node.first }
        case .group(let g, _, _):
            {
                var out: [Int] = []
                for f in g.fields {
                    out += f.node.first
                    if !f.node.nullable { break }
                }
                return out
            }()
        case .wildcard: []
        }
    }

    var nullable: Bool {
        if cardinality.0 == 0 { return true }
        switch self {
        case .choice(let c, _, _): return c.alternatives.contains { $0.node.nullable }
        case .group(let g, _, _): return g.fields.allSatisfy { $0.node.nullable }
        case .wildcard: return true
        default: return false
        }
    }
}

struct FieldModel {
    var name: String
    var xmlName: String
    var node: Node
    var doc: String?
}

final class StructModel {
    var key: String
    var swiftName: String
    var def: ComplexTypeDef
    var xsdName: String
    var grammar: Grammar
    var ids: [Terminal: Int] = [.ee: 0, .ch: 1]
    var fields: [FieldModel] = []
    var nested: [AnyObject] = []  // ChoiceModel / GroupModel declared inside
    var schemaFile: String
    init(key: String, swiftName: String, def: ComplexTypeDef, xsdName: String, grammar: Grammar, schemaFile: String) {
        self.key = key
        self.swiftName = swiftName
        self.def = def
        self.xsdName = xsdName
        self.grammar = grammar
        self.schemaFile = schemaFile
    }
}
