import Logging
import NIOCore
import NIOPosix
import OCPPMessages
@testable import OCPPTransport
import Synchronization
import Testing

/// A CSMS-side handler for transport tests: validates the request with the generated codec (so errors map to the
/// proper CALLERROR) and answers Heartbeat with a fixed time.
final class TestDelegate: OCPPServerDelegate {
    let opened: AsyncStream<OCPPConnection>
    private let continuation: AsyncStream<OCPPConnection>.Continuation

    init() { (opened, continuation) = AsyncStream.makeStream(of: OCPPConnection.self) }

    func connectionOpened(_ connection: OCPPConnection) async { continuation.yield(connection) }
    func connectionClosed(_ connection: OCPPConnection) async {}

    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        do throws(OCPPMessagesError) {
            switch connection.version {
            case .v201: _ = try V201.Request(action: action, payload: payload)
            case .v16: _ = try V16.Request(action: action, payload: payload)
            }
        } catch {
            return .error(error.rpcErrorCode, error.message)
        }
        guard action == "Heartbeat" else { return .error(.notSupported, action) }
        return .result(V201.HeartbeatResponse(currentTime: try! OCPPDateTime("2026-11-21T00:00:00Z")))
    }
}

struct PasswordTable: StationAuthenticator {
    let passwords: [String: String]
    func authenticate(stationID: String, password: String) async -> Bool { passwords[stationID] == password }
}

/// A station-side handler that answers every CSMS CALL with `{}` after `delay`, tracking concurrency.
final class StationHandler: OCPPCallHandler {
    let delay: Duration
    let inFlight = Mutex((current: 0, maximum: 0, total: 0))
    init(delay: Duration = .zero) { self.delay = delay }
    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        inFlight.withLock { $0.current += 1; $0.maximum = max($0.maximum, $0.current); $0.total += 1 }
        if delay > .zero { try? await Task.sleep(for: delay) }
        inFlight.withLock { $0.current -= 1 }
        return OCPPCallReply(.result(.object([JSONMember("echo", .string(action))])))
    }
}

final class Counter: Sendable {
    let value = Mutex(0)
}

let testLogger = Logger(label: "test.ocpp")

func withServer(
    _ configure: (inout OCPPServerConfiguration) -> Void = { _ in }, passwords: [String: String] = ["CS-1": "secret-password-16"],
    _ body: @Sendable (OCPPServer, TestDelegate) async throws -> Void
) async throws {
    var configuration = OCPPServerConfiguration()
    configuration.port = 0
    configuration.securityProfile = .basicAuthentication
    configure(&configuration)
    let delegate = TestDelegate()
    let server = try await OCPPServer.bind(
        configuration: configuration, authenticator: PasswordTable(passwords: passwords), delegate: delegate, logger: testLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        try await body(server, delegate)
        await server.close()
    }
}

func client(_ server: OCPPServer, station: String = "CS-1", password: String? = "secret-password-16", versions: [OCPPVersion] = [.v201]) -> OCPPClientConfiguration {
    var configuration = OCPPClientConfiguration(host: "127.0.0.1", port: server.port, stationID: station)
    configuration.password = password
    configuration.versions = versions
    configuration.callTimeout = .seconds(5)
    return configuration
}

func transportError(_ body: () async throws -> Void) async -> OCPPTransportError? {
    do {
        try await body()
        return nil
    } catch let error as OCPPTransportError {
        return error
    } catch {
        return nil
    }
}

@Suite(.serialized) struct OCPPServerTests {
    @Test("[OCPP 2.0.1 Part 4 §3.1] ocpp2.0.1 is negotiated and the station id comes from the last path segment")
    func negotiate201() async throws {
        try await withServer { server, delegate in
            try await OCPPClient.withConnection(configuration: client(server), handler: StationHandler()) { connection in
                #expect(connection.version == .v201)
                let response = try await connection.call(V201.HeartbeatRequest())
                #expect(response.currentTime.text == "2026-11-21T00:00:00Z")
            }
            var iterator = delegate.opened.makeAsyncIterator()
            let opened = try #require(await iterator.next())
            #expect(opened.stationID == "CS-1")
            #expect(opened.version == .v201)
        }
    }

