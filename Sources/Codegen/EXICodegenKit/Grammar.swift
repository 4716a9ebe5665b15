import Foundation

/// Terminal symbols of EXI schema-informed grammars (EXI 1.0 §8.5.4).
enum Terminal: Hashable {
    case at(QName)
    case atAny
    case se(QName)
    case seAny
    case ee
    case ch  // schema-typed characters (simple content)
    case chUntyped  // mixed content

    /// Event code assignment order after normalisation (EXI 1.0 §8.5.4.3): AT(qname) sorted, AT(*), SE(qname) in
    /// grammar order, SE(*), EE, CH.
    var rank: Int {
        switch self {
        case .at: 0
        case .atAny: 1
        case .se: 2
        case .seAny: 3
        case .ee: 4
        case .ch, .chUntyped: 5
        }
    }
}

/// A normalised grammar: states with productions in event-code order. `next == -1` for EE.
struct Grammar {
    struct Production: Hashable {
        var terminal: Terminal
        var next: Int
    }
    var states: [[Production]]
    /// States that stand for a run of equivalent states of a long bounded repetition (EXI 1.0 §8.5.4.1.4 expands
    /// `maxOccurs` into one copy per occurrence): taking one of `terminals` there stays in the state until `limit`
    /// repetitions were taken, then moves on. Keeps the generated code small for `maxOccurs` up to 2048.
    var counted: [Int: (terminals: Set<Terminal>, limit: Int)] = [:]

    /// Event code width in a state with `n` declared productions in non-strict mode: ⌈log2(n+1)⌉.
    static func width(_ n: Int) -> Int {
        var bits = 0
        while (1 << bits) < n + 1 { bits += 1 }
        return bits
    }
}

/// Builds proto-grammars with empty productions, concatenates them and normalises (EXI 1.0 §8.5.4.1, §8.5.4.2).
final class GrammarBuilder {
    enum Item: Hashable {
        case prod(Terminal, Int)  // terminal, next (-1 for EE)
        case eps(Int)
    }
    var states: [[Item]] = []
    var countedMarkers: [Int: (terminals: Set<Terminal>, limit: Int)] = [:]
    let schema: SchemaSet

    init(schema: SchemaSet) { self.schema = schema }

    struct Fragment {
        var start: Int
        var states: [Int]
    }

    func newState(_ items: [Item] = []) -> Int {
        states.append(items)
        return states.count - 1
    }

    func empty() -> Fragment {
        let s = newState([.prod(.ee, -1)])
        return Fragment(start: s, states: [s])
    }

    func terminal(_ terminals: [Terminal]) -> Fragment {
        let s1 = newState([.prod(.ee, -1)])
        let s0 = newState(terminals.map { .prod($0, s1) })
        return Fragment(start: s0, states: [s0, s1])
    }

    /// G1 ⊕ G2: every EE of G1 becomes an empty production to G2's start.
    func concat(_ a: Fragment, _ b: Fragment) -> Fragment {
        for s in a.states {
            states[s] = states[s].map { item in
                if case .prod(.ee, _) = item { return .eps(b.start) }
                return item
            }
        }
        return Fragment(start: a.start, states: a.states + b.states)
    }

    func addEE(_ f: Fragment) {
        if !states[f.start].contains(.prod(.ee, -1)) { states[f.start].append(.prod(.ee, -1)) }
    }

    func particle(_ p: Particle) throws -> Fragment {
        if case .bounded(0) = p.max { return empty() }
        var result: Fragment? = nil
        func append(_ f: Fragment) { result = result.map { concat($0, f) } ?? f }
        for _ in 0..<p.min { append(try term(p.term)) }
        switch p.max {
        case .unbounded:
            let t = try term(p.term)
            for s in t.states {
                states[s] = states[s].map { item in
                    if case .prod(.ee, _) = item { return .eps(t.start) }
                    return item
                }
            }
            addEE(t)
            append(t)
        case .bounded(let declaredMax):
            var max = declaredMax
            var isElement = false
            if case .element = p.term { isElement = true }
            let compress = isElement && declaredMax - p.min > 3
            if compress { max = p.min + 3 }
            if max > p.min {
                for k in p.min..<max {
                    let t = try term(p.term)
                    if compress && k == p.min {
                        let terminals = Set(states[t.start].compactMap { item -> Terminal? in
                            if case .prod(let terminal, _) = item { return terminal }
                            return nil
                        })
                        countedMarkers[t.states[1]] = (terminals, declaredMax - p.min - 2)
                    }
                    addEE(t)
                    append(t)
                }
            }
        }
        return result ?? empty()
    }

