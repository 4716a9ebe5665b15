import PnCCore
import Testing

@Suite struct EVSEIDTests {
    @Test(
        "[ISO 15118-2 Annex H] EVSEIDs with and without separators",
        arguments: [
            ("DE*ICE*E45B*78C", "DE*ICE*E45B*78C"), ("DEICEE45B*78C", "DE*ICE*E45B*78C"),
            ("de*abc*e1", "DE*ABC*E1"), ("NL*TNM*E0001234567890123456789012345"[...].prefix(37).description, nil),
        ]
    )
    func parse(_ input: String, _ normalized: String?) throws {
        let id = try EVSEID(input)
        if let normalized { #expect(id.normalized == normalized) }
        #expect(try EVSEID(id.normalized) == id)
    }

    @Test(
        "Malformed EVSEIDs are refused",
        arguments: [
            ("D*ICE*E1", PnCCoreError.Code.invalidStructure), ("DE*ICE*X1", .invalidStructure),
            ("DE*ICE*E", .invalidLength), ("DE*IC-*E1", .invalidStructure), ("DE*ICE*E1-2", .invalidCharacter),
            (String(repeating: "1", count: 38), .invalidLength),
        ]
    )
    func malformed(_ input: String, _ code: PnCCoreError.Code) {
        do {
            _ = try EVSEID(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.code == code, "\(input): \(error)")
        }
    }

    @Test("DIN SPEC 70121 carries the EVSEID as at most 32 bytes")
    func dinBytes() throws {
        #expect(try EVSEID("DE*ICE*E1").dinBytes == Array("DE*ICE*E1".utf8))
        #expect(try EVSEID("DE*ICE*E" + String(repeating: "9", count: 29)).dinBytes == nil)
    }
}

@Suite struct PCIDTests {
    @Test("VDE-AR-E 2802-100-1 PCIDs: 17 or 18 letters or digits, upper-cased")
    func parse() throws {
        let p = try PCID("wmi1234567890abcd")
        #expect(p.value == "WMI1234567890ABCD")
        #expect(p.wmi == "WMI")
        #expect(try PCID("WMI1234567890ABCD1").value.count == 18)
        #expect(throws: PnCCoreError.self) { try PCID("WMI1234567890ABC") }
        #expect(throws: PnCCoreError.self) { try PCID("WMI1234567890ABC-1") }
    }
}