    @Test("[OCPP-J 1.6 §3.1.2] a client offering only ocpp1.6 gets ocpp1.6")
    func negotiate16() async throws {
        try await withServer { server, _ in
            try await OCPPClient.withConnection(configuration: client(server, versions: [.v16]), handler: StationHandler()) { connection in
                #expect(connection.version == .v16)
                _ = try await connection.call(V16.HeartbeatRequest())
            }
        }
    }

    @Test("[OCPP 2.0.1 Part 4 §3.1.2] no common subprotocol: handshake without Sec-WebSocket-Protocol, then closed")
    func noCommonSubprotocol() async throws {
        try await withServer({ $0.versions = [.v201] }) { server, _ in
            let error = await transportError {
                try await OCPPClient.withConnection(configuration: client(server, versions: [.v16]), handler: StationHandler()) { _ in }
            }
            #expect(error?.code == .subprotocolNotNegotiated)
        }
    }

    @Test("[A00.FR.201-203, security profile 1] wrong password, missing credentials, other user: HTTP 401")
    func basicAuthRejected() async throws {
        try await withServer { server, _ in
            for (station, password) in [("CS-1", "wrong-password-16"), ("CS-1", nil), ("CS-2", "secret-password-16")] as [(String, String?)] {
                let error = await transportError {
                    try await OCPPClient.withConnection(configuration: client(server, station: station, password: password), handler: StationHandler()) { _ in }
                }
                #expect(error?.code == .handshakeRejected)
                #expect(error?.detail == "HTTP 401", "\(station) \(password ?? "none")")
            }
        }
    }

    @Test("A path without a station id is refused with HTTP 404")
    func missingStationID() async throws {
        try await withServer { server, _ in
            var configuration = client(server, station: "")
            configuration.path = "/"
            let error = await transportError {
                try await OCPPClient.withConnection(configuration: configuration, handler: StationHandler()) { _ in }
            }
            #expect(error?.detail == "HTTP 404")
        }
    }

