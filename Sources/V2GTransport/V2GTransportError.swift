/// The one error type of ``V2GTransport``: sockets, TLS and discovery. Framing errors of the bytes themselves are
/// `V2GTPError` (module `V2GTP`) and arrive as the ``cause``.
///
/// Compare ``code``; ``detail`` says what, for people and logs (never key material).
public struct V2GTransportError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// The TLS handshake failed: wrong chain, wrong version or cipher, missing client certificate.
        public static let tlsHandshakeFailed = Self("tlsHandshakeFailed")
        /// The peer closed or reset the connection before it was ready.
        public static let connectionClosed = Self("connectionClosed")
        /// The peer sent bytes that are not V2GTP (the cause is a `V2GTPError`).
        public static let malformedMessage = Self("malformedMessage")
        /// A message to send is larger than a V2GTP payload length can announce or the configured maximum.
        public static let messageTooLarge = Self("messageTooLarge")
        /// No SECC answered the SDP requests within the retries (the V2G_EVCC_SDP timers of ISO 15118-2).
        public static let discoveryTimedOut = Self("discoveryTimedOut")
        /// A named network interface does not exist or has no IPv6 link-local address.
        public static let interfaceNotFound = Self("interfaceNotFound")
        /// The first TLS records are not a well-formed ClientHello (wrong record or message type, lengths that
        /// disagree, an extension that breaks its RFC 6066 / RFC 8446 encoding, a duplicate extension).
        public static let malformedClientHello = Self("malformedClientHello")
        /// A ClientHello record or handshake message larger than the configured limit.
        public static let clientHelloTooLarge = Self("clientHelloTooLarge")
        /// The bytes end before the ClientHello does.
        public static let truncatedClientHello = Self("truncatedClientHello")
        /// Certificates, keys or settings that cannot form the requested TLS profile.
        public static let invalidConfiguration = Self("invalidConfiguration")
    }

    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    let location: String

    public var description: String {
        "V2GTransportError.\(self.code): \(self.detail)" + (self.cause.map { " (\($0))" } ?? "")
    }

    @inline(never)
    public static func make(
        _ code: Code,
        _ detail: String,
        cause: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }
}
