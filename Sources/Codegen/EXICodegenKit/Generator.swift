import Crypto
import Foundation

struct ModuleSpec {
    var name: String
    var namespaces: [String]
    var imports: [String]
    var documents: [(swiftName: String, root: String, doc: String)]
    var fragments: [(swiftName: String, root: String, elements: [String], doc: String)]
    var typeRoots: [String]  // schema roots whose types this module owns
}

final class Generator {
    let schemaRoot: String
    var sets: [String: SchemaSet] = [:]
    var names: [String: String] = [:]  // key → Swift name
    var keyModule: [String: String] = [:]
    var groupLabels: [String: String] = [:]
    /// Per generated struct: whether it is small enough to sit unboxed in a substitution-group enum.
    var inlineStructs: [String: Bool] = [:]

    /// At most four fields, each a simple value, an optional one or an array (a few words each): a struct like
    /// `SessionSetupReq` or `SessionStopRes`, not one holding nested structs.
    static func isInline(_ model: StructModel) -> Bool {
        guard model.fields.count <= 4 else { return false }
        return model.fields.allSatisfy { field in
            switch field.node {
            case .attribute, .simpleContent: return true
            case .element(let members, let group, _, _):
                guard group == nil, members.count == 1 else { return false }
                if case .simple = members[0].content { return true }
                return field.node.isArray
            default: return false
            }
        }
    }

    /// Substitution groups depend on the schema set (the -20 AC and DC schemas add members to the same CommonTypes
    /// head), so a group is identified by its head and its members.
    func groupKey(_ head: ElementDecl, in s: SchemaSet) -> String {
        "g:\(head.qname)|" + s.substitutionSet(head).map { "\($0.qname)" }.joined(separator: ",")
    }
    let specs: [ModuleSpec]

    init(schemaRoot: String, specs: [ModuleSpec]) {
        self.schemaRoot = schemaRoot
        self.specs = specs
    }

    func set(_ root: String) throws -> SchemaSet {
        if let s = sets[root] { return s }
        let s = SchemaSet()
        s.label = String(URL(fileURLWithPath: root).deletingPathExtension().lastPathComponent.split(separator: "_").last ?? "")
        try s.load(path: schemaRoot + "/" + root, schemaRoot: schemaRoot)
        try s.resolve()
        sets[root] = s
        return s
    }

    // MARK: Naming

    func assignNames() throws {
        for spec in specs {
            var taken: Set<String> = [spec.name]
            var complexKeys: [(QName, String)] = []
            var enumKeys: [(QName, String)] = []
            var anonKeys: [(QName, String)] = []
            var groupKeys: [(QName, String)] = []
            var seen: Set<String> = []
            for root in spec.typeRoots {
                let s = try set(root)
                for (q, _) in s.complexTypes where spec.namespaces.contains(q.ns) {
                    if seen.insert("c:\(q)").inserted { complexKeys.append((q, "c:\(q)")) }
                }
                for (q, t) in s.simpleTypes where spec.namespaces.contains(q.ns) && !t.enumeration.isEmpty {
                    if seen.insert("e:\(q)").inserted { enumKeys.append((q, "e:\(q)")) }
                }
                for (q, e) in s.globalElements where spec.namespaces.contains(q.ns) {
                    if e.anonymousComplex != nil, seen.insert("a:\(q)").inserted { anonKeys.append((q, "a:\(q)")) }
                    if s.substitutionSet(e).count > 1 {
                        let key = groupKey(e, in: s)
                        if seen.insert(key).inserted { groupKeys.append((q, key)) }
                        groupLabels[key] = s.label
                    }
                }
            }
            func assign(_ list: [(QName, String)], suffix: String, base: (QName) -> String) {
                for (q, key) in list.sorted(by: { $0.0 < $1.0 }) {
                    var n = base(q)
                    if taken.contains(n) { n += suffix }
                    while taken.contains(n) { n += "_" }
                    taken.insert(n)
                    names[key] = n
                    keyModule[key] = spec.name
                }
            }
            assign(complexKeys, suffix: "Type") { typeNameBase($0.local) }
            assign(enumKeys, suffix: "Type") { typeNameBase($0.local) }
            assign(anonKeys, suffix: "Element") { upperFirst(lowerCamel($0.local, escape: false)).replacingOccurrences(of: "V2g", with: "V2G") }
            var signatures: [QName: Int] = [:]
            for (q, _) in groupKeys { signatures[q, default: 0] += 1 }
            for (q, key) in groupKeys.sorted(by: { $0.1 < $1.1 }) {
                var n = typeNameBase(q.local)
                if taken.contains(n) { n += "Group" }
                if signatures[q]! > 1 { n += groupLabels[key]! }
                while taken.contains(n) { n += "_" }
                taken.insert(n)
                names[key] = n
                keyModule[key] = spec.name
            }
        }
    }

    // MARK: Simple types

