import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import OCPPMessages
import SwiftASN1
import Synchronization
import X509

/// OCPP security profiles (OCPP 2.0.1 Part 2 §A00.FR / Security whitepaper for 1.6).
public enum SecurityProfile: Int, Sendable, Hashable {
    /// No authentication, no TLS: for loopback development only (not an OCPP profile).
    case unsecured = 0
    /// Profile 1: HTTP Basic authentication, no TLS.
    case basicAuthentication = 1
    /// Profile 2: TLS (server certificate) + HTTP Basic authentication.
    case tlsWithBasicAuthentication = 2
    /// Profile 3: mutual TLS; the client certificate's subject CN must equal the station id.
    case tlsWithClientCertificate = 3

    var usesTLS: Bool { self == .tlsWithBasicAuthentication || self == .tlsWithClientCertificate }
    var usesBasicAuthentication: Bool { self == .basicAuthentication || self == .tlsWithBasicAuthentication }
}

/// Checks a station's Basic-authentication password (security profiles 1 and 2).
public protocol StationAuthenticator: Sendable {
    /// True when `password` is the station's current password.
    func authenticate(stationID: String, password: String) async -> Bool
}

/// Server-side lifecycle events of connections.
public protocol OCPPServerDelegate: OCPPCallHandler {
    /// A station finished the WebSocket handshake.
    func connectionOpened(_ connection: OCPPConnection) async
    /// The station's connection closed.
    func connectionClosed(_ connection: OCPPConnection) async
}

/// Settings of the OCPP-J WebSocket server.
public struct OCPPServerConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port; 0 picks a free one. Default 9000.
    public var port: Int = 9000
    /// Versions offered, in the server's order of preference when a client offers several. Default 2.0.1, 1.6.
    public var versions: [OCPPVersion] = [.v201, .v16]
    /// Default ``SecurityProfile/basicAuthentication``.
    public var securityProfile: SecurityProfile = .basicAuthentication
    /// TLS settings for profiles 2 and 3 (server certificate chain, key, and for 3 the trust roots of station
    /// certificates with `certificateVerification = .noHostnameVerification`).
    public var tls: TLSConfiguration?
    /// Largest accepted WebSocket message in bytes. Default 65 536 (PnC frames stay below ~12 KB).
    public var maximumMessageSize: Int = 65_536
    /// Silence after which the server pings; dead after twice that. Default 60 s; nil disables.
    public var pingInterval: TimeAmount? = .seconds(60)
    /// Messages a station may send per second (burst: twice as many). Default 100.
    public var messagesPerSecond: Int = 100
    /// How long the TLS + HTTP handshake may take before the socket is dropped. Default 10 s.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// How long the socket may stay unwritable (peer not reading) before it is dropped. Default 30 s.
    public var writeStallTimeout: TimeAmount = .seconds(30)
    /// Timeout of CSMS-initiated CALLs (OCPP MessageTimeout). Default 30 s.
    public var callTimeout: TimeAmount = .seconds(30)
    /// Listen backlog. Default 4096.
    public var backlog: Int32 = 4096
    /// SO_REUSEPORT on the listening socket: several processes (CSMS nodes sharing one database) bind the same address
    /// and port and the kernel spreads new connections over them. Default false.
    public var reusePort = false

    public init() {}
}

/// The OCPP-J WebSocket server (CSMS side): subprotocol negotiation, station id from the URL path, security
/// profiles 1-3, and one ``OCPPConnection`` per station served by the delegate.
public final class OCPPServer: Sendable {
    public let configuration: OCPPServerConfiguration
    /// The bound address (with the real port when `port` was 0).
    public let localAddress: SocketAddress
    private let listener: NIOAsyncChannel<EventLoopFuture<UpgradeOutcome>, Never>
    private let followUps: FollowUpRunner
    private let channels: ChannelRegistry
    private let logger: Logger

    enum UpgradeOutcome: Sendable {
        /// The connection is served by its ``OCPPServerConnectionHandler``.
        case websocket
        case closeWithoutSubprotocol(any Channel)
        case rejected
    }