    func term(_ t: Term) throws -> Fragment {
        switch t {
        case .element(let decl):
            let target = try schema.target(of: decl)
            if target.isGlobal {
                return terminal(schema.substitutionSet(target).map { .se($0.qname) })
            }
            return terminal([.se(target.qname)])
        case .wildcard(let anyNamespace, _):
            if anyNamespace { return terminal([.seAny]) }
            throw GenError("namespace-restricted wildcards unsupported")
        case .sequence(let children):
            var result: Fragment? = nil
            for c in children {
                let f = try particle(c)
                result = result.map { concat($0, f) } ?? f
            }
            return result ?? empty()
        case .choice(let children):
            if children.isEmpty { return empty() }
            var frags: [Fragment] = []
            for c in children { frags.append(try particle(c)) }
            let s = newState(frags.map { .eps($0.start) })
            return Fragment(start: s, states: [s] + frags.flatMap(\.states))
        }
    }

    /// The type grammar of a complex type: attribute uses in qname order, then the content (EXI 1.0 §8.5.4.1.3.2).
    func typeGrammar(_ def: ComplexTypeDef) throws -> Grammar {
        var result: Fragment? = nil
        func append(_ f: Fragment) { result = result.map { concat($0, f) } ?? f }
        for a in def.attributes {
            let f = terminal([.at(a.qname)])
            if !a.required { addEE(f) }
            append(f)
        }
        var content: Fragment
        switch def.content {
        case .empty: content = empty()
        case .simple: content = terminal([.ch])
        case .complex(let p): content = try particle(p)
        }
        if def.mixed {
            for s in content.states { states[s].append(.prod(.chUntyped, s)) }
        }
        append(content)
        return try normalise(result!)
    }

    /// Removes empty productions and merges productions with the same terminal into states that unite their
    /// targets (EXI 1.0 §8.5.4.2), then orders each state's productions for event code assignment.
    func normalise(_ f: Fragment) throws -> Grammar {
        // Closure of a set of proto-states over empty productions, in order.
        func closure(_ set: [Int]) -> [(Terminal, Int)] {
            var out: [(Terminal, Int)] = []
            var seen: Set<Int> = []
            func visit(_ s: Int) {
                guard seen.insert(s).inserted else { return }
                for item in states[s] {
                    switch item {
                    case .prod(let t, let n): out.append((t, n))
                    case .eps(let k): visit(k)
                    }
                }
            }
            for s in set { visit(s) }
            return out
        }
        var index: [[Int]: Int] = [[f.start]: 0]
        var order: [[Int]] = [[f.start]]
        var result: [[Grammar.Production]] = []
        var i = 0
        while i < order.count {
            let set = order[i]
            i += 1
            // Group targets by terminal, keeping first-appearance order.
            var terminals: [Terminal] = []
            var targets: [Terminal: [Int]] = [:]
            for (t, n) in closure(set) {
                if targets[t] == nil {
                    terminals.append(t)
                    targets[t] = []
                }
                if n >= 0 && !targets[t]!.contains(n) { targets[t]!.append(n) }
            }
            if targets[.chUntyped] != nil { targets[.chUntyped] = set }  // mixed content loops on the same state
            let ranked = terminals.enumerated().sorted { a, b in
                if a.element.rank != b.element.rank { return a.element.rank < b.element.rank }
                if case .at(let qa) = a.element, case .at(let qb) = b.element { return qa < qb }
                return a.offset < b.offset
            }.map(\.element)
            var out: [Grammar.Production] = []
            for t in ranked {
                var next = -1
                let target = targets[t]!
                if t != .ee && !target.isEmpty {
                    if let k = index[target] {
                        next = k
                    } else {
                        index[target] = order.count
                        next = order.count
                        order.append(target)
                    }
                }
                out.append(Grammar.Production(terminal: t, next: next))
            }
            result.append(out)
        }
        var grammar = Grammar(states: result)
        for (set, k) in index {
            for member in set {
                if let marker = countedMarkers[member] { grammar.counted[k] = marker }
            }
        }
        return grammar
    }
}
