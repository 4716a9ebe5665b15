/// The errors of the composition root.
public struct PnCServerError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A PKI directory, store or option does not provide what the composition needs.
        public static let configuration = Code(rawValue: "configuration")
    }

    public var code: Code
    public var detail: String
    public var cause: (any Error)?
    public var location: String

    public init(_ code: Code, _ detail: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.detail = detail
        self.cause = cause
        self.location = "\(fileID):\(line)"
    }

    public var description: String {
        "\(code.rawValue): \(detail)" + (cause.map { " (\($0))" } ?? "") + " [\(location)]"
    }
}
