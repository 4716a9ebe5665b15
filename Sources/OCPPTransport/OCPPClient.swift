import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import OCPPMessages

/// Settings of the station-side OCPP-J WebSocket client.
public struct OCPPClientConfiguration: Sendable {
    /// CSMS host (an address literal or name) and port.
    public var host: String
    public var port: Int
    /// The URL path before the station id, e.g. `/ocpp`. The id is appended as the last segment.
    public var path: String = "/ocpp"
    public var stationID: String
    /// Versions offered in order of preference.
    public var versions: [OCPPVersion] = [.v201]
    /// Basic-authentication password (profiles 1 and 2), nil to send none.
    public var password: String?
    /// TLS (profiles 2 and 3; for 3 with the station certificate and key). nil: plain TCP.
    public var tls: TLSConfiguration?
    /// Hostname for SNI and certificate verification (defaults to `host`).
    public var serverHostname: String?
    public var maximumMessageSize: Int = 65_536
    public var pingInterval: TimeAmount? = .seconds(60)
    public var callTimeout: TimeAmount = .seconds(30)
    public var connectTimeout: TimeAmount = .seconds(10)

    public init(host: String, port: Int, stationID: String) {
        self.host = host
        self.port = port
        self.stationID = stationID
    }
}

/// The station side of OCPP-J: opens the WebSocket, offers the subprotocols, authenticates, and serves the CSMS's
/// CALLs through a handler while the caller sends its own CALLs.
public enum OCPPClient {
    /// Connects, runs `body` with the open connection while serving CSMS CALLs with `handler`, then closes.
    /// - Throws: ``OCPPTransportError`` `handshakeRejected` (HTTP status in the detail) or
    ///   `subprotocolNotNegotiated`, or the socket's error.
    public static func withConnection<Result: Sendable>(
        configuration: OCPPClientConfiguration, handler: any OCPPCallHandler,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: @Sendable (OCPPConnection) async throws -> Result
    ) async throws -> Result {
        let (asyncChannel, version) = try await connect(configuration: configuration, eventLoopGroup: eventLoopGroup)
        return try await asyncChannel.executeThenClose { inbound, outbound in
            let connection = OCPPConnection(
                stationID: configuration.stationID, version: version, channel: asyncChannel.channel,
                outbound: outbound, callTimeout: configuration.callTimeout)
            let followUps = FollowUpRunner()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await followUps.run() }
                group.addTask {
                    defer { followUps.finish() }
                    try await connection.serve(inbound: inbound, handler: handler, spawn: followUps.spawn)
                }
                defer { group.cancelAll() }
                let result = try await body(connection)
                connection.close()
                return result
            }
        }
    }

    enum UpgradeOutcome: Sendable {
        case websocket(NIOAsyncChannel<ByteBuffer, ByteBuffer>, HTTPResponseHead)
        case notUpgraded(any Channel)
    }

    static func connect(
        configuration: OCPPClientConfiguration, eventLoopGroup: any EventLoopGroup
    ) async throws -> (NIOAsyncChannel<ByteBuffer, ByteBuffer>, OCPPVersion) {
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let statusBox = StatusBox()
        let upgradeResult: EventLoopFuture<UpgradeOutcome> = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        try sync.addHandler(
                            NIOSSLClientHandler(
                                context: sslContext, serverHostname: configuration.serverHostname ?? nonAddress(configuration.host)))
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(configuration.host):\(configuration.port)")
                    headers.add(name: "Sec-WebSocket-Protocol", value: configuration.versions.map(\.subprotocol).joined(separator: ", "))
                    if let password = configuration.password {
                        let token = Data("\(configuration.stationID):\(password)".utf8).base64EncodedString()
                        headers.add(name: "Authorization", value: "Basic \(token)")
                    }
                    let id = configuration.stationID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? configuration.stationID
                    let base = configuration.path.hasSuffix("/") ? String(configuration.path.dropLast()) : configuration.path
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "\(base)/\(id)", headers: headers)
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeOutcome>(
                        maxFrameSize: configuration.maximumMessageSize,
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    WebSocketMessageHandler(
                                        configuration: .init(
                                            isServer: false, maximumMessageSize: configuration.maximumMessageSize,
                                            pingInterval: configuration.pingInterval, messagesPerSecond: 10_000,
                                            writeStallTimeout: .seconds(30))))
                                let asyncChannel = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                                    wrappingChannelSynchronously: channel)
                                return .websocket(asyncChannel, response)
                            }
                        })
                    let result = try sync.configureUpgradableHTTPClientPipeline(
                        configuration: .init(
                            upgradeConfiguration: .init(
                                upgradeRequestHead: head, upgraders: [upgrader],
                                notUpgradingCompletionHandler: { channel in
                                    channel.close(promise: nil)
                                    return channel.eventLoop.makeSucceededFuture(.notUpgraded(channel))
                                })))
                    // Sees the response head before the upgrade handler: keeps the status of a refusal.
                    let upgradeHandler = try sync.handler(type: NIOTypedHTTPClientUpgradeHandler<UpgradeOutcome>.self)
                    try sync.addHandler(StatusRecorder(box: statusBox), position: .before(upgradeHandler))
                    return result
                }
            }
        let outcome: UpgradeOutcome
        do {
            outcome = try await upgradeResult.get()
        } catch {
            if let status = statusBox.status {
                throw OCPPTransportError.make(.handshakeRejected, "HTTP \(status.code)", cause: error)
            }
            throw error
        }
        switch outcome {
        case .notUpgraded(let channel):
            try? await channel.closeFuture.get()
            throw OCPPTransportError.make(.handshakeRejected, "HTTP \(statusBox.status?.code ?? 0)")
        case .websocket(let channel, let response):
            let selected = response.headers.first(name: "Sec-WebSocket-Protocol")?.lowercased()
            guard let version = configuration.versions.first(where: { $0.subprotocol == selected }) else {
                try? await channel.channel.close()
                throw OCPPTransportError.make(.subprotocolNotNegotiated, "server chose \(selected ?? "none")")
            }
            return (channel, version)
        }
    }

    private static func nonAddress(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }
}

