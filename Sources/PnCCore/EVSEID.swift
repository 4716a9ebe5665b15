/// An EVSE identifier as ISO 15118-2 carries it in `EVSEID` (Annex H, eMI3 form).
///
/// `<Country Code> [*] <Operator ID> [*] E <Power Outlet ID>`: 2 letters, 3 letters or digits, the ID type `E`, then
/// 1-30 letters, digits or `*`; at most 37 characters in all. Stored upper-case; ``normalized`` uses `*` separators.
/// DIN SPEC 70121 carries the EVSE ID as hexBinary instead (see ``dinBytes``).
public struct EVSEID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let countryCode: String
    public let operatorID: String
    public let powerOutletID: String

    /// The value ISO 15118-2 and DIN SPEC 70121 implementations send when an EVSE has no EVSEID.
    public static let unknownWireValue = "ZZ00000"

    public init(countryCode: String, operatorID: String, powerOutletID: String) throws(PnCCoreError) {
        try self.init("\(countryCode)*\(operatorID)*E\(powerOutletID)")
    }

    /// Parses the ISO 15118-2 form, with or without `*` separators, case-insensitively.
    public init(_ text: some StringProtocol) throws(PnCCoreError) {
        let upper = Array(String(text).uppercased().utf8)
        guard upper.count <= 37 else { throw .invalidLength("an EVSEID has at most 37 characters") }
        func isLetter(_ b: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) }
        func isAlnum(_ b: UInt8) -> Bool { EMAIDCheckDigit.index(of: b) != nil }
        var i = 0
        guard upper.count >= 2, isLetter(upper[0]), isLetter(upper[1]) else {
            throw .invalidStructure("an EVSEID starts with a 2-letter country code")
        }
        i = 2
        if i < upper.count, upper[i] == UInt8(ascii: "*") { i += 1 }
        guard i + 3 <= upper.count, upper[i..<i + 3].allSatisfy(isAlnum) else {
            throw .invalidStructure("the operator id is 3 letters or digits")
        }
        let op = i
        i += 3
        if i < upper.count, upper[i] == UInt8(ascii: "*") { i += 1 }
        guard i < upper.count, upper[i] == UInt8(ascii: "E") else {
            throw .invalidStructure("the ID type after the operator id must be E")
        }
        i += 1
        let outlet = upper[i...]
        guard (1...30).contains(outlet.count) else {
            throw .invalidLength("the power outlet id has 1 to 30 characters")
        }
        guard outlet.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "*") }) else {
            throw .invalidCharacter("the power outlet id has only letters, digits and *")
        }
        self.countryCode = String(decoding: upper[0..<2], as: UTF8.self)
        self.operatorID = String(decoding: upper[op..<op + 3], as: UTF8.self)
        self.powerOutletID = String(decoding: outlet, as: UTF8.self)
    }

    /// `CC*OOO*E<outlet>`.
    public var normalized: String { "\(countryCode)*\(operatorID)*E\(powerOutletID)" }

    /// The DIN SPEC 70121 hexBinary form: the ASCII bytes of ``normalized`` (at most 32 bytes), or nil if longer.
    public var dinBytes: [UInt8]? {
        let bytes = Array(normalized.utf8)
        return bytes.count <= 32 ? bytes : nil
    }

    public var description: String { normalized }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { self = try EVSEID(try container.decode(String.self)) } catch let error as PnCCoreError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.detail)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }
}
