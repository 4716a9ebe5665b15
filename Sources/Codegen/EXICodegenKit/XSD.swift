import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML qualified name; EXI orders qualified names by local name, then namespace (EXI 1.0 §8.5.4.1.3.2).
struct QName: Hashable, Comparable, CustomStringConvertible {
    var ns: String
    var local: String
    static func < (a: QName, b: QName) -> Bool {
        a.local != b.local ? a.local.utf8.lexicographicallyPrecedes(b.local.utf8) : a.ns.utf8.lexicographicallyPrecedes(b.ns.utf8)
    }
    var description: String { ns.isEmpty ? local : "{\(ns)}\(local)" }
}

let xsNS = "http://www.w3.org/2001/XMLSchema"

enum Occurs: Equatable { case bounded(Int), unbounded }

final class ElementDecl {
    let qname: QName
    var typeName: QName?  // named type
    var anonymousComplex: ComplexTypeDef?
    var anonymousSimple: SimpleTypeDef?
    var isAbstract = false
    var substitutionGroup: QName?
    let isGlobal: Bool
    var documentation: String?
    init(qname: QName, isGlobal: Bool) {
        self.qname = qname
        self.isGlobal = isGlobal
    }
}

indirect enum Term {
    case element(ElementDecl)  // local declaration or reference to a global one
    case sequence([Particle])
    case choice([Particle])
    case wildcard(anyNamespace: Bool, namespaces: [String])
}

struct Particle {
    var min: Int
    var max: Occurs
    var term: Term
}

struct AttributeUse {
    var qname: QName
    var type: SimpleTypeDef
    var required: Bool
}

enum Content {
    case empty
    case simple(SimpleTypeDef)
    case complex(Particle)
}

final class ComplexTypeDef {
    var name: QName?  // nil when anonymous
    var attributes: [AttributeUse] = []
    var content: Content = .empty
    var mixed = false
    var isAbstract = false
    var documentation: String?
    var baseName: QName?
    var derivation: String?  // extension / restriction
    var localParticle: Particle?  // own particle before resolution of extension
    var localSimpleBase: QName?
    var localSimple: SimpleTypeDef?
    var resolved = false
    var schemaFile: String
    init(name: QName?, schemaFile: String) {
        self.name = name
        self.schemaFile = schemaFile
    }
}

final class SimpleTypeDef {
    var name: QName?
    var base: QName?  // restriction base
    var inlineBase: SimpleTypeDef?
    var enumeration: [String] = []
    var minInclusive: Int128?
    var maxInclusive: Int128?
    var minExclusive: Int128?
    var maxExclusive: Int128?
    var length: Int?
    var minLength: Int?
    var maxLength: Int?
    var isList = false
    var documentation: String?
    init(name: QName?) { self.name = name }
}

/// All declarations of one set of schema documents (a root schema and everything it imports).
final class SchemaSet {
    /// A short label of the root schema (`AC` for V2G_CI_AC.xsd), used to name per-schema substitution groups.
    var label = ""
    var globalElements: [QName: ElementDecl] = [:]
    var complexTypes: [QName: ComplexTypeDef] = [:]
    var simpleTypes: [QName: SimpleTypeDef] = [:]
    var allElementDecls: [ElementDecl] = []
    var allAttributeQNames: Set<QName> = []
    var files: [String] = []  // absolute paths in load order
    var fileTargetNamespace: [String: String] = [:]
    var anonymousComplexTypes: [ComplexTypeDef] = []
    var anonymousSimpleTypes: [SimpleTypeDef] = []