/// The HTTP status of a refused upgrade, kept for the error message.
final class StatusBox: @unchecked Sendable {  // written and read on the channel's event loop, read after completion
    var status: HTTPResponseStatus?
}

/// Records the status of the handshake response (sits before the upgrade handler).
final class StatusRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    let box: StatusBox
    init(box: StatusBox) { self.box = box }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        box.status = head.status
        context.fireChannelRead(data)
        // Out of the way before the pipeline turns into WebSocket frames.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// Keeps a station connected: reconnects with exponential back-off (OCPP 2.0.1 B10: RetryBackOffWaitMinimum,
/// RetryBackOffRepeatTimes, RetryBackOffRandomRange) and runs `session` on each connection.
public struct ReconnectingOCPPClient: Sendable {
    public var configuration: OCPPClientConfiguration
    /// First wait after a failure. Default 1 s.
    public var minimumBackOff: Duration = .seconds(1)
    /// Doublings before the wait stops growing. Default 5.
    public var backOffRepeatTimes: Int = 5
    /// Upper bound of the random extra wait. Default 1 s.
    public var randomRange: Duration = .seconds(1)

    public init(configuration: OCPPClientConfiguration) { self.configuration = configuration }

    /// The wait before attempt `attempt` (0-based) with `random` in 0..<1: min·2^min(attempt, repeat) + random·range.
    public func backOff(attempt: Int, random: Double) -> Duration {
        minimumBackOff * (1 << min(attempt, backOffRepeatTimes)) + randomRange * random
    }

    /// Connects and runs `session` on each successful connection until `session` returns true (done) or the task is
    /// cancelled; waits with back-off between attempts on `clock`.
    public func run(
        handler: any OCPPCallHandler, clock: some Clock<Duration>,
        random: @Sendable () -> Double = { Double.random(in: 0..<1) },
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        session: @escaping @Sendable (OCPPConnection) async throws -> Bool
    ) async throws {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let done = try await OCPPClient.withConnection(
                    configuration: configuration, handler: handler, eventLoopGroup: eventLoopGroup, session)
                if done { return }
                attempt = 0
            } catch let error as OCPPTransportError where error.code == .handshakeRejected {
                attempt += 1
            } catch {
                attempt += 1
            }
            try await clock.sleep(for: backOff(attempt: max(0, attempt - 1), random: random()))
        }
    }
}
