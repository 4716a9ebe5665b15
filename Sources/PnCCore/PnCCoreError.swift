/// The one error type of ``PnCCore``: an identifier or a value that does not meet its standard's rules.
///
/// Compare ``code``; ``detail`` is for people and logs.
public struct PnCCoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case invalidLength, invalidCharacter, invalidStructure, wrongCheckDigit
        }
        private let kind: Kind
        /// The identifier is shorter or longer than its format allows.
        public static let invalidLength = Self(kind: .invalidLength)
        /// A character outside the identifier's alphabet.
        public static let invalidCharacter = Self(kind: .invalidCharacter)
        /// Separators, parts or prefixes in the wrong place.
        public static let invalidStructure = Self(kind: .invalidStructure)
        /// The check digit does not match the one computed from the other characters.
        public static let wrongCheckDigit = Self(kind: .wrongCheckDigit)

        public var description: String {
            switch self.kind {
            case .invalidLength: "invalidLength"
            case .invalidCharacter: "invalidCharacter"
            case .invalidStructure: "invalidStructure"
            case .wrongCheckDigit: "wrongCheckDigit"
            }
        }
    }

    public let code: Code
    public let detail: String
    let location: String

    public var description: String { "PnCCoreError.\(self.code): \(self.detail)" }

    @inline(never)
    static func invalidLength(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidLength, detail: detail, location: "\(file):\(line)")
    }

    @inline(never)
    static func invalidCharacter(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidCharacter, detail: detail, location: "\(file):\(line)")
    }

    @inline(never)
    static func invalidStructure(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidStructure, detail: detail, location: "\(file):\(line)")
    }

    @inline(never)
    static func wrongCheckDigit(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .wrongCheckDigit, detail: detail, location: "\(file):\(line)")
    }
}
