import Foundation

extension Generator {
    /// The schema-informed document grammar (EXI 1.0 §8.5.1): SE(G_i) for every global element sorted by qname,
    /// then SE(*); SD and ED take no bits.
    func emitDocument(name: String, root: String, doc: String, _ L: inout Lines) throws {
        let s = try set(root)
        let globals = s.globalElements.keys.sorted()
        let width = Grammar.width(globals.count)
        L("/// \(doc)")
        L("///")
        L("/// EXI document grammar (EXI 1.0 §8.5.1): \(globals.count) global elements, event codes of \(width) bits.")
        // A document of many message types boxes its value, so that moving and copying it stays cheap; one of a few
        // small types (SupportedAppProtocol) holds it inline and decodes without allocating a box.
        L.open("public \(globals.count >= 5 ? "indirect " : "")enum \(name): Sendable, Hashable {")
        var cases: [(String, Int, ElementDecl, ContentRef)] = []
        var used: Set<String> = []
        for (i, q) in globals.enumerated() {
            let e = s.globalElements[q]!
            guard let c = try? content(of: e, in: s) else { continue }
            var n = lowerCamel(q.local)
            while used.contains(n) { n += "_" }
            used.insert(n)
            cases.append((n, i, e, c))
            L("/// Element `\(q.local)` in `\(q.ns)` (event code \(i)).")
            L("case \(n)(\(c.swiftType))")
        }
        L.close()
        L("")
        emitChoiceCodable(name, elementCases(cases.map { ($0.0, $0.2, $0.3) }), &L)
        L("")
        L.open("extension \(name) {")
        L("/// Decodes an EXI stream (header 0x80, then the document). `bytes` is borrowed: the call neither")
        L("/// retains nor releases the caller's array.")
        L("/// - Throws: ``EXIError`` for anything that is not a complete, valid stream of this schema.")
        L.open("public init(exi bytes: borrowing [UInt8]) throws(EXIError) {")
        L("self = try EXIBitReader.withReader(over: bytes, Self.exiDecodeStream)")
        L.close()
        L("")
        emitStreamEntryPoints(&L)
        L("/// Reads the header, the document and the padding from `r`.")
        L.open("package static func exiDecodeStream(_ r: inout EXIBitReader) throws(EXIError) -> Self {")
        L("try r.readHeader()")
        L("let at = r.bitPosition")
        L("let result: Self")
        L("switch try r.readEventCode(width: \(width)) {")
        for (n, i, _, c) in cases {
            L("case \(i):")
            L.indent += 1
            decodeContent(c, into: "v", &L)
            L("result = .\(n)(v)")
            L.indent -= 1
        }
        L("case let code: throw EXIError.unexpectedEvent(\"\(name): root event code \\(code) is not supported\", atBit: at)")
        L("}")
        L("try r.checkEnd()")
        L("return result")
        L.close()
        L("")
        L("/// Writes the header and the document to `w`.")
        L.open("package func exiEncodeStream(_ w: inout EXIBitWriter) throws(EXIError) {")
        // A do/catch rather than a closure: a closure would capture `self` by address, and a switch over an enum in
        // memory copies the payload (the whole message) before binding it.
        L.open("do {")
        L("switch self {")
        let ctx = Ctx(typeName: name)
        for (n, i, _, c) in cases {
            L("case .\(n)(let v):")
            L.indent += 1
            // The header 0x80 and the root's event code, written together.
            constantBits(0x80, width: 8, ctx, &L)
            constantBits(UInt64(i), width: width, ctx, &L)
            encodeContent(c, "v", ctx, &L)
            flushBits(ctx, &L)
            L.indent -= 1
        }
        L("}")
        L.close("} catch {")
        L.indent += 1
        L("throw EXIError.converting(error)")
        L.close()
        L.close()
        L.close()
    }

    /// The entry points shared by documents and fragments around `exiDecodeStream` and `exiEncodeStream`.
    func emitStreamEntryPoints(_ L: inout Lines) {
        L("/// Decodes an EXI stream in memory the caller owns, without copying it.")
        L("/// - Throws: ``EXIError`` for anything that is not a complete, valid stream of this schema.")
        L.open("public init(exi buffer: UnsafeRawBufferPointer) throws(EXIError) {")
        L("self = try EXIBitReader.withUnsafeReader(over: buffer, Self.exiDecodeStream)")
        L.close()
        L("")
        L("/// Encodes the value as an EXI stream with the header 0x80, into a new array of exactly its size.")
        L.open("public func exiEncoded() throws(EXIError) -> [UInt8] {")
        L("try EXIBitWriter.encodedBytes { (w: inout EXIBitWriter) throws(EXIError) in try self.exiEncodeStream(&w) }")
        L.close()
        L("")
        L("/// Encodes the value as an EXI stream into `buffer` without allocating; returns the number of bytes written.")
        L("/// - Throws: ``EXIError`` with code ``EXIError/Code/bufferTooSmall`` when the stream does not fit `buffer`,")
        L("///   or the value's own errors.")
        L.open("public func exiEncode(into buffer: UnsafeMutableRawBufferPointer) throws(EXIError) -> Int {")
        L("try EXIBitWriter.encode(into: buffer) { (w: inout EXIBitWriter) throws(EXIError) in try self.exiEncodeStream(&w) }")
        L.close()
        L("")
    }

