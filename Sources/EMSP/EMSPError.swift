/// The one error type of EMSP.
public struct EMSPError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The eMAID sequence of a provider is used up.
        public static let exhausted = Self("exhausted")
        /// A parameter outside its allowed form (country code, provider id).
        public static let invalidParameter = Self("invalidParameter")
        /// A record that does not exist.
        public static let notFound = Self("notFound")
        /// An operation not allowed in the record's state (cancelling a cancelled contract).
        public static let invalidState = Self("invalidState")
        /// A failure of a port (repository, certificate authority).
        public static let port = Self("port")
        /// A certificate or chain that does not parse or does not have the form asked for (no eMAID in the CN,
        /// a CA as leaf, links that do not chain).
        public static let malformedCertificate = Self("malformedCertificate")
        /// A chain that does not validate to a trusted root at the given time.
        public static let untrustedCertificate = Self("untrustedCertificate")
    }

    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    public let location: String

    public init(code: Code, detail: String, cause: (any Error)? = nil, location: String) {
        self.code = code
        self.detail = detail
        self.cause = cause
        self.location = location
    }

    static func make(
        _ code: Code, _ detail: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }

    public var description: String {
        "EMSPError.\(code): \(detail)" + (cause.map { " (\($0))" } ?? "") + " at \(location)"
    }
}
