import Crypto
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import V2GTP
import V2GTransport

@Suite struct TLSChainSelectionTests {
    static func hello(
        versions: [UInt16]? = nil,
        trusted: [TLSClientHello.TrustedAuthority]? = nil,
        authorities: [[UInt8]]? = nil,
        serverName: String? = nil
    ) -> TLSClientHello {
        TLSClientHello(
            cipherSuites: [0xC023], serverName: serverName, supportedVersions: versions, trustedCAKeys: trusted,
            certificateAuthorities: authorities)
    }

    @Test("[ISO 15118-2 §7.7.3][RFC 6066 §6] trusted_ca_keys picks the chain by the root's key hash, certificate hash or DN; pre_agreed and unknown roots fall back to the first")
    func trustedCAKeys() throws {
        let a = try TestChain(domain: "V2G-A").identity
        let b = try TestChain(domain: "V2G-B").identity
        let roots = [a.rootKeys, b.rootKeys]
        let forms: [TLSClientHello.TrustedAuthority] = [
            .keySHA1Hash(try #require(b.rootKeyHash)), .certSHA1Hash(try #require(b.rootCertificateHash)),
            .x509Name(try #require(b.rootSubject)),
        ]
        for form in forms {
            let choice = TLSChainChoice.choose(for: Self.hello(trusted: [.preAgreed, form]), among: roots)
            #expect(choice == TLSChainChoice(index: 1, reason: .trustedCAKeys), "\(form)")
        }
        let unknown = TLSClientHello.TrustedAuthority.keySHA1Hash(Array(repeating: 0, count: 20))
        #expect(
            TLSChainChoice.choose(for: Self.hello(trusted: [.preAgreed, unknown]), among: roots)
                == TLSChainChoice(index: 0, reason: .first))
        // the client's order decides between two roots the SECC holds
        let both = Self.hello(trusted: [.x509Name(try #require(b.rootSubject)), .keySHA1Hash(try #require(a.rootKeyHash))])
        #expect(TLSChainChoice.choose(for: both, among: roots)?.index == 1)
        #expect(TLSChainChoice.choose(for: both, among: []) == nil)
    }

    @Test("[ISO 15118-20][RFC 8446 §4.2.4] certificate_authorities picks the chain by the root's DN; -20 consults it before trusted_ca_keys, -2 after")
    func certificateAuthorities() throws {
        let a = try TestChain(domain: "V2G-A").identity
        let b = try TestChain(domain: "V2G-B").identity
        let roots = [a.rootKeys, b.rootKeys]
        let byDN = Self.hello(authorities: [Self.derNameOther, try #require(b.rootSubject)])
        #expect(TLSChainChoice.choose(for: byDN, among: roots) == TLSChainChoice(index: 1, reason: .certificateAuthorities))
        let mixed = Self.hello(
            trusted: [.keySHA1Hash(try #require(a.rootKeyHash))], authorities: [try #require(b.rootSubject)])
        #expect(TLSChainChoice.choose(for: mixed, among: roots) == TLSChainChoice(index: 0, reason: .trustedCAKeys))
        #expect(
            TLSChainChoice.choose(for: mixed, among: roots, preferCertificateAuthorities: true)
                == TLSChainChoice(index: 1, reason: .certificateAuthorities))
    }

    static let derNameOther = derName("Somebody Else Root")

    @Test("The SNI trusted-CA hint is used when no extension names a held root, before the first chain")
    func serverNameHint() throws {
        let a = try TestChain(domain: "V2G-A")
        let b = try TestChain(domain: "V2G-B")
        let roots = [try a.identity.rootKeys, try b.identity.rootKeys]
        let hint = try TrustedCAKeys.serverName(for: [b.root])
        #expect(
            TLSChainChoice.choose(for: Self.hello(serverName: hint), among: roots)
                == TLSChainChoice(index: 1, reason: .serverNameHint))
        #expect(
            TLSChainChoice.choose(for: Self.hello(serverName: "secc.example"), among: roots)
                == TLSChainChoice(index: 0, reason: .first))
    }

    @Test("[ISO 15118-2 / -20] the profile follows the ClientHello: TLS 1.3 offered with -20 chains → -20, else -2; a set with one profile always uses it")
    func profileChoice() throws {
        let iso2 = try TestChain(domain: "V2G2").identity
        let iso20 = try TestChain(domain: "V2G20", curve: .p521).identity
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let both = try V2GTLSServerProfileSet(iso15118_2: [iso2], iso15118_20: [iso20], vehicleTrustRoots: [oem.root])
        #expect(both.choose(for: Self.hello(versions: [0x0304])).profile == .iso15118_20)
        #expect(both.choose(for: Self.hello(versions: [0x0304, 0x0303])).profile == .iso15118_20)
        #expect(both.choose(for: Self.hello(versions: [0x0303])).profile == .iso15118_2)
        #expect(both.choose(for: Self.hello()).profile == .iso15118_2)
        let only2 = try V2GTLSServerProfileSet(iso15118_2: [iso2], iso15118_20: [])
        #expect(only2.choose(for: Self.hello(versions: [0x0304])).profile == .iso15118_2)
        let only20 = try V2GTLSServerProfileSet(iso15118_2: [], iso15118_20: [iso20], vehicleTrustRoots: [oem.root])
        #expect(only20.choose(for: Self.hello()).profile == .iso15118_20)
        #expect { try V2GTLSServerProfileSet(iso15118_2: [], iso15118_20: []) } throws: {
            ($0 as? V2GTransportError)?.code == .invalidConfiguration
        }
        let anonymous = try V2GTLSIdentity(certificateChain: [try TestChain(domain: "X").chain[0]], privateKey: try TestChain(domain: "X").leafKey, root: nil)
        #expect { try V2GTLSServerProfileSet(iso15118_2: [anonymous, anonymous], iso15118_20: []) } throws: {
            ($0 as? V2GTransportError)?.code == .invalidConfiguration
        }
    }
}

/// One listening socket, both profiles, chains under several roots, over loopback.
@Suite struct TLSOneSocketTests {
    /// A ClientHello as an ISO 15118-2 EVCC sends it: TLS 1.2, ECDHE-ECDSA-AES128-SHA256, secp256r1, with
    /// trusted_ca_keys listing `trusted`.
    static func iso2ClientHello(trusted: [TLSClientHello.TrustedAuthority]) -> [UInt8] {
        var hello = ClientHelloBytes()
        hello.cipherSuites = [0xC023]
        hello.extensions = [
            (10, ClientHelloBytes.vector16([0x00, 0x17])),  // supported_groups: secp256r1
            (11, ClientHelloBytes.vector8([0])),  // ec_point_formats: uncompressed
            (13, ClientHelloBytes.signatureAlgorithms([0x0403])),  // ecdsa_secp256r1_sha256
            (3, ClientHelloBytes.trustedCAKeys(trusted)),
        ]
        return hello.records()
    }

    /// Writes `hello` on a raw TCP connection and reads the server's flight until its (TLS 1.2, plaintext)
    /// Certificate message; returns the DER of the first certificate, or nil when the server closes first.
    static func leafPresented(to address: SocketAddress, hello: [UInt8]) async throws -> [UInt8]? {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: hello))
            var stream: [UInt8] = []
            var handshake: [UInt8] = []
            for try await chunk in inbound {
                stream += Array(chunk.readableBytesView)
                // records → handshake bytes
                while stream.count >= 5 {
                    let length = Int(stream[3]) << 8 | Int(stream[4])
                    guard stream.count >= 5 + length else { break }
                    if stream[0] == 22 { handshake += stream[5..<(5 + length)] }
                    stream.removeFirst(5 + length)
                }
                // handshake messages → Certificate (11)
                var index = 0
                while handshake.count - index >= 4 {
                    let length = Int(handshake[index + 1]) << 16 | Int(handshake[index + 2]) << 8 | Int(handshake[index + 3])
                    guard handshake.count - index - 4 >= length else { break }
                    if handshake[index] == 11 {
                        let body = Array(handshake[(index + 4)..<(index + 4 + length)])
                        guard body.count >= 6 else { return nil }
                        let first = Int(body[3]) << 16 | Int(body[4]) << 8 | Int(body[5])
                        guard body.count >= 6 + first else { return nil }
                        return Array(body[6..<(6 + first)])
                    }
                    index += 4 + length
                }
                if handshake.count + stream.count > 65_536 { return nil }
            }
            return nil
        }
    }

    @Test("[ISO 15118-2][ISO 15118-20] one port: the -2 EVCC gets TLS 1.2 and the -2 chain, the -20 EVCC TLS 1.3 mutual and the -20 chain its roots name")
    func bothProfilesOnOnePort() async throws {
        let v2gA = try TestChain(domain: "V2G-A")
        let v2gB = try TestChain(domain: "V2G-B")
        let v2g20A = try TestChain(domain: "V2G20-A", curve: .p521)
        let v2g20B = try TestChain(domain: "V2G20-B", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let recorder = LogRecorder()
        let profiles = try V2GTLSServerProfileSet(
            iso15118_2: [v2gA.identity, v2gB.identity], iso15118_20: [v2g20A.identity, v2g20B.identity],
            vehicleTrustRoots: [oem.root])
        try await V2GTLSTests.withEchoServer(.tlsByClientHello(profiles), recorder: recorder) { address in
            // -2, no hint: the first -2 chain
            let plain2 = try V2GTLSClientProfile.iso15118_2(v2gRoots: [v2gA.root])
            let c1 = try await V2GClient.connect(to: address, security: .tls(plain2), logger: recorder.logger)
            #expect(c1.tls?.version == .tlsv12)
            #expect(c1.tls?.peerCertificate == v2gA.chain[0])
            #expect(try await V2GTLSTests.roundTrip(c1)?.payloadType == .exi)
            // -2 with the SNI hint for root B
            let hinted2 = try V2GTLSClientProfile.iso15118_2(v2gRoots: [v2gB.root], sendTrustedCAHint: true)
            let c2 = try await V2GClient.connect(to: address, security: .tls(hinted2), logger: recorder.logger)
            #expect(c2.tls?.version == .tlsv12)
            #expect(c2.tls?.peerCertificate == v2gB.chain[0])
            await c2.close()
            // -20 trusting the second -20 root: TLS 1.3, mutual, its chain
            let client20 = try V2GTLSClientProfile.iso15118_20(v2gRoots: [v2g20B.root], identity: oem.identity)
            let c3 = try await V2GClient.connect(to: address, security: .tls(client20), logger: recorder.logger)
            #expect(c3.tls?.version == .tlsv13)
            #expect(c3.tls?.peerCertificate == v2g20B.chain[0])
            #expect(try await V2GTLSTests.roundTrip(c3)?.payloadType == .exi)
        }
        let iso20 = await recorder.waitFor {
            $0.message == "V2G connection accepted" && $0.metadata["v2g.tlsProfile"] == "ISO 15118-20"
        }
        #expect(iso20?.metadata["v2g.tlsChain"] == "1 (serverNameHint)")
    }

    @Test("[ISO 15118-2 §7.7.3][RFC 6066 §6] a hand-built ClientHello with trusted_ca_keys for the second root gets the second chain; for no held root, the first")
    func trustedCAKeysOnTheWire() async throws {
        let v2gA = try TestChain(domain: "V2G-A")
        let v2gB = try TestChain(domain: "V2G-B")
        let recorder = LogRecorder()
        let profiles = try V2GTLSServerProfileSet(iso15118_2: [v2gA.identity, v2gB.identity], iso15118_20: [])
        let b = try v2gB.identity
        try await V2GTLSTests.withEchoServer(.tlsByClientHello(profiles), recorder: recorder) { address in
            for form: TLSClientHello.TrustedAuthority in [
                .keySHA1Hash(try #require(b.rootKeyHash)), .certSHA1Hash(try #require(b.rootCertificateHash)),
                .x509Name(try #require(b.rootSubject)),
            ] {
                let leaf = try await Self.leafPresented(to: address, hello: Self.iso2ClientHello(trusted: [.preAgreed, form]))
                #expect(leaf == (try v2gB.chain[0].toDERBytes()), "\(form)")
            }
            let other = TLSClientHello.TrustedAuthority.keySHA1Hash(Array(repeating: 7, count: 20))
            let leaf = try await Self.leafPresented(to: address, hello: Self.iso2ClientHello(trusted: [other]))
            #expect(leaf == (try v2gA.chain[0].toDERBytes()))
        }
    }

    @Test("A malformed ClientHello is refused before TLS starts: the connection closes and the reason is logged")
    func malformedOnTheWire() async throws {
        let v2gA = try TestChain(domain: "V2G-A")
        let recorder = LogRecorder()
        let profiles = try V2GTLSServerProfileSet(iso15118_2: [v2gA.identity], iso15118_20: [])
        try await V2GTLSTests.withEchoServer(.tlsByClientHello(profiles), recorder: recorder) { address in
            var bad = Self.iso2ClientHello(trusted: [.preAgreed])
            bad[bad.count - 1] = 9  // the last byte is the pre_agreed identifier_type; 9 does not exist
            let leaf = try await Self.leafPresented(to: address, hello: bad)
            #expect(leaf == nil)
        }
        let refused = await recorder.waitFor { $0.message == "V2G connection refused: TLS handshake failed" }
        #expect(refused?.metadata["v2g.reason"]?.contains("malformedClientHello") == true)
    }
}
