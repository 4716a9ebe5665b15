/// One OCPP-J RPC frame (OCPP-J 1.6 §4, OCPP 2.0.1 Part 4 §4): CALL `[2, id, action, payload]`,
/// CALLRESULT `[3, id, payload]`, CALLERROR `[4, id, errorCode, errorDescription, errorDetails]`.
public enum OCPPFrame: Sendable, Equatable {
    case call(messageID: String, action: String, payload: JSONValue)
    case callResult(messageID: String, payload: JSONValue)
    case callError(messageID: String, code: String, description: String, details: JSONValue)

    /// OCPP 2.0.1 Part 4 §4.1.4: a message id is a string of at most 36 characters.
    public static let maximumMessageIDLength = 36
    /// OCPP 2.0.1 Part 4 §4.2.3: errorDescription is at most 255 characters.
    public static let maximumErrorDescriptionLength = 255
    /// The message id a CALLERROR carries when the frame's own id could not be read (OCPP 2.0.1 Part 4 §4.2.3).
    public static let unreadableMessageID = "-1"

    /// The frame's message id.
    public var messageID: String {
        switch self {
        case .call(let id, _, _), .callResult(let id, _), .callError(let id, _, _, _): id
        }
    }

    /// Decodes a frame from the text of one WebSocket message. The payload is checked only for being a JSON object;
    /// its schema is checked by the action's type.
    /// - Throws: ``OCPPMessagesError`` with ``OCPPMessagesError/Code-swift.struct/malformedJSON``,
    ///   `malformedFrame` or `unsupportedMessageType`; `messageID` is set whenever the id could be read.
    public static func decode(_ bytes: some Collection<UInt8>) throws(OCPPMessagesError) -> OCPPFrame {
        let value = try JSONValue.parse(bytes)
        return try decode(value)
    }

    /// Decodes a frame from parsed JSON.
    public static func decode(_ value: JSONValue) throws(OCPPMessagesError) -> OCPPFrame {
        guard case .array(let elements) = value else { throw .make(.malformedFrame, "a frame is a JSON array") }
        guard elements.count >= 3 else { throw .make(.malformedFrame, "a frame has at least 3 elements") }
        guard case .string(let id) = elements[1], !id.isEmpty, id.unicodeScalars.count <= maximumMessageIDLength else {
            throw .make(.malformedFrame, "the message id is not a string of 1 to \(maximumMessageIDLength) characters")
        }
        let typeID: Int64
        switch elements[0] {
        case .integer(let i): typeID = i
        default: throw .make(.malformedFrame, "the MessageTypeId is not an integer", messageID: id)
        }
        switch typeID {
        case 2:
            guard elements.count == 4 else { throw .make(.malformedFrame, "a CALL has 4 elements", messageID: id) }
            guard case .string(let action) = elements[2], !action.isEmpty, action.utf8.count <= 64 else {
                throw .make(.malformedFrame, "the action is not a string", messageID: id)
            }
            guard case .object = elements[3] else {
                throw .make(.formatViolation, "the payload is not a JSON object", messageID: id)
            }
            return .call(messageID: id, action: action, payload: elements[3])
        case 3:
            guard elements.count == 3 else { throw .make(.malformedFrame, "a CALLRESULT has 3 elements", messageID: id) }
            guard case .object = elements[2] else {
                throw .make(.formatViolation, "the payload is not a JSON object", messageID: id)
            }
            return .callResult(messageID: id, payload: elements[2])
        case 4:
            guard elements.count == 5, case .string(let code) = elements[2], case .string(let text) = elements[3],
                case .object = elements[4]
            else {
                throw .make(.malformedFrame, "a CALLERROR is [4, id, code, description, {details}]", messageID: id)
            }
            return .callError(messageID: id, code: code, description: text, details: elements[4])
        default:
            throw .make(.unsupportedMessageType, "MessageTypeId \(typeID) is not supported", messageID: id)
        }
    }

    /// The JSON text of the frame.
    public func encoded() -> [UInt8] {
        switch self {
        case .call(let id, let action, let payload):
            JSONValue.array([.integer(2), .string(id), .string(action), payload]).serialized()
        case .callResult(let id, let payload):
            JSONValue.array([.integer(3), .string(id), payload]).serialized()
        case .callError(let id, let code, let description, let details):
            JSONValue.array([
                .integer(4), .string(id), .string(code),
                .string(String(description.unicodeScalars.prefix(Self.maximumErrorDescriptionLength))), details,
            ]).serialized()
        }
    }

    /// A CALLERROR answering a frame that failed to decode or validate: the one place where codec errors become
    /// OCPP-J error codes.
    public static func callError(for error: OCPPMessagesError, version: OCPPVersion) -> OCPPFrame {
        .callError(
            messageID: error.messageID ?? unreadableMessageID,
            code: error.rpcErrorCode.wireName(for: version),
            description: error.message,
            details: .object([])
        )
    }

