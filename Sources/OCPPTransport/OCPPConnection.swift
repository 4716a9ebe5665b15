import NIOCore
import NIOWebSocket
import OCPPMessages
import Synchronization

/// What a handler answers to an incoming CALL.
public struct OCPPCallReply: Sendable {
    public enum Outcome: Sendable {
        case result(JSONValue)
        case error(RPCErrorCode, String)
    }

    public var outcome: Outcome
    /// Work to run after the reply has been sent, e.g. CSMS-initiated CALLs that follow a request (CertificateSigned
    /// after SignCertificate). It runs in its own child task so that it may `call` the peer without blocking the
    /// connection's reader.
    public var followUp: (@Sendable (OCPPConnection) async -> Void)?

    public init(_ outcome: Outcome, followUp: (@Sendable (OCPPConnection) async -> Void)? = nil) {
        self.outcome = outcome
        self.followUp = followUp
    }

    public static func result(_ payload: some OCPPJSONCodable) -> Self { Self(.result(payload.json)) }
    public static func error(_ code: RPCErrorCode, _ text: String) -> Self { Self(.error(code, text)) }
}

/// Handles the CALLs a peer sends on an OCPP-J connection.
public protocol OCPPCallHandler: Sendable {
    /// Answers one CALL. Must not `call` the peer itself (the reader waits for this reply): use
    /// ``OCPPCallReply/followUp``.
    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply
}

/// One OCPP-J RPC endpoint over a WebSocket (either side): decodes frames, answers CALLs through a handler,
/// correlates CALLRESULT/CALLERROR with the one outstanding CALL it sent (OCPP 2.0.1 Part 4 §4.1.1: one CALL at a
/// time per direction), and fails a CALL that gets no answer within the timeout.
public final class OCPPConnection: Sendable, CustomStringConvertible {
    /// The charging station identity (last segment of the WebSocket URL path).
    public let stationID: String
    /// The negotiated protocol version.
    public let version: OCPPVersion
    /// A process-unique number of this connection (a reconnecting station gets a new one).
    public let connectionNumber: UInt64
    let channel: any Channel
    /// The async writer of a client connection; nil on the server, which writes through the channel's pipeline.
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    let callTimeout: TimeAmount
    private let state = Mutex(State())

    private static let counter = Atomic<UInt64>(0)

    private struct Pending {
        var messageID: String
        var action: String
        var promise: EventLoopPromise<JSONValue>
    }

    private struct State {
        var nextMessageID: UInt64 = 0
        var pending: Pending?
        var callInFlight = false
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var closed = false
    }

    public var description: String { "OCPPConnection(\(stationID), \(version.rawValue), #\(connectionNumber))" }

