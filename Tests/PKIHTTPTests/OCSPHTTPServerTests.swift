import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PKIHTTP
import Synchronization
import PnCTesting
import Testing
import V2GPKI
import X509

/// The responder over real sockets on 127.0.0.1: openssl and our own client as peers.
@Suite(.serialized) struct OCSPHTTPServerTests {
    struct Running {
        let pki: RevocationTestPKI
        let directory: TemporaryDirectory
        let caDirectory: URL
        let port: Int
        var url: String { "http://127.0.0.1:\(port)" }
    }

    /// Writes a CA folder, serves it on an ephemeral port while `body` runs, then stops the server.
    static func withResponder(
        _ curve: RevocationTestPKI.Curve, delegated: Bool, revokedAt: Date = Date().addingTimeInterval(-600),
        _ body: (Running) async throws -> Void
    ) async throws {
        let pki = try RevocationTestPKI(curve)
        let directory = try TemporaryDirectory()
        let caDirectory = directory.url.appendingPathComponent("ca")
        try pki.writeCAFolder(to: caDirectory, database: try pki.database(revokedAt: revokedAt), delegated: delegated)
        for (name, certificate) in [("root", pki.root), ("subca", pki.subCA), ("other", pki.otherCA)] {
            try RevocationTestPKI.pem(certificate).write(
                to: directory.url.appendingPathComponent("\(name).pem"), atomically: true, encoding: .utf8)
        }
        for (i, leaf) in pki.leaves.enumerated() {
            try RevocationTestPKI.pem(leaf).write(
                to: directory.url.appendingPathComponent("leaf\(i).pem"), atomically: true, encoding: .utf8)
        }
        let folders = try OCSPResponderFolders(directories: [caDirectory], validity: 900)
        let server = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            folders.respond(to: request, now: Date())
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body(Running(pki: pki, directory: directory, caDirectory: caDirectory, port: server.port))
        }
    }

    @Test(
        "[RFC6960-A.1] openssl ocsp -url gets verified good/revoked/unknown answers with reasons from our responder",
        .enabled(if: OpenSSL.available, OpenSSL.skipNote),
        arguments: RevocationTestPKI.Curve.allCases, [false, true])
    func opensslClient(curve: RevocationTestPKI.Curve, delegated: Bool) async throws {
        try await Self.withResponder(curve, delegated: delegated) { running in
            let result = try await OpenSSL.run(
                [
                    "ocsp", "-issuer", "subca.pem", "-cert", "leaf0.pem", "-cert", "leaf1.pem", "-cert", "leaf2.pem",
                    "-cert", "leaf3.pem", "-url", running.url, "-CAfile", "root.pem", "-resp_text",
                ], in: running.directory.url)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("Response verify OK"), "\(result.output)")
            #expect(result.output.contains("leaf0.pem: good"))
            #expect(result.output.contains("leaf1.pem: revoked"))
            #expect(result.output.contains("Reason: keyCompromise"))
            #expect(result.output.contains("leaf2.pem: revoked"))
            #expect(result.output.contains("Reason: cessationOfOperation"))
            #expect(result.output.contains("leaf3.pem: unknown"))
            #expect(result.output.contains("OCSP Nonce"))
        }
    }

    @Test(
        "[RFC6960-2.3] over HTTP, an unknown issuer gets unauthorized and garbage gets malformedRequest",
        .enabled(if: OpenSSL.available, OpenSSL.skipNote))
    func opensslErrorStatuses() async throws {
        try await Self.withResponder(.p256, delegated: true) { running in
            let foreign = try await OpenSSL.run(
                ["ocsp", "-issuer", "other.pem", "-serial", "0x3001", "-url", running.url, "-CAfile", "root.pem"],
                in: running.directory.url)
            #expect(foreign.output.contains("unauthorized (6)"), "\(foreign.output)")
        }
    }

    @Test("[RFC6960-A.1] POST, GET, bad bodies and bad methods get the proper HTTP and OCSP answers")
    func httpSurface() async throws {
        try await Self.withResponder(.p256, delegated: false) { running in
            let certID = try OCSPCertID(certificate: running.pki.leaves[1], issuer: running.pki.subCA)
            let der = try OCSPRequest(requests: [OCSPSingleRequest(certID: certID)]).derBytes()

            func call(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil)
                async throws -> (HTTPResponseStatus, [UInt8])
            {
                var request = HTTPClientRequest(url: running.url + path)
                request.method = method
                if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
                if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                var bytes = try await response.body.collect(upTo: 1 << 20)
                return (response.status, bytes.readBytes(length: bytes.readableBytes) ?? [])
            }
            func ocspStatus(_ bytes: [UInt8]) throws -> OCSPResponse.Status { try OCSPResponse(derBytes: bytes).status }

            let post = try await call(.POST, "/", body: der, contentType: "application/ocsp-request")
            #expect(post.0 == .ok)
            let answer = try OCSPResponseVerifier.verify(
                responseBytes: post.1, certID: certID, issuer: running.pki.subCA, nonce: nil, now: Date())
            guard case .revoked(_, .keyCompromise) = answer.status else {
                Issue.record("expected revoked (keyCompromise), got \(answer.status)")
                return
            }

            let base64 = Data(der).base64EncodedString().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let get = try await call(.GET, "/" + base64)
            #expect(get.0 == .ok)
            #expect(try ocspStatus(get.1) == .successful)
            var cached = HTTPClientRequest(url: running.url + "/" + base64)
            cached.method = .GET
            let headers = try await HTTPClient.shared.execute(cached, timeout: .seconds(10)).headers
            #expect(headers.first(name: "Cache-Control") == "max-age=900, public, no-transform, must-revalidate")
            #expect(headers.first(name: "Expires")?.hasSuffix(" GMT") == true)
            #expect(headers.first(name: "Last-Modified") != nil)

            #expect(try ocspStatus(try await call(.POST, "/", body: [0x30, 0x03, 0x01], contentType: "application/ocsp-request").1) == .malformedRequest)
            #expect(try ocspStatus(try await call(.POST, "/", body: der, contentType: "text/plain").1) == .malformedRequest)
            #expect(try ocspStatus(try await call(.GET, "/%%%not-base64").1) == .malformedRequest)
            #expect(try ocspStatus(try await call(.GET, "/").1) == .malformedRequest)
            #expect(try await call(.PUT, "/", body: der).0 == .methodNotAllowed)
            let huge = [UInt8](repeating: 0x30, count: OCSPHTTPServer.maximumRequestSize + 1)
            #expect(try await call(.POST, "/", body: huge, contentType: "application/ocsp-request").0 == .payloadTooLarge)
        }
    }

    @Test(
        "[RFC5019-4] our client over HTTP (POST and GET): statuses, nonce, cache until nextUpdate, revocation seen after refetch",
        arguments: [OCSPHTTPTransport.Method.post, .getWhenShort])
    func ourClient(method: OCSPHTTPTransport.Method) async throws {
        try await Self.withResponder(.p521, delegated: true) { running in
            let clock = ManualOffsetClock()
            let client = OCSPClient(
                transport: OCSPHTTPTransport(method: method), now: { clock.now },
                makeNonce: { (0..<16).map { _ in UInt8.random(in: 0...255) } })
            let pki = running.pki
            #expect(try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: running.url).status == .good)
            guard case .revoked(_, .keyCompromise) = try await client.status(of: pki.leaves[1], issuer: pki.subCA, responderURL: running.url).status else {
                Issue.record("leaf 1 should be revoked for keyCompromise")
                return
            }
            #expect(try await client.status(of: pki.leaves[3], issuer: pki.subCA, responderURL: running.url).status == .unknown)
            #expect(await client.fetchCount == 3)

            // Revoke on disk while serving; the cached answer stands until nextUpdate (900 s), then the new one shows.
            try CertificateDatabaseFile(caDirectory: running.caDirectory).revoke(
                serial: pki.leaves[0].serialNumber, reason: .superseded, at: Date())
            #expect(try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: running.url).status == .good)
            #expect(await client.fetchCount == 3)
            clock.advance(by: 901)
            let fresh = try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: running.url)
            #expect(await client.fetchCount == 4)
            guard case .revoked(_, .superseded) = fresh.status else {
                Issue.record("expected revoked (superseded), got \(fresh.status)")
                return
            }
        }
    }

    @Test("A responder that is not listening is reported as revocationUnavailable")
    func unreachable() async throws {
        let client = OCSPClient(transport: OCSPHTTPTransport(timeout: .seconds(5)), now: { Date() }, makeNonce: nil)
        let pki = try RevocationTestPKI(.p256)
        // Bind then close a socket to get a port nothing listens on.
        let port: Int = try await {
            let server = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { _ in [] }
            let port = server.port
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                group.cancelAll()
            }
            return port
        }()
        do {
            _ = try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: "http://127.0.0.1:\(port)")
            Issue.record("no error from a closed port")
        } catch let error as V2GPKIError {
            #expect(error.code == .revocationUnavailable)
        }
    }

    @Test("A connection idle between requests is closed after the idle timeout; an answered keep-alive one too")
    func idleConnectionsClosed() async throws {
        let server = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0, idleTimeout: .milliseconds(300)) { _ in [0x30, 0x03, 0x0A, 0x01, 0x01] }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            for request in ["", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\nContent-Length: 0\r\n\r\n"] {
                // Timed from before the connection exists: the server's idle timer cannot start earlier, while the
                // client resumes after the connect only when a loaded machine schedules it (once 57 ms later).
                let started = ContinuousClock.now
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: server.port) { channel in
                        channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                    }
                let received = try await channel.executeThenClose { inbound, outbound in
                    if !request.isEmpty { try await outbound.write(ByteBuffer(string: request)) }
                    var bytes = 0
                    for try await chunk in inbound { bytes += chunk.readableBytes }  // ends when the server closes
                    return bytes
                }
                #expect(ContinuousClock.now - started >= .milliseconds(250))
                #expect((received > 0) == !request.isEmpty)
            }
        }
    }

    @Test("GET paths decode percent-encoded standard and URL-safe base64 (RFC 6960 A.1)")
    func getPathDecoding() throws {
        let der: [UInt8] = [0x30, 0x03, 0xfb, 0xff, 0xfe]
        let standard = Data(der).base64EncodedString()
        #expect(standard.contains("+") || standard.contains("/"))
        let percent = standard.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(OCSPHTTPServer.decodeGETPath("/" + percent) == der)
        let urlSafe = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(OCSPHTTPServer.decodeGETPath("/" + urlSafe) == der)
        #expect(OCSPHTTPServer.decodeGETPath("/!!!") == nil)
    }
}

/// Wall time plus an offset the test moves forward.
final class ManualOffsetClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}
