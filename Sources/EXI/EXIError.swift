/// The one error type of ``EXI`` and of the generated codecs: a stream that does not follow the EXI profile of
/// ISO 15118 (EXI 1.0, bit-packed, schema-informed, non-strict, no options, string tables off) or a value that does
/// not fit its schema type.
///
/// Compare ``code``; ``detail`` and ``location`` are for people and logs.
public struct EXIError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case truncated, unexpectedEvent, valueOutOfRange, lengthLimitExceeded, trailingData, invalidHeader
            case stringTableHit, unsupported, bufferTooSmall
        }
        private let kind: Kind
        /// The stream ended inside an event code or a value.
        public static let truncated = Self(kind: .truncated)
        /// An event code outside the grammar state's productions: the non-strict escape, an undeclared production,
        /// or an event the data model cannot hold (wildcards, untyped mixed content).
        public static let unexpectedEvent = Self(kind: .unexpectedEvent)
        /// A value outside its type's value space (facets, integer width, invalid Unicode scalar, enumeration index).
        public static let valueOutOfRange = Self(kind: .valueOutOfRange)
        /// An array with more items than `maxOccurs` (or fewer than `minOccurs`), or a string or binary longer than
        /// its `maxLength` (or shorter than `minLength`).
        public static let lengthLimitExceeded = Self(kind: .lengthLimitExceeded)
        /// Bytes after the end of the document or fragment, or non-zero padding bits.
        public static let trailingData = Self(kind: .trailingData)
        /// The EXI header is not the single byte 0x80 the ISO 15118 profile uses.
        public static let invalidHeader = Self(kind: .invalidHeader)
        /// A string-table hit (value partition lookup): string tables are off in ISO 15118.
        public static let stringTableHit = Self(kind: .stringTableHit)
        /// A valid EXI construct this codec does not implement.
        public static let unsupported = Self(kind: .unsupported)
        /// The stream does not fit the buffer the caller gave the encoder.
        public static let bufferTooSmall = Self(kind: .bufferTooSmall)

        public var description: String {
            switch self.kind {
            case .truncated: "truncated"
            case .unexpectedEvent: "unexpectedEvent"
            case .valueOutOfRange: "valueOutOfRange"
            case .lengthLimitExceeded: "lengthLimitExceeded"
            case .trailingData: "trailingData"
            case .invalidHeader: "invalidHeader"
            case .stringTableHit: "stringTableHit"
            case .unsupported: "unsupported"
            case .bufferTooSmall: "bufferTooSmall"
            }
        }
    }

    public let code: Code
    public let detail: String
    /// The bit position in the stream where the problem was found, when known.
    public let bitPosition: Int?
    let location: String

    public var description: String {
        "EXIError.\(self.code): \(self.detail)" + (self.bitPosition.map { " (bit \($0))" } ?? "")
    }

    init(code: Code, detail: String, bitPosition: Int?, location: String) {
        self.code = code
        self.detail = detail
        self.bitPosition = bitPosition
        self.location = location
    }

    @inline(never)
    public static func truncated(atBit bit: Int, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .truncated, detail: "stream ended at bit \(bit)", bitPosition: bit, location: "\(file):\(line)")
    }

    @inline(never)
    public static func unexpectedEvent(
        _ detail: String, atBit bit: Int? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: .unexpectedEvent, detail: detail, bitPosition: bit, location: "\(file):\(line)")
    }

    @inline(never)
    public static func valueOutOfRange(
        _ detail: String, atBit bit: Int? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: .valueOutOfRange, detail: detail, bitPosition: bit, location: "\(file):\(line)")
    }

    @inline(never)
    public static func lengthLimitExceeded(
        _ detail: String, atBit bit: Int? = nil, file: String = #fileID, line: Int = #line
    ) -> Self {
        Self(code: .lengthLimitExceeded, detail: detail, bitPosition: bit, location: "\(file):\(line)")
    }

    @inline(never)
    public static func trailingData(_ detail: String, atBit bit: Int, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .trailingData, detail: detail, bitPosition: bit, location: "\(file):\(line)")
    }

    @inline(never)
    public static func invalidHeader(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidHeader, detail: detail, bitPosition: 0, location: "\(file):\(line)")
    }

    @inline(never)
    public static func stringTableHit(atBit bit: Int, file: String = #fileID, line: Int = #line) -> Self {
        Self(
            code: .stringTableHit, detail: "string-table hit, but string tables are off", bitPosition: bit,
            location: "\(file):\(line)")
    }

    @inline(never)
    public static func unsupported(_ detail: String, atBit bit: Int? = nil, file: String = #fileID, line: Int = #line)
        -> Self
    {
        Self(code: .unsupported, detail: detail, bitPosition: bit, location: "\(file):\(line)")
    }

    @inline(never)
    public static func bufferTooSmall(_ detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .bufferTooSmall, detail: detail, bitPosition: nil, location: "\(file):\(line)")
    }
}

extension EXIError {
    /// The error a `catch` at a typed entry point caught from the generated encoders: itself when it is an `EXIError`
    /// (always, as they throw nothing else), otherwise an ``EXIError/Code/unsupported`` error that describes it.
    ///
    /// The generated encoders propagate errors untyped below their typed entry points: a call to a function with
    /// typed throws makes the optimizer copy (retain, then release) every borrowed value passed to it, and the encoders
    /// pass their stored fields and array elements down the tree. With untyped throws it borrows them in place.
    public static func converting(_ error: any Error) -> EXIError {
        error as? EXIError ?? .unsupported("\(error)")
    }
}

