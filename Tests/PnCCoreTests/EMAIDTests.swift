import PnCCore
import Foundation
import Testing

@Suite struct EMAIDTests {
    /// The published vectors of the "Check Digit Calculation for Contract-IDs" paper (ISO 15118-2 Annex H).
    static let isoVectors: [(String, Character)] = [
        ("NN123ABCDEFGHI", "T"), ("FRXYZ123456789", "2"), ("ITA1B2C3E4F5G6", "4"), ("ESZU8WOX834H1D", "R"),
        ("PT73902837ABCZ", "Z"), ("DE83DUIEN83QGZ", "D"), ("DE83DUIEN83ZGQ", "M"), ("DE8AA001234567", "0"),
    ]

    @Test("[ISO 15118-2 Annex H] check digit of the published vectors", arguments: isoVectors)
    func isoCheckDigit(_ vector: (String, Character)) throws {
        #expect(try EMAIDCheckDigit.iso(vector.0) == vector.1)
        #expect(try EMAIDCheckDigit.iso(vector.0.lowercased()) == vector.1)
        let parsed = try EMAID(vector.0 + String(vector.1))
        #expect(parsed.normalized == vector.0 + String(vector.1))
    }

    @Test("[ISO 15118-2 Annex H] every single-character error in the vectors changes the check digit")
    func detectsSingleErrors() throws {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for (body, digit) in Self.isoVectors {
            var chars = Array(body)
            for position in chars.indices {
                let original = chars[position]
                for replacement in alphabet where replacement != original {
                    chars[position] = replacement
                    #expect(try EMAIDCheckDigit.iso(String(chars)) != digit, "\(String(chars))")
                }
                chars[position] = original
            }
        }
    }

    @Test("Josev's test contract UKSWI123456791A has a wrong check digit; 5 is right")
    func josevContract() throws {
        #expect(throws: PnCCoreError.self) { try EMAID("UKSWI123456791A") }
        do {
            _ = try EMAID("UKSWI123456791A")
        } catch {
            #expect(error.code == .wrongCheckDigit)
        }
        #expect(try EMAID("UKSWI123456791").checkDigit == "5")
    }

    @Test("ISO forms with separators, without check digit and lower case normalise to one value")
    func normalisation() throws {
        let a = try EMAID("DE-8AA-001234567-0")
        let b = try EMAID("de8aa0012345670")
        let (c, form) = try EMAID.parse("DE8AA001234567")
        #expect(a == b)
        #expect(a == c)
        #expect(form == .isoWithoutCheckDigit)
        #expect(a.display == "DE-8AA-001234567-0")
        #expect(a.withoutCheckDigit == "DE8AA001234567")
        #expect(a.redacted == "DE8AA******567")
    }

    @Test("DIN SPEC 91286 form maps onto the ISO form (NL-TNM-012204-5 = NL-TNM-000122045-U)")
    func dinForm() throws {
        let (din, form) = try EMAID.parse("NL-TNM-012204-5")
        #expect(form == .din)
        #expect(din.display == "NL-TNM-000122045-U")
        #expect(din == (try EMAID("NLTNM000122045")))
        #expect(din.dinForm == "NL-TNM-012204-5")
        #expect(throws: PnCCoreError.self) { try EMAID("NL-TNM-012204-6") }
    }

    @Test(
        "Malformed eMAIDs are refused with a typed code",
        arguments: [
            ("", PnCCoreError.Code.invalidLength), ("DE8AA00123456", .invalidLength),
            ("DE8AA00123456789", .invalidLength), ("DE8AA0012345|7", .invalidCharacter),
            ("D3-8AA-001234567", .invalidCharacter), ("DE-8AA0-01234567", .invalidStructure),
            ("DE8AA0012345671", .wrongCheckDigit), ("DE8AA00123456\u{00C4}", .invalidCharacter),
        ]
    )
    func malformed(_ input: String, _ code: PnCCoreError.Code) {
        do {
            _ = try EMAID(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.code == code, "\(input): \(error)")
        }
    }

    @Test("Codable round trip uses the normalised form and rejects bad values")
    func codable() throws {
        let emaid = try EMAID("FR-XYZ-123456789-2")
        let data = try JSONEncoder().encode([emaid])
        #expect(String(decoding: data, as: UTF8.self) == #"["FRXYZ1234567892"]"#)
        #expect(try JSONDecoder().decode([EMAID].self, from: data) == [emaid])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([EMAID].self, from: Data(#"["FRXYZ1234567893"]"#.utf8)) }
    }
}
