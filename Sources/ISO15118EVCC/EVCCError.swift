/// Errors of the EVCC module (contract handling); protocol outcomes are ``ISO2EVCCStateMachine/Failure`` values.
public struct EVCCError: Error, Sendable {
    public struct Code: Hashable, Sendable {
        private enum Kind: Hashable, Sendable { case malformedContract }
        private let kind: Kind
        /// A contract chain or key that cannot be used.
        public static let malformedContract = Self(kind: .malformedContract)
    }
    public let code: Code
    public let detail: String
    let location: String

    @inline(never)
    static func malformedContract(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .malformedContract, detail: detail, location: "\(file):\(line)")
    }
}