    /// Binds the listening socket. Serve with ``run()``.
    public static func bind(
        configuration: OCPPServerConfiguration, authenticator: any StationAuthenticator,
        delegate: any OCPPServerDelegate, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> OCPPServer {
        let sslContext: NIOSSLContext?
        if configuration.securityProfile.usesTLS {
            guard let tls = configuration.tls else {
                throw OCPPTransportError.make(.invalidConfiguration, "security profile \(configuration.securityProfile.rawValue) needs TLS settings")
            }
            sslContext = try NIOSSLContext(configuration: tls)
        } else {
            sslContext = nil
        }
        let followUps = FollowUpRunner()
        let channels = ChannelRegistry()
        let listener = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: Self.soReusePort)),
                value: configuration.reusePort ? 1 : 0)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 16 * 1024, high: 256 * 1024))
            // Small first read buffer: most OCPP messages are a few hundred bytes; the allocator grows for larger.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            .bind(host: configuration.host, port: configuration.port) { channel in
                channels.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configureChild(
                        channel: channel, configuration: configuration, sslContext: sslContext,
                        authenticator: authenticator, delegate: delegate, spawn: followUps.spawn, logger: logger)
                }
            }
        guard let address = listener.channel.localAddress else {
            throw OCPPTransportError.make(.invalidConfiguration, "listening socket has no address")
        }
        return OCPPServer(
            configuration: configuration, localAddress: address, listener: listener, followUps: followUps,
            channels: channels, logger: logger)
    }

    private init(
        configuration: OCPPServerConfiguration, localAddress: SocketAddress,
        listener: NIOAsyncChannel<EventLoopFuture<UpgradeOutcome>, Never>, followUps: FollowUpRunner,
        channels: ChannelRegistry, logger: Logger
    ) {
        self.channels = channels
        self.configuration = configuration
        self.localAddress = localAddress
        self.listener = listener
        self.followUps = followUps
        self.logger = logger
    }

    /// SO_REUSEPORT (Linux: 15).
    static var soReusePort: CInt { CInt(SO_REUSEPORT) }

    /// The bound port.
    public var port: Int { localAddress.port ?? configuration.port }

    /// Accepts and serves connections until the task is cancelled or ``close()`` is called. Connections are driven
    /// by their channel handlers: no task waits on an idle connection.
    public func run() async throws {
        let followUps = self.followUps
        let logger = self.logger
        let channels = self.channels
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await followUps.run() }
            defer {
                followUps.finish()
                channels.closeAll()  // the server stops: its stations are disconnected (close 1001)
            }
            try await listener.executeThenClose { inbound in
                for try await upgrade in inbound {
                    upgrade.whenComplete { result in
                        switch result {
                        case .failure(let error):
                            logger.debug("ocpp handshake failed", metadata: ["error": "\(error)"])
                        case .success(.closeWithoutSubprotocol(let channel)):
                            // OCPP 2.0.1 Part 4 §3.1.2 / OCPP-J 1.6 §3.1.2: handshake completed without a
                            // subprotocol, then closed.
                            channel.pipeline.fireUserInboundEventTriggered(
                                WebSocketMessageHandler.CloseRequest(code: .protocolError))
                        case .success(.websocket), .success(.rejected):
                            break
                        }
                    }
                }
            }
        }
    }

    /// Stops accepting connections.
    public func close() async {
        try? await listener.channel.close()
    }

    /// Per-connection state of the handshake, touched only on the channel's event loop.
    private final class HandshakeDecision: @unchecked Sendable {  // confined to one event loop (the channel's)
        enum Verdict { case undecided, accept(String, OCPPVersion), noSubprotocol, reject(HTTPResponseStatus) }
        var verdict: Verdict = .undecided
    }

    private static func configureChild(
        channel: any Channel, configuration: OCPPServerConfiguration, sslContext: NIOSSLContext?,
        authenticator: any StationAuthenticator, delegate: any OCPPServerDelegate,
        spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void, logger: Logger
    ) throws -> EventLoopFuture<UpgradeOutcome> {
        let sync = channel.pipeline.syncOperations
        if let sslContext {
            try sync.addHandler(NIOSSLServerHandler(context: sslContext))
        }
        let decision = HandshakeDecision()
        let handshakeTimer = channel.eventLoop.scheduleTask(in: configuration.handshakeTimeout) {
            channel.close(promise: nil)  // slowloris: no complete handshake in time
        }
        let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeOutcome>(
            maxFrameSize: configuration.maximumMessageSize,
            enableAutomaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                decide(
                    channel: channel, head: head, configuration: configuration, authenticator: authenticator,
                    decision: decision)
            },
            upgradePipelineHandler: { channel, _ in
                handshakeTimer.cancel()
                return channel.eventLoop.makeCompletedFuture {
                    let handler = WebSocketMessageHandler(
                        configuration: .init(
                            isServer: true, maximumMessageSize: configuration.maximumMessageSize,
                            pingInterval: configuration.pingInterval,
                            messagesPerSecond: configuration.messagesPerSecond,
                            writeStallTimeout: configuration.writeStallTimeout))
                    try channel.pipeline.syncOperations.addHandler(handler)
                    switch decision.verdict {
                    case .accept(let stationID, let version):
                        try channel.pipeline.syncOperations.addHandler(
                            OCPPServerConnectionHandler(
                                stationID: stationID, version: version, callTimeout: configuration.callTimeout,
                                delegate: delegate, spawn: spawn, logger: logger))
                        return .websocket
                    default:
                        return .closeWithoutSubprotocol(channel)
                    }
                }
            })
        return try sync.configureUpgradableHTTPServerPipeline(
            configuration: .init(
                upgradeConfiguration: .init(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        handshakeTimer.cancel()
                        let status: HTTPResponseStatus
                        if case .reject(let s) = decision.verdict { status = s } else { status = .badRequest }
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(HTTPRejectHandler(status: status))
                            return UpgradeOutcome.rejected
                        }
                    }))
        )
    }

    /// Decides the handshake: station id from the path, credentials per security profile, subprotocol.
    private static func decide(
        channel: any Channel, head: HTTPRequestHead, configuration: OCPPServerConfiguration,
        authenticator: any StationAuthenticator, decision: HandshakeDecision
    ) -> EventLoopFuture<HTTPHeaders?> {
        guard let stationID = stationID(fromURI: head.uri) else {
            decision.verdict = .reject(.notFound)
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let offered = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map { String($0).lowercased() }
        let chosen = offered.lazy.compactMap { token in configuration.versions.first { $0.subprotocol == token } }.first
        @Sendable func finish(authenticated: Bool) -> HTTPHeaders? {
            guard authenticated else {
                decision.verdict = .reject(.unauthorized)
                return nil
            }
            guard let chosen else {
                decision.verdict = .noSubprotocol
                return HTTPHeaders()
            }
            decision.verdict = .accept(stationID, chosen)
            return HTTPHeaders([("Sec-WebSocket-Protocol", chosen.subprotocol)])
        }
        switch configuration.securityProfile {
        case .unsecured:
            return channel.eventLoop.makeSucceededFuture(finish(authenticated: true))
        case .basicAuthentication, .tlsWithBasicAuthentication:
            guard let password = basicPassword(head.headers, stationID: stationID) else {
                return channel.eventLoop.makeSucceededFuture(finish(authenticated: false))
            }
            let promise = channel.eventLoop.makePromise(of: Bool.self)
            promise.completeWithTask { await authenticator.authenticate(stationID: stationID, password: password) }
            return promise.futureResult.map { finish(authenticated: $0) }
        case .tlsWithClientCertificate:
            return channel.nioSSL_peerCertificate().map { certificate in
                finish(authenticated: certificate.map { commonNames(of: $0).contains(stationID) } ?? false)
            }
        }
    }

    /// The subject CNs of a certificate.
    static func commonNames(of certificate: NIOSSLCertificate) -> [String] {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return [] }
        var names: [String] = []
        for rdn in parsed.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let text = String(attribute.value) { names.append(text) }
            }
        }
        return names
    }

    /// OCPP 2.0.1 Part 4 §3.1.1: the identity is the last path segment, percent-decoded; at most 48 characters of
    /// printable ASCII without ':' (it is also the Basic-auth user name).
    static func stationID(fromURI uri: String) -> String? {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let last = path.split(separator: "/").last, let decoded = String(last).removingPercentEncoding else {
            return nil
        }
        guard !decoded.isEmpty, decoded.count <= 48,
            decoded.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != ":" })
        else { return nil }
        return decoded
    }

    /// The password of `Authorization: Basic base64(stationID:password)`; nil if absent, malformed, or for another
    /// user (OCPP 2.0.1 A00.FR.203: the user name is the station identity).
    static func basicPassword(_ headers: HTTPHeaders, stationID: String) -> String? {
        guard let value = headers.first(name: "Authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", parts[1].utf8.count <= 1024,
            let data = Data(base64Encoded: String(parts[1])), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        guard text[..<colon] == stationID else { return nil }
        return String(text[text.index(after: colon)...])
    }
}

/// Answers a refused handshake with a bare HTTP status (401 with a Basic challenge) and closes. It answers as soon
/// as it is added: the request's end may already have been consumed by the upgrade handler.
final class HTTPRejectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let status: HTTPResponseStatus
    private var answered = false
    init(status: HTTPResponseStatus) { self.status = status }

    func handlerAdded(context: ChannelHandlerContext) {
        answer(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        answer(context: context)
    }

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        var headers = HTTPHeaders([("Content-Length", "0"), ("Connection", "close")])
        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Basic realm=\"OCPP\", charset=\"UTF-8\"") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

/// The server's open connections (from accept to close), so that stopping the server disconnects them all.
final class ChannelRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    /// Sends a WebSocket close (1001 going away) where the connection is upgraded, and closes every channel.
    func closeAll() {
        let open = channels.withLock { Array($0.values) }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(WebSocketMessageHandler.CloseRequest(code: .goingAway))
            channel.close(promise: nil)
        }
    }
}