    static let integerBuiltins: [String: (Int128?, Int128?, String)] = [
        "integer": (nil, nil, "Int64"), "long": (Int128(Int64.min), Int128(Int64.max), "Int64"),
        "int": (Int128(Int32.min), Int128(Int32.max), "Int32"), "short": (-32768, 32767, "Int16"),
        "byte": (-128, 127, "Int8"), "nonNegativeInteger": (0, nil, "UInt64"), "positiveInteger": (1, nil, "UInt64"),
        "unsignedLong": (0, Int128(UInt64.max), "UInt64"), "unsignedInt": (0, Int128(UInt32.max), "UInt32"),
        "unsignedShort": (0, 65535, "UInt16"), "unsignedByte": (0, 255, "UInt8"),
        "nonPositiveInteger": (nil, 0, "Int64"), "negativeInteger": (nil, -1, "Int64"),
    ]
    static let stringBuiltins: Set<String> = [
        "string", "normalizedString", "token", "language", "Name", "NCName", "ID", "IDREF", "anyURI", "NMTOKEN",
        "ENTITY",
    ]

    func kind(of def: SimpleTypeDef, in s: SchemaSet) throws -> ValueKind {
        var minI: Int128? = nil, maxI: Int128? = nil, minE: Int128? = nil, maxE: Int128? = nil
        var length: Int? = nil, minLength: Int? = nil, maxLength: Int? = nil
        var enumeration: [String]? = nil
        var enumName: QName? = nil
        var current: SimpleTypeDef? = def
        var builtin: String? = nil
        var known: String? = nil
        while let c = current {
            if known == nil, let name = c.name { known = knownStringTables["\(name)"] }
            minI = minI ?? c.minInclusive
            maxI = maxI ?? c.maxInclusive
            minE = minE ?? c.minExclusive
            maxE = maxE ?? c.maxExclusive
            length = length ?? c.length
            minLength = minLength ?? c.minLength
            maxLength = maxLength ?? c.maxLength
            if enumeration == nil && !c.enumeration.isEmpty {
                enumeration = c.enumeration
                enumName = c.name
            }
            if c.isList { throw GenError("list types unsupported") }
            if let ib = c.inlineBase {
                current = ib
                continue
            }
            guard let b = c.base else { throw GenError("simple type without base") }
            if b.ns == xsNS {
                builtin = b.local
                break
            }
            guard let next = s.simpleTypes[b] else { throw GenError("unknown simple type \(b)") }
            current = next
        }
        guard let builtin else { throw GenError("no builtin") }
        if let enumeration {
            guard let enumName, let swiftName = names["e:\(enumName)"] else {
                throw GenError("anonymous enumeration unsupported")
            }
            var bits = 0
            while (1 << bits) < enumeration.count { bits += 1 }
            return .enumeration(typeName: swiftName, bits: bits, count: enumeration.count)
        }
        if let length {
            minLength = length
            maxLength = length
        }
        if Self.stringBuiltins.contains(builtin) { return .string(min: minLength ?? 0, max: maxLength, known: known) }
        if builtin == "hexBinary" || builtin == "base64Binary" { return .binary(min: minLength ?? 0, max: maxLength) }
        if builtin == "boolean" { return .boolean }
        if let (bmin, bmax, swift) = Self.integerBuiltins[builtin] {
            var lo = bmin, hi = bmax
            if let v = minI { lo = Swift.max(lo ?? v, v) }
            if let v = minE { lo = Swift.max(lo ?? (v + 1), v + 1) }
            if let v = maxI { hi = Swift.min(hi ?? v, v) }
            if let v = maxE { hi = Swift.min(hi ?? (v - 1), v - 1) }
            if let lo, let hi, hi - lo + 1 <= 4096 {
                var bits = 0
                while (Int128(1) << bits) < hi - lo + 1 { bits += 1 }
                return .bounded(bits: bits, min: Int64(lo), max: Int64(hi), swift: swift)
            }
            if builtin == "integer" && lo == nil && hi == nil { return .bigInteger }
            if let lo, lo >= 0 {
                return .unsigned(min: UInt64(lo), max: hi.map { UInt64($0) } ?? UInt64.max, swift: swift)
            }
            return .signed(
                min: lo.map { Int64(clamping: $0) } ?? Int64.min, max: hi.map { Int64(clamping: $0) } ?? Int64.max,
                swift: swift)
        }
        throw GenError("unsupported builtin xs:\(builtin)")
    }

    func content(of declIn: ElementDecl, in s: SchemaSet) throws -> ContentRef {
        let decl = try s.target(of: declIn)
        if decl.anonymousComplex != nil {
            guard decl.isGlobal, let n = names["a:\(decl.qname)"] else {
                throw GenError("local anonymous complex type in \(decl.qname)")
            }
            return .complex(n)
        }
        if let simple = decl.anonymousSimple { return .simple(try kind(of: simple, in: s)) }
        guard let t = decl.typeName else { throw GenError("element without type") }
        if s.complexTypes[t] != nil {
            guard let n = names["c:\(t)"] else { throw GenError("unnamed complex type \(t)") }
            return .complex(n)
        }
        if t == QName(ns: xsNS, local: "anyType") { throw GenError("xs:anyType element \(decl.qname)") }
        let wrapper = SimpleTypeDef(name: nil)
        wrapper.base = t
        return .simple(try kind(of: wrapper, in: s))
    }

