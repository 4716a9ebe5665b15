/// The one error type of ``V2GPKI``. Compare ``code``; ``detail`` says what, for people and logs (never key material).
public struct V2GPKIError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// DER or PEM that does not parse (truncated, wrong armour, wrong structure).
        public static let malformedEncoding = Self("malformedEncoding")
        /// A private key that cannot be decrypted with the given password.
        public static let wrongPassword = Self("wrongPassword")
        /// A key type or algorithm outside the profile.
        public static let unsupportedAlgorithm = Self("unsupportedAlgorithm")
        /// A signature (certificate, CSR, CRL, OCSP) that does not verify.
        public static let badSignature = Self("badSignature")
        /// Files or folders of a PKI that are missing or unreadable.
        public static let missingFile = Self("missingFile")
        /// A request that cannot be honoured as asked (bad parameters, unknown CA, unknown serial).
        public static let invalidRequest = Self("invalidRequest")
        /// An OCSP responder or CRL that could not be reached or answered with an error.
        public static let revocationUnavailable = Self("revocationUnavailable")
        /// A serial number the CA's certificate database has no record of.
        public static let unknownSerial = Self("unknownSerial")
        /// A revocation of a certificate that is already revoked.
        public static let alreadyRevoked = Self("alreadyRevoked")
        /// An OCSP response or CRL that parses and is signed but does not answer the question asked (wrong CertID,
        /// nonce, responder not authorised, outside its validity window).
        public static let responseMismatch = Self("responseMismatch")
    }

    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    let location: String

    public var description: String { "V2GPKIError.\(code): \(detail)" }

    @inline(never)
    public static func make(
        _ code: Code, _ detail: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }
}
