/// The one error type of ``Ed448``. Compare ``code``; ``detail`` never carries key material.
public struct Ed448Error: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A key, point or signature of the wrong length.
        public static let wrongLength = Self("wrongLength")
        /// A point encoding that is not canonical or not on edwards448 (RFC 8032 §5.2.3).
        public static let invalidPoint = Self("invalidPoint")
        /// A signature whose S is not below the group order L (RFC 8032 §5.2.7).
        public static let nonCanonicalScalar = Self("nonCanonicalScalar")
        /// A context longer than 255 octets (RFC 8032 §5.2).
        public static let contextTooLong = Self("contextTooLong")
        /// A well-formed signature that does not verify.
        public static let badSignature = Self("badSignature")
    }

    public let code: Code
    public let detail: String
    /// Always nil: Ed448 errors come from the input alone.
    public let cause: (any Error)?
    let location: String

    public var description: String { "Ed448Error.\(code): \(detail)" }

    @inline(never)
    static func make(_ code: Code, _ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: code, detail: detail, cause: nil, location: "\(file):\(line)")
    }
}
