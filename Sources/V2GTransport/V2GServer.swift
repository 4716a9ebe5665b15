import Logging
import NIOCore
import NIOPosix

/// The SECC's TCP or TLS server for V2G communication sessions (ISO 15118-2 §7.7, [V2G2-068]: the SECC is the
/// TLS server).
///
/// ``bind(to:security:framing:eventLoopGroup:logger:)`` opens the socket (port 0 picks one; read ``localAddress``
/// for the SDP response), ``run(_:)`` accepts connections and runs the handler for each in its own child task,
/// once its TLS handshake has completed. Handshake failures and connections that end with an error are logged with
/// their reason and closed.
public final class V2GServer: Sendable {
    public enum Security: Sendable {
        case tcp
        case tls(V2GTLSServerProfile)
        /// One socket for both ISO 15118 profiles: each connection's ClientHello picks the profile and the chain
        /// (``V2GTLSServerProfileSet``).
        case tlsByClientHello(V2GTLSServerProfileSet)
    }

    private typealias Accepted = (NIOAsyncChannel<V2GTPFrame, V2GTPFrame>, EventLoopFuture<V2GTLSSession?>)
    private let server: NIOAsyncChannel<Accepted, Never>
    private let logger: Logger
    /// The address the server listens on (with the actual port when bound to port 0).
    public let localAddress: SocketAddress

    private init(server: NIOAsyncChannel<Accepted, Never>, logger: Logger) throws {
        self.server = server
        self.logger = logger
        guard let address = server.channel.localAddress else {
            throw V2GTransportError.make(.invalidConfiguration, "server socket has no local address")
        }
        self.localAddress = address
    }

    public static func bind(
        to address: SocketAddress,
        security: Security,
        framing: V2GTPFramingConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> V2GServer {
        let channelSecurity: ChannelSecurity
        switch security {
        case .tcp: channelSecurity = .none
        case .tls(let profile): channelSecurity = .tlsServer(profile)
        case .tlsByClientHello(let profiles): channelSecurity = .tlsServerByClientHello(profiles)
        }
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(to: address) { channel in
                channel.configureV2G(security: channelSecurity, framing: framing, logger: logger)
            }
        return try V2GServer(server: server, logger: logger)
    }

    /// Binds `address` on a free port of the dynamic range 49152-65535 that SDP may announce
    /// (``SDPNetwork/dynamicPorts``; the kernel's own choice for port 0 usually lies below it). Tries random ports,
    /// at most 64 times.
    public static func bindDynamicPort(
        on address: SocketAddress,
        security: Security,
        framing: V2GTPFramingConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> V2GServer {
        var lastError: (any Error)?
        for _ in 0..<64 {
            var candidate = address
            candidate.port = Int.random(in: SDPNetwork.dynamicPorts)
            do {
                return try await Self.bind(
                    to: candidate,
                    security: security,
                    framing: framing,
                    eventLoopGroup: eventLoopGroup,
                    logger: logger
                )
            } catch let error as IOError {
                lastError = error  // most likely in use: try another
            }
        }
        throw V2GTransportError.make(
            .invalidConfiguration,
            "no free port in 49152-65535 on \(address) after 64 tries",
            cause: lastError
        )
    }

    /// Accepts connections until the task is cancelled or ``close()`` is called; each connection runs `handler`
    /// in its own child task. Errors of one connection are logged and never end the server.
    public func run(_ handler: @escaping @Sendable (V2GConnection) async throws -> Void) async throws {
        try await self.server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await (channel, handshake) in inbound {
                    let logger = self.logger
                    group.addTask {
                        let peer = channel.channel.remoteAddress.map { "\($0)" } ?? "?"
                        let tls: V2GTLSSession?
                        do {
                            tls = try await handshake.get()
                        } catch {
                            logger.info(
                                "V2G connection refused: TLS handshake failed",
                                metadata: ["v2g.peer": "\(peer)", "v2g.reason": "\(error)"]
                            )
                            try? await channel.executeThenClose { _, _ in }
                            return
                        }
                        logger.debug(
                            "V2G connection accepted",
                            metadata: [
                                "v2g.peer": "\(peer)", "v2g.tls": "\(tls?.version.map { "\($0)" } ?? "none")",
                                "v2g.tlsProfile": "\(tls?.choice.map { $0.profile.rawValue } ?? "fixed")",
                                "v2g.tlsChain": "\(tls?.choice.map { "\($0.chain.index) (\($0.chain.reason.rawValue))" } ?? "fixed")",
                            ]
                        )
                        let connection = V2GConnection(channel: channel, tls: tls)
                        do {
                            try await handler(connection)
                        } catch {
                            logger.info(
                                "V2G connection closed with an error",
                                metadata: ["v2g.peer": "\(peer)", "v2g.reason": "\(error)"]
                            )
                        }
                        await connection.close()
                    }
                }
            }
        }
    }

    /// Stops accepting; running connections continue until their handlers return.
    public func close() async throws {
        try await self.server.channel.close()
    }
}
