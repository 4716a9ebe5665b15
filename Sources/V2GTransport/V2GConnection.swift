import Logging
import NIOCore
import NIOSSL
import NIOTLS
import V2GTP

/// What the TLS handshake of a connection settled on.
public struct V2GTLSSession: Sendable {
    /// Negotiated protocol version (``TLSVersion/tlsv12`` for ISO 15118-2, ``TLSVersion/tlsv13`` for -20).
    public var version: TLSVersion?
    /// The peer's leaf certificate, if it sent one (the SECC's; the vehicle's with -20 mutual TLS).
    public var peerCertificate: NIOSSLCertificate?
    /// With ``V2GServer/Security/tlsByClientHello(_:)``: the profile and chain chosen from the ClientHello.
    public var choice: V2GTLSServerProfileSet.Choice?
}

/// A V2G communication session's connection: V2GTP frames in and out over TCP or TLS.
///
/// Obtained from ``V2GServer`` (SECC) or ``V2GClient`` (EVCC) once the TLS handshake, if any, has completed.
/// Use it from one task: ``executeThenClose(_:)`` gives the inbound frames and a writer, and closes afterwards;
/// a connection that is not used is ended with ``close()`` (NIO requires the writer to be finished either way).
/// Inbound iteration throws when the peer breaks V2GTP framing (a `V2GTPError`) or TLS; the channel is closed then.
public struct V2GConnection: Sendable {
    public let channel: NIOAsyncChannel<V2GTPFrame, V2GTPFrame>
    public let remoteAddress: SocketAddress?
    public let localAddress: SocketAddress?
    /// nil on plain TCP.
    public let tls: V2GTLSSession?

    init(channel: NIOAsyncChannel<V2GTPFrame, V2GTPFrame>, tls: V2GTLSSession?) {
        self.channel = channel
        self.remoteAddress = channel.channel.remoteAddress
        self.localAddress = channel.channel.localAddress
        self.tls = tls
    }

    /// Whether the connection is TLS-secured (the SDP Security this session matches).
    public var security: SDPSecurity { self.tls == nil ? .none : .tls }

    /// Closes the connection without using it (finishes the writer, then closes the channel). Every connection ends
    /// with this or ``executeThenClose(_:)``; calling either again is harmless.
    public func close() async {
        try? await self.channel.executeThenClose { _, _ in }
    }

    /// Runs `body` with the inbound frames and the writer, then closes the connection.
    public func executeThenClose<Result>(
        _ body: (NIOAsyncChannelInboundStream<V2GTPFrame>, NIOAsyncChannelOutboundWriter<V2GTPFrame>) async throws
            -> Result
    ) async throws -> Result {
        try await self.channel.executeThenClose { inbound, outbound in try await body(inbound, outbound) }
    }
}

/// How a new channel is secured: plain TCP or a TLS profile.
enum ChannelSecurity: Sendable {
    case none
    case tlsServer(V2GTLSServerProfile)
    case tlsServerByClientHello(V2GTLSServerProfileSet)
    case tlsClient(V2GTLSClientProfile)
}

extension Channel {
    /// Installs TLS (if any), the handshake observer and V2GTP framing, and wraps the channel for async use.
    /// Runs on the channel's event loop.
    func configureV2G(
        security: ChannelSecurity,
        framing: V2GTPFramingConfiguration,
        logger: Logger
    ) -> EventLoopFuture<(NIOAsyncChannel<V2GTPFrame, V2GTPFrame>, EventLoopFuture<V2GTLSSession?>)> {
        self.eventLoop.makeCompletedFuture {
            let sync = self.pipeline.syncOperations
            let handshake: EventLoopFuture<V2GTLSSession?>
            switch security {
            case .none:
                handshake = self.eventLoop.makeSucceededFuture(nil)
            case .tlsServer(let profile):
                try sync.addHandler(NIOSSLServerHandler(context: profile.context))
                let observer = TLSHandshakeObserver(promise: self.eventLoop.makePromise())
                handshake = observer.promise.futureResult.map { Optional($0) }
                try sync.addHandler(observer)
            case .tlsServerByClientHello(let profiles):
                try sync.addHandler(ClientHelloSniffer(profiles: profiles))
                let observer = TLSHandshakeObserver(promise: self.eventLoop.makePromise())
                handshake = observer.promise.futureResult.map { Optional($0) }
                try sync.addHandler(observer)
            case .tlsClient(let profile):
                try sync.addHandler(
                    try NIOSSLClientHandler(context: profile.context, serverHostname: profile.serverHostname)
                )
                let observer = TLSHandshakeObserver(promise: self.eventLoop.makePromise())
                handshake = observer.promise.futureResult.map { Optional($0) }
                try sync.addHandler(observer)
            }
            try sync.addV2GTPFraming(configuration: framing, logger: logger)
            let channel = try NIOAsyncChannel<V2GTPFrame, V2GTPFrame>(wrappingChannelSynchronously: self)
            return (channel, handshake)
        }
    }
}

/// Completes its promise when the TLS handshake completes, or fails it with the reason the handshake failed.
final class TLSHandshakeObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let promise: EventLoopPromise<V2GTLSSession>
    private var done = false
    private var choice: V2GTLSServerProfileSet.Choice?

    init(promise: EventLoopPromise<V2GTLSSession>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let chosen = event as? V2GTLSChoiceEvent {
            self.choice = chosen.choice
            return
        }
        if case TLSUserEvent.handshakeCompleted = event, !self.done {
            self.done = true
            let ssl = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
            self.promise.succeed(V2GTLSSession(version: ssl?.tlsVersion, peerCertificate: ssl?.peerCertificate, choice: self.choice))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.done {
            self.done = true
            self.promise.fail(V2GTransportError.make(.tlsHandshakeFailed, "\(error)", cause: error))
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(V2GTransportError.make(.connectionClosed, "connection closed during the TLS handshake"))
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(V2GTransportError.make(.connectionClosed, "connection closed during the TLS handshake"))
        }
    }
}
