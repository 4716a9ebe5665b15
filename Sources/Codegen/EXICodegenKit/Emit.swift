import Foundation

extension Generator {
    // MARK: Values

    func decodeValue(_ k: ValueKind) -> String {
        switch k {
        case .string(let min, let max, nil): "try r.readString(minLength: \(min), maxLength: \(max.map(String.init) ?? "nil"))"
        case .string(let min, let max, let known?):
            "try r.readString(minLength: \(min), maxLength: \(max.map(String.init) ?? "nil"), known: \(known))"
        case .binary(let min, let max): "try r.readBinary(minLength: \(min), maxLength: \(max.map(String.init) ?? "nil"))"
        case .boolean: "try r.readBoolean()"
        case .bounded(let bits, let min, let max, let swift):
            "\(swift)(truncatingIfNeeded: try r.readBoundedInteger(bits: \(bits), min: \(min), max: \(max)))"
        case .unsigned(let min, let max, let swift):
            "\(swift)(truncatingIfNeeded: try r.readUnsignedInteger(min: \(min), max: \(max)))"
        case .signed(let min, let max, let swift):
            "\(swift)(truncatingIfNeeded: try r.readInteger(min: \(min == Int64.min ? "Int64.min" : String(min)), max: \(max)))"
        case .enumeration(let t, let bits, let count):
            "\(t)(exiIndex: try r.readEnumerationIndex(bits: \(bits), count: \(count)))"
        case .bigInteger: "try r.readBigInteger()"
        }
    }

    func encodeValue(_ k: ValueKind, _ e: String) -> String {
        switch k {
        case .string(let min, let max, _): "try w.writeString(\(e), minLength: \(min), maxLength: \(max.map(String.init) ?? "nil"))"
        case .binary(let min, let max): "try w.writeBinary(\(e), minLength: \(min), maxLength: \(max.map(String.init) ?? "nil"))"
        case .boolean: "w.writeBoolean(\(e))"
        case .bounded(let bits, let min, let max, _): "try w.writeBoundedInteger(\(e), bits: \(bits), min: \(min), max: \(max))"
        case .unsigned(let min, let max, _): "try w.writeUnsignedInteger(\(e), min: \(min), max: \(max))"
        case .signed(let min, let max, _):
            "try w.writeInteger(\(e), min: \(min == Int64.min ? "Int64.min" : String(min)), max: \(max))"
        case .enumeration(_, let bits, _): "w.writeBits(UInt64(\(e).exiIndex), count: \(bits))"
        case .bigInteger: "try w.writeBigInteger(\(e))"
        }
    }

    func decodeContent(_ c: ContentRef, into v: String, _ L: inout Lines, _ ctx: Ctx? = nil) {
        switch c {
        case .simple(let k):
            ctx?.valueKinds[v] = k
            L("try r.readSimpleContentStart()")
            L("let \(v) = \(decodeValue(k))")
            L("try r.readSimpleContentEnd()")
        case .complex(let t):
            L("let \(v) = try \(t).exiDecode(&r)")
        }
    }

    func encodeContent(_ c: ContentRef, _ e: String, _ ctx: Ctx, _ L: inout Lines) {
        switch c {
        case .simple(let k):
            // CH, the value, EE: the CH and EE event codes are one 0 bit each.
            constantBits(0, width: 1, ctx, &L)
            emitLine(encodeValue(k, e), ctx, &L)
            constantBits(0, width: 1, ctx, &L)
        case .complex:
            emitLine("try \(e).exiEncode(&w)", ctx, &L)
        }
    }

    // MARK: Struct decoding (LL(1) walk over the particle tree; event codes from the grammar states)

    final class Ctx {
        var counter = 0
        let typeName: String
        init(typeName: String) { self.typeName = typeName }
        func fresh() -> String {
            counter += 1
            return "v\(counter)"
        }

        // Encoder: what is known at generation time about the grammar state at the current point of the generated
        // code. `states` is the set of states the encoder can be in (nil: any); where it is one state whose
        // production for the next event is not a counted repetition, the event code is a constant and is written
        // directly instead of through `_exiEmit`. Constant bits (event codes, the CH and EE codes around simple
        // content) are collected in `pendingValue`/`pendingWidth` and written with one `writeBits` call.
        var grammar: Grammar? = nil
        var ids: [Terminal: Int] = [:]
        var states: Set<Int>? = [0]
        var pendingValue: UInt64 = 0
        var pendingWidth = 0
        /// Whether the generated encoder calls `_exiEmit` (and so needs the runtime state variables).
        var usesRuntimeState = false

        // Decoder: after an event code was read, the state each event id leads to (nil: not known). Where the state
        // before a read is one known state, the event code is read inline with that state's width and productions
        // instead of through `_exiNext`.
        var afterRead: [Int: Set<Int>]? = nil
        /// The event just read when its state allows only one (`ev` then holds a constant: no check is generated).
        var knownEvent: Int? = nil
        /// Whether the generated decoder compares `ev` anywhere (else `ev` is not declared and its stores are dropped).
        var readsEvent = false
        /// The kind of each simple value the decoder reads, by the name of its variable.
        var valueKinds: [String: ValueKind] = [:]
    }

    /// `guard ev == id`, unless the event just read is known to be `id`.
    func checkEvent(_ id: Int, _ what: String, _ ctx: Ctx, _ L: inout Lines) {
        if ctx.knownEvent == id { return }
        L("guard ev == \(id) else { \(unexpected(ctx, what)) }")
    }

    /// The state event `id`, just read, has led to (nil: not known).
    func stateAfter(_ id: Int, _ ctx: Ctx) -> Set<Int>? {
        guard let known = ctx.afterRead, let states = known[id], !states.isEmpty else { return nil }
        return states
    }

    /// The union of two read outcomes.
    func merge(_ a: [Int: Set<Int>]?, _ b: [Int: Set<Int>]?) -> [Int: Set<Int>]? {
        guard var a, let b else { return nil }
        for (id, states) in b { a[id, default: []].formUnion(states) }
        return a
    }

