import DINMessages
import EXI
import ISO20Messages
import ISO2Messages
import SAPMessages
import Testing
import XMLDSig

/// Published vectors (EXI-FACTS: EXIficient and libcbv2g agree on all of them unless noted).
@Suite struct VectorTests {
    static let sapVectors = [
        "8000ebab9371d34b9b79d189a98989c1d191d191818999d26b9b3a232b30020000040040",
        "8000dbab9371d3234b71d1b981899189d191818991d26b9b3a232b30020000040040",
        "80400040", "80400280", "80401bc0",
    ]

    @Test("[ISO 15118-2 §8.2] SupportedAppProtocol vectors decode and re-encode byte-identically", arguments: sapVectors)
    func sap(_ hex: String) throws {
        let bytes = try #require(hexBytes(hex))
        let document = try SAPDocument(exi: bytes)
        #expect(hexString(try document.exiEncoded()) == hex)
    }

    @Test("[ISO 15118-2 §8.2] SupportedAppProtocolReq for ISO 15118-2 only has the expected content")
    func sapContent() throws {
        let document = try SAPDocument(exi: try #require(hexBytes(Self.sapVectors[0])))
        guard case .supportedAppProtocolReq(let request) = document else {
            Issue.record("not a request")
            return
        }
        #expect(request.appProtocol.count == 1)
        #expect(request.appProtocol[0].protocolNamespace == "urn:iso:15118:2:2013:MsgDef")
        #expect(request.appProtocol[0].versionNumberMajor == 2)
        #expect(request.appProtocol[0].schemaID == 1)
        #expect(request.appProtocol[0].priority == 1)
        let built = SAPDocument.supportedAppProtocolReq(
            SupportedAppProtocolReq(appProtocol: [
                AppProtocol(
                    protocolNamespace: "urn:iso:15118:2:2013:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0,
                    schemaID: 1, priority: 1)
            ]))
        #expect(hexString(try built.exiEncoded()) == Self.sapVectors[0])
    }

    @Test("[ISO 15118-2 §8.4.3.2] SessionSetupReq and CurrentDemandReq vectors round-trip")
    func iso2Messages() throws {
        for hex in [
            "809802000000000000000011d01a321640a2ff1400",
            "8098022959aeb1a15425b010d1000501860141186158040414241380003081900610280188184060",
        ] {
            let document = try ISO2Document(exi: try #require(hexBytes(hex)))
            #expect(hexString(try document.exiEncoded()) == hex)
        }
        guard case .v2gMessage(let message) = try ISO2Document(exi: hexBytes("809802000000000000000011d01a321640a2ff1400")!),
            case .sessionSetupReq(let request) = message.body.bodyElement
        else {
            Issue.record("not a SessionSetupReq")
            return
        }
        #expect(request.evccID.count == 6)
        #expect(message.header.sessionID == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("[ISO 15118-2 §7.9.2.4] AuthorizationReq fragment (Id ID1, GenChallenge 01..10) matches EXIficient")
    func authorizationReqFragment() throws {
        let hex = "80040152510c408008101820283038404850586068707881e8"
        let fragment = ISO2Fragment.authorizationReq(
            AuthorizationReq(id: "ID1", genChallenge: Array(1...16)))
        #expect(hexString(try fragment.exiEncoded()) == hex)
        #expect(try ISO2Fragment(exi: hexBytes(hex)!) == fragment)
    }

    @Test("[ISO 15118-2 §7.9.2.4] MeteringReceiptReq fragment matches EXIficient")
    func meteringReceiptFragment() throws {
        let hex = "8079015a590c40849b5aeda5061a7bc0000125377697463682d4d657465722d31323305cb01133f7d5160c3d00"
        let fragment = try ISO2Fragment(exi: try #require(hexBytes(hex)))
        #expect(hexString(try fragment.exiEncoded()) == hex)
        guard case .meteringReceiptReq = fragment else {
            Issue.record("not a MeteringReceiptReq")
            return
        }
    }

    @Test("[ISO 15118-2 §7.9.2.4] eMAID fragment uses the element fragment grammar, as EXIficient does")
    func emaidFragment() throws {
        let hex = "80ec0202b4b21a40041111505090d0cc4c8cd05090cd4dbd3d00"
        let fragment = try ISO2Fragment(exi: try #require(hexBytes(hex)))
        guard case .eMAID(let element) = fragment else {
            Issue.record("not an eMAID")
            return
        }
        #expect(hexString(try fragment.exiEncoded()) == hex)
        #expect(element.value.hasPrefix("DE"))
        // libcbv2g's typed encoding (cbexigen issue #60) is not what EXIficient produces.
        #expect(throws: EXIError.self) {
            try ISO2Fragment(exi: hexBytes("80ec02b4b21a041111505090d0cc4c8cd05090cd4d9e80")!)
        }
    }

    @Test("[EXI 1.0 §8.5.2] fragment event codes: ISO-2 end 244, xmldsig alone end 46, -20 CommonMessages end 282")
    func fragmentCodes() {
        #expect(ISO2Fragment.exiEndOfFragmentCode == 244)
        #expect(XMLDSigFragment.exiEndOfFragmentCode == 46)
        #expect(ISO20Fragment.exiEndOfFragmentCode == 282)
    }
}
