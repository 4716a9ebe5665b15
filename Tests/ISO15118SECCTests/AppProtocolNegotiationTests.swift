import ISO15118SECC
import SAPMessages
import Testing

@Suite struct AppProtocolNegotiationTests {
    static func offer(_ namespace: String, _ major: UInt32, _ minor: UInt32, id: UInt8, priority: UInt8) -> AppProtocol {
        AppProtocol(
            protocolNamespace: namespace, versionNumberMajor: major, versionNumberMinor: minor, schemaID: id,
            priority: priority)
    }
    static let iso2 = offer("urn:iso:15118:2:2013:MsgDef", 2, 0, id: 10, priority: 2)
    static let din = offer("urn:din:70121:2012:MsgDef", 2, 0, id: 11, priority: 1)
    static let iso20DC = offer("urn:iso:std:iso:15118:-20:DC", 1, 0, id: 12, priority: 3)

    @Test("[ISO 15118-2 §8.2] The SECC's preference wins over the vehicle's: -20 before -2 before DIN")
    func seccPreference() {
        let all = SupportedAppProtocolReq(appProtocol: [Self.din, Self.iso2, Self.iso20DC])
        let outcome = AppProtocolNegotiation.response(to: all)
        #expect(outcome.selected == .iso20DC)
        #expect(outcome.response == SupportedAppProtocolRes(responseCode: .okSuccessfulNegotiation, schemaID: 12))
        let noTwenty = SupportedAppProtocolReq(appProtocol: [Self.din, Self.iso2])
        #expect(AppProtocolNegotiation.response(to: noTwenty).selected == .iso2)
        #expect(AppProtocolNegotiation.response(to: noTwenty).response.schemaID == 10)
        #expect(AppProtocolNegotiation.response(to: noTwenty, supported: [.din, .iso2]).selected == .din)
        #expect(AppProtocolNegotiation.response(to: noTwenty, supported: [.din, .iso2]).response.schemaID == 11)
    }

    @Test("[ISO 15118-2 §8.2] A different minor version is accepted with OK_SuccessfulNegotiationWithMinorDeviation")
    func minorDeviation() {
        let request = SupportedAppProtocolReq(appProtocol: [Self.offer("urn:iso:15118:2:2013:MsgDef", 2, 1, id: 3, priority: 1)])
        let outcome = AppProtocolNegotiation.response(to: request)
        #expect(outcome.selected == .iso2)
        #expect(outcome.response == SupportedAppProtocolRes(responseCode: .okSuccessfulNegotiationWithMinorDeviation, schemaID: 3))
    }

    @Test("[ISO 15118-2 §8.2] No common namespace and major version gives Failed_NoNegotiation without a SchemaID")
    func noNegotiation() {
        let wrongMajor = SupportedAppProtocolReq(appProtocol: [Self.offer("urn:iso:15118:2:2013:MsgDef", 1, 0, id: 1, priority: 1)])
        let unknown = SupportedAppProtocolReq(appProtocol: [Self.offer("urn:example:unknown", 2, 0, id: 1, priority: 1)])
        let expected = AppProtocolNegotiation.Outcome(response: SupportedAppProtocolRes(responseCode: .failedNoNegotiation), selected: nil)
        #expect(AppProtocolNegotiation.response(to: wrongMajor) == expected)
        #expect(AppProtocolNegotiation.response(to: unknown) == expected)
        #expect(AppProtocolNegotiation.response(to: SupportedAppProtocolReq(appProtocol: [])) == expected)
        let dinOnly = SupportedAppProtocolReq(appProtocol: [Self.din])
        #expect(AppProtocolNegotiation.response(to: dinOnly, supported: [.iso2]) == expected)
    }

    @Test("Two offers of the same protocol: the vehicle's better priority gives the SchemaID")
    func duplicateOffers() {
        let request = SupportedAppProtocolReq(appProtocol: [
            Self.offer("urn:iso:15118:2:2013:MsgDef", 2, 1, id: 7, priority: 5),
            Self.offer("urn:iso:15118:2:2013:MsgDef", 2, 0, id: 8, priority: 2),
        ])
        #expect(AppProtocolNegotiation.response(to: request).response == SupportedAppProtocolRes(responseCode: .okSuccessfulNegotiation, schemaID: 8))
    }

    @Test("The captured ISO-2-only request (EXI-FACTS vector) is answered with 80400040")
    func capturedVector() throws {
        let bytes = hexBytes("8000ebab9371d34b9b79d189a98989c1d191d191818999d26b9b3a232b30020000040040")
        guard case .supportedAppProtocolReq(let request) = try SAPDocument(exi: bytes) else {
            Issue.record("not a request")
            return
        }
        let outcome = AppProtocolNegotiation.response(to: request)
        #expect(outcome.selected == .iso2)
        #expect(try SAPDocument.supportedAppProtocolRes(outcome.response).exiEncoded() == hexBytes("80400040"))
    }
}

func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let high = iterator.next(), let low = iterator.next() { out.append(nibble(high) << 4 | nibble(low)) }
    return out
}