    init(
        stationID: String, version: OCPPVersion, channel: any Channel,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?, callTimeout: TimeAmount
    ) {
        self.stationID = stationID
        self.version = version
        self.channel = channel
        self.outbound = outbound
        self.callTimeout = callTimeout
        self.connectionNumber = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Sends a typed CALL and waits for its typed response.
    /// - Throws: ``OCPPTransportError`` (`callError` with the peer's code, `callTimeout`, `connectionClosed`,
    ///   `invalidResponse` when the CALLRESULT breaks the response schema).
    public func call<Request: OCPPRequestPayload>(_ request: Request) async throws -> Request.Response {
        let payload = try await call(action: Request.action, payload: request.json)
        do {
            return try Request.Response(json: payload)
        } catch {
            throw OCPPTransportError.make(.invalidResponse, "\(Request.action): \(error.message)", cause: error)
        }
    }

    /// Sends a CALL with a raw payload and waits for the CALLRESULT payload. CALLs are queued so that only one is
    /// outstanding at a time.
    public func call(action: String, payload: JSONValue) async throws -> JSONValue {
        try await acquireCallSlot()
        defer { releaseCallSlot() }
        // The promise is made only once the call is sure to be pending: a promise never completed is a leak.
        let eventLoop = channel.eventLoop
        let (promise, messageID) = try state.withLock { state in
            guard !state.closed else { throw OCPPTransportError.make(.connectionClosed, "\(stationID) is gone") }
            state.nextMessageID += 1
            let id = String(state.nextMessageID)
            let promise = eventLoop.makePromise(of: JSONValue.self)
            state.pending = Pending(messageID: id, action: action, promise: promise)
            return (promise, id)
        }
        let timeout = channel.eventLoop.scheduleTask(in: callTimeout) { [self] in
            failPending(messageID: messageID, OCPPTransportError.make(.callTimeout, "\(action) to \(stationID)"))
        }
        defer { timeout.cancel() }
        do {
            try await send(.call(messageID: messageID, action: action, payload: payload))
        } catch {
            // The channel closed under the write (e.g. the peer stopped a moment ago): a typed error, as documented.
            failPending(
                messageID: messageID,
                OCPPTransportError.make(.connectionClosed, "\(action) to \(stationID): the connection closed", cause: error))
        }
        return try await promise.futureResult.get()
    }

    /// Sends raw text as one WebSocket message and waits for the response frame carrying `expectedMessageID`
    /// (CALLRESULT payload, or CALLERROR thrown as `callError`). For tests of peers' error handling.
    func sendRawExpectingReply(_ text: String, expectedMessageID: String) async throws -> JSONValue {
        try await acquireCallSlot()
        defer { releaseCallSlot() }
        let eventLoop = channel.eventLoop
        let promise = try state.withLock { state in
            guard !state.closed else { throw OCPPTransportError.make(.connectionClosed, "\(stationID) is gone") }
            let promise = eventLoop.makePromise(of: JSONValue.self)
            state.pending = Pending(messageID: expectedMessageID, action: "raw", promise: promise)
            return promise
        }
        let timeout = channel.eventLoop.scheduleTask(in: callTimeout) { [self] in
            failPending(messageID: expectedMessageID, OCPPTransportError.make(.callTimeout, "raw message to \(stationID)"))
        }
        defer { timeout.cancel() }
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        do {
            try await write(buffer)
        } catch {
            failPending(messageID: expectedMessageID, error)
        }
        return try await promise.futureResult.get()
    }

    /// Sends raw text as one WebSocket message without waiting for anything (tests of peers' flood protection).
    func sendRaw(_ text: String) async throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try await write(buffer)
    }

    /// Closes the WebSocket with a close frame (`code`, default 1000).
    public func close(code: WebSocketErrorCode = .normalClosure) {
        channel.pipeline.fireUserInboundEventTriggered(WebSocketMessageHandler.CloseRequest(code: code))
    }

    func send(_ frame: OCPPFrame) async throws {
        let bytes = frame.encoded()
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await write(buffer)
    }

    /// Writes one WebSocket text message: through the async writer (client) or the channel's pipeline (server).
    private func write(_ buffer: ByteBuffer) async throws {
        if let outbound {
            try await outbound.write(buffer)
        } else {
            try await channel.writeAndFlush(buffer).get()
        }
    }

