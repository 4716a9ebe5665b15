/// The one error type of V2GSecurity: XML signatures over EXI fragments and contract-key encryption.
public struct V2GSecurityError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A signed element that has no Reference in SignedInfo, or a Reference to no given element.
        public static let missingReference = Self("missingReference")
        /// A Reference whose DigestValue is not the digest of the element's EXI fragment.
        public static let digestMismatch = Self("digestMismatch")
        /// A SignatureValue that does not verify with the given public key.
        public static let badSignature = Self("badSignature")
        /// A canonicalization, transform, digest or signature algorithm outside the profile (Ed448 included).
        public static let unsupportedAlgorithm = Self("unsupportedAlgorithm")
        /// A key, public key or certificate that does not parse or has the wrong curve or length.
        public static let malformedKey = Self("malformedKey")
        /// A signed element without an Id, or two with the same Id.
        public static let missingID = Self("missingID")
        /// EXI that cannot be encoded or decoded.
        public static let encoding = Self("encoding")
        /// An encrypted private key of the wrong length or that decrypts to no valid scalar.
        public static let decryptionFailed = Self("decryptionFailed")
        /// A message without the signature it must carry.
        public static let missingSignature = Self("missingSignature")
        /// A parameter of the wrong size (IV, ephemeral key).
        public static let invalidParameter = Self("invalidParameter")
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
        "V2GSecurityError.\(code): \(detail)" + (cause.map { " (\($0))" } ?? "") + " at \(location)"
    }
}