    /// The schema-informed fragment grammar (EXI 1.0 §8.5.2): SE(F_i) for every element declaration, global and
    /// local, sorted by qname, then SE(*), then ED. Elements declared with different types use the element fragment
    /// grammar (EXI 1.0 §8.5.3).
    func emitFragment(name: String, root: String, elements: [String], doc: String, _ L: inout Lines) throws {
        let s = try set(root)
        var byName: [QName: [ElementDecl]] = [:]
        for d in s.allElementDecls {
            let t = try s.target(of: d)
            if !byName[t.qname, default: []].contains(where: { $0 === t }) { byName[t.qname, default: []].append(t) }
        }
        let all = byName.keys.sorted()
        let width = Grammar.width(all.count + 1)
        let endCode = all.count + 1
        let attributes = s.allAttributeQNames.sorted()
        L("/// \(doc)")
        L("///")
        L("/// EXI fragment grammar (EXI 1.0 §8.5.2): \(all.count) element names, event codes of \(width) bits, end of")
        L("/// fragment = \(endCode).")
        L.open("public indirect enum \(name): Sendable, Hashable {")
        struct Entry {
            var caseName: String
            var code: Int
            var content: ContentRef?
            var attrs: [QName]
            var decl: ElementDecl
        }
        var entries: [Entry] = []
        for local in elements {
            guard let q = all.first(where: { $0.local == local }), let code = all.firstIndex(of: q) else {
                throw GenError("fragment element \(local) not declared")
            }
            let decls = byName[q]!
            func typeKey(_ d: ElementDecl) -> String {
                if let a = d.anonymousComplex { return "anon:\(ObjectIdentifier(a))" }
                if let a = d.anonymousSimple { return "anons:\(ObjectIdentifier(a))" }
                return "\(d.typeName!)"
            }
            let n = lowerCamel(local)
            if Set(decls.map(typeKey)).count == 1 {
                let c = try content(of: decls[0], in: s)
                entries.append(Entry(caseName: n, code: code, content: c, attrs: [], decl: decls[0]))
                L("/// Element `\(local)` (fragment event code \(code)).")
                L("case \(n)(\(c.swiftType))")
            } else {
                var attrs: [QName] = []
                for d in decls {
                    if let t = d.typeName, let ct = s.complexTypes[t] {
                        for a in ct.attributes where !attrs.contains(a.qname) { attrs.append(a.qname) }
                    }
                }
                attrs.sort()
                entries.append(Entry(caseName: n, code: code, content: nil, attrs: attrs, decl: decls[0]))
                L("/// Element `\(local)` (fragment event code \(code)), declared \(decls.count) times with different types: encoded with the")
                L("/// element fragment grammar (EXI 1.0 §8.5.3), attributes and untyped characters.")
                L("case \(n)(ElementFragment)")
            }
        }
        if entries.contains(where: { $0.content == nil }) {
            let e = entries.first(where: { $0.content == nil })!
            L("")
            L("/// An element encoded with the element fragment grammar: its attributes and its character content.")
            L.open("public struct ElementFragment: Sendable, Hashable, Codable {")
            for a in e.attrs {
                L("/// Attribute `\(a.local)` in `\(a.ns)`.")
                L("public var \(lowerCamel(a.local)): String?")
            }
            L("/// The character content.")
            L("public var value: String")
            L.open("public init(\(e.attrs.map { "\(lowerCamel($0.local, escape: false)): String? = nil" }.joined(separator: ", "))\(e.attrs.isEmpty ? "" : ", ")value: String) {")
            for a in e.attrs { L("self.\(lowerCamel(a.local, escape: false)) = \(lowerCamel(a.local, escape: false))") }
            L("self.value = value")
            L.close()
            L.close()
        }
        L.close()
        L("")
        var jsonCases: [(caseName: String, xmlName: String, node: Node)] = []
        for e in entries {
            if let c = e.content {
                jsonCases += elementCases([(e.caseName, e.decl, c)])
            } else {
                jsonCases.append((e.caseName, e.decl.qname.local, Node.element(members: [Member(id: 0, decl: e.decl, content: .complex("\(name).ElementFragment"), caseName: e.caseName)], groupEnum: nil, min: 1, max: .bounded(1))))
            }
        }
        emitChoiceCodable(name, jsonCases, &L)
        L("")
        let m = all.count
        let n = attributes.count
        let w0 = Grammar.width(n + m + 4)
        let w1 = Grammar.width(m + 3)
        L.open("extension \(name) {")
        L("/// The end-of-fragment event code.")
        L("public static let exiEndOfFragmentCode = \(endCode)")
        L("")
        L("/// Decodes an EXI fragment (header 0x80, one element, end of fragment). `bytes` is borrowed: the call")
        L("/// neither retains nor releases the caller's array.")
        L.open("public init(exi bytes: borrowing [UInt8]) throws(EXIError) {")
        L("self = try EXIBitReader.withReader(over: bytes, Self.exiDecodeStream)")
        L.close()
        L("")
        emitStreamEntryPoints(&L)
        L("/// Reads the header, the fragment, the end of fragment and the padding from `r`.")
        L.open("package static func exiDecodeStream(_ r: inout EXIBitReader) throws(EXIError) -> Self {")
        L("try r.readHeader()")
        L("let at = r.bitPosition")
        L("let result: Self")
        L("switch try r.readEventCode(width: \(width)) {")
        for e in entries {
            L("case \(e.code):")
            L.indent += 1
            if let c = e.content {
                decodeContent(c, into: "v", &L)
                L("result = .\(e.caseName)(v)")
            } else {
                for a in e.attrs { L("var \(lowerCamel(a.local)): String? = nil") }
                L("var value = \"\"")
                L("var state0 = true")
                L.open("loop: while true {")
                L("let codeAt = r.bitPosition")
                L("let code = try r.readEventCode(width: state0 ? \(w0) : \(w1))")
                L("switch (state0, code) {")
                for a in e.attrs {
                    L("case (true, \(attributes.firstIndex(of: a)!)): \(lowerCamel(a.local)) = try r.readString(maxLength: nil)")
                }
                L("case (true, \(n + m + 3)), (false, \(m + 2)): value += try r.readString(maxLength: nil); state0 = false")
                L("case (true, \(n + m + 2)), (false, \(m + 1)): break loop")
                L("default: throw EXIError.unexpectedEvent(\"element fragment grammar: event code \\(code) is not supported\", atBit: codeAt)")
                L("}")
                L.close()
                L("result = .\(e.caseName)(ElementFragment(\(e.attrs.map { "\(lowerCamel($0.local, escape: false)): \(lowerCamel($0.local))" }.joined(separator: ", "))\(e.attrs.isEmpty ? "" : ", ")value: value))")
            }
            L.indent -= 1
        }
        L("case let code: throw EXIError.unexpectedEvent(\"\(name): fragment event code \\(code) is not supported\", atBit: at)")
        L("}")
        L("let endAt = r.bitPosition")
        L("guard try r.readEventCode(width: \(width)) == \(endCode) else {")
        L("    throw EXIError.unexpectedEvent(\"\(name): expected end of fragment\", atBit: endAt)")
        L("}")
        L("try r.checkEnd()")
        L("return result")
        L.close()
        L("")
        L("/// Writes the fragment to `w`: header 0x80, the element, end of fragment.")
        L.open("package func exiEncodeStream(_ w: inout EXIBitWriter) throws(EXIError) {")
        L("w.writeHeader()")
        L.open("do {")
        L("switch self {")
        for e in entries {
            L("case .\(e.caseName)(let v):")
            L.indent += 1
            if let c = e.content {
                let ctx = Ctx(typeName: name)
                constantBits(UInt64(e.code), width: width, ctx, &L)
                encodeContent(c, "v", ctx, &L)
                flushBits(ctx, &L)
            } else {
                L("w.writeEventCode(\(e.code), width: \(width))")
                for a in e.attrs {
                    L.open("if let a = v.\(lowerCamel(a.local)) {")
                    L("w.writeEventCode(\(attributes.firstIndex(of: a)!), width: \(w0))")
                    L("w.writeString(a)")
                    L.close()
                }
                L.open("if v.value.isEmpty {")
                L("w.writeEventCode(\(n + m + 2), width: \(w0))")
                L.close("} else {")
                L.indent += 1
                L("w.writeEventCode(\(n + m + 3), width: \(w0))")
                L("w.writeString(v.value)")
                L("w.writeEventCode(\(m + 1), width: \(w1))")
                L.close()
            }
            L.indent -= 1
        }
        L("}")
        L.close("} catch {")
        L.indent += 1
        L("throw EXIError.converting(error)")
        L.close()
        L("w.writeEventCode(\(endCode), width: \(width))")
        L.close()
        L.close()
    }
}