    @Test("[OCPP-J §4.2.3] unknown action → NotImplemented; schema violations → their CALLERROR codes")
    func callErrors() async throws {
        try await withServer { server, _ in
            try await OCPPClient.withConnection(configuration: client(server), handler: StationHandler()) { connection in
                let unknown = await transportError { _ = try await connection.call(action: "FlyToTheMoon", payload: .object([])) }
                #expect(unknown?.code == .callError)
                #expect(unknown?.rpcErrorCode == .notImplemented)
                let wrongType = await transportError {
                    _ = try await connection.call(action: "StatusNotification", payload: try JSONValue.parse(#"{"timestamp":"2026-11-21T00:00:00Z","connectorStatus":"Available","evseId":"1","connectorId":1}"#))
                }
                #expect(wrongType?.rpcErrorCode == .typeConstraintViolation)
                let missing = await transportError { _ = try await connection.call(action: "Authorize", payload: .object([])) }
                #expect(missing?.rpcErrorCode == .occurrenceConstraintViolation)
                let unknownField = await transportError { _ = try await connection.call(action: "Heartbeat", payload: try JSONValue.parse(#"{"x":1}"#)) }
                #expect(unknownField?.rpcErrorCode == .formatViolation)
                let badEnum = await transportError {
                    _ = try await connection.call(action: "Authorize", payload: try JSONValue.parse(#"{"idToken":{"idToken":"a","type":"Card"}}"#))
                }
                #expect(badEnum?.rpcErrorCode == .propertyConstraintViolation)
                // The connection survives all of these.
                _ = try await connection.call(V201.HeartbeatRequest())
            }
        }
    }

    @Test("[OCPP 2.0.1 Part 4 §4.2.3] malformed JSON → RpcFrameworkError with id -1; bad MessageTypeId → MessageTypeNotSupported")
    func malformedFrames() async throws {
        try await withServer { server, _ in
            try await OCPPClient.withConnection(configuration: client(server), handler: StationHandler()) { connection in
                let notJSON = await transportError { _ = try await connection.sendRawExpectingReply(#"[2,"7","Heartbeat",{"#, expectedMessageID: "-1") }
                #expect(notJSON?.rpcErrorCode == .rpcFrameworkError)
                let badType = await transportError { _ = try await connection.sendRawExpectingReply(#"[9,"8","Heartbeat",{}]"#, expectedMessageID: "8") }
                #expect(badType?.rpcErrorCode == .messageTypeNotSupported)
                let payloadNotObject = await transportError { _ = try await connection.sendRawExpectingReply(#"[2,"9","Heartbeat",[]]"#, expectedMessageID: "9") }
                #expect(payloadNotObject?.rpcErrorCode == .formatViolation)
                _ = try await connection.call(V201.HeartbeatRequest())
            }
        }
    }

    @Test("A message larger than the limit closes the connection (close 1009)")
    func oversizedFrame() async throws {
        try await withServer({ $0.maximumMessageSize = 1024 }) { server, _ in
            try await OCPPClient.withConnection(configuration: client(server), handler: StationHandler()) { connection in
                let big = #"[2,"1","DataTransfer",{"vendorId":"\#(String(repeating: "v", count: 2000))"}]"#
                let error = await transportError { _ = try await connection.sendRawExpectingReply(big, expectedMessageID: "1") }
                #expect(error?.code == .connectionClosed)
            }
        }
    }

    @Test("A flood beyond the message rate closes the connection (close 1008)")
    func flood() async throws {
        try await withServer({ $0.messagesPerSecond = 5 }) { server, _ in
            try await OCPPClient.withConnection(configuration: client(server), handler: StationHandler()) { connection in
                for index in 0..<40 { try? await connection.sendRaw(#"[2,"f\#(index)","Heartbeat",{}]"#) }
                let error = await transportError { _ = try await connection.call(V201.HeartbeatRequest()) }
                #expect(error?.code == .connectionClosed)
            }
        }
    }

    @Test("A CALL on a connection the station just closed fails with connectionClosed, never a raw channel error")
    func callAfterPeerClosed() async throws {
        try await withServer({ _ in }) { server, delegate in
            let station = try await OCPPClient.withConnection(configuration: client(server), handler: StationHandler()) { _ in
                var iterator = delegate.opened.makeAsyncIterator()
                return await iterator.next()
            }
            let csmsSide = try #require(station)
            for _ in 0..<3 {
                let error = await transportError { _ = try await csmsSide.call(action: "Heartbeat", payload: .object([])) }
                #expect(error?.code == .connectionClosed)
            }
        }
    }

    @Test("[OCPP 2.0.1 Part 4 §4.1.1] CSMS CALLs are correlated, one at a time per direction, and time out")
    func csmsCalls() async throws {
        // Correlation and one-at-a-time with a window no loaded machine can miss (the timeout counts from when a call
        // is queued); the timeout itself with a short window and an answer that comes far later.
        try await withServer({ $0.callTimeout = .seconds(30) }) { server, delegate in
            let handler = StationHandler(delay: .milliseconds(20))
            try await OCPPClient.withConnection(configuration: client(server), handler: handler) { _ in
                var iterator = delegate.opened.makeAsyncIterator()
                let csmsSide = try #require(await iterator.next())
                let results = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                    for index in 0..<5 {
                        group.addTask { try await csmsSide.call(action: "Action\(index)", payload: .object([])) }
                    }
                    return try await group.reduce(into: [JSONValue]()) { $0.append($1) }
                }
                #expect(Set(results.compactMap { $0["echo"]?.stringValue }) == Set((0..<5).map { "Action\($0)" }))
                #expect(handler.inFlight.withLock { $0.maximum } == 1)
            }
        }
        try await withServer({ $0.callTimeout = .milliseconds(1_500) }) { server, delegate in
            let slow = StationHandler(delay: .seconds(4))
            try await OCPPClient.withConnection(configuration: client(server), handler: slow) { _ in
                var iterator = delegate.opened.makeAsyncIterator()
                let csmsSide = try #require(await iterator.next())
                let error = await transportError { _ = try await csmsSide.call(action: "Slow", payload: .object([])) }
                #expect(error?.code == .callTimeout)
            }
        }
    }

    @Test("[B10] reconnect back-off doubles up to RetryBackOffRepeatTimes and adds the random range")
    func backOff() {
        var reconnecting = ReconnectingOCPPClient(configuration: OCPPClientConfiguration(host: "127.0.0.1", port: 1, stationID: "x"))
        reconnecting.minimumBackOff = .seconds(2)
        reconnecting.backOffRepeatTimes = 3
        reconnecting.randomRange = .seconds(10)
        #expect(reconnecting.backOff(attempt: 0, random: 0) == .seconds(2))
        #expect(reconnecting.backOff(attempt: 2, random: 0) == .seconds(8))
        #expect(reconnecting.backOff(attempt: 7, random: 0) == .seconds(16))
        #expect(reconnecting.backOff(attempt: 1, random: 0.5) == .seconds(9))
    }

    @Test("A station reconnects after the CSMS was unreachable and completes its session")
    func reconnect() async throws {
        // Find a free port, leave it closed while the client starts retrying, then serve on it.
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close()
        var configuration = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: "CS-1")
        configuration.password = "secret-password-16"
        var reconnecting = ReconnectingOCPPClient(configuration: configuration)
        reconnecting.minimumBackOff = .milliseconds(50)
        reconnecting.randomRange = .zero
        let client = reconnecting
        let attempts = Counter()
        let (done, doneContinuation) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await client.run(handler: StationHandler(), clock: ContinuousClock()) { connection in
                    attempts.value.withLock { $0 += 1 }
                    _ = try await connection.call(V201.HeartbeatRequest())
                    return true
                }
                doneContinuation.yield()
            }
            try await Task.sleep(for: .milliseconds(300))
            try await withServer({ $0.port = port }) { _, _ in
                for await _ in done { break }
            }
            try await group.waitForAll()
        }
        #expect(attempts.value.withLock { $0 } == 1)
    }
}

@Suite(.serialized) struct ReusePortTests {
    @Test("[DESIGN Scale-out] reusePort: two servers bind one address and port and both serve stations; without it the second bind fails")
    func twoServersOnePort() async throws {
        try await withServer({ $0.reusePort = true }) { first, _ in
            var configuration = first.configuration
            configuration.port = first.port
            let delegate = TestDelegate()
            let second = try await OCPPServer.bind(
                configuration: configuration, authenticator: PasswordTable(passwords: ["CS-1": "secret-password-16"]),
                delegate: delegate, logger: testLogger)
            #expect(second.port == first.port)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await second.run() }
                defer { group.cancelAll() }
                // The kernel spreads connections over both listeners; every one of them is answered.
                for index in 0..<8 {
                    try await OCPPClient.withConnection(configuration: client(first, station: "CS-1"), handler: StationHandler()) { connection in
                        let response = try await connection.call(V201.HeartbeatRequest())
                        #expect(response.currentTime.text == "2026-11-21T00:00:00Z", "connection \(index)")
                    }
                }
                await second.close()
            }
            var exclusive = first.configuration
            exclusive.port = first.port
            exclusive.reusePort = false
            await #expect(throws: (any Error).self) {
                _ = try await OCPPServer.bind(
                    configuration: exclusive, authenticator: PasswordTable(passwords: [:]), delegate: TestDelegate(), logger: testLogger)
            }
        }
    }
}
