/// The one error type of ``ISO15118Station`` for failures of its own (the session drivers report protocol outcomes in
/// their summaries; transport errors arrive as `V2GTransportError`).
///
/// Compare ``code``; ``detail`` says what, for people and logs.
public struct ISO15118StationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// A benchmarked session did not reach its first PowerDeliveryRes and SessionStopRes.
        public static let benchmarkSessionFailed = Self("benchmarkSessionFailed")
        /// Settings a benchmark cannot run with (session count out of range).
        public static let invalidConfiguration = Self("invalidConfiguration")
    }

    public let code: Code
    public let detail: String
    public let cause: (any Error)?
    let location: String

    public var description: String {
        "ISO15118StationError.\(self.code): \(self.detail)" + (self.cause.map { " (\($0))" } ?? "")
    }

    @inline(never)
    public static func make(
        _ code: Code, _ detail: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: code, detail: detail, cause: cause, location: "\(file):\(line)")
    }
}