    /// A CALLERROR with the given code.
    public static func callError(
        messageID: String, _ code: RPCErrorCode, _ description: String, version: OCPPVersion
    ) -> OCPPFrame {
        .callError(messageID: messageID, code: code.wireName(for: version), description: description, details: .object([]))
    }
}

/// The error codes of OCPP-J (1.6 §4.2.3 table 7, 2.0.1 Part 4 §4.3 table 9).
public enum RPCErrorCode: Sendable, Hashable, CaseIterable {
    /// Payload for Action is syntactically incorrect (1.6 spells it `FormationViolation`).
    case formatViolation
    /// Any other error not covered by the more specific codes.
    case genericError
    /// An internal error occurred and the receiver was not able to process the requested Action successfully.
    case internalError
    /// A message with a MessageTypeId not supported by the receiver (2.0.1 only).
    case messageTypeNotSupported
    /// Requested Action is not known by the receiver.
    case notImplemented
    /// Requested Action is recognized but not supported by the receiver.
    case notSupported
    /// Payload is syntactically correct but at least one field violates occurrence constraints
    /// (1.6 spells it `OccurenceConstraintViolation`).
    case occurrenceConstraintViolation
    /// Payload is syntactically correct but at least one field contains an invalid value.
    case propertyConstraintViolation
    /// Payload for Action is not conform the PDU structure.
    case protocolError
    /// Content of the call is not a valid RPC request, for example the MessageId could not be read (2.0.1 only).
    case rpcFrameworkError
    /// During the processing of Action a security issue occurred preventing the receiver from completing it.
    case securityError
    /// Payload is syntactically correct but at least one of the fields violates data type constraints.
    case typeConstraintViolation

    /// The code as written on the wire for `version`. 1.6 has neither MessageTypeNotSupported nor
    /// RpcFrameworkError: both become its `ProtocolError`/`FormationViolation`.
    public func wireName(for version: OCPPVersion) -> String {
        switch (self, version) {
        case (.formatViolation, .v16): "FormationViolation"
        case (.formatViolation, .v201): "FormatViolation"
        case (.genericError, _): "GenericError"
        case (.internalError, _): "InternalError"
        case (.messageTypeNotSupported, .v16): "ProtocolError"
        case (.messageTypeNotSupported, .v201): "MessageTypeNotSupported"
        case (.notImplemented, _): "NotImplemented"
        case (.notSupported, _): "NotSupported"
        case (.occurrenceConstraintViolation, .v16): "OccurenceConstraintViolation"
        case (.occurrenceConstraintViolation, .v201): "OccurrenceConstraintViolation"
        case (.propertyConstraintViolation, _): "PropertyConstraintViolation"
        case (.protocolError, _): "ProtocolError"
        case (.rpcFrameworkError, .v16): "FormationViolation"
        case (.rpcFrameworkError, .v201): "RpcFrameworkError"
        case (.securityError, _): "SecurityError"
        case (.typeConstraintViolation, _): "TypeConstraintViolation"
        }
    }

    /// Reads a wire code of `version` (also accepts the other version's spelling, as peers mix them up).
    public init?(wireName: String, version: OCPPVersion) {
        switch wireName {
        case "FormatViolation", "FormationViolation": self = .formatViolation
        case "GenericError": self = .genericError
        case "InternalError": self = .internalError
        case "MessageTypeNotSupported": self = .messageTypeNotSupported
        case "NotImplemented": self = .notImplemented
        case "NotSupported": self = .notSupported
        case "OccurrenceConstraintViolation", "OccurenceConstraintViolation": self = .occurrenceConstraintViolation
        case "PropertyConstraintViolation": self = .propertyConstraintViolation
        case "ProtocolError": self = .protocolError
        case "RpcFrameworkError": self = .rpcFrameworkError
        case "SecurityError": self = .securityError
        case "TypeConstraintViolation": self = .typeConstraintViolation
        default: return nil
        }
    }
}

extension OCPPMessagesError {
    /// The OCPP-J error code that answers this error (the single mapping of codec errors to CALLERROR codes).
    public var rpcErrorCode: RPCErrorCode {
        switch code {
        case .malformedJSON, .malformedFrame: .rpcFrameworkError
        case .unsupportedMessageType: .messageTypeNotSupported
        case .unknownAction: .notImplemented
        case .formatViolation: .formatViolation
        case .occurrenceConstraintViolation: .occurrenceConstraintViolation
        case .typeConstraintViolation: .typeConstraintViolation
        case .propertyConstraintViolation: .propertyConstraintViolation
        default: .genericError
        }
    }
}
