import Logging
import NIOCore
import OCPPMessages

/// Drives one server-side OCPP-J connection from the channel pipeline, so that an idle station costs no task: the
/// connection's work (opening, each CALL, closing) runs as jobs, one at a time and in order, each in a short-lived
/// task that ends when the job is done. Responses to the CSMS's own CALLs are matched on the event loop at once.
///
/// A station sends one CALL at a time (OCPP 2.0.1 Part 4 §4.1.1); CALLs that arrive while one is being handled
/// wait in order, and reading pauses while more than ``maximumQueuedCalls`` wait.
final class OCPPServerConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Job: Sendable {
        case open
        case call(messageID: String, action: String, payload: JSONValue)
        case close
    }

    /// CALLs waiting while one is handled before reading pauses.
    static let maximumQueuedCalls = 4

    private let stationID: String
    private let version: OCPPVersion
    private let callTimeout: TimeAmount
    private let delegate: any OCPPServerDelegate
    private let spawn: @Sendable (@escaping @Sendable () async -> Void) -> Void
    private let logger: Logger
    private var connection: OCPPConnection?
    private var jobs: [Job] = []
    private var running = false
    private var closing = false
    private var readPending = false

    init(
        stationID: String, version: OCPPVersion, callTimeout: TimeAmount, delegate: any OCPPServerDelegate,
        spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void, logger: Logger
    ) {
        self.stationID = stationID
        self.version = version
        self.callTimeout = callTimeout
        self.delegate = delegate
        self.spawn = spawn
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connection = OCPPConnection(
            stationID: stationID, version: version, channel: context.channel, outbound: nil, callTimeout: callTimeout)
        enqueue(.open, context: context)
        if !context.channel.isActive { closed(context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection, !closing else { return }
        switch connection.receive(unwrapInboundIn(data)) {
        case .handled:
            break
        case .reject(let frame):
            let bytes = frame.encoded()
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        case .call(let messageID, let action, let payload):
            enqueue(.call(messageID: messageID, action: action, payload: payload), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed(context: context)
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if jobs.count > Self.maximumQueuedCalls {
            readPending = true  // resumed when the queue drains
        } else {
            context.read()
        }
    }

    private func closed(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        // Fail the CSMS's outstanding CALL now; waiting CALLs of the station are not answered any more.
        connection?.shutDown()
        jobs.removeAll { if case .call = $0 { true } else { false } }
        enqueue(.close, context: context)
    }

    private func enqueue(_ job: Job, context: ChannelHandlerContext) {
        jobs.append(job)
        if !running { runNext(context: context) }
    }

    /// Starts the next job in a task; when it is done the task hops back to the event loop for the one after.
    private func runNext(context: ChannelHandlerContext) {
        guard !jobs.isEmpty, let connection else {
            running = false
            jobs = []  // release the queue's storage while idle
            if readPending {
                readPending = false
                context.read()
            }
            return
        }
        running = true
        let job = jobs.removeFirst()
        let eventLoop = context.eventLoop
        let next = NIOLoopBound((self, context), eventLoop: eventLoop)
        let resume: @Sendable () -> Void = {
            eventLoop.execute {
                let (handler, context) = next.value
                handler.runNext(context: context)
            }
        }
        Self.start(job, connection: connection, delegate: delegate, spawn: spawn, logger: logger, then: resume)
    }

    private static func start(
        _ job: Job, connection: OCPPConnection, delegate: any OCPPServerDelegate,
        spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void, logger: Logger,
        then resume: @escaping @Sendable () -> Void
    ) {
        Task {
            await perform(job, connection: connection, delegate: delegate, spawn: spawn, logger: logger)
            resume()
        }
    }

    private static func perform(
        _ job: Job, connection: OCPPConnection, delegate: any OCPPServerDelegate,
        spawn: @escaping @Sendable (@escaping @Sendable () async -> Void) -> Void, logger: Logger
    ) async {
        switch job {
        case .open:
            await delegate.connectionOpened(connection)
        case .call(let messageID, let action, let payload):
            do {
                try await connection.answer(messageID: messageID, action: action, payload: payload, handler: delegate, spawn: spawn)
            } catch {
                logger.debug("ocpp answer not sent", metadata: ["ocpp.station_id": "\(connection.stationID)", "error": "\(error)"])
            }
        case .close:
            connection.shutDown()
            await delegate.connectionClosed(connection)
        }
    }
}
