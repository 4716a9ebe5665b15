/// The one error type of ``CSMS``. Compare ``code``.
public struct CSMSError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        static func make(_ name: String) -> Self { Self(name) }
        public var description: String { name }

        /// A repository (storage) operation failed; the CALL is answered with InternalError and not acknowledged.
        public static let storageFailure = Self("storageFailure")
        /// The certificate authority refused or failed to sign a CSR.
        public static let signingFailed = Self("signingFailed")
        /// A request the CSMS cannot send (unknown station, station offline, wrong protocol version).
        public static let invalidCommand = Self("invalidCommand")
    }

    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    let location: String

    public var description: String { "CSMSError.\(code): \(detail)" }

    @inline(never)
    public static func make(
        _ code: Code, _ detail: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }
}

extension CSMSError.Code {
    /// No known CA certificate matches the issuer hashes of a certificate (its status cannot be asked).
    public static let unknownIssuer = Self.make("unknownIssuer")
    /// A certificate's revocation status could not be learned (responder unreachable, bad answer, unsupported hash).
    public static let revocationUnavailable = Self.make("revocationUnavailable")
    /// A certificate chain handed in for CertificateSigned does not parse, is expired or is out of order.
    public static let invalidCertificateChain = Self.make("invalidCertificateChain")
}

extension CSMSError.Code {
    /// Scale-out: no live node holds the station's connection (never connected, disconnected, or its node stopped or
    /// its lease expired).
    public static let stationOffline = Self.make("stationOffline")
    /// Scale-out: the node holding the station did not answer a command within the command timeout.
    public static let remoteCommandTimeout = Self.make("remoteCommandTimeout")
    /// Scale-out: the node holding the station could not deliver the command, or the station answered with an error.
    public static let remoteCommandFailed = Self.make("remoteCommandFailed")
}
