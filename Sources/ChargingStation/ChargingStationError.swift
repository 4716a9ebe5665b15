/// The one error type of ``ChargingStation``. Compare ``code``.
public struct ChargingStationError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// The CSMS is not reachable (no connection, or the connection dropped during the call).
        public static let offline = Code(rawValue: "offline")
        /// The CSMS answered with something the station cannot use.
        public static let invalidAnswer = Code(rawValue: "invalidAnswer")
        /// The offline journal could not be read or written.
        public static let journal = Code(rawValue: "journal")
        /// The certificate store could not be read or written, or a certificate is malformed.
        public static let certificateStore = Code(rawValue: "certificateStore")
        /// The boot was not accepted.
        public static let bootRejected = Code(rawValue: "bootRejected")
        /// The CSMS refused a request of the station (e.g. SignCertificate Rejected).
        public static let rejected = Code(rawValue: "rejected")
    }
    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    public let location: String
    public var description: String { "ChargingStationError.\(code): \(detail)" }

    static func make(
        _ code: Code, _ detail: String, cause: (any Error)? = nil, file: StaticString = #fileID, line: UInt = #line
    ) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }
}
