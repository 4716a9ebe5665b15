import Logging
import NIOCore
import NIOPosix

/// The EVCC's side: connects to the SECC named in the SDP response over TCP or TLS.
public enum V2GClient {
    public enum Security: Sendable {
        case tcp
        case tls(V2GTLSClientProfile)
    }

    /// Connects and, with TLS, completes the handshake.
    /// - Throws: ``V2GTransportError`` `tlsHandshakeFailed` (with the reason) when the SECC's chain, version or
    ///   cipher suite is refused; socket errors as NIO reports them.
    public static func connect(
        to address: SocketAddress,
        security: Security,
        framing: V2GTPFramingConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: TimeAmount = .seconds(5),
        logger: Logger
    ) async throws -> V2GConnection {
        let channelSecurity: ChannelSecurity
        switch security {
        case .tcp: channelSecurity = .none
        case .tls(let profile): channelSecurity = .tlsClient(profile)
        }
        let (channel, handshake) = try await ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .connect(to: address) { channel in
                channel.configureV2G(security: channelSecurity, framing: framing, logger: logger)
            }
        do {
            let tls = try await handshake.get()
            return V2GConnection(channel: channel, tls: tls)
        } catch {
            logger.info("V2G connection failed", metadata: ["v2g.peer": "\(address)", "v2g.reason": "\(error)"])
            try? await channel.executeThenClose { _, _ in }
            throw error
        }
    }
}
