import ArgumentParser
import Logging
import NIOCore
import NIOSSL
import V2GTP
import V2GTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `pnc sdp`: the SECC Discovery Protocol and the V2G TCP/TLS servers, by hand.
struct SDPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdp",
        abstract: "SECC Discovery Protocol (ISO 15118-2 §7.10.1): answer or send SDP requests, try the TLS handshake.",
        subcommands: [Serve.self, Probe.self]
    )

    enum SecurityChoice: String, ExpressibleByArgument, CaseIterable {
        case tls, tcp
        var sdp: SDPSecurity { self == .tls ? .tls : .none }
    }

    /// Prints a line and flushes at once: scripts read `serve`'s output while it runs.
    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    static func makeLogger(_ level: String) -> Logger {
        var logger = Logger(label: "pnc.sdp")
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run an SECC's SDP server and its V2G server (TLS and/or TCP); log every V2GTP frame received.",
            discussion: """
                With --interface the SDP server binds [::]:15118, joins ff02::1 on that interface and announces the \
                interface's link-local address; with --listen it binds that address (for loopback tests). The V2G \
                server runs the ISO 15118-2 TLS profile (TLS 1.2, ECDHE-ECDSA-AES128-SHA256) when --tls-chain and \
                --tls-key are given, plain TCP with --tcp. It frames V2GTP and logs what arrives; it answers nothing \
                (the SECC state machines are not part of this command).
                """
        )
        @Option(help: "Network interface for multicast SDP (e.g. eth1).") var interface: String?
        @Option(help: "IPv6 address to bind instead of multicast (e.g. ::1).") var listen: String?
        @Option(help: "UDP port of the SDP server.") var sdpPort: Int = 15118
        @Option(help: "TCP port of the V2G server (0: a free one in 49152-65535).") var v2gPort: Int = 0
        @Option(help: "PEM file: SECC leaf, then sub-CAs (e.g. Josev's cpoCertChain.pem).") var tlsChain: String?
        @Option(help: "PEM file: the SECC leaf's private key.") var tlsKey: String?
        @Option(help: "Password of an encrypted private key.") var tlsKeyPassword: String?
        @Flag(help: "Also (or only) offer plain TCP.") var tcp = false
        @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "info"

        func validate() throws {
            guard (self.interface == nil) != (self.listen == nil) else {
                throw ValidationError("give exactly one of --interface and --listen")
            }
            guard (self.tlsChain == nil) == (self.tlsKey == nil) else {
                throw ValidationError("--tls-chain and --tls-key go together")
            }
            guard self.tlsChain != nil || self.tcp else {
                throw ValidationError("give --tls-chain/--tls-key, --tcp, or both")
            }
        }

        /// Port 0: a free port of the dynamic range SDP may announce; otherwise that port.
        func bind(
            _ address: IPv6Address,
            port: Int,
            _ security: V2GServer.Security,
            _ logger: Logger
        ) async throws -> V2GServer {
            let socketAddress = try SDPNetwork.socketAddress(address, port: port, interface: self.interface)
            if port == 0 {
                return try await V2GServer.bindDynamicPort(on: socketAddress, security: security, logger: logger)
            }
            return try await V2GServer.bind(to: socketAddress, security: security, logger: logger)
        }

        func run() async throws {
            let logger = SDPCommand.makeLogger(self.logLevel)
            let mode: SDPServerConfiguration.Mode
            let announced: IPv6Address
            if let interface {
                let found = try SDPNetwork.interface(named: interface)
                announced = found.linkLocalAddress
                mode = .multicast(interface: interface)
            } else {
                announced = try IPv6Address(self.listen ?? "::1")
                mode = .unicast(try SDPNetwork.socketAddress(announced, port: self.sdpPort))
            }
            var servers: [(SDPSecurity, V2GServer)] = []
            if let tlsChain, let tlsKey {
                let chain = try NIOSSLCertificate.fromPEMFile(tlsChain)
                let password = self.tlsKeyPassword
                let key =
                    if let password {
                        try NIOSSLPrivateKey(file: tlsKey, format: .pem) { $0(Array(password.utf8)) }
                    } else {
                        try NIOSSLPrivateKey(file: tlsKey, format: .pem)
                    }
                let profile = try V2GTLSServerProfile.iso15118_2(
                    identity: V2GTLSIdentity(certificateChain: chain, privateKey: key, root: nil)
                )
                servers.append((.tls, try await self.bind(announced, port: self.v2gPort, .tls(profile), logger)))
            }
            if self.tcp {
                let port = servers.isEmpty ? self.v2gPort : 0
                servers.append((.none, try await self.bind(announced, port: port, .tcp, logger)))
            }
            func offer(_ security: SDPSecurity) -> SDPOffer? {
                servers.first { $0.0 == security }.map {
                    SDPOffer(address: announced, port: UInt16($0.1.localAddress.port ?? 0))
                }
            }
            let sdp = try await SDPServer.bind(
                configuration: SDPServerConfiguration(mode: mode, tls: offer(.tls), tcp: offer(.none)),
                logger: logger
            )
            for (security, server) in servers {
                SDPCommand.say("V2G \(security) server on [\(announced)]:\(server.localAddress.port ?? 0)")
            }
            SDPCommand.say("SDP server on \(sdp.localAddress)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sdp.run() }
                for (_, server) in servers {
                    group.addTask {
                        try await server.run { connection in
                            let peer = connection.remoteAddress.map { "\($0)" } ?? "?"
                            SDPCommand.say(
                                "connection from \(peer) (\(connection.tls?.version.map { "\($0)" } ?? "TCP"))"
                            )
                            try await connection.executeThenClose { inbound, _ in
                                for try await frame in inbound {
                                    SDPCommand.say(
                                        "frame \(frame.payloadType) \(frame.payload.readableBytes) bytes from \(peer)"
                                    )
                                }
                            }
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    struct Probe: AsyncParsableCommand {
        static func bytes(hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count % 2 == 0 else { return nil }
            var bytes: [UInt8] = []
            for index in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                    return nil
                }
                bytes.append(byte)
            }
            return bytes
        }

        /// Sends one 0x8001 frame and returns the first frame received within `wait`, or nil.
        static func exchange(
            _ payload: [UInt8],
            on connection: V2GConnection,
            wait: Duration
        ) async throws
            -> V2GTPFrame?
        {
            try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(V2GTPFrame(payloadType: .exi, payload: ByteBuffer(bytes: payload)))
                return try await withThrowingTaskGroup(of: V2GTPFrame?.self) { group in
                    group.addTask {
                        var iterator = inbound.makeAsyncIterator()
                        return try await iterator.next()
                    }
                    group.addTask {
                        try await Task.sleep(for: wait)
                        return nil
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? nil
                }
            }
        }

        static let configuration = CommandConfiguration(
            abstract:
                "Send SDP requests (every 250 ms, up to 50) and print '<ipv6> <port> <TLS|TCP>' of the first answer.",
            discussion:
                "Exit status 1 when no SECC answers. --connect or --v2g-root: also connect (TLS: the -2 handshake)."
        )
        @Option(help: "Network interface for multicast SDP (e.g. eth1).") var interface: String?
        @Option(help: "IPv6 address of an SDP server instead of multicast (e.g. ::1).") var to: String?
        @Option(help: "UDP port of the SDP server.") var sdpPort: Int = 15118
        @Option(help: "Security to request.") var security: SecurityChoice = .tls
        @Flag(help: "Ignore answers that do not offer TLS.") var requireTLS = false
        @Option(help: "Requests to send before giving up.") var requests: Int = SDPClientConfiguration
            .defaultMaximumRequests
        @Flag(help: "Connect to the SECC found (TCP, or TLS with --v2g-root).") var connect = false
        @Option(help: "After connecting, send this EXI message (hex) as a 0x8001 V2GTP frame and print the answer.")
        var sendEXI: String?
        @Option(help: "Seconds to wait for the answer to --send-exi.") var wait: Int = 10
        @Option(help: "PEM file with V2G root certificates: connect and check the SECC's TLS chain.") var v2gRoot:
            String?
        @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "warning"

        func validate() throws {
            guard (self.interface == nil) != (self.to == nil) else {
                throw ValidationError("give exactly one of --interface and --to")
            }
        }

        func run() async throws {
            let logger = SDPCommand.makeLogger(self.logLevel)
            let destination: SDPClientConfiguration.Destination
            if let interface {
                destination = .multicast(interface: interface)
            } else {
                destination = .unicast(
                    try SDPNetwork.socketAddress(try IPv6Address(self.to ?? "::1"), port: self.sdpPort)
                )
            }
            let found: SDPDiscovery
            do {
                found = try await SDPClient.discover(
                    configuration: SDPClientConfiguration(
                        destination: destination,
                        request: SDPRequest(security: self.security.sdp),
                        requiredSecurity: self.requireTLS ? .tls : nil,
                        maximumRequests: self.requests
                    ),
                    logger: logger
                )
            } catch let error as V2GTransportError where error.code == .discoveryTimedOut {
                print("no answer: \(error.detail)")
                throw ExitCode(1)
            }
            print("\(found.response.address) \(found.response.port) \(found.response.security)")
            guard self.connect || self.v2gRoot != nil else { return }
            let security: V2GClient.Security
            if found.response.security == .tls {
                guard let v2gRoot else {
                    print("the SECC offers TLS: give --v2g-root to check its chain")
                    throw ExitCode(1)
                }
                security = .tls(
                    try V2GTLSClientProfile.iso15118_2(v2gRoots: try NIOSSLCertificate.fromPEMFile(v2gRoot))
                )
            } else {
                security = .tcp
            }
            do {
                let connection = try await V2GClient.connect(to: found.seccAddress, security: security, logger: logger)
                print("connected to \(found.seccAddress): \(connection.tls?.version.map { "\($0)" } ?? "TCP")")
                guard let sendEXI else {
                    await connection.close()
                    return
                }
                guard let payload = Self.bytes(hex: sendEXI) else {
                    await connection.close()
                    throw ValidationError("--send-exi needs an even number of hex digits")
                }
                let answer = try await Self.exchange(payload, on: connection, wait: .seconds(self.wait))
                guard let answer else {
                    print("no answer within \(self.wait) s")
                    throw ExitCode(1)
                }
                let hex = answer.payload.readableBytesView.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
                print("received \(answer.payloadType) \(hex.joined())")
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print("connection failed: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
