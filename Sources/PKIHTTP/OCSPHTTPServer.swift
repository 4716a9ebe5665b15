import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import V2GPKI

/// An OCSP responder over HTTP (RFC 6960 Appendix A.1, RFC 5019 §5):
/// - `POST` with `Content-Type: application/ocsp-request` and the DER request as body (any path);
/// - `GET /{url-encoding of base64 of the DER request}`.
///
/// Answers carry `Content-Type: application/ocsp-response`. A request that cannot be decoded (bad base64, wrong
/// content type) gets the OCSP `malformedRequest` answer; other methods get HTTP 405; bodies over
/// ``maximumRequestSize`` get HTTP 413.
public struct OCSPHTTPServer: Sendable {
    /// Turns a DER request into a DER response (``OCSPResponder/respond(to:now:)`` with the CA's current state).
    public typealias Responder = @Sendable (_ request: [UInt8]) -> [UInt8]

    /// Largest request body or GET path accepted.
    public static let maximumRequestSize = 64 * 1024
    /// A connection that sends nothing for this long while no answer is pending is closed.
    public static let idleTimeout = TimeAmount.seconds(30)

    private let channel: NIOAsyncChannel<NIOAsyncChannel<NIOHTTPServerRequestFull, HTTPServerResponsePart>, Never>
    private let responder: Responder

    /// The bound port (useful with port 0).
    public var port: Int { channel.channel.localAddress?.port ?? 0 }

    /// Binds `host:port`; call ``run()`` to serve.
    public static func bind(
        host: String, port: Int, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        idleTimeout: TimeAmount = OCSPHTTPServer.idleTimeout, responder: @escaping Responder
    ) async throws -> OCSPHTTPServer {
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        NIOHTTPServerRequestAggregator(maxContentLength: maximumRequestSize))
                    try channel.pipeline.syncOperations.addHandler(CloseOnIdleHandler())
                    return try NIOAsyncChannel<NIOHTTPServerRequestFull, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return OCSPHTTPServer(channel: channel, responder: responder)
    }

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<NIOHTTPServerRequestFull, HTTPServerResponsePart>, Never>,
        responder: @escaping Responder
    ) {
        self.channel = channel
        self.responder = responder
    }

    /// Serves connections until the surrounding task is cancelled, one child task per connection.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<NIOHTTPServerRequestFull, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await request in inbound {
                    let (status, body) = self.answer(request)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Length", value: "\(body.count)")
                    if status == .ok {
                        headers.add(name: "Content-Type", value: "application/ocsp-response")
                        if request.head.method == .GET { Self.addCachingHeaders(for: body, to: &headers) }
                    }
                    let keepAlive = request.head.isKeepAlive
                    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                    try await outbound.write(.head(HTTPResponseHead(version: request.head.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    if !keepAlive { return }
                }
            }
        } catch {
            // The peer went away or sent something HTTP could not frame; the connection is closed either way.
        }
    }

    /// The HTTP status and body for one request.
    func answer(_ request: NIOHTTPServerRequestFull) -> (HTTPResponseStatus, [UInt8]) {
        switch request.head.method {
        case .POST:
            let contentType = request.head.headers.first(name: "Content-Type")?.lowercased()
            guard contentType == nil || contentType?.hasPrefix("application/ocsp-request") == true else {
                return (.ok, responder([]))  // not an OCSP request: malformedRequest
            }
            var body = request.body ?? ByteBuffer()
            return (.ok, responder(body.readBytes(length: body.readableBytes) ?? []))
        case .GET:
            return (.ok, responder(Self.decodeGETPath(request.head.uri) ?? []))
        default:
            return (.methodNotAllowed, [])
        }
    }

    /// RFC 5019 §6.2: answers to GET may be cached by HTTP caches until the single answer's nextUpdate.
    static func addCachingHeaders(for responseBytes: [UInt8], to headers: inout HTTPHeaders) {
        guard let response = try? OCSPResponse(derBytes: responseBytes), let data = response.basicResponse?.responseData,
              data.responses.count == 1, let single = data.responses.first, let nextUpdate = single.nextUpdate
        else {
            headers.add(name: "Cache-Control", value: "no-store")
            return
        }
        let maxAge = max(0, Int(nextUpdate.timeIntervalSince(data.producedAt)))
        headers.add(name: "Cache-Control", value: "max-age=\(maxAge), public, no-transform, must-revalidate")
        headers.add(name: "Last-Modified", value: httpDate(single.thisUpdate))
        headers.add(name: "Expires", value: httpDate(nextUpdate))
    }

    /// IMF-fixdate (RFC 9110 §5.6.7).
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    /// The DER request of a GET URI: everything after the first `/`, percent-decoded, then base64 (RFC 6960 A.1).
    public static func decodeGETPath(_ uri: String) -> [UInt8]? {
        guard uri.utf8.count <= maximumRequestSize, let slash = uri.firstIndex(of: "/") else { return nil }
        let encoded = String(uri[uri.index(after: slash)...])
        guard let decoded = encoded.removingPercentEncoding else { return nil }
        let base64 = decoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: padded).map { Array($0) }
    }
}

/// Closes a connection when ``IdleStateHandler`` reports that nothing was read for a while.
final class CloseOnIdleHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias InboundOut = NIOHTTPServerRequestFull
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests read whose response has not ended yet; touched only on the channel's event loop.
    private var pending = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.pending += 1
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) { self.pending = max(0, self.pending - 1) }
        context.write(data, promise: promise)
    }

    /// Closes a connection idle between requests; one whose request is still being answered stays open (a loaded
    /// responder is slow, not gone).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if self.pending == 0 { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
