import OCPPMessages

/// The one error type of ``OCPPTransport``. Compare ``code``.
public struct OCPPTransportError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The WebSocket closed (or was closed) before the operation completed.
        public static let connectionClosed = Self("connectionClosed")
        /// No CALLRESULT or CALLERROR arrived within the call timeout (OCPP 2.0.1 Part 4 §4.1.1 MessageTimeout).
        public static let callTimeout = Self("callTimeout")
        /// The peer answered a CALL with a CALLERROR; ``OCPPTransportError/rpcErrorCode`` holds its code.
        public static let callError = Self("callError")
        /// The peer's CALLRESULT payload does not satisfy the response schema.
        public static let invalidResponse = Self("invalidResponse")
        /// The server refused the WebSocket handshake (HTTP status in the detail, e.g. 401).
        public static let handshakeRejected = Self("handshakeRejected")
        /// The server did not select an OCPP subprotocol the client offered.
        public static let subprotocolNotNegotiated = Self("subprotocolNotNegotiated")
        /// Configuration that cannot work (TLS profile without certificates, bad URL, …).
        public static let invalidConfiguration = Self("invalidConfiguration")
    }

    public let code: Code
    public let detail: String
    /// For ``Code-swift.struct/callError``: the OCPP-J error code the peer sent.
    public let rpcErrorCode: RPCErrorCode?
    public let cause: (any Error)?
    let location: String

    public var description: String { "OCPPTransportError.\(code): \(detail)" }

    @inline(never)
    public static func make(
        _ code: Code, _ detail: String, rpcErrorCode: RPCErrorCode? = nil, cause: (any Error)? = nil,
        file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, rpcErrorCode: rpcErrorCode, cause: cause, location: "\(file):\(line)")
    }
}
