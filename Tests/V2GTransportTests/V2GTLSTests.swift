import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import V2GTP
import V2GTransport

/// Real TLS over loopback with chains made in code (P-256 for -2, P-521 for -20).
@Suite struct V2GTLSTests {
    static let loopback = try! SocketAddress(ipAddress: "::1", port: 0)

    /// Runs a server for the duration of `body`; the handler echoes every frame back.
    static func withEchoServer<R: Sendable>(
        _ security: V2GServer.Security,
        recorder: LogRecorder,
        _ body: (SocketAddress) async throws -> R
    ) async throws -> R {
        let server = try await V2GServer.bind(to: Self.loopback, security: security, logger: recorder.logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run { connection in
                    try await connection.executeThenClose { inbound, outbound in
                        for try await frame in inbound { try await outbound.write(frame) }
                    }
                }
            }
            defer { group.cancelAll() }
            let result = try await body(server.localAddress)
            try await server.close()
            return result
        }
    }

    /// Sends one frame and returns the echo.
    static func roundTrip(_ connection: V2GConnection) async throws -> V2GTPFrame? {
        try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(V2GTPFrame(payloadType: .exi, payload: ByteBuffer(bytes: [0x80, 0x00, 0xEB])))
            var iterator = inbound.makeAsyncIterator()
            return try await iterator.next()
        }
    }

    @Test(
        "[V2G2-067][V2G2-602] -2 profile: TLS 1.2 with ECDHE-ECDSA-AES128-SHA256, SECC chain verified to the V2G root"
    )
    func iso2Handshake() async throws {
        let cpo = try TestChain(domain: "V2G")
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_2(identity: cpo.identity)
        let echo = try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            let client = try V2GTLSClientProfile.iso15118_2(v2gRoots: [cpo.root])
            let connection = try await V2GClient.connect(to: address, security: .tls(client), logger: recorder.logger)
            #expect(connection.tls?.version == .tlsv12)
            #expect(connection.security == .tls)
            // the SECC sent its leaf (the chain verified up to the root the client holds)
            #expect(connection.tls?.peerCertificate == cpo.chain[0])
            return try await Self.roundTrip(connection)
        }
        #expect(echo == V2GTPFrame(payloadType: .exi, payload: ByteBuffer(bytes: [0x80, 0x00, 0xEB])))
    }

    @Test("[V2G2-602] the -2 profiles name only cipher suite 0xC023 and curve secp256r1")
    func iso2ProfileSettings() throws {
        let cpo = try TestChain(domain: "V2G")
        let server = try V2GTLSServerProfile.iso15118_2(identity: cpo.identity).configuration
        let client = try V2GTLSClientProfile.iso15118_2(v2gRoots: [cpo.root]).configuration
        for configuration in [server, client] {
            #expect(configuration.cipherSuites == "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256")
            #expect(configuration.minimumTLSVersion == .tlsv12)
            #expect(configuration.maximumTLSVersion == .tlsv12)
            #expect(configuration.curves == [.secp256r1])
        }
        #expect(client.certificateVerification == .noHostnameVerification)
        #expect(client.certificateChain.isEmpty)
    }

    @Test("[V2G2-067] an SECC chain under another root fails the handshake; both sides close and log the reason")
    func wrongChain() async throws {
        let trusted = try TestChain(domain: "V2G")
        let stranger = try TestChain(domain: "Other")
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_2(identity: stranger.identity)
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            let client = try V2GTLSClientProfile.iso15118_2(v2gRoots: [trusted.root])
            await #expect {
                _ = try await V2GClient.connect(to: address, security: .tls(client), logger: recorder.logger)
            } throws: { ($0 as? V2GTransportError)?.code == .tlsHandshakeFailed }
            let clientLog = recorder.all.first { $0.message == "V2G connection failed" }
            #expect(clientLog?.metadata["v2g.reason"]?.contains("CERTIFICATE_VERIFY_FAILED") == true)
            let serverLog = await recorder.waitFor { $0.message.contains("TLS handshake failed") }
            #expect(serverLog?.metadata["v2g.reason"] != nil)
        }
    }

    /// What a non-conforming EVCC offers, and the reason BoringSSL gives the -2 server for refusing it.
    enum WrongOffer: String, CaseIterable, CustomTestStringConvertible {
        case gcmCipherOnly = "NO_SHARED_CIPHER"
        case tls13Only = "UNSUPPORTED_PROTOCOL"

        var testDescription: String { self == .gcmCipherOnly ? "only ECDHE-ECDSA-AES128-GCM-SHA256" : "only TLS 1.3" }

        func configuration(trusting root: NIOSSLCertificate) -> TLSConfiguration {
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch self {
            case .gcmCipherOnly:
                configuration.maximumTLSVersion = .tlsv12
                configuration.cipherSuiteValues = [.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
            case .tls13Only:
                configuration.minimumTLSVersion = .tlsv13
            }
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates([root])
            return configuration
        }
    }

    @Test(
        "[V2G2-067][V2G2-602] a client offering another cipher suite or TLS version is refused, reason logged",
        arguments: WrongOffer.allCases
    )
    func wrongOffer(_ offer: WrongOffer) async throws {
        let cpo = try TestChain(domain: "V2G")
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_2(identity: cpo.identity)
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            let client = try V2GTLSClientProfile.custom(
                name: offer.testDescription,
                configuration: offer.configuration(trusting: cpo.root)
            )
            await #expect {
                _ = try await V2GClient.connect(to: address, security: .tls(client), logger: recorder.logger)
            } throws: { ($0 as? V2GTransportError)?.code == .tlsHandshakeFailed }
            let serverLog = await recorder.waitFor { $0.message.contains("TLS handshake failed") }
            #expect(serverLog?.metadata["v2g.reason"]?.contains(offer.rawValue) == true)
        }
    }

    @Test("[ISO 15118-20] TLS 1.3 mutual: the SECC verifies the vehicle's OEM chain (P-521)")
    func iso20Mutual() async throws {
        let cpo = try TestChain(domain: "V2G", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_20(identities: [cpo.identity], vehicleTrustRoots: [oem.root])
        let echo = try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            let client = try V2GTLSClientProfile.iso15118_20(v2gRoots: [cpo.root], identity: oem.identity)
            let connection = try await V2GClient.connect(to: address, security: .tls(client), logger: recorder.logger)
            #expect(connection.tls?.version == .tlsv13)
            #expect(connection.tls?.peerCertificate == cpo.chain[0])
            return try await Self.roundTrip(connection)
        }
        #expect(echo?.payloadType == .exi)
    }

    @Test("[ISO 15118-20] a vehicle without a client certificate is refused by the SECC, reason logged")
    func iso20MissingClientCertificate() async throws {
        let cpo = try TestChain(domain: "V2G", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_20(identities: [cpo.identity], vehicleTrustRoots: [oem.root])
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            // the -20 client profile in every respect but the missing certificate
            var configuration = try V2GTLSClientProfile.iso15118_20(v2gRoots: [cpo.root], identity: oem.identity)
                .configuration
            configuration.certificateChain = []
            configuration.privateKey = nil
            let client = try V2GTLSClientProfile.custom(name: "no client cert", configuration: configuration)
            // TLS 1.3: the client may finish its side before the server checks the (empty) certificate, so the
            // refusal shows either in connect or on the first read.
            do {
                let connection = try await V2GClient.connect(
                    to: address,
                    security: .tls(client),
                    logger: recorder.logger
                )
                await #expect(throws: (any Error).self) {
                    let echo = try await Self.roundTrip(connection)
                    if echo == nil { throw V2GTransportError.make(.connectionClosed, "closed without an answer") }
                }
            } catch let error as V2GTransportError {
                #expect(error.code == .tlsHandshakeFailed)
            }
            let serverLog = await recorder.waitFor { $0.message.contains("TLS handshake failed") }
            #expect(
                serverLog?.metadata["v2g.reason"]?.contains("CERTIFICATE") == true,
                "\(String(describing: serverLog))"
            )
        }
    }

    @Test("[ISO 15118-20] a vehicle chain under another OEM root is refused by the SECC")
    func iso20WrongVehicleChain() async throws {
        let cpo = try TestChain(domain: "V2G", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let otherOEM = try TestChain(domain: "OEM2", curve: .p521)
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_20(identities: [cpo.identity], vehicleTrustRoots: [oem.root])
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            let client = try V2GTLSClientProfile.iso15118_20(v2gRoots: [cpo.root], identity: otherOEM.identity)
            do {
                let connection = try await V2GClient.connect(
                    to: address,
                    security: .tls(client),
                    logger: recorder.logger
                )
                await #expect(throws: (any Error).self) {
                    if try await Self.roundTrip(connection) == nil {
                        throw V2GTransportError.make(.connectionClosed, "closed without an answer")
                    }
                }
            } catch let error as V2GTransportError {
                #expect(error.code == .tlsHandshakeFailed)
            }
            #expect(await recorder.waitFor { $0.message.contains("TLS handshake failed") } != nil)
        }
    }

    @Test("[ISO 15118-20] a -2 (TLS 1.2) client is refused by the -20 server")
    func iso20RefusesTLS12() async throws {
        let cpo = try TestChain(domain: "V2G", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_20(identities: [cpo.identity], vehicleTrustRoots: [oem.root])
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            let client = try V2GTLSClientProfile.iso15118_2(v2gRoots: [cpo.root])
            await #expect {
                _ = try await V2GClient.connect(to: address, security: .tls(client), logger: recorder.logger)
            } throws: { ($0 as? V2GTransportError)?.code == .tlsHandshakeFailed }
        }
    }

    @Test("[ISO 15118-20] with chains under two V2G roots the SECC presents the one whose root the vehicle trusts")
    func trustedCASelection() async throws {
        let rootA = try TestChain(domain: "V2G-A", curve: .p521)
        let rootB = try TestChain(domain: "V2G-B", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_20(
            identities: [rootA.identity, rootB.identity],
            vehicleTrustRoots: [oem.root]
        )
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            for (trusted, expectedLeaf) in [(rootA, rootA.chain[0]), (rootB, rootB.chain[0])] {
                let client = try V2GTLSClientProfile.iso15118_20(v2gRoots: [trusted.root], identity: oem.identity)
                let connection = try await V2GClient.connect(
                    to: address,
                    security: .tls(client),
                    logger: recorder.logger
                )
                #expect(connection.tls?.peerCertificate == expectedLeaf)
                #expect(try await Self.roundTrip(connection) != nil)
            }
        }
    }

    @Test("[ISO 15118-2] an SECC with chains under two V2G roots presents the one an EVCC hinting its root trusts")
    func iso2TrustedCASelection() async throws {
        let rootA = try TestChain(domain: "V2G-A")
        let rootB = try TestChain(domain: "V2G-B")
        let recorder = LogRecorder()
        let server = try V2GTLSServerProfile.iso15118_2(identities: [rootA.identity, rootB.identity])
        try await Self.withEchoServer(.tls(server), recorder: recorder) { address in
            for (trusted, expectedLeaf) in [(rootB, rootB.chain[0]), (rootA, rootA.chain[0])] {
                let client = try V2GTLSClientProfile.iso15118_2(v2gRoots: [trusted.root], sendTrustedCAHint: true)
                let connection = try await V2GClient.connect(
                    to: address,
                    security: .tls(client),
                    logger: recorder.logger
                )
                #expect(connection.tls?.peerCertificate == expectedLeaf)
                await connection.close()
            }
            // without the hint the first chain is presented: an EVCC trusting only root B refuses it
            let plain = try V2GTLSClientProfile.iso15118_2(v2gRoots: [rootB.root])
            await #expect {
                _ = try await V2GClient.connect(to: address, security: .tls(plain), logger: recorder.logger)
            } throws: { ($0 as? V2GTransportError)?.code == .tlsHandshakeFailed }
        }
    }

    @Test("Several identities need their roots to be told apart")
    func identitiesNeedRoots() throws {
        let chain = try TestChain(domain: "V2G")
        let anonymous = try V2GTLSIdentity(certificateChain: chain.chain, privateKey: chain.leafKey, root: nil)
        #expect { try V2GTLSServerProfile.iso15118_2(identities: [anonymous, anonymous]) } throws: {
            ($0 as? V2GTransportError)?.code == .invalidConfiguration
        }
        #expect { try V2GTLSServerProfile.iso15118_2(identities: []) } throws: {
            ($0 as? V2GTransportError)?.code == .invalidConfiguration
        }
        _ = try V2GTLSServerProfile.iso15118_2(identity: anonymous)
    }

    @Test("The trusted-CA hint round-trips through an SNI name and lists at most five roots")
    func trustedCAHint() throws {
        let chains = try (0..<6).map { try TestChain(domain: "R\($0)") }
        let name = try TrustedCAKeys.serverName(for: chains.map(\.root))
        #expect(name.hasSuffix(".trusted-ca.invalid"))
        #expect(name.utf8.count <= 253)
        let hashes = try #require(TrustedCAKeys.keyHashes(inServerName: name))
        #expect(hashes.count == 5)
        #expect(hashes == (try chains.prefix(5).map { try TrustedCAKeys.keyHash(of: $0.root) }))
        #expect(TrustedCAKeys.keyHashes(inServerName: "secc.example") == nil)
        #expect(TrustedCAKeys.keyHashes(inServerName: "zz.trusted-ca.invalid") == nil)
    }

    @Test("[ISO 15118-2 §7.8.3.2] a peer sending a malformed V2GTP header is disconnected, reason logged")
    func malformedHeaderClosesConnection() async throws {
        let recorder = LogRecorder()
        try await Self.withEchoServer(.tcp, recorder: recorder) { address in
            let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let received = try await raw.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: [0x02, 0xFD, 0x80, 0x01, 0, 0, 0, 1, 0]))
                var bytes = 0
                for try await buffer in inbound { bytes += buffer.readableBytes }
                return bytes  // loop ends when the server closes
            }
            #expect(received == 0)
            let log = await recorder.waitFor { $0.message == "V2G connection closed with an error" }
            #expect(log?.metadata["v2g.reason"]?.contains("invalidVersion") == true)
        }
    }

    @Test("[ISO 15118-2 §7.8.3.2] a peer announcing an oversized payload is disconnected, reason logged")
    func oversizedPayloadClosesConnection() async throws {
        let recorder = LogRecorder()
        try await Self.withEchoServer(.tcp, recorder: recorder) { address in
            let connection = try await V2GClient.connect(to: address, security: .tcp, logger: recorder.logger)
            #expect(connection.tls == nil)
            let result: Void? = try? await connection.executeThenClose { inbound, outbound in
                let big = ByteBuffer(repeating: 0x42, count: V2GTPFramingConfiguration.defaultMaximumPayloadLength + 1)
                try await outbound.write(V2GTPFrame(payloadType: .exi, payload: big))
                for try await _ in inbound {}
            }
            _ = result
            let log = await recorder.waitFor { $0.message == "V2G connection closed with an error" }
            #expect(log?.metadata["v2g.reason"]?.contains("payloadTooLarge") == true)
        }
    }

    @Test("A handler that returns without using its connection gets it closed; the client sees the end")
    func unusedConnectionIsClosed() async throws {
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(to: Self.loopback, security: .tcp, logger: recorder.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { _ in } }
            defer { group.cancelAll() }
            for _ in 0..<20 {
                let connection = try await V2GClient.connect(
                    to: server.localAddress,
                    security: .tcp,
                    logger: recorder.logger
                )
                let frames = try await connection.executeThenClose { inbound, _ in
                    var count = 0
                    for try await _ in inbound { count += 1 }
                    return count
                }
                #expect(frames == 0)
            }
            try await server.close()
        }
    }

    @Test("[ISO 15118-2 Table 15] the SECC server can bind a port of the dynamic range 49152-65535 for SDP to announce")
    func dynamicPort() async throws {
        let recorder = LogRecorder()
        let servers = try await (0..<3).asyncMap { _ in
            try await V2GServer.bindDynamicPort(on: Self.loopback, security: .tcp, logger: recorder.logger)
        }
        for server in servers {
            #expect(SDPNetwork.dynamicPorts.contains(server.localAddress.port ?? 0))
            try await server.close()
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
