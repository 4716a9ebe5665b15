import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import V2GTP
import V2GTransport

/// SDP server and client over UDP on ::1 (unicast mode); multicast runs in dev/netns-sdp.sh.
@Suite struct SDPTests {
    static let loopback = try! SocketAddress(ipAddress: "::1", port: 0)
    static let tlsOffer = SDPOffer(address: try! IPv6Address("fe80::1"), port: 50_001)
    static let tcpOffer = SDPOffer(address: try! IPv6Address("fe80::1"), port: 50_002)

    static func withServer<R: Sendable>(
        tls: SDPOffer?,
        tcp: SDPOffer?,
        recorder: LogRecorder,
        _ body: (SocketAddress) async throws -> R
    ) async throws -> R {
        let server = try await SDPServer.bind(
            configuration: SDPServerConfiguration(mode: .unicast(Self.loopback), tls: tls, tcp: tcp),
            logger: recorder.logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let result = try await body(server.localAddress)
            await server.close()
            return result
        }
    }

    static func fast(
        _ destination: SocketAddress,
        _ request: SDPRequest,
        required: SDPSecurity? = nil,
        requests: Int = 50
    )
        -> SDPClientConfiguration
    {
        SDPClientConfiguration(
            destination: .unicast(destination),
            request: request,
            requiredSecurity: required,
            requestInterval: .milliseconds(20),
            maximumRequests: requests
        )
    }

    @Test("[ISO 15118-2 §7.10.1] the SECC answers an SDP request with the address, port and security of its server")
    func discoversTLS() async throws {
        let recorder = LogRecorder()
        try await Self.withServer(tls: Self.tlsOffer, tcp: Self.tcpOffer, recorder: recorder) { address in
            let tls = try await SDPClient.discover(
                configuration: SDPClientConfiguration(
                    destination: .unicast(address),
                    request: SDPRequest(security: .tls)
                ),
                logger: recorder.logger
            )
            #expect(tls.response == SDPResponse(address: Self.tlsOffer.address, port: 50_001, security: .tls))
            #expect(tls.seccAddress.port == 50_001)
            let tcp = try await SDPClient.discover(
                configuration: Self.fast(address, SDPRequest(security: .none)),
                logger: recorder.logger
            )
            #expect(tcp.response == SDPResponse(address: Self.tcpOffer.address, port: 50_002, security: .none))
        }
    }