    /// Reads the next event code into `ev`, from the states in `ctx.states`.
    func emitRead(_ ctx: Ctx, _ L: inout Lines) {
        if let known = ctx.states, known.count == 1, let state = known.first, let g = ctx.grammar, state >= 0,
            state < g.states.count, g.counted[state] == nil,
            g.states[state].allSatisfy({ ctx.ids[$0.terminal] != nil })
        {
            let productions = g.states[state]
            let width = Grammar.width(productions.count)
            var outcome: [Int: Set<Int>] = [:]
            if productions.count == 1, let p = productions.first, let id = ctx.ids[p.terminal] {
                L("guard try r.readEventCode(width: \(width)) == 0 else { throw Self._exiUndeclared(\(state), at: r.bitPosition &- \(width)) }")
                L("\(Self.eventStoreMarker)ev = \(id)")
                L("\(Self.stateStoreMarker)s = \(p.next)")
                outcome[id, default: []].insert(p.next)
                ctx.afterRead = outcome
                ctx.knownEvent = id
                return
            } else {
                L("switch try r.readEventCode(width: \(width)) {")
                for (code, p) in productions.enumerated() {
                    guard let id = ctx.ids[p.terminal] else { continue }
                    L("case \(code):")
                    L.indent += 1
                    L("\(Self.eventStoreMarker)ev = \(id)")
                    L("\(Self.stateStoreMarker)s = \(p.next)")
                    L.indent -= 1
                    outcome[id, default: []].insert(p.next)
                }
                L("default: throw Self._exiUndeclared(\(state), at: r.bitPosition &- \(width))")
                L("}")
            }
            ctx.afterRead = outcome
            ctx.knownEvent = nil
            return
        }
        ctx.knownEvent = nil
        L("\(Self.eventStoreMarker)ev = try Self._exiNext(&s, &rep, &r)")
        ctx.usesRuntimeState = true
        var outcome: [Int: Set<Int>] = [:]
        let candidates = ctx.states.map(Array.init) ?? Array(0..<(ctx.grammar?.states.count ?? 0))
        for state in candidates where state >= 0 {
            guard let g = ctx.grammar, state < g.states.count else { continue }
            for p in g.states[state] {
                guard let id = ctx.ids[p.terminal] else { continue }
                outcome[id, default: []].insert(p.next)
                if let c = g.counted[state], c.terminals.contains(p.terminal) { outcome[id, default: []].insert(state) }
            }
        }
        ctx.afterRead = outcome
    }

    /// The marker of a line that keeps the runtime state variable in step with a constant event code; such lines are
    /// kept when the encoder also emits events through `_exiEmit`, and dropped otherwise.
    static let stateStoreMarker = "/*state*/ "
    /// The marker of a line that stores the event just read in `ev`; kept when the decoder compares `ev`, else dropped
    /// (a run-time read is then kept for its checks, its result discarded).
    static let eventStoreMarker = "/*event*/ "

    /// The production of event `id` in `state`: its code, the state's code width, the next state, and whether it is
    /// a counted repetition (next state decided at run time).
    func production(_ ctx: Ctx, state: Int, id: Int) -> (code: Int, width: Int, next: Int, counted: Bool)? {
        guard let g = ctx.grammar, state >= 0, state < g.states.count else { return nil }
        let st = g.states[state]
        for (code, p) in st.enumerated() where ctx.ids[p.terminal] == id {
            let counted = g.counted[state].map { $0.terminals.contains(p.terminal) } ?? false
            return (code, Grammar.width(st.count), p.next, counted)
        }
        return nil
    }

    /// Appends constant bits to the pending run, writing the run first when it would grow past 56 bits.
    func constantBits(_ value: UInt64, width: Int, _ ctx: Ctx, _ L: inout Lines) {
        if ctx.pendingWidth + width > 56 { flushBits(ctx, &L) }
        ctx.pendingValue = ctx.pendingValue << UInt64(width) | value
        ctx.pendingWidth += width
    }

    /// Writes the pending constant bits.
    func flushBits(_ ctx: Ctx, _ L: inout Lines) {
        guard ctx.pendingWidth > 0 else { return }
        L("w.writeBits(0x\(String(ctx.pendingValue, radix: 16)), count: \(ctx.pendingWidth))")
        ctx.pendingValue = 0
        ctx.pendingWidth = 0
    }

    /// An encoder line: pending constant bits go first.
    func emitLine(_ line: String, _ ctx: Ctx, _ L: inout Lines) {
        flushBits(ctx, &L)
        L(line)
    }

    /// Writes the event code of event `id`: a constant when the state is known, else through `_exiEmit`.
    func emitEvent(_ id: Int, _ ctx: Ctx, _ L: inout Lines) {
        if let known = ctx.states, known.count == 1, let state = known.first,
            let p = production(ctx, state: state, id: id), !p.counted
        {
            constantBits(UInt64(p.code), width: p.width, ctx, &L)
            L("\(Self.stateStoreMarker)s = \(p.next)")
            ctx.states = [p.next]
            return
        }
        emitLine("try Self._exiEmit(&s, &rep, \(id), &w)", ctx, &L)
        ctx.usesRuntimeState = true
        // Afterwards the state is the target of a production of this event, or the counted state itself.
        var next: Set<Int> = []
        let candidates = ctx.states.map(Array.init) ?? Array(0..<(ctx.grammar?.states.count ?? 0))
        for state in candidates {
            guard let p = production(ctx, state: state, id: id) else { continue }
            next.insert(p.next)
            if p.counted { next.insert(state) }
        }
        ctx.states = next
    }