    func load(path: String, schemaRoot: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if files.contains(url.path) { return }
        files.append(url.path)
        let doc = try XMLDocument(contentsOf: url, options: [])
        guard let root = doc.rootElement() else { throw GenError("no root in \(path)") }
        let tns = attr(root, "targetNamespace")?.stringValue ?? ""
        fileTargetNamespace[url.path] = tns
        let elementQualified = attr(root, "elementFormDefault")?.stringValue == "qualified"
        let attributeQualified = attr(root, "attributeFormDefault")?.stringValue == "qualified"
        var prefixes: [String: String] = [:]
        for ns in root.namespaces ?? [] { prefixes[ns.name ?? ""] = ns.stringValue ?? "" }
        let ctx = FileContext(
            tns: tns, elementQualified: elementQualified, attributeQualified: attributeQualified, prefixes: prefixes,
            file: url.path)
        for child in root.children ?? [] {
            guard let el = child as? XMLElement else { continue }
            switch el.localName {
            case "import", "include":
                let ns = attr(el, "namespace")?.stringValue ?? ""
                let location = attr(el, "schemaLocation")?.stringValue ?? ""
                var candidate = url.deletingLastPathComponent().appendingPathComponent(location).path
                if !FileManager.default.fileExists(atPath: candidate) {
                    if ns == "http://www.w3.org/2000/09/xmldsig#" {
                        candidate = schemaRoot + "/xmldsig-core-schema.xsd"
                    } else {
                        throw GenError("cannot find \(location) imported by \(path)")
                    }
                }
                try load(path: candidate, schemaRoot: schemaRoot)
            case "element":
                let decl = try parseElement(el, ctx: ctx, global: true)
                globalElements[decl.qname] = decl
            case "complexType":
                let name = QName(ns: tns, local: attr(el, "name")!.stringValue!)
                let def = try parseComplexType(el, name: name, ctx: ctx)
                complexTypes[name] = def
            case "simpleType":
                guard let n = attr(el, "name")?.stringValue else {
                    throw GenError("unnamed simpleType in \(path): \(el.xmlString.prefix(200)) attrs \(el.attributes ?? [])")
                }
                let name = QName(ns: tns, local: n)
                simpleTypes[name] = try parseSimpleType(el, name: name, ctx: ctx)
            case "attribute":
                let name = QName(ns: tns, local: attr(el, "name")!.stringValue!)
                allAttributeQNames.insert(name)
            case "annotation": break
            default: throw GenError("unsupported top-level \(el.localName ?? "") in \(path)")
            }
        }
    }

    struct FileContext {
        var tns: String
        var elementQualified: Bool
        var attributeQualified: Bool
        var prefixes: [String: String]
        var file: String
        func resolve(_ value: String) -> QName {
            if let colon = value.firstIndex(of: ":") {
                let prefix = String(value[..<colon])
                return QName(ns: prefixes[prefix] ?? "", local: String(value[value.index(after: colon)...]))
            }
            return QName(ns: prefixes[""] ?? "", local: value)
        }
    }