    @Test(
        "[V2G2-623] an SECC without TLS answers a TLS request with its TCP server; an EVCC that requires TLS ignores it"
    )
    func securityFallbackAndEnforcement() async throws {
        let recorder = LogRecorder()
        try await Self.withServer(tls: nil, tcp: Self.tcpOffer, recorder: recorder) { address in
            let answer = try await SDPClient.discover(
                configuration: Self.fast(address, SDPRequest(security: .tls)),
                logger: recorder.logger
            )
            #expect(answer.response.security == .none)
            await #expect {
                _ = try await SDPClient.discover(
                    configuration: Self.fast(address, SDPRequest(security: .tls), required: .tls, requests: 3),
                    logger: recorder.logger
                )
            } throws: { ($0 as? V2GTransportError)?.code == .discoveryTimedOut }
            // the server did answer (above); the enforcing client ignored those answers until it gave up
        }
    }

    @Test("Pure answer rules: requested security first, the other as fallback, no answer to invalid requests")
    func answerRules() throws {
        let both = SDPServerConfiguration(mode: .unicast(Self.loopback), tls: Self.tlsOffer, tcp: Self.tcpOffer)
        let tlsOnly = SDPServerConfiguration(mode: .unicast(Self.loopback), tls: Self.tlsOffer, tcp: nil)
        #expect(
            try SDPServer.answer(to: SDPRequest(security: .none).datagram, configuration: both).get().port == 50_002
        )
        #expect(
            try SDPServer.answer(to: SDPRequest(security: .none).datagram, configuration: tlsOnly).get().security
                == .tls
        )
        let cases: [([UInt8], V2GTPError.Code)] = [
            ([0x01, 0xFE, 0x90, 0x00, 0, 0, 0, 2, 0x00], .truncated),
            ([0x02, 0xFD, 0x90, 0x00, 0, 0, 0, 2, 0x00, 0x00], .invalidVersion),
            ([0x01, 0xFE, 0x90, 0x01, 0, 0, 0, 2, 0x00, 0x00], .unknownPayloadType),
            ([0x01, 0xFE, 0x90, 0x00, 0, 0, 0, 2, 0x00, 0x10], .invalidTransportProtocol),
            ([0x01, 0xFE, 0x90, 0x00, 0, 0, 0, 2, 0x20, 0x00], .invalidSecurity),
            ([0x01, 0xFE, 0x90, 0x02, 0, 0, 0, 2, 0x00, 0x00], .unknownPayloadType),
            ([0x01, 0xFE, 0x90, 0x00, 0xFF, 0xFF, 0xFF, 0xFF], .payloadTooLarge),
        ]
        for (datagram, code) in cases {
            #expect(throws: V2GTPError.self) { try SDPServer.answer(to: datagram, configuration: both).get() }
            if case .failure(let error) = SDPServer.answer(to: datagram, configuration: both) {
                #expect(error.code == code, "\(datagram)")
            }
        }
    }

    @Test("[ISO 15118-2 §7.10.1] invalid datagrams get no answer and the reason is logged; the server keeps serving")
    func serverIgnoresGarbage() async throws {
        let recorder = LogRecorder()
        try await Self.withServer(tls: Self.tlsOffer, tcp: nil, recorder: recorder) { address in
            let raw = try await Self.rawSocket()
            try await raw.executeThenClose { inbound, outbound in
                for bytes: [UInt8] in [[0xDE, 0xAD], [0x01, 0xFE, 0x90, 0x02, 0, 0, 0, 2, 0, 0]] {
                    try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
                }
                try await outbound.write(
                    AddressedEnvelope(
                        remoteAddress: address,
                        data: ByteBuffer(bytes: SDPRequest(security: .tls).datagram)
                    )
                )
                var iterator = inbound.makeAsyncIterator()
                let answer = try #require(try await iterator.next())
                // the only answer is the one to the valid request
                #expect(try SDPResponse(datagram: Array(answer.data.readableBytesView)).port == 50_001)
            }
            let ignored = recorder.all.filter { $0.message == "SDP datagram ignored" }
            #expect(ignored.count == 2)
            #expect(ignored.contains { $0.metadata["v2g.reason"]?.contains("truncated") == true })
            #expect(ignored.contains { $0.metadata["v2g.reason"]?.contains("wireless") == true })
        }
    }

    @Test("The client repeats the request until an answer comes and skips invalid answers")
    func clientRetriesAndSkipsInvalid() async throws {
        let recorder = LogRecorder()
        let responder = try await Self.rawSocket()
        let requests = Counter()
        let expected = SDPResponse(address: .loopback, port: 61_000, security: .tls)
        guard let responderAddress = responder.channel.localAddress else { throw CancellationError() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // a lossy SECC: drops the first three requests, answers the fourth with garbage, then correctly
            group.addTask {
                try await responder.executeThenClose { inbound, outbound in
                    for try await envelope in inbound {
                        let count = requests.increment()
                        guard count >= 4 else { continue }
                        let bytes = count == 4 ? [0x01, 0xFE, 0x90, 0x01, 0, 0, 0, 1, 0] : expected.datagram
                        try await outbound.write(
                            AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: bytes))
                        )
                    }
                }
            }
            defer { group.cancelAll() }
            let found = try await SDPClient.discover(
                configuration: Self.fast(responderAddress, SDPRequest(security: .tls)),
                logger: recorder.logger
            )
            #expect(found.response == expected)
            #expect(requests.value >= 5)
            #expect(recorder.all.contains { $0.message == "SDP answer ignored" })
            try await responder.channel.close()
        }
    }

    @Test("An EVCC that requires TLS skips a TCP answer and takes the next TLS one")
    func requiredSecurityFilters() async throws {
        let recorder = LogRecorder()
        let responder = try await Self.rawSocket()
        let requests = Counter()
        let tcp = SDPResponse(address: .loopback, port: 50_002, security: .none)
        let tls = SDPResponse(address: .loopback, port: 50_001, security: .tls)
        let responderAddress = try #require(responder.channel.localAddress)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await responder.executeThenClose { inbound, outbound in
                    for try await envelope in inbound {
                        let bytes = requests.increment() == 1 ? tcp.datagram : tls.datagram
                        try await outbound.write(
                            AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: bytes))
                        )
                    }
                }
            }
            defer { group.cancelAll() }
            let found = try await SDPClient.discover(
                configuration: Self.fast(responderAddress, SDPRequest(security: .tls), required: .tls),
                logger: recorder.logger
            )
            #expect(found.response == tls)
            #expect(recorder.all.contains { $0.message.contains("SDP answer ignored: security TCP, TLS required") })
            try await responder.channel.close()
        }
    }

    @Test("An SDP server can be closed whether or not it ran")
    func closeWithoutRun() async throws {
        let recorder = LogRecorder()
        let idle = try await SDPServer.bind(
            configuration: SDPServerConfiguration(mode: .unicast(Self.loopback), tls: Self.tlsOffer, tcp: nil),
            logger: recorder.logger
        )
        await idle.close()
        await idle.close()
    }

    @Test("With no SECC the client gives up after the configured number of requests")
    func clientTimesOut() async throws {
        let recorder = LogRecorder()
        let silent = try await Self.rawSocket()
        let address = try #require(silent.channel.localAddress)
        await #expect {
            _ = try await SDPClient.discover(
                configuration: Self.fast(address, SDPRequest(security: .tls), requests: 4),
                logger: recorder.logger
            )
        } throws: { error in
            let error = error as? V2GTransportError
            return error?.code == .discoveryTimedOut && error?.detail.contains("4 requests") == true
        }
        try await silent.channel.close()
    }

    @Test("[V2G2-139] multicast mode needs a named interface with an IPv6 link-local address")
    func interfaceLookup() throws {
        #expect { try SDPNetwork.interface(named: "no-such-if0") } throws: {
            ($0 as? V2GTransportError)?.code == .interfaceNotFound
        }
        // loopback carries ::1 only, which is not link-local
        #expect { try SDPNetwork.interface(named: "lo") } throws: {
            ($0 as? V2GTransportError)?.code == .interfaceNotFound
        }
        #expect(SDPNetwork.multicastGroup.description == "ff02::1")
        #expect(SDPNetwork.serverPort == 15118)
    }

    static func rawSocket() async throws -> NIOAsyncChannel<
        AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>
    > {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(to: Self.loopback) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                    wrappingChannelSynchronously: channel
                )
            }
        }
    }
}

/// A counter shared between tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int {
        self.count.withLock {
            $0 += 1
            return $0
        }
    }
    var value: Int { self.count.withLock { $0 } }
}