    /// Appends `body` to `L`, with the lines that carry `marker` kept (marker removed) or, when not `keep`, replaced
    /// by what `dropped` makes of them (nil: left out).
    func appendMarked(
        _ body: Lines, marker: String, keep: Bool, to L: inout Lines, dropped: (String) -> String? = { _ in nil }
    ) {
        for line in body.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            guard let range = line.range(of: marker) else {
                L.text += line + "\n"
                continue
            }
            let unmarked = line.replacingCharacters(in: range, with: "")
            if keep {
                L.text += unmarked + "\n"
            } else if let replacement = dropped(unmarked) {
                L.text += replacement + "\n"
            }
        }
    }

    /// The most bits one check of constant reads covers: at any bit offset they lie within two octets.
    static let maxCoalescedBits = 9

    /// The number of bits a generated decoder line reads when it is a read of a constant 0 (the CH and EE codes around
    /// simple content, an event code of a state with one production), else nil.
    func constantReadWidth(_ line: Substring) -> Int? {
        if line == "try r.readSimpleContentStart()" || line == "try r.readSimpleContentEnd()" { return 1 }
        let prefix = "guard try r.readEventCode(width: "
        guard line.hasPrefix(prefix), line.hasSuffix(") }"), line.contains(") == 0 else { throw Self._exiUndeclared(")
        else { return nil }
        return Int(line.dropFirst(prefix.count).prefix { $0.isNumber })
    }

    /// Whether a generated decoder line stores a constant in `ev` or `s` (it reads nothing and may move past reads).
    func isConstantStore(_ line: Substring) -> Bool {
        for name in ["ev = ", "s = "] where line.hasPrefix(name) {
            let value = line.dropFirst(name.count)
            return Int(value) != nil
        }
        return false
    }

    /// Replaces each run of two or more constant reads in a decoder body (with constant stores between them) by one
    /// `skipZeroBits` check of all their bits. When the check fails (a bit is 1, or the input ends) the reads run one
    /// at a time as before, so the error and the bit position it names are the same. Constant stores in the run go
    /// after it: reads of constants neither use nor change `ev` and `s`.
    func coalesceConstantReads(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [Substring] = []
        var i = 0
        while i < lines.count {
            var j = i
            var bits = 0
            var reads: [Substring] = []
            var stores: [Substring] = []
            var indent: Substring? = nil
            while j < lines.count {
                let line = lines[j]
                let code = line.drop { $0 == " " }
                let lineIndent = line.prefix(line.count - code.count)
                if let indent, lineIndent != indent { break }
                if let width = constantReadWidth(code) {
                    guard bits + width <= Self.maxCoalescedBits else { break }
                    bits += width
                    reads.append(line)
                    indent = lineIndent
                } else if indent != nil, isConstantStore(code) {
                    stores.append(line)
                } else {
                    break
                }
                j += 1
            }
            guard reads.count >= 2, let indent else {
                out.append(lines[i])
                i += 1
                continue
            }
            // Stores after the last read stay where they were.
            out.append("\(indent)if !r.skipZeroBits(\(bits)) {")
            for line in reads { out.append("    " + line) }
            out.append("\(indent)}")
            out.append(contentsOf: stores)
            i = j
        }
        return out.joined(separator: "\n")
    }

    /// The bits an `EXIWindow` holds at any bit offset (`EXIWindow.capacity` in the EXI runtime, which this target
    /// does not import).
    static let windowBits = 57

    /// A fast path for a decoder body that is one fixed sequence of constant event codes and simple values of at
    /// most `windowBits` in all (booleans, bounded and enumerated values, integers of up to three octets): it reads them
    /// all from one ``EXIWindow`` and returns, or, where the window is not available or a read returns nil, leaves
    /// the input to the reads of `body`, which follow it. Nil for any other body (one that compares events, loops,
    /// reads strings or binary data, or calls another type's decoder).
    func windowFastPath(_ body: String, _ kinds: [String: ValueKind]) -> String? {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first else { return nil }
        let indent = String(first.prefix { $0 == " " })
        var out: [String] = []
        var bits = 0
        var values = 0
        var index = 0
        var result: Substring? = nil
        let skipCall = "if !r.skipZeroBits("
        func zeros(_ count: Int) {
            bits += count
            out.append("guard f.zeros(\(count)) else { break window }")
        }
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix(indent) else { return nil }
            let code = line.dropFirst(indent.count)
            index += 1
            if code.hasPrefix("return Self(") {
                guard index == lines.count else { return nil }
                result = code
            } else if code.hasPrefix(skipCall), let count = Int(code.dropFirst(skipCall.count).prefix { $0.isNumber }) {
                // The checked run and, up to its closing brace, the reads that name the error.
                while index < lines.count, lines[index] != indent + "}" { index += 1 }
                guard index < lines.count else { return nil }
                index += 1
                zeros(count)
            } else if let width = constantReadWidth(code) {
                zeros(width)
            } else if code.hasPrefix("let v"), let equals = code.firstIndex(of: "=") {
                let name = String(code.dropFirst(4).prefix { $0 != " " })
                guard code[code.index(after: equals)...].hasPrefix(" "), let kind = kinds[name] else { return nil }
                values += 1
                switch kind {
                case .boolean:
                    bits += 1
                    out.append("let \(name) = f.boolean()")
                case .bounded(let width, let min, let max, let swift):
                    bits += width
                    out.append("guard let \(name) = f.bounded(bits: \(width), min: \(min), max: \(max), as: \(swift).self) else { break window }")
                case .enumeration(let type, let width, let count):
                    bits += width
                    out.append("guard let i\(name.dropFirst()) = f.index(bits: \(width), count: \(count)) else { break window }")
                    out.append("let \(name) = \(type)(exiIndex: i\(name.dropFirst()))")
                case .unsigned(let min, let max, let swift):
                    bits += 24  // up to three octets; a longer one leaves the window path
                    out.append("guard let \(name) = f.unsigned(min: \(min), max: \(max), as: \(swift).self) else { break window }")
                case .signed(let min, let max, let swift):
                    bits += 25  // the sign, then up to three octets
                    let low = min == Int64.min ? "Int64.min" : String(min)
                    out.append("guard let \(name) = f.integer(min: \(low), max: \(max), as: \(swift).self) else { break window }")
                case .string, .binary, .bigInteger:
                    return nil
                }
            } else {
                return nil
            }
        }
        guard let result, values > 0, bits <= Self.windowBits else { return nil }
        var text = indent + "// The whole content from one window of the input; else (near its end, an integer of more than three\n"
        text += indent + "// octets, or content the reads below reject) the reads one at a time.\n"
        text += indent + "window: if var f = r.window() {\n"
        for line in out { text += indent + "    " + line + "\n" }
        text += indent + "    r.advance(past: f)\n"
        text += indent + "    " + result + "\n"
        text += indent + "}\n"
        return text
    }

    /// The union of two state sets (nil: any state).
    func union(_ a: Set<Int>?, _ b: Set<Int>?) -> Set<Int>? {
        guard let a, let b else { return nil }
        return a.union(b)
    }

    func cond(_ ids: [Int], _ ctx: Ctx) -> String {
        if ids.isEmpty { return "false" }
        ctx.readsEvent = true
        return ids.map { "ev == \($0)" }.joined(separator: " || ")
    }

    /// `switch ev {`, noting that the decoder compares `ev`.
    func switchOnEvent(_ ctx: Ctx, _ L: inout Lines) {
        ctx.readsEvent = true
        L("switch ev {")
    }

    func unexpected(_ ctx: Ctx, _ what: String) -> String {
        ctx.readsEvent = true
        return "throw EXIError.unexpectedEvent(\"\(ctx.typeName): \(what), got event \\(ev)\", atBit: r.bitPosition)"
    }

    /// Declares `let v` holding one occurrence of `node` (cardinality ignored).
    func decodeOne(_ node: Node, into v: String, _ ctx: Ctx, _ L: inout Lines) {
        switch node {
        case .attribute(let q, let k, let id, _):
            checkEvent(id, "expected AT(\(q.local))", ctx, &L)
            ctx.states = stateAfter(id, ctx)
            ctx.valueKinds[v] = k
            L("let \(v) = \(decodeValue(k))")
            emitRead(ctx, &L)
        case .simpleContent(let k):
            checkEvent(1, "expected CH", ctx, &L)
            ctx.states = stateAfter(1, ctx)
            ctx.valueKinds[v] = k
            L("let \(v) = \(decodeValue(k))")
            emitRead(ctx, &L)
        case .element(let members, let groupEnum, _, _):
            if let groupEnum {
                var states: Set<Int>? = []
                for m in members { states = union(states, stateAfter(m.id, ctx)) }
                L("let \(v): \(groupEnum)")
                switchOnEvent(ctx, &L)
                for m in members {
                    L("case \(m.id):")
                    L.indent += 1
                    let t = ctx.fresh()
                    decodeContent(m.content, into: t, &L, ctx)
                    L("\(v) = .\(m.caseName)(\(t))")
                    L.indent -= 1
                }
                L("default: \(unexpected(ctx, "expected \(members[0].decl.qname.local) or a substitute"))")
                L("}")
                ctx.states = states
            } else {
                checkEvent(members[0].id, "expected SE(\(members[0].decl.qname.local))", ctx, &L)
                ctx.states = stateAfter(members[0].id, ctx)
                decodeContent(members[0].content, into: v, &L, ctx)
            }
            emitRead(ctx, &L)
        case .choice(let c, _, _):
            L("let \(v): \(c.name)")
            switchOnEvent(ctx, &L)
            let before = ctx.afterRead
            var after: [Int: Set<Int>]? = [:]
            for alt in c.alternatives {
                L("case \(alt.node.first.map(String.init).joined(separator: ", ")):")
                L.indent += 1
                ctx.afterRead = before
                let t = ctx.fresh()
                decodeField(alt.node, into: t, ctx, &L)
                L("\(v) = .\(alt.caseName)(\(t))")
                after = merge(after, ctx.afterRead)
                L.indent -= 1
            }
            L("default: \(unexpected(ctx, "no alternative of the choice"))")
            L("}")
            ctx.afterRead = after
            ctx.knownEvent = nil
        case .group(let g, _, _):
            var args: [String] = []
            for f in g.fields {
                if case .wildcard = f.node { continue }
                let t = ctx.fresh()
                decodeField(f.node, into: t, ctx, &L)
                args.append("\(f.name.replacingOccurrences(of: "`", with: "")): \(t)")
            }
            L("let \(v) = \(g.name)(\((args + ["_exiMemberwise: EXIMemberwise()"]).joined(separator: ", ")))")
        case .wildcard:
            break
        }
    }

    /// Declares `v` holding the field with its cardinality.
    func decodeField(_ node: Node, into v: String, _ ctx: Ctx, _ L: inout Lines) {
        let (min, max) = node.cardinality
        if case .wildcard = node { return }
        if node.isArray {
            // The read outcomes at the top of the loop: those before it and those one more pass can end in, to a
            // fixpoint.
            var entry = ctx.afterRead
            while true {
                let saved = (ctx.counter, ctx.usesRuntimeState)
                ctx.afterRead = entry
                ctx.knownEvent = nil
                var scratch = Lines()
                decodeOne(node, into: "x", ctx, &scratch)
                (ctx.counter, ctx.usesRuntimeState) = saved
                let widened = merge(entry, ctx.afterRead)
                if widened == entry { break }
                entry = widened
            }
            ctx.afterRead = entry
            ctx.knownEvent = nil
            L("var \(v): [\(node.baseSwiftType)] = []")
            L.open("while \(cond(node.first, ctx)) {")
            if case .bounded(let m) = max {
                L("if \(v).count == \(m) { throw EXIError.lengthLimitExceeded(\"\(ctx.typeName): more than \(m) items\", atBit: r.bitPosition) }")
            }
            // One allocation for the usual lists instead of growing from one element (EXIArrayCapacity.first).
            var limit = "Int.max"
            if case .bounded(let m) = max { limit = "\(m)" }
            L("if \(v).isEmpty { \(v).reserveCapacity(EXIArrayCapacity.first(of: \(node.baseSwiftType).self, maxOccurs: \(limit))) }")
            let t = ctx.fresh()
            decodeOne(node, into: t, ctx, &L)
            L("\(v).append(\(t))")
            L.close()
            ctx.afterRead = entry
            ctx.knownEvent = nil
            if min > 0 {
                L("if \(v).count < \(min) { throw EXIError.lengthLimitExceeded(\"\(ctx.typeName): fewer than \(min) items\", atBit: r.bitPosition) }")
            }
        } else if min == 0 {
            L("var \(v): \(node.baseSwiftType)? = nil")
            L.open("if \(cond(node.first, ctx)) {")
            let before = ctx.afterRead
            let t = ctx.fresh()
            decodeOne(node, into: t, ctx, &L)
            L("\(v) = \(t)")
            L.close()
            ctx.afterRead = merge(before, ctx.afterRead)
            ctx.knownEvent = nil
        } else {
            decodeOne(node, into: v, ctx, &L)
        }
    }

    // MARK: Struct encoding

    func encodeOne(_ node: Node, _ e: String, _ ctx: Ctx, _ L: inout Lines) {
        switch node {
        case .attribute(_, let k, let id, _):
            emitEvent(id, ctx, &L)
            emitLine(encodeValue(k, e), ctx, &L)
        case .simpleContent(let k):
            emitEvent(1, ctx, &L)
            emitLine(encodeValue(k, e), ctx, &L)
        case .element(let members, let groupEnum, _, _):
            if groupEnum != nil {
                emitLine("switch \(e) {", ctx, &L)
                let before = ctx.states
                var after: Set<Int>? = []
                for m in members {
                    let t = ctx.fresh()
                    L("case .\(m.caseName)(let \(t)):")
                    L.indent += 1
                    ctx.states = before
                    emitEvent(m.id, ctx, &L)
                    encodeContent(m.content, t, ctx, &L)
                    flushBits(ctx, &L)
                    after = union(after, ctx.states)
                    L.indent -= 1
                }
                L("}")
                ctx.states = after
            } else {
                emitEvent(members[0].id, ctx, &L)
                encodeContent(members[0].content, e, ctx, &L)
            }
        case .choice(let c, _, _):
            emitLine("switch \(e) {", ctx, &L)
            let before = ctx.states
            var after: Set<Int>? = []
            for alt in c.alternatives {
                let t = ctx.fresh()
                L("case .\(alt.caseName)(let \(t)):")
                L.indent += 1
                ctx.states = before
                encodeField(alt.node, t, ctx, &L)
                flushBits(ctx, &L)
                after = union(after, ctx.states)
                L.indent -= 1
            }
            L("}")
            ctx.states = after
        case .group(let g, _, _):
            for f in g.fields { encodeField(f.node, "\(e).\(f.name)", ctx, &L) }
        case .wildcard: break
        }
    }

    func encodeField(_ node: Node, _ e: String, _ ctx: Ctx, _ L: inout Lines) {
        let (min, max) = node.cardinality
        if case .wildcard = node { return }
        if node.isArray {
            let maxString: String
            if case .bounded(let m) = max { maxString = String(m) } else { maxString = "nil" }
            emitLine("try EXIFacets.checkLength(\(e).count, min: \(min), max: \(maxString), \"\(ctx.typeName)\")", ctx, &L)
            // The states at the top of the loop: those before it and those one more pass can end in, to a fixpoint.
            var entry = ctx.states
            while true {
                let saved = (ctx.counter, ctx.usesRuntimeState)
                ctx.states = entry
                var scratch = Lines()
                encodeOne(node, "x", ctx, &scratch)
                ctx.pendingValue = 0
                ctx.pendingWidth = 0
                (ctx.counter, ctx.usesRuntimeState) = saved
                let widened = union(entry, ctx.states)
                if widened == entry { break }
                entry = widened
            }
            ctx.states = entry
            let t = ctx.fresh()
            L.open("for \(t) in \(e) {")
            encodeOne(node, t, ctx, &L)
            flushBits(ctx, &L)
            L.close()
            ctx.states = entry
        } else if min == 0 {
            let t = ctx.fresh()
            flushBits(ctx, &L)
            L.open("if let \(t) = \(e) {")
            let before = ctx.states
            encodeOne(node, t, ctx, &L)
            flushBits(ctx, &L)
            L.close()
            ctx.states = union(before, ctx.states)
        } else {
            encodeOne(node, e, ctx, &L)
        }
    }

    // MARK: Declarations

    func docComment(_ text: String?, _ L: inout Lines) {
        guard let text, !text.isEmpty else { return }
        L("/// \(text)")
        L("///")
    }

    /// The stored fields of a struct in its body (`L`), and its public initializer in an extension (`after`, to follow
    /// the struct): an initializer in the body would take the implicit memberwise one away, which the decoder uses.
    func emitFields(_ fields: [FieldModel], typeName: String, _ L: inout Lines, after: inout Lines) {
        let stored = fields.filter { if case .wildcard = $0.node { return false } else { return true } }
        for f in stored {
            var what = ""
            switch f.node {
            case .attribute(let q, _, _, _): what = "Attribute `\(q.local)`."
            case .simpleContent: what = "The element's simple content."
            case .element(let m, _, let min, let max):
                what = "Element `\(m[0].decl.qname.local)`" + (m.count > 1 ? " or a member of its substitution group" : "")
                    + " (\(min)..\(max == .unbounded ? "unbounded" : "\(max)"))."
                    .replacingOccurrences(of: "bounded(", with: "").replacingOccurrences(of: "))", with: ")")
            case .choice: what = "One of the schema's choice alternatives."
            case .group: what = "A repeated or optional sequence of the schema."
            case .wildcard: break
            }
            L("/// \(what)")
            L("public var \(f.name): \(f.node.swiftType)")
        }
        L("")
        L("/// Not a field: it gives the memberwise initializer the decoder uses a name of its own (see ``EXIMemberwise``).")
        // No default value: the memberwise initializer then always takes it, and no call with the fields' names alone
        // is ambiguous between the two.
        L("fileprivate var _exiMemberwise: EXIMemberwise")
        let params = stored.map { f -> String in
            let label = f.name.replacingOccurrences(of: "`", with: "")
            if f.node.isArray { return "\(label): \(f.node.swiftType) = []" }
            if f.node.isOptional { return "\(label): \(f.node.swiftType) = nil" }
            return "\(label): \(f.node.swiftType)"
        }
        after("")
        after.open("extension \(typeName) {")
        after("/// Creates a value from its fields (array sizes and facets are checked when encoding).")
        after.open("public init(\(params.joined(separator: ", "))) {")
        for f in stored {
            let label = f.name.replacingOccurrences(of: "`", with: "")
            after("self.\(label) = \(label)")
        }
        after("self._exiMemberwise = EXIMemberwise()")
        after.close()
        after.close()
    }

    func emitNested(_ model: StructModel, scope: String, _ L: inout Lines, after: inout Lines) {
        for n in model.nested {
            if let c = n as? ChoiceModel {
                guard parentScope(c.name) == scope else { continue }
                let local = String(c.name.split(separator: ".").last!)
                L("")
                L("/// The alternatives of a choice in `\(model.xsdName)`, one case per element.")
                L.open("public enum \(local): Sendable, Hashable {")
                for alt in c.alternatives {
                    L("/// Element `\(alt.xmlName)`.")
                    L("case \(alt.caseName)(\(alt.node.swiftType))")
                }
                emitNestedIn(model, scope: c.name, &L, after: &after)
                L.close()
            } else if let g = n as? GroupModel {
                guard parentScope(g.name) == scope else { continue }
                let local = String(g.name.split(separator: ".").last!)
                L("")
                L("/// A nested sequence of `\(model.xsdName)`.")
                L.open("public struct \(local): Sendable, Hashable {")
                emitFields(g.fields, typeName: g.name, &L, after: &after)
                emitNestedIn(model, scope: g.name, &L, after: &after)
                L.close()
            }
        }
    }

    func emitNestedIn(_ model: StructModel, scope: String, _ L: inout Lines, after: inout Lines) {
        emitNested(model, scope: scope, &L, after: &after)
    }

    func parentScope(_ name: String) -> String {
        var parts = name.split(separator: ".")
        parts.removeLast()
        return parts.joined(separator: ".")
    }

    func emitStruct(_ model: StructModel, _ L: inout Lines) {
        docComment(model.def.documentation, &L)
        let q = model.def.name.map { "complex type `\($0.local)`" } ?? "the anonymous type of element `\(model.xsdName)`"
        L("/// XSD: \(q) in `\(model.def.name?.ns ?? model.key)`.")
        L.open("public struct \(model.swiftName): Sendable, Hashable {")
        // The initializers' extensions follow the struct, at its level (nested types' too).
        var after = Lines()
        after.indent = L.indent - 1
        emitFields(model.fields, typeName: model.swiftName, &L, after: &after)
        emitNested(model, scope: model.swiftName, &L, after: &after)
        L.close()
        L.text += after.text
        L("")
        emitCodec(model, &L)
        L("")
        emitModelCodable(model, &L)
    }

    func emitCodec(_ model: StructModel, _ L: inout Lines) {
        let g = model.grammar
        let ctx = Ctx(typeName: model.swiftName)
        L.open("extension \(model.swiftName) {")
        // Decoder.
        L("/// Decodes the content of an element of this type (after its SE event, up to and including EE).")
        L.open("package static func exiDecode(_ r: inout EXIBitReader) throws(EXIError) -> Self {")
        let hasFields = model.fields.contains { if case .wildcard = $0.node { return false } else { return true } }
        ctx.grammar = g
        ctx.ids = model.ids
        ctx.states = [0]
        ctx.usesRuntimeState = false
        ctx.readsEvent = false
        var decoder = Lines()
        decoder.indent = L.indent
        emitRead(ctx, &decoder)
        var args: [String] = []
        for f in model.fields {
            if case .wildcard = f.node { continue }
            let v = ctx.fresh()
            decodeField(f.node, into: v, ctx, &decoder)
            args.append("\(f.name.replacingOccurrences(of: "`", with: "")): \(v)")
        }
        checkEvent(0, "expected EE", ctx, &decoder)
        // The implicit memberwise initializer: the public one, written out, makes the optimizer copy (retain and
        // release) the fields of a struct with optional fields over six words long before returning it.
        decoder("return Self(\((args + ["_exiMemberwise: EXIMemberwise()"]).joined(separator: ", ")))")
        if ctx.usesRuntimeState {
            L("var s = 0")
            L("var rep = 0")
        }
        // Where every event is known when it is read, `ev` is never compared: it is then not declared at all.
        if ctx.readsEvent { L("\(hasFields ? "var" : "let") ev: Int") }
        var kept = Lines()
        appendMarked(decoder, marker: Self.eventStoreMarker, keep: ctx.readsEvent, to: &kept) { line in
            line.contains("= try ") ? line.replacingOccurrences(of: "ev = try", with: "_ = try") : nil
        }
        var decoderBody = Lines()
        appendMarked(kept, marker: Self.stateStoreMarker, keep: ctx.usesRuntimeState, to: &decoderBody)
        let reads = coalesceConstantReads(decoderBody.text)
        if let fast = windowFastPath(reads, ctx.valueKinds) { L.text += fast }
        L.text += reads
        L.close()
        L("")
        L("/// Encodes the content of an element of this type (after its SE event, up to and including EE).")
        L("/// Errors are `EXIError`s, thrown untyped (see ``EXIError/converting(_:)``).")
        // An encoder only reads the value: it releases no object its caller holds (only temporaries of its own, when
        // it builds an error). Said to the optimizer, a caller borrows array elements and enum payloads in place
        // instead of retaining them around the call.
        L("@_effects(releasenone)")
        L.open("package func exiEncode(_ w: inout EXIBitWriter) throws {")
        ctx.states = [0]
        ctx.usesRuntimeState = false
        var body = Lines()
        body.indent = L.indent
        for f in model.fields { encodeField(f.node, "self.\(f.name)", ctx, &body) }
        emitEvent(0, ctx, &body)
        flushBits(ctx, &body)
        if ctx.usesRuntimeState {
            L("var s = 0")
            L("var rep = 0")
        }
        appendMarked(body, marker: Self.stateStoreMarker, keep: ctx.usesRuntimeState, to: &L)
        L.close()
        L("")
        // Grammar: event code per state.
        func describe(_ t: Terminal) -> String {
            switch t {
            case .at(let q): "AT(\(q.local))"
            case .atAny: "AT(*)"
            case .se(let q): "SE(\(q.local))"
            case .seAny: "SE(*)"
            case .ee: "EE"
            case .ch: "CH"
            case .chUntyped: "CH(untyped)"
            }
        }
        L("/// Reads the event code of state `s` (EXI 1.0 §8.5.4, non-strict) and moves to the next state.")
        L("@inline(__always)")
        L.open("static func _exiNext(_ s: inout Int, _ rep: inout Int, _ r: inout EXIBitReader) throws(EXIError) -> Int {")
        L("let at = r.bitPosition")
        L("switch s {")
        for (i, state) in g.states.enumerated() {
            let width = Grammar.width(state.count)
            L("case \(i):")
            L.indent += 1
            L("switch try r.readEventCode(width: \(width)) {")
            for (code, p) in state.enumerated() {
                switch p.terminal {
                case .seAny, .atAny, .chUntyped:
                    L("case \(code): throw EXIError.unexpectedEvent(\"\(model.swiftName): \(describe(p.terminal)) is not supported\", atBit: at)")
                default:
                    if let c = g.counted[i], c.terminals.contains(p.terminal) {
                        L("case \(code): rep &+= 1; if rep < \(c.limit) { s = \(i) } else { s = \(p.next); rep = 0 }; return \(model.ids[p.terminal]!)  // \(describe(p.terminal)), repeated")
                    } else {
                        L("case \(code): s = \(p.next); return \(model.ids[p.terminal]!)  // \(describe(p.terminal))")
                    }
                }
            }
            L("default: throw Self._exiUndeclared(\(i), at: at)")
            L("}")
            L.indent -= 1
        }
        L("default: throw Self._exiUndeclared(s, at: at)")
        L("}")
        L.close()
        L("")
        L("/// The error for an escape or an undeclared event code in state `s` (kept out of line: the decoder's fast path")
        L("/// stays small).")
        L("@inline(never)")
        L.open("static func _exiUndeclared(_ s: Int, at: Int) -> EXIError {")
        L("EXIError.unexpectedEvent(\"\(model.swiftName): escape or undeclared event code in state \\(s)\", atBit: at)")
        L.close()
        L("")
        L("/// Writes the event code of event `ev` in state `s` and moves to the next state.")
        L("@inline(__always) @_effects(releasenone)")
        L.open("static func _exiEmit(_ s: inout Int, _ rep: inout Int, _ ev: Int, _ w: inout EXIBitWriter) throws {")
        L("switch (s, ev) {")
        for (i, state) in g.states.enumerated() {
            let width = Grammar.width(state.count)
            for (code, p) in state.enumerated() {
                guard let id = model.ids[p.terminal] else { continue }
                if let c = g.counted[i], c.terminals.contains(p.terminal) {
                    L("case (\(i), \(id)): w.writeEventCode(\(code), width: \(width)); rep &+= 1; if rep < \(c.limit) { s = \(i) } else { s = \(p.next); rep = 0 }")
                } else {
                    L("case (\(i), \(id)): w.writeEventCode(\(code), width: \(width)); s = \(p.next)")
                }
            }
        }
        L("default: throw Self._exiNotAllowed(ev, s)")
        L("}")
        L.close()
        L("")
        L("/// The error for event `ev` in state `s`, where the grammar has no production for it.")
        L("@inline(never)")
        L.open("static func _exiNotAllowed(_ ev: Int, _ s: Int) -> EXIError {")
        L("EXIError.unexpectedEvent(\"\(model.swiftName): event \\(ev) not allowed in state \\(s)\")")
        L.close()
        L.close()
    }

    func emitEnum(name: String, def: SimpleTypeDef, _ L: inout Lines) {
        docComment(def.documentation, &L)
        L("/// XSD: simple type `\(def.name!.local)` in `\(def.name!.ns)`; EXI encodes the index in schema order.")
        L.open("public enum \(name): String, Sendable, Hashable, CaseIterable, Codable {")
        var used: Set<String> = []
        var caseNames: [String] = []
        for v in def.enumeration {
            var c = lowerCamel(v)
            while used.contains(c) { c = c.hasSuffix("`") ? "`\(c.dropFirst().dropLast())_`" : c + "_" }
            used.insert(c)
            caseNames.append(c)
            L("case \(c) = \(swiftStringLiteral(v))")
        }
        L("")
        L("/// The position of the value in the schema's enumeration.")
        L.open("@inlinable public var exiIndex: Int {")
        L("switch self {")
        for (i, c) in caseNames.enumerated() { L("case .\(c.replacingOccurrences(of: "`", with: "")): \(i)") }
        L("}")
        L.close()
        L("")
        L("/// The value at `exiIndex`, which the caller has checked against the number of values.")
        L.open("@inlinable @inline(__always) init(exiIndex: Int) {")
        L("switch exiIndex {")
        for (i, c) in caseNames.enumerated().dropLast() { L("case \(i): self = .\(c.replacingOccurrences(of: "`", with: ""))") }
        L("default: self = .\(caseNames.last!.replacingOccurrences(of: "`", with: ""))")
        L("}")
        L.close()
        L.close()
    }

    func emitGroupEnum(name: String, head: ElementDecl, in s: SchemaSet, _ L: inout Lines) throws {
        L("/// The substitution group of element `\(head.qname.local)`: the head and its members, in EXI order.")
        // Large groups (the -2/DIN body elements, the -20 control modes) are indirect: boxing keeps copies of the
        // enclosing values small. Small ones (time intervals, schedule entries) stay inline to avoid an allocation.
        // In a large group only the members whose type is large are boxed (`indirect case`): small request and
        // response bodies (SessionSetupReq, SessionStopRes, ...) decode without allocating a box.
        let members = s.substitutionSet(head)
        let large = members.count >= 5
        L.open("public enum \(name): Sendable, Hashable {")
        var list: [(String, ElementDecl, ContentRef)] = []
        for m in s.substitutionSet(head) {
            let c = try content(of: m, in: s)
            list.append((lowerCamel(m.qname.local), m, c))
            var boxed = false
            if large, case .complex(let t) = c { boxed = !(inlineStructs[t] ?? false) }
            L("/// Element `\(m.qname.local)`\(m.isAbstract ? " (abstract head)" : "").")
            L("\(boxed ? "indirect " : "")case \(lowerCamel(m.qname.local))(\(c.swiftType))")
        }
        L.close()
        L("")
        emitChoiceCodable(name, elementCases(list), &L)
    }
}

// MARK: JSON (Codable)

extension Generator {
    func isBinary(_ node: Node) -> Bool {
        switch node {
        case .attribute(_, let k, _, _), .simpleContent(let k): return k.isBinary
        case .element(let members, let g, _, _):
            if g != nil { return false }
            if case .simple(let k) = members[0].content { return k.isBinary }
            return false
        default: return false
        }
    }

    func jsonEncode(_ node: Node, _ e: String, key: String) -> String {
        let bin = isBinary(node)
        if node.isArray { return bin ? "try c.encodeHexArray(\(e), forKey: \(swiftStringLiteral(key)))" : "try c.encodeArray(\(e), forKey: \(swiftStringLiteral(key)))" }
        if node.isOptional { return bin ? "try c.encodeHexIfPresent(\(e), forKey: \(swiftStringLiteral(key)))" : "try c.encodeIfPresent(\(e), forKey: \(swiftStringLiteral(key)))" }
        return bin ? "try c.encodeHex(\(e), forKey: \(swiftStringLiteral(key)))" : "try c.encode(\(e), forKey: \(swiftStringLiteral(key)))"
    }

    func jsonDecode(_ node: Node, key: String) -> String {
        let bin = isBinary(node)
        let k = swiftStringLiteral(key)
        if node.isArray { return bin ? "try c.decodeHexArray(forKey: \(k))" : "try c.decodeArray([\(node.baseSwiftType)].self, forKey: \(k))" }
        if node.isOptional { return bin ? "try c.decodeHexIfPresent(forKey: \(k))" : "try c.decodeIfPresent(\(node.baseSwiftType).self, forKey: \(k))" }
        return bin ? "try c.decodeHex(forKey: \(k))" : "try c.decode(\(node.baseSwiftType).self, forKey: \(k))"
    }

    /// Whether a field is written into its parent's JSON object under the chosen element's name (choices and
    /// substitution groups that occur at most once), as `"Body": {"SessionSetupReq": {...}}`.
    func isFlattened(_ node: Node) -> Bool {
        if node.isArray { return false }
        switch node {
        case .choice: return true
        case .element(_, let g, _, _): return g != nil
        default: return false
        }
    }

    func emitStructCodable(_ name: String, _ fields: [FieldModel], _ L: inout Lines) {
        let stored = fields.filter { if case .wildcard = $0.node { return false } else { return true } }
        L.open("extension \(name): Codable {")
        L.open("public init(from decoder: any Decoder) throws {")
        L("\(stored.isEmpty ? "_" : "let c") = try decoder.container(keyedBy: EXIJSONKey.self)")
        let args = stored.map { f -> String in
            let label = f.name.replacingOccurrences(of: "`", with: "")
            if isFlattened(f.node) {
                let call = "try \(f.node.baseSwiftType).exiJSONDecode(from: c)"
                return f.node.isOptional ? "\(label): \(call)" : "\(label): try c.required(\(call), \(swiftStringLiteral(f.xmlName)))"
            }
            return "\(label): \(jsonDecode(f.node, key: f.xmlName))"
        }
        L("self.init(\(args.joined(separator: ", ")))")
        L.close()
        L.open("public func encode(to encoder: any Encoder) throws {")
        L("\(stored.isEmpty ? "_" : "var c") = encoder.container(keyedBy: EXIJSONKey.self)")
        for f in stored {
            if isFlattened(f.node) {
                L(f.node.isOptional ? "try self.\(f.name)?.exiJSONEncode(into: &c)" : "try self.\(f.name).exiJSONEncode(into: &c)")
            } else {
                L(jsonEncode(f.node, "self.\(f.name)", key: f.xmlName))
            }
        }
        L.close()
        L.close()
    }

    /// A choice-like enum: `{"ElementName": value}` on its own, or its single key inside the parent's object.
    func emitChoiceCodable(_ name: String, _ cases: [(caseName: String, xmlName: String, node: Node)], _ L: inout Lines) {
        L.open("extension \(name): Codable {")
        L.open("public init(from decoder: any Decoder) throws {")
        L("let c = try decoder.container(keyedBy: EXIJSONKey.self)")
        L("let key = try c.singleKey()")
        L("guard let value = try Self.exiJSONDecode(from: c) else { throw c.unknownKey(key) }")
        L("self = value")
        L.close()
        L.open("public func encode(to encoder: any Encoder) throws {")
        L("var c = encoder.container(keyedBy: EXIJSONKey.self)")
        L("try self.exiJSONEncode(into: &c)")
        L.close()
        L("/// The alternative whose element name is a key of `c`, or `nil` when none is.")
        L.open("public static func exiJSONDecode(from c: KeyedDecodingContainer<EXIJSONKey>) throws -> Self? {")
        for cs in cases {
            let key = swiftStringLiteral(cs.xmlName)
            L("if c.contains(\(key)) { return .\(cs.caseName.replacingOccurrences(of: "`", with: ""))(\(jsonDecode(cs.node, key: cs.xmlName))) }")
        }
        L("return nil")
        L.close()
        L("/// Writes the chosen alternative under its element name.")
        L.open("public func exiJSONEncode(into c: inout KeyedEncodingContainer<EXIJSONKey>) throws {")
        L("switch self {")
        for cs in cases {
            L("case .\(cs.caseName.replacingOccurrences(of: "`", with: ""))(let v): \(jsonEncode(cs.node, "v", key: cs.xmlName))")
        }
        L("}")
        L.close()
        L.close()
    }

    func emitModelCodable(_ model: StructModel, _ L: inout Lines) {
        emitStructCodable(model.swiftName, model.fields, &L)
        for n in model.nested {
            L("")
            if let c = n as? ChoiceModel {
                emitChoiceCodable(c.name, c.alternatives, &L)
            } else if let g = n as? GroupModel {
                emitStructCodable(g.name, g.fields, &L)
            }
        }
    }

    /// Cases of an element-keyed enum (substitution group, document, fragment).
    func elementCases(_ list: [(String, ElementDecl, ContentRef)]) -> [(caseName: String, xmlName: String, node: Node)] {
        list.map { (caseName, decl, content) in
            (caseName, decl.qname.local,
             Node.element(members: [Member(id: 0, decl: decl, content: content, caseName: caseName)], groupEnum: nil, min: 1, max: .bounded(1)))
        }
    }
}
