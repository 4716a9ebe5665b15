import Foundation
import Synchronization
import PnCTesting
import Testing
import X509

@testable import V2GPKI

/// A wall clock the test moves by hand.
final class ManualWallClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func advance(by seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Delivers requests to a real ``OCSPResponder`` in memory, reading the CA's current database and the manual clock.
final class InMemoryOCSPTransport: OCSPTransport {
    private let state: Mutex<(authority: OCSPResponder.Authority, requests: Int)>
    let clock: ManualWallClock
    let validity: TimeInterval

    init(authority: OCSPResponder.Authority, clock: ManualWallClock, validity: TimeInterval) {
        state = Mutex((authority, 0))
        self.clock = clock
        self.validity = validity
    }

    var requests: Int { state.withLock { $0.requests } }

    func revoke(_ serial: Certificate.SerialNumber, reason: CRLReason) throws {
        try state.withLock { try $0.authority.database.revoke(serial: serial, reason: reason, at: clock.now) }
    }

    func send(request: [UInt8], to responderURL: String) async throws -> [UInt8] {
        let authority = state.withLock {
            $0.requests += 1
            return $0.authority
        }
        return OCSPResponder(authorities: [authority], validity: validity).respond(to: request, now: clock.now)
    }
}

@Suite struct OCSPClientTests {
    static let start = Date(timeIntervalSince1970: 1_790_000_000)

    static func client(_ pki: RevocationTestPKI, validity: TimeInterval = 3600) throws -> (OCSPClient, InMemoryOCSPTransport, ManualWallClock) {
        var database = CertificateDatabase()
        for leaf in pki.leaves.prefix(3) { try database.recordIssued(leaf) }
        let clock = ManualWallClock(start)
        let authority = try OCSPResponder.Authority(
            issuer: pki.subCA, signer: pki.responder, signerKey: pki.responderKey, database: database)
        let transport = InMemoryOCSPTransport(authority: authority, clock: clock, validity: validity)
        let counter = Mutex<UInt8>(0)
        let client = OCSPClient(
            transport: transport, now: { clock.now },
            makeNonce: { counter.withLock { $0 &+= 1; return Array(repeating: $0, count: 16) } })
        return (client, transport, clock)
    }

    @Test("[RFC5019-4] an answer is reused until nextUpdate, then fetched again and the new status seen")
    func cacheHonoursNextUpdate() async throws {
        let pki = try RevocationTestPKI(.p256)
        let (client, transport, clock) = try Self.client(pki)
        let leaf = pki.leaves[0]
        #expect(try await client.status(of: leaf, issuer: pki.subCA, responderURL: "mem").status == .good)
        #expect(transport.requests == 1)
        try transport.revoke(leaf.serialNumber, reason: .keyCompromise)
        clock.advance(by: 3599)
        #expect(try await client.status(of: leaf, issuer: pki.subCA, responderURL: "mem").status == .good)
        #expect(transport.requests == 1)
        #expect(await client.cacheHitCount == 1)
        clock.advance(by: 1)  // now == nextUpdate: stale
        let answer = try await client.status(of: leaf, issuer: pki.subCA, responderURL: "mem")
        guard case .revoked(_, let reason) = answer.status else {
            Issue.record("expected revoked, got \(answer.status)")
            return
        }
        #expect(reason == .keyCompromise)
        #expect(transport.requests == 2)
        #expect(await client.fetchCount == 2)
    }

    @Test("[RFC6960-4.1.1] entries are keyed by CertID: another certificate or hash algorithm is fetched separately")
    func keyedByCertID() async throws {
        let pki = try RevocationTestPKI(.p521)
        let (client, transport, _) = try Self.client(pki)
        _ = try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: "mem")
        #expect(try await client.status(of: pki.leaves[3], issuer: pki.subCA, responderURL: "mem").status == .unknown)
        let sha256 = try OCSPCertID(certificate: pki.leaves[0], issuer: pki.subCA, hashAlgorithm: .sha256)
        _ = try await client.status(of: sha256, issuer: pki.subCA, responderURL: "mem")
        _ = try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: "mem")
        #expect(transport.requests == 3)
        await client.clearCache()
        _ = try await client.status(of: pki.leaves[0], issuer: pki.subCA, responderURL: "mem")
        #expect(transport.requests == 4)
    }

    @Test("The client refuses a certificate of another issuer and reports an unauthorized answer as unavailable")
    func clientErrors() async throws {
        let pki = try RevocationTestPKI(.p256)
        let (client, _, _) = try Self.client(pki)
        await #expect(throws: V2GPKIError.self) {
            _ = try await client.status(of: pki.leaves[0], issuer: pki.otherCA, responderURL: "mem")
        }
        let foreign = try OCSPCertID(issuer: pki.otherCA, serialNumber: pki.leaves[0].serialNumber)
        do {
            _ = try await client.status(of: foreign, issuer: pki.otherCA, responderURL: "mem")
            Issue.record("an unauthorized answer was accepted")
        } catch let error as V2GPKIError {
            #expect(error.code == .revocationUnavailable)
            #expect(error.detail.contains("unauthorized"))
        }
    }

    @Test("[RFC5019-4] the cache keeps nothing without nextUpdate and stays within its capacity")
    func cacheBounds() throws {
        let pki = try RevocationTestPKI(.p256)
        var cache = OCSPCache(capacity: 2)
        let ids = try pki.leaves.map { try OCSPCertID(certificate: $0, issuer: pki.subCA) }
        func answer(_ i: Int, next: TimeInterval?) -> OCSPResponseVerifier.Answer {
            .init(certID: ids[i], status: .good, thisUpdate: Self.start, nextUpdate: next.map { Self.start.addingTimeInterval($0) }, producedAt: Self.start)
        }
        cache.store(answer(0, next: nil), now: Self.start)
        #expect(cache.count == 0)
        cache.store(answer(0, next: 100), now: Self.start)
        cache.store(answer(1, next: 50), now: Self.start)
        cache.store(answer(2, next: 200), now: Self.start)
        #expect(cache.count == 2)
        #expect(cache.answer(for: ids[1], now: Self.start) == nil)  // the earliest to expire was dropped
        #expect(cache.answer(for: ids[0], now: Self.start.addingTimeInterval(99)) != nil)
        #expect(cache.answer(for: ids[0], now: Self.start.addingTimeInterval(100)) == nil)
        cache.removeExpired(now: Self.start.addingTimeInterval(150))
        #expect(cache.count == 1)
    }
}
