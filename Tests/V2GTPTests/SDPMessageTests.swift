import Testing
import V2GTP

@Suite struct SDPMessageTests {
    @Test("[V2G2-623] SDP request: Security 0x00 TLS / 0x10 none, TransportProtocol 0x00 TCP / 0x10 UDP")
    func requestEncoding() throws {
        #expect(SDPRequest(security: .tls).datagram == [0x01, 0xFE, 0x90, 0x00, 0, 0, 0, 2, 0x00, 0x00])
        #expect(SDPRequest(security: .none, transportProtocol: .udp).payload == [0x10, 0x10])
        for security in SDPSecurity.allCases {
            for transport in SDPTransportProtocol.allCases {
                let request = SDPRequest(security: security, transportProtocol: transport)
                #expect(try SDPRequest(datagram: request.datagram) == request)
            }
        }
    }

    @Test("Byte-identical to the request sdp_probe.py (Josev harness) sends")
    func requestMatchesProbe() throws {
        // struct.pack(">BBHI", 0x01, 0xFE, 0x9000, 2) + bytes([0x00, 0x00])
        let probe: [UInt8] = [0x01, 0xFE, 0x90, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00]
        #expect(try SDPRequest(datagram: probe) == SDPRequest(security: .tls, transportProtocol: .tcp))
    }

    @Test("[V2G2-623] reserved Security or TransportProtocol values are typed errors")
    func requestReserved() {
        #expect { try SDPRequest(payload: [0x01, 0x00]) } throws: { ($0 as? V2GTPError)?.code == .invalidSecurity }
        #expect { try SDPRequest(payload: [0x00, 0x01]) } throws: {
            ($0 as? V2GTPError)?.code == .invalidTransportProtocol
        }
        #expect { try SDPRequest(payload: [0x00]) } throws: { ($0 as? V2GTPError)?.code == .payloadLengthMismatch }
        #expect { try SDPRequest(payload: [0x00, 0x00, 0x00]) } throws: {
            ($0 as? V2GTPError)?.code == .payloadLengthMismatch
        }
    }

    @Test("[ISO 15118-2 §7.10.1.3] SDP response: 16-byte address, port big-endian, Security, TransportProtocol")
    func responseEncoding() throws {
        let address = try IPv6Address("fe80::1234:5678:9abc:def0")
        let response = SDPResponse(address: address, port: 0xFAEB, security: .tls)
        let expected: [UInt8] =
            [0x01, 0xFE, 0x90, 0x01, 0, 0, 0, 20]
            + [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0] + [0xFA, 0xEB, 0x00, 0x00]
        #expect(response.datagram == expected)
        #expect(try SDPResponse(datagram: expected) == response)
        #expect(address.isLinkLocal)
    }

    @Test("An SDP response datagram with the wrong type, length or reserved bytes is rejected")
    func responseRejects() {
        var wrongType = SDPResponse(address: .loopback, port: 1, security: .none).datagram
        wrongType[3] = 0x00
        #expect { try SDPResponse(datagram: wrongType) } throws: { ($0 as? V2GTPError)?.code == .unknownPayloadType }
        var reserved = SDPResponse(address: .loopback, port: 1, security: .none).datagram
        reserved[26] = 0x20
        #expect { try SDPResponse(datagram: reserved) } throws: { ($0 as? V2GTPError)?.code == .invalidSecurity }
        // a header announcing a huge payload is refused before anything is copied
        let huge: [UInt8] = [0x01, 0xFE, 0x90, 0x01, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect { try SDPResponse(datagram: huge) } throws: { ($0 as? V2GTPError)?.code == .payloadTooLarge }
    }

    @Test(
        "IPv6 text form follows RFC 5952 and parses back",
        arguments: [
            "::", "::1", "fe80::1", "2001:db8::1:0:0:1", "fe80::a:b:c:d", "1:2:3:4:5:6:7:8", "1::8", "1:0:3:4:5:6:7:8",
        ]
    )
    func ipv6Text(_ text: String) throws {
        #expect(try IPv6Address(text).description == text)
    }

    @Test(
        "Invalid IPv6 text is invalidAddress",
        arguments: ["", ":", "1:2:3", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "::1%eth0"]
    )
    func ipv6Invalid(_ text: String) {
        #expect { try IPv6Address(text) } throws: { ($0 as? V2GTPError)?.code == .invalidAddress }
    }
}
