import Testing
import V2GTP

@Suite struct V2GTPHeaderTests {
    @Test("[ISO 15118-2 Table 9] header encodes version 0x01, inverse 0xFE, type and length big-endian")
    func encodes() {
        let header = V2GTPHeader(payloadType: .exi, payloadLength: 0x0102_0304)
        #expect(header.bytes == [0x01, 0xFE, 0x80, 0x01, 0x01, 0x02, 0x03, 0x04])
    }

    @Test("[ISO 15118-2 Table 9] header decodes and round-trips for every defined payload type")
    func roundTrip() throws {
        for type in PayloadType.sessionTypes.union(PayloadType.discoveryTypes) {
            let header = V2GTPHeader(payloadType: type, payloadLength: 4242)
            #expect(try V2GTPHeader(decoding: header.bytes) == header)
        }
    }

    @Test(
        "[ISO 15118-2 §7.8.3.2] a wrong protocol version or inverse version is rejected with invalidVersion",
        arguments: [[0x02, 0xFD], [0x01, 0xFF], [0x00, 0xFE], [0xFE, 0x01], [0x01, 0x01]] as [[UInt8]]
    )
    func wrongVersion(_ pattern: [UInt8]) {
        let bytes = pattern + [0x80, 0x01, 0, 0, 0, 2]
        #expect { try V2GTPHeader(decoding: bytes) } throws: { ($0 as? V2GTPError)?.code == .invalidVersion }
    }

    @Test("[ISO 15118-2 §7.8.3.2] fewer than 8 bytes is truncated", arguments: 0..<8)
    func truncated(_ count: Int) {
        let bytes = Array(V2GTPHeader(payloadType: .exi, payloadLength: 2).bytes.prefix(count))
        #expect { try V2GTPHeader(decoding: bytes) } throws: { ($0 as? V2GTPError)?.code == .truncated }
    }

    @Test("[ISO 15118-2 §7.8.3.2] a payload type the receiver does not accept is unknownPayloadType")
    func unknownType() throws {
        let header = try V2GTPHeader(decoding: [0x01, 0xFE, 0xA0, 0x00, 0, 0, 0, 0])
        #expect(header.payloadType.isManufacturerSpecific)
        #expect(!header.payloadType.isDefined)
        #expect { try header.validate(acceptedTypes: PayloadType.sessionTypes, maximumPayloadLength: 100) } throws: {
            ($0 as? V2GTPError)?.code == .unknownPayloadType
        }
        // SDP on a session connection is as foreign as an undefined type
        #expect {
            try V2GTPHeader(payloadType: .sdpRequest, payloadLength: 2)
                .validate(acceptedTypes: PayloadType.sessionTypes, maximumPayloadLength: 100)
        } throws: { ($0 as? V2GTPError)?.code == .unknownPayloadType }
    }

    @Test("[ISO 15118-2 §7.8.3.2] a payload length above the receiver's maximum is payloadTooLarge, even 2^32-1")
    func tooLarge() throws {
        let accepted = PayloadType.sessionTypes
        try V2GTPHeader(payloadType: .exi, payloadLength: 100).validate(
            acceptedTypes: accepted,
            maximumPayloadLength: 100
        )
        for length: UInt32 in [101, UInt32.max] {
            #expect {
                try V2GTPHeader(payloadType: .exi, payloadLength: length)
                    .validate(acceptedTypes: accepted, maximumPayloadLength: 100)
            } throws: { ($0 as? V2GTPError)?.code == .payloadTooLarge }
        }
    }

    @Test("[ISO 15118-20 Table 12] payload types carry their standard values")
    func payloadTypeValues() {
        #expect(PayloadType.exi.rawValue == 0x8001)
        #expect(PayloadType.iso20Common.rawValue == 0x8002)
        #expect(PayloadType.iso20AC.rawValue == 0x8003)
        #expect(PayloadType.iso20DC.rawValue == 0x8004)
        #expect(PayloadType.iso20ACDP.rawValue == 0x8005)
        #expect(PayloadType.iso20WPT.rawValue == 0x8006)
        #expect(PayloadType.sdpRequest.rawValue == 0x9000)
        #expect(PayloadType.sdpResponse.rawValue == 0x9001)
        #expect(PayloadType.sdpRequestWireless.rawValue == 0x9002)
        #expect(PayloadType.sdpResponseWireless.rawValue == 0x9003)
        #expect(PayloadType(0x8007).isDefined == false)
        #expect(PayloadType.exi.description == "0x8001")
        #expect(PayloadType(0x0A).description == "0x000A")
    }

    @Test("A datagram must hold exactly the announced payload")
    func datagramLength() throws {
        let message = V2GTPMessage(payloadType: .sdpRequest, payload: [0x00, 0x00])
        #expect(
            try V2GTPMessage(datagram: message.bytes, acceptedTypes: [.sdpRequest], maximumPayloadLength: 2) == message
        )
        #expect {
            try V2GTPMessage(datagram: message.bytes + [0], acceptedTypes: [.sdpRequest], maximumPayloadLength: 2)
        } throws: { ($0 as? V2GTPError)?.code == .payloadLengthMismatch }
        #expect {
            try V2GTPMessage(datagram: message.bytes.dropLast(), acceptedTypes: [.sdpRequest], maximumPayloadLength: 2)
        } throws: { ($0 as? V2GTPError)?.code == .truncated }
    }
}
