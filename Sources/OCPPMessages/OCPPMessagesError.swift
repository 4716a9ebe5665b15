/// The one error type of ``OCPPMessages``: JSON that does not parse, frames that are not OCPP-J, payloads that break
/// their schema. Compare ``code``; ``detail`` names the offending path for people and logs.
///
/// The mapping of codes onto the OCPP-J CALLERROR codes lives in exactly one place:
/// ``OCPPMessagesError/rpcErrorCode``.
public struct OCPPMessagesError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The bytes are not JSON text (RFC 8259), or JSON nesting is deeper than the codec accepts.
        public static let malformedJSON = Self("malformedJSON")
        /// The JSON is not an OCPP-J frame: not an array, wrong element count or types, unreadable message id.
        public static let malformedFrame = Self("malformedFrame")
        /// The frame's MessageTypeId is not 2, 3 or 4.
        public static let unsupportedMessageType = Self("unsupportedMessageType")
        /// The action name is not an action of the negotiated OCPP version.
        public static let unknownAction = Self("unknownAction")
        /// A payload (or a nested object) is not a JSON object where the schema wants one, or has a property the
        /// schema does not define (`additionalProperties: false`).
        public static let formatViolation = Self("formatViolation")
        /// A required property is missing, or an array has fewer or more items than the schema allows.
        public static let occurrenceConstraintViolation = Self("occurrenceConstraintViolation")
        /// A property has the wrong JSON type (a string where an integer is required, …).
        public static let typeConstraintViolation = Self("typeConstraintViolation")
        /// A property's value breaks a constraint: maxLength, enum, minimum/maximum, date-time or URI format.
        public static let propertyConstraintViolation = Self("propertyConstraintViolation")
        /// A CALLERROR whose code is not one of the OCPP-J error codes.
        public static let unknownErrorCode = Self("unknownErrorCode")
    }

    public let code: Code
    public let detail: String
    /// The frame's message id when it could be read (so that a CALLERROR can answer it).
    public let messageID: String?
    public let cause: (any Error)?
    let location: String
    /// Where in the payload the problem is, as `/`-separated member names and array indexes (empty for the root).
    public let path: String

    public var description: String {
        path.isEmpty ? "OCPPMessagesError.\(code): \(detail)" : "OCPPMessagesError.\(code): \(path): \(detail)"
    }

    /// `path: detail`, or just `detail` at the root: the text a CALLERROR's errorDescription carries.
    public var message: String { path.isEmpty ? detail : "\(path): \(detail)" }

    init(code: Code, detail: String, messageID: String?, cause: (any Error)?, location: String, path: String = "") {
        self.code = code
        self.detail = detail
        self.messageID = messageID
        self.cause = cause
        self.location = location
        self.path = path
    }

    @inline(never)
    public static func make(
        _ code: Code, _ detail: String, messageID: String? = nil, cause: (any Error)? = nil,
        file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, messageID: messageID, cause: cause, location: "\(file):\(line)")
    }

    /// The same error, now tied to the message id of the frame it was found in.
    public func withMessageID(_ id: String) -> Self {
        Self(code: code, detail: detail, messageID: id, cause: cause, location: location, path: path)
    }
}
