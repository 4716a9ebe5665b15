import Foundation

let swiftKeywords: Set<String> = [
    "default", "case", "class", "struct", "enum", "protocol", "func", "var", "let", "in", "is", "as", "where",
    "return", "self", "Self", "Type", "init", "import", "public", "private", "internal", "static", "operator",
    "extension", "subscript", "deinit", "true", "false", "nil", "repeat", "while", "for", "if", "else", "switch",
    "break", "continue", "fallthrough", "throw", "throws", "try", "catch", "do", "guard", "defer", "inout",
    "typealias", "associatedtype", "super", "any", "some", "package", "rethrows", "fileprivate", "open",
]

func upperFirst(_ s: String) -> String {
    guard let f = s.first else { return s }
    return f.uppercased() + s.dropFirst()
}

private func lowerFirstWord(_ p: String) -> String {
    let chars = Array(p)
    var n = 0
    while n < chars.count && (chars[n].isUppercase || (n > 0 && chars[n].isNumber)) { n += 1 }
    if n == 0 { return p }
    if n == chars.count {
        if p.hasSuffix("ID") && n > 2 { return p.dropLast(2).lowercased() + "ID" }
        return p.lowercased()
    }
    if n == 1 { return String(chars[0]).lowercased() + String(chars[1...]) }
    if chars[n - 1].isNumber { return String(chars[0..<n]).lowercased() + String(chars[n...]) }
    return String(chars[0..<(n - 1)]).lowercased() + String(chars[(n - 1)...])
}

/// lowerCamel with each acronym treated as one word (`EVCCID` → `evccID`, `DC_EVStatus` → `dcEVStatus`).
func lowerCamel(_ s: String, escape: Bool = true) -> String {
    let parts = s.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    var out = ""
    // SHOUTING_CASE values (`NO_ERROR`) read as words: `noError`.
    let shouting = parts.count > 1 && !s.contains(where: \.isLowercase)
    for (i, p) in parts.enumerated() {
        if shouting {
            out += i == 0 ? p.lowercased() : upperFirst(p.lowercased())
        } else {
            out += i == 0 ? lowerFirstWord(p) : upperFirst(p)
        }
    }
    if out.isEmpty { out = "empty" }
    if out.first!.isNumber { out = "_" + out }
    if escape && swiftKeywords.contains(out) { out = "`\(out)`" }
    return out
}

func typeNameBase(_ local: String) -> String {
    var s = local
    if s.hasSuffix("Type") && s.count > 4 { s = String(s.dropLast(4)) }
    let parts = s.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
    return upperFirst(parts.joined())
}

func swiftStringLiteral(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

/// Collects lines with indentation.
struct Lines {
    var text = ""
    var indent = 0
    mutating func callAsFunction(_ line: String) {
        if line.isEmpty {
            text += "\n"
            return
        }
        if line.hasPrefix("}") || line.hasPrefix("case ") || line.hasPrefix("default:") { }
        text += String(repeating: "    ", count: indent) + line + "\n"
    }
    mutating func open(_ line: String) {
        self(line)
        indent += 1
    }
    mutating func close(_ line: String = "}") {
        indent -= 1
        self(line)
    }
}