    func documentation(_ el: XMLElement) -> String? {
        for child in el.children ?? [] {
            guard let annotation = child as? XMLElement, annotation.localName == "annotation" else { continue }
            for d in annotation.children ?? [] {
                if let d = d as? XMLElement, d.localName == "documentation" {
                    let text = (d.stringValue ?? "").split(whereSeparator: \.isNewline).map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }.filter { !$0.isEmpty }.joined(separator: " ")
                    return text.isEmpty ? nil : text
                }
            }
        }
        return nil
    }

    func occurs(_ el: XMLElement) -> (Int, Occurs) {
        let min = Int(attr(el, "minOccurs")?.stringValue ?? "1") ?? 1
        let maxString = attr(el, "maxOccurs")?.stringValue ?? "1"
        return (min, maxString == "unbounded" ? .unbounded : .bounded(Int(maxString) ?? 1))
    }

    func parseElement(_ el: XMLElement, ctx: FileContext, global: Bool) throws -> ElementDecl {
        if let ref = attr(el, "ref")?.stringValue {
            // A reference: resolved later against the global declarations.
            let decl = ElementDecl(qname: ctx.resolve(ref), isGlobal: true)
            decl.typeName = QName(ns: "#ref", local: "")
            return decl
        }
        let local = attr(el, "name")!.stringValue!
        let qualified =
            global || (attr(el, "form")?.stringValue.map { $0 == "qualified" } ?? ctx.elementQualified)
        let decl = ElementDecl(qname: QName(ns: qualified ? ctx.tns : "", local: local), isGlobal: global)
        decl.documentation = documentation(el)
        decl.isAbstract = attr(el, "abstract")?.stringValue == "true"
        if let sg = attr(el, "substitutionGroup")?.stringValue { decl.substitutionGroup = ctx.resolve(sg) }
        if let type = attr(el, "type")?.stringValue {
            decl.typeName = ctx.resolve(type)
        } else {
            for child in el.children ?? [] {
                guard let c = child as? XMLElement else { continue }
                if c.localName == "complexType" {
                    let def = try parseComplexType(c, name: nil, ctx: ctx)
                    def.documentation = def.documentation ?? decl.documentation
                    decl.anonymousComplex = def
                    anonymousComplexTypes.append(def)
                } else if c.localName == "simpleType" {
                    let def = try parseSimpleType(c, name: nil, ctx: ctx)
                    decl.anonymousSimple = def
                    anonymousSimpleTypes.append(def)
                }
            }
            if decl.anonymousComplex == nil && decl.anonymousSimple == nil {
                decl.typeName = QName(ns: xsNS, local: "anyType")
            }
        }
        allElementDecls.append(decl)
        return decl
    }

    func parseParticle(_ el: XMLElement, ctx: FileContext) throws -> Particle? {
        let (min, max) = occurs(el)
        switch el.localName {
        case "element":
            return Particle(min: min, max: max, term: .element(try parseElement(el, ctx: ctx, global: false)))
        case "sequence", "choice":
            var children: [Particle] = []
            for child in el.children ?? [] {
                if let c = child as? XMLElement, let p = try parseParticle(c, ctx: ctx) { children.append(p) }
            }
            return Particle(min: min, max: max, term: el.localName == "sequence" ? .sequence(children) : .choice(children))
        case "any":
            let ns = attr(el, "namespace")?.stringValue ?? "##any"
            if ns == "##any" || ns == "##other" {
                return Particle(min: min, max: max, term: .wildcard(anyNamespace: true, namespaces: []))
            }
            return Particle(
                min: min, max: max,
                term: .wildcard(
                    anyNamespace: false,
                    namespaces: ns.split(separator: " ").map { $0 == "##targetNamespace" ? ctx.tns : ($0 == "##local" ? "" : String($0)) }))
        case "annotation": return nil
        case "group", "all": throw GenError("unsupported particle \(el.localName ?? "")")
        default: return nil
        }
    }

    func parseAttribute(_ el: XMLElement, ctx: FileContext) throws -> AttributeUse {
        if attr(el, "ref") != nil { throw GenError("attribute refs unsupported") }
        let local = attr(el, "name")!.stringValue!
        let qualified = attr(el, "form")?.stringValue.map { $0 == "qualified" } ?? ctx.attributeQualified
        let qname = QName(ns: qualified ? ctx.tns : "", local: local)
        allAttributeQNames.insert(qname)
        let type: SimpleTypeDef
        if let t = attr(el, "type")?.stringValue {
            let def = SimpleTypeDef(name: nil)
            def.base = ctx.resolve(t)
            type = def
        } else if let inline = (el.children ?? []).compactMap({ $0 as? XMLElement }).first(where: { $0.localName == "simpleType" }) {
            type = try parseSimpleType(inline, name: nil, ctx: ctx)
        } else {
            let def = SimpleTypeDef(name: nil)
            def.base = QName(ns: xsNS, local: "string")
            type = def
        }
        return AttributeUse(qname: qname, type: type, required: attr(el, "use")?.stringValue == "required")
    }

    func parseComplexType(_ el: XMLElement, name: QName?, ctx: FileContext) throws -> ComplexTypeDef {
        let def = ComplexTypeDef(name: name, schemaFile: ctx.file)
        def.documentation = documentation(el)
        def.mixed = attr(el, "mixed")?.stringValue == "true"
        def.isAbstract = attr(el, "abstract")?.stringValue == "true"
        func body(_ container: XMLElement) throws {
            for child in container.children ?? [] {
                guard let c = child as? XMLElement else { continue }
                switch c.localName {
                case "sequence", "choice", "group", "all": def.localParticle = try parseParticle(c, ctx: ctx)
                case "attribute": def.attributes.append(try parseAttribute(c, ctx: ctx))
                case "anyAttribute": throw GenError("anyAttribute unsupported")
                default: break
                }
            }
        }
        for child in el.children ?? [] {
            guard let c = child as? XMLElement else { continue }
            switch c.localName {
            case "complexContent", "simpleContent":
                if attr(c, "mixed")?.stringValue == "true" { def.mixed = true }
                guard let d = (c.children ?? []).compactMap({ $0 as? XMLElement }).first(where: {
                    $0.localName == "extension" || $0.localName == "restriction"
                }) else { throw GenError("empty \(c.localName!)") }
                def.baseName = ctx.resolve(attr(d, "base")!.stringValue!)
                def.derivation = (c.localName == "simpleContent" ? "simple-" : "") + d.localName!
                if c.localName == "simpleContent" && d.localName == "restriction" {
                    let s = try parseSimpleType(d, name: nil, ctx: ctx, isRestrictionElement: true)
                    def.localSimple = s
                }
                try body(d)
            case "sequence", "choice", "group", "all", "attribute", "anyAttribute":
                break
            default: break
            }
        }
        try body(el)
        return def
    }

    func parseSimpleType(_ el: XMLElement, name: QName?, ctx: FileContext, isRestrictionElement: Bool = false) throws
        -> SimpleTypeDef
    {
        let def = SimpleTypeDef(name: name)
        def.documentation = documentation(el)
        let restriction: XMLElement
        if isRestrictionElement {
            restriction = el
        } else {
            guard let r = (el.children ?? []).compactMap({ $0 as? XMLElement }).first(where: { $0.localName != "annotation" }) else {
                throw GenError("empty simpleType")
            }
            if r.localName == "list" { def.isList = true }
            guard r.localName == "restriction" else { throw GenError("unsupported simpleType \(r.localName ?? "")") }
            restriction = r
        }
        if let base = attr(restriction, "base")?.stringValue { def.base = ctx.resolve(base) }
        for child in restriction.children ?? [] {
            guard let c = child as? XMLElement, let v = attr(c, "value")?.stringValue else {
                if let c = child as? XMLElement, c.localName == "simpleType" {
                    def.inlineBase = try parseSimpleType(c, name: nil, ctx: ctx)
                }
                continue
            }
            switch c.localName {
            case "enumeration": def.enumeration.append(v)
            case "minInclusive": def.minInclusive = Int128(v)
            case "maxInclusive": def.maxInclusive = Int128(v)
            case "minExclusive": def.minExclusive = Int128(v)
            case "maxExclusive": def.maxExclusive = Int128(v)
            case "length": def.length = Int(v)
            case "minLength": def.minLength = Int(v)
            case "maxLength": def.maxLength = Int(v)
            case "pattern": throw GenError("pattern facets need restricted character sets (EXI 1.0 §7.1.10)")
            case "totalDigits", "fractionDigits", "whiteSpace": break
            default: throw GenError("unsupported facet \(c.localName ?? "")")
            }
        }
        return def
    }

    // MARK: Resolution

    /// Resolves element references, extensions and substitution groups once everything is loaded.
    func resolve() throws {
        for decl in allElementDecls { try resolveRef(decl) }
        for def in Array(complexTypes.values) + anonymousComplexTypes { try resolveComplex(def) }
    }

    private var resolvedRefs: [ObjectIdentifier: ElementDecl] = [:]

    func resolveRef(_ decl: ElementDecl) throws {}

    func target(of decl: ElementDecl) throws -> ElementDecl {
        if decl.typeName == QName(ns: "#ref", local: "") {
            guard let g = globalElements[decl.qname] else { throw GenError("unknown element ref \(decl.qname)") }
            return g
        }
        return decl
    }

    func resolveComplex(_ def: ComplexTypeDef) throws {
        if def.resolved { return }
        def.resolved = true
        guard let base = def.baseName, let derivation = def.derivation else {
            def.content = def.localParticle.map { .complex($0) } ?? .empty
            def.attributes.sort { $0.qname < $1.qname }
            return
        }
        switch derivation {
        case "extension":
            guard let b = complexTypes[base] else {
                if base == QName(ns: xsNS, local: "anyType") {
                    def.content = def.localParticle.map { .complex($0) } ?? .empty
                    break
                }
                throw GenError("unknown base \(base)")
            }
            try resolveComplex(b)
            def.attributes = b.attributes + def.attributes
            switch (b.content, def.localParticle) {
            case (.empty, nil): def.content = .empty
            case (.empty, let p?): def.content = .complex(p)
            case (.complex(let p), nil): def.content = .complex(p)
            case (.complex(let p), let q?):
                def.content = .complex(Particle(min: 1, max: .bounded(1), term: .sequence([p, q])))
            case (.simple, _): throw GenError("complexContent extension of simple content")
            }
            def.mixed = def.mixed || b.mixed
        case "restriction":
            if let b = complexTypes[base] { try resolveComplex(b) }
            def.content = def.localParticle.map { .complex($0) } ?? .empty
        case "simple-extension", "simple-restriction":
            if let b = complexTypes[base] {
                try resolveComplex(b)
                def.attributes = b.attributes + def.attributes
                guard case .simple(let s) = b.content else { throw GenError("simpleContent over complex content") }
                if let local = def.localSimple {
                    local.base = nil
                    local.inlineBase = s
                    def.content = .simple(local)
                } else {
                    def.content = .simple(s)
                }
            } else {
                let s = def.localSimple ?? SimpleTypeDef(name: nil)
                s.base = base
                def.content = .simple(s)
            }
        default: throw GenError("unknown derivation")
        }
        def.attributes.sort { $0.qname < $1.qname }
    }

    /// The members of a substitution group headed by `head`, the head included, sorted by qname (EXI 1.0 §8.5.4.1.6;
    /// abstract heads are kept, as EXIficient does).
    func substitutionSet(_ head: ElementDecl) -> [ElementDecl] {
        var result: [QName: ElementDecl] = [head.qname: head]
        var changed = true
        while changed {
            changed = false
            for g in globalElements.values {
                if let sg = g.substitutionGroup, result[sg] != nil, result[g.qname] == nil {
                    result[g.qname] = g
                    changed = true
                }
            }
        }
        return result.keys.sorted().map { result[$0]! }
    }
}

struct GenError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// An attribute by name (FoundationXML's `attribute(forName:)` misses attributes when the default namespace is set).
func attr(_ element: XMLElement, _ name: String) -> XMLNode? {
    element.attributes?.first { $0.name == name || $0.localName == name }
}
