import ISO15118EVCC
import SAPMessages
import Testing

@Suite struct AppProtocolOfferTests {
    @Test("The offer lists the vehicle's protocols in order with SchemaID and Priority from 1")
    func offer() {
        let request = AppProtocolOffer.request(offering: [.iso2, .din])
        #expect(request.appProtocol == [
            AppProtocol(protocolNamespace: "urn:iso:15118:2:2013:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 1),
            AppProtocol(protocolNamespace: "urn:din:70121:2012:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 2, priority: 2),
        ])
    }

    @Test("The ISO-2-only offer encodes to the captured request bytes")
    func capturedBytes() throws {
        let bytes = try SAPDocument.supportedAppProtocolReq(AppProtocolOffer.request(offering: [.iso2])).exiEncoded()
        let hex: String = bytes.map { (byte: UInt8) -> String in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        #expect(hex == "8000ebab9371d34b9b79d189a98989c1d191d191818999d26b9b3a232b30020000040040")
    }

    @Test("Each response code is read: accepted, minor deviation, no negotiation, unknown SchemaID")
    func outcomes() {
        let request = AppProtocolOffer.request(offering: [.iso2, .din])
        #expect(AppProtocolOffer.outcome(of: .init(responseCode: .okSuccessfulNegotiation, schemaID: 2), to: request)
            == .accepted(.din, minorDeviation: false))
        #expect(AppProtocolOffer.outcome(of: .init(responseCode: .okSuccessfulNegotiationWithMinorDeviation, schemaID: 1), to: request)
            == .accepted(.iso2, minorDeviation: true))
        #expect(AppProtocolOffer.outcome(of: .init(responseCode: .failedNoNegotiation), to: request) == .noNegotiation)
        #expect(AppProtocolOffer.outcome(of: .init(responseCode: .okSuccessfulNegotiation, schemaID: 9), to: request) == .invalidResponse)
        #expect(AppProtocolOffer.outcome(of: .init(responseCode: .okSuccessfulNegotiation), to: request) == .invalidResponse)
    }
}
