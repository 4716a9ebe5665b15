/// An e-mobility account identifier (eMAID), the contract identity of Plug & Charge.
///
/// The ISO 15118-2 form (Annex H, ISO 15118-1) is `CC[-]PPP[-]IIIIIIIII[-]D`: country code (2 letters), provider id
/// (3 letters or digits), eMA instance (9 letters or digits) and a check character. The DIN SPEC 91286 form is
/// `CC[-]PPP[-]IIIIII[-]D` with a 6-character instance and a mod-11 check digit; it maps onto the ISO form as
/// instance = `00` + DIN instance + DIN check digit. Values are stored upper-case; two eMAIDs are equal when their
/// normalised ISO forms are.
public struct EMAID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// ISO 3166-1 alpha-2 country code, upper-case.
    public let countryCode: String
    /// The eMSP's provider id, 3 upper-case letters or digits.
    public let providerID: String
    /// The eMA instance, 9 upper-case letters or digits.
    public let instance: String
    /// The ISO 15118 check character.
    public let checkDigit: Character

    /// The form in which an eMAID arrived.
    public enum Form: Sendable, Hashable {
        /// ISO 15118 with all 15 characters.
        case iso
        /// ISO 15118 without the check character (14 characters; it was computed).
        case isoWithoutCheckDigit
        /// DIN SPEC 91286 (11 characters + check digit), converted to the ISO form.
        case din
    }

    /// Builds an eMAID from its parts and computes the check character.
    ///
    /// - Throws: ``PnCCoreError`` when a part has the wrong length or alphabet.
    public init(countryCode: String, providerID: String, instance: String) throws(PnCCoreError) {
        let cc = countryCode.uppercased()
        let p = providerID.uppercased()
        let i = instance.uppercased()
        try Self.requireLetters(cc, count: 2, part: "country code")
        try Self.requireAlphanumerics(p, count: 3, part: "provider id")
        try Self.requireAlphanumerics(i, count: 9, part: "eMA instance")
        self.countryCode = cc
        self.providerID = p
        self.instance = i
        self.checkDigit = try EMAIDCheckDigit.iso(cc + p + i)
    }

    /// Parses any accepted written form and validates its check character.
    ///
    /// Accepts ISO 15118 (with or without `-` separators, with or without the check character) and DIN SPEC 91286
    /// (with or without separators). A given check character that does not match is an error.
    /// - Throws: ``PnCCoreError`` with ``PnCCoreError/Code/wrongCheckDigit`` for a wrong check character, or a
    ///   structural code for anything else.
    public init(_ text: some StringProtocol) throws(PnCCoreError) {
        let (value, _) = try Self.parse(text)
        self = value
    }

    /// Parses like ``init(_:)`` and also tells which form was given.
    public static func parse(_ text: some StringProtocol) throws(PnCCoreError) -> (EMAID, Form) {
        let raw = String(text)
        guard raw.utf8.count <= 20 else { throw .invalidLength("an eMAID has at most 18 characters with separators") }
        let parts = raw.split(separator: "-", omittingEmptySubsequences: false)
        let compact: String
        if parts.count > 1 {
            // Separators must sit between the parts: CC-PPP-I…[-D].
            let lengths = parts.map(\.count)
            let iso = lengths == [2, 3, 9, 1] || lengths == [2, 3, 9]
            let din = lengths == [2, 3, 6, 1]
            guard iso || din else {
                throw .invalidStructure("separators must split the eMAID as CC-PPP-IIIIIIIII[-D] or CC-PPP-IIIIII-D")
            }
            compact = parts.joined()
        } else {
            compact = raw
        }
        let upper = compact.uppercased()
        for (i, byte) in upper.utf8.enumerated() where EMAIDCheckDigit.index(of: byte) == nil {
            throw .invalidCharacter("character \(i + 1) of the eMAID is not a letter or digit")
        }
        switch upper.utf8.count {
        case 14, 15:
            let chars = Array(upper)
            let cc = String(chars[0..<2])
            let emaid = try EMAID(countryCode: cc, providerID: String(chars[2..<5]), instance: String(chars[5..<14]))
            if chars.count == 15 {
                guard chars[14] == emaid.checkDigit else {
                    throw .wrongCheckDigit(
                        "check character is \(chars[14]), ISO 15118-2 Annex H gives \(emaid.checkDigit)"
                    )
                }
                return (emaid, .iso)
            }
            return (emaid, .isoWithoutCheckDigit)
        case 12:
            let chars = Array(upper)
            let body = String(chars[0..<11])
            let expected = try EMAIDCheckDigit.din(body)
            guard chars[11] == expected else {
                throw .wrongCheckDigit("DIN SPEC 91286 check digit is \(chars[11]), expected \(expected)")
            }
            let instance = "00" + String(chars[5..<11]) + String(expected)
            let emaid = try EMAID(countryCode: String(chars[0..<2]), providerID: String(chars[2..<5]), instance: instance)
            return (emaid, .din)
        default:
            throw .invalidLength("an eMAID has 14 or 15 characters (ISO 15118) or 12 (DIN SPEC 91286) without separators")
        }
    }

    /// The 15-character wire form without separators, as carried in ISO 15118-2 messages and contract CNs.
    public var normalized: String { countryCode + providerID + instance + String(checkDigit) }

    /// The 14 characters without the check character (some backends and the -2 eMAID field use this).
    public var withoutCheckDigit: String { countryCode + providerID + instance }

    /// The human form with separators, `CC-PPP-IIIIIIIII-D`.
    public var display: String { "\(countryCode)-\(providerID)-\(instance)-\(checkDigit)" }

    /// The DIN SPEC 91286 form when this eMAID has one (instance `00` + 6 characters + a valid DIN check digit).
    public var dinForm: String? {
        let chars = Array(instance)
        guard chars[0] == "0", chars[1] == "0" else { return nil }
        let dinInstance = String(chars[2..<8])
        guard let expected = try? EMAIDCheckDigit.din(countryCode + providerID + dinInstance),
            expected == chars[8]
        else { return nil }
        return "\(countryCode)-\(providerID)-\(dinInstance)-\(expected)"
    }

    /// A form safe for logs: country, provider and the last three instance characters.
    public var redacted: String { "\(countryCode)\(providerID)******\(String(instance.suffix(3)))" }

    public var description: String { normalized }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try EMAID(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.detail)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }

    private static func requireLetters(_ s: String, count: Int, part: String) throws(PnCCoreError) {
        guard s.utf8.count == count else { throw .invalidLength("\(part) must have \(count) characters") }
        guard s.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            throw .invalidCharacter("\(part) must be letters A-Z")
        }
    }

    private static func requireAlphanumerics(_ s: String, count: Int, part: String) throws(PnCCoreError) {
        guard s.utf8.count == count else { throw .invalidLength("\(part) must have \(count) characters") }
        guard s.utf8.allSatisfy({ EMAIDCheckDigit.index(of: $0) != nil }) else {
            throw .invalidCharacter("\(part) must be letters or digits")
        }
    }
}