    private func acquireCallSlot() async throws {
        let mustWait: Bool = try state.withLock { state in
            guard !state.closed else { throw OCPPTransportError.make(.connectionClosed, "\(stationID) is gone") }
            if state.callInFlight { return true }
            state.callInFlight = true
            return false
        }
        guard mustWait else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let closed = state.withLock { state in
                if state.closed { return true }
                if !state.callInFlight {
                    state.callInFlight = true
                    continuation.resume()
                    return false
                }
                state.waiters.append(continuation)
                return false
            }
            if closed { continuation.resume(throwing: OCPPTransportError.make(.connectionClosed, "\(stationID) is gone")) }
        }
    }

    private func releaseCallSlot() {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.callInFlight = false
                return nil
            }
            return state.waiters.removeFirst()  // the slot passes to the next caller
        }
        next?.resume()
    }

    private func failPending(messageID: String, _ error: any Error) {
        let promise: EventLoopPromise<JSONValue>? = state.withLock { state in
            guard let pending = state.pending, pending.messageID == messageID else { return nil }
            state.pending = nil
            return pending.promise
        }
        promise?.fail(error)
    }

    func resolve(messageID: String, _ result: Result<JSONValue, OCPPTransportError>) {
        let promise: EventLoopPromise<JSONValue>? = state.withLock { state in
            guard let pending = state.pending, pending.messageID == messageID else { return nil }
            state.pending = nil
            return pending.promise
        }
        promise?.completeWith(result.mapError { $0 as any Error })  // late or unknown ids are dropped
    }

    /// Marks the connection closed and fails the outstanding CALL and every queued caller.
    func shutDown() {
        let (pending, waiters) = state.withLock { state in
            state.closed = true
            let result = (state.pending, state.waiters)
            state.pending = nil
            state.waiters = []
            return result
        }
        let error = OCPPTransportError.make(.connectionClosed, "connection to \(stationID) closed")
        pending?.promise.fail(error)
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    /// What one received message asks for.
    enum Incoming {
        /// A CALL to answer (through ``answer(messageID:action:payload:handler:spawn:)``).
        case call(messageID: String, action: String, payload: JSONValue)
        /// An undecodable frame: this CALLERROR goes back.
        case reject(OCPPFrame)
        /// A CALLRESULT or CALLERROR, already matched with the outstanding CALL (late or unknown ids are dropped).
        case handled
    }

    /// Decodes one message. Responses resolve the outstanding CALL at once, so that a handler busy with a CALL of
    /// the peer never delays the answer to one of ours.
    func receive(_ message: ByteBuffer) -> Incoming {
        let frame: OCPPFrame
        do throws(OCPPMessagesError) {
            frame = try OCPPFrame.decode(message.readableBytesView)
        } catch {
            return .reject(OCPPFrame.callError(for: error, version: version))
        }
        switch frame {
        case .call(let messageID, let action, let payload):
            return .call(messageID: messageID, action: action, payload: payload)
        case .callResult(let messageID, let payload):
            resolve(messageID: messageID, .success(payload))
        case .callError(let messageID, let code, let text, _):
            let rpc = RPCErrorCode(wireName: code, version: version) ?? .genericError
            resolve(messageID: messageID, .failure(.make(.callError, "\(code): \(text.prefix(255))", rpcErrorCode: rpc)))
        }
        return .handled
    }

    /// Answers one CALL through `handler` and hands the reply's follow-up work to `spawn`.
    func answer(
        messageID: String, action: String, payload: JSONValue, handler: any OCPPCallHandler,
        spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void
    ) async throws {
        let reply = await handler.handle(action: action, payload: payload, on: self)
        switch reply.outcome {
        case .result(let result):
            try await send(.callResult(messageID: messageID, payload: result))
        case .error(let code, let text):
            try await send(OCPPFrame.callError(messageID: messageID, code, text, version: version))
        }
        if let followUp = reply.followUp {
            spawn { await followUp(self) }
        }
    }

    /// Reads messages until the peer closes: answers CALLs through `handler`, resolves responses, answers
    /// undecodable frames with the CALLERROR the codec error maps to. Follow-up work of a reply is handed to
    /// `spawn`, which runs it in a task of the caller's group. (The server drives its connections from
    /// ``OCPPServerConnectionHandler`` instead, without a task per idle connection.)
    func serve(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, handler: any OCPPCallHandler,
        spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void
    ) async throws {
        defer { shutDown() }
        for try await message in inbound {
            switch receive(message) {
            case .handled: continue
            case .reject(let frame): try await send(frame)
            case .call(let messageID, let action, let payload):
                // Each CALL in a child task: the handler's deep stack lives in that task's allocator and is freed
                // when it returns, so the connection's own task keeps only its shallow read loop.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await self.answer(messageID: messageID, action: action, payload: payload, handler: handler, spawn: spawn)
                    }
                    try await group.waitForAll()
                }
            }
        }
    }
}

/// Runs work handed over by connections in child tasks of one long-lived task (follow-up CALLs).
struct FollowUpRunner: Sendable {
    typealias Job = @Sendable () async -> Void
    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: Job.self) }

    var spawn: @Sendable (@escaping Job) -> Void {
        let continuation = self.continuation
        return { job in continuation.yield(job) }
    }

    /// Runs jobs until ``finish()`` (or cancellation), each in its own child task.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await job in stream { group.addTask { await job() } }
        }
    }

    func finish() { continuation.finish() }
}