    // MARK: Structs

    func buildStruct(key: String, def: ComplexTypeDef, in s: SchemaSet) throws -> StructModel {
        let grammar = try GrammarBuilder(schema: s).typeGrammar(def)
        let swiftName = names[key]!
        let xsdName = def.name?.local ?? String(key.split(separator: "}").last ?? "")
        let model = StructModel(
            key: key, swiftName: swiftName, def: def, xsdName: xsdName, grammar: grammar, schemaFile: def.schemaFile)
        var next = 4
        for state in grammar.states {
            for p in state {
                switch p.terminal {
                case .at, .se:
                    if model.ids[p.terminal] == nil {
                        model.ids[p.terminal] = next
                        next += 1
                    }
                default: break
                }
            }
        }
        var usedNames: Set<String> = []
        func unique(_ n: String) -> String {
            var candidate = n
            var i = 2
            while usedNames.contains(candidate) {
                candidate = n.hasSuffix("`") ? "`\(n.dropFirst().dropLast())\(i)`" : "\(n)\(i)"
                i += 1
            }
            usedNames.insert(candidate)
            return candidate
        }
        for a in def.attributes {
            var k = try kind(of: a.type, in: s)
            if case .string(let min, let max, nil) = k, let name = def.name,
                let table = knownAttributeStringTables["\(name)@\(a.qname.local)"]
            {
                k = .string(min: min, max: max, known: table)
            }
            model.fields.append(
                FieldModel(
                    name: unique(lowerCamel(a.qname.local)), xmlName: a.qname.local,
                    node: .attribute(qname: a.qname, kind: k, id: model.ids[.at(a.qname)]!, required: a.required)))
        }
        var counters: [String: Int] = [:]
        func nestedName(_ scope: String, _ base: String) -> String {
            let n = (counters[scope + base] ?? 0) + 1
            counters[scope + base] = n
            return "\(scope).\(base)\(n == 1 ? "" : String(n))"
        }
        func node(_ p: Particle, scope: String) throws -> (String, String, Node) {
            switch p.term {
            case .element(let d):
                let target = try s.target(of: d)
                let members = target.isGlobal ? s.substitutionSet(target) : [target]
                var ms: [Member] = []
                for m in members {
                    guard let id = model.ids[.se(m.qname)] else { throw GenError("no id for \(m.qname)") }
                    ms.append(
                        Member(id: id, decl: m, content: try content(of: m, in: s), caseName: lowerCamel(m.qname.local)))
                }
                let groupEnum = members.count > 1 ? names[groupKey(target, in: s)] : nil
                return (
                    lowerCamel(target.qname.local), target.qname.local,
                    .element(members: ms, groupEnum: groupEnum, min: p.min, max: p.max)
                )
            case .choice(let children):
                let c = ChoiceModel(name: nestedName(scope, "Choice"))
                var caseNames: Set<String> = []
                for child in children {
                    let (n, x, nd) = try node(child, scope: c.name)
                    if case .wildcard = nd { continue }
                    var cn = n
                    while caseNames.contains(cn) { cn += "_" }
                    caseNames.insert(cn)
                    c.alternatives.append((cn, x == "sequence" || x == "choice" ? cn : x, nd))
                }
                if c.alternatives.isEmpty { return ("any", "any", .wildcard) }
                model.nested.append(c)
                return ("choice", "choice", .choice(c, min: p.min, max: p.max))
            case .sequence(let children):
                let g = GroupModel(name: nestedName(scope, "Sequence"))
                var local: Set<String> = []
                for child in children {
                    let (n, x, nd) = try node(child, scope: g.name)
                    var cn = n
                    while local.contains(cn) { cn += "_" }
                    local.insert(cn)
                    if case .wildcard = nd { continue }
                    g.fields.append(FieldModel(name: cn, xmlName: x, node: nd))
                }
                if g.fields.isEmpty { return ("any", "any", .wildcard) }
                model.nested.append(g)
                return ("sequence", "sequence", .group(g, min: p.min, max: p.max))
            case .wildcard:
                return ("any", "any", .wildcard)
            }
        }
        switch def.content {
        case .empty: break
        case .simple(let st):
            model.fields.append(FieldModel(name: unique("value"), xmlName: "value", node: .simpleContent(try kind(of: st, in: s))))
        case .complex(let p):
            var top: [Particle] = [p]
            if case .sequence(let children) = p.term, p.min == 1, p.max == .bounded(1) { top = flatten(children) }
            for child in top {
                let (n, x, nd) = try node(child, scope: swiftName)
                if case .wildcard = nd { continue }
                model.fields.append(FieldModel(name: unique(n), xmlName: x, node: nd))
            }
        }
        inlineStructs[swiftName] = Self.isInline(model)
        return model
    }

    /// Nested (1,1) sequences inside a sequence add nothing: their particles join the outer sequence.
    func flatten(_ children: [Particle]) -> [Particle] {
        children.flatMap { c -> [Particle] in
            if case .sequence(let inner) = c.term, c.min == 1, c.max == .bounded(1) { return flatten(inner) }
            return [c]
        }
    }
}

func sha256Hex(_ path: String) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
