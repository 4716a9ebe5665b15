import Foundation
import X509

/// An OCSP client: builds requests, verifies responses with ``OCSPResponseVerifier`` and caches answers until their
/// nextUpdate in an ``OCSPCache``.
///
/// Time and nonces come in as closures (the PKI layer reads no clock and draws no randomness itself).
public actor OCSPClient {
    private let transport: any OCSPTransport
    private let now: @Sendable () -> Date
    private let makeNonce: (@Sendable () -> [UInt8])?
    private let hashAlgorithm: OCSPCertID.HashAlgorithm
    private var cache: OCSPCache

    /// Requests sent to a responder (cache misses), for observability.
    public private(set) var fetchCount = 0
    /// Answers served from the cache.
    public private(set) var cacheHitCount = 0

    /// - Parameters:
    ///   - transport: how requests reach responders.
    ///   - now: the wall clock.
    ///   - makeNonce: returns 1 to 32 fresh random bytes per request (RFC 8954); nil sends no nonce.
    ///   - hashAlgorithm: the CertID hash (SHA-1 by default, as RFC 5019 clients send).
    ///   - cacheCapacity: the most answers kept.
    public init(
        transport: any OCSPTransport, now: @escaping @Sendable () -> Date,
        makeNonce: (@Sendable () -> [UInt8])?, hashAlgorithm: OCSPCertID.HashAlgorithm = .sha1,
        cacheCapacity: Int = 10_000
    ) {
        self.transport = transport
        self.now = now
        self.makeNonce = makeNonce
        self.hashAlgorithm = hashAlgorithm
        self.cache = OCSPCache(capacity: cacheCapacity)
    }

    /// The revocation status of `certificate`, issued by `issuer`, from the cache or from `responderURL`.
    /// - Throws: ``V2GPKIError`` from the transport (``V2GPKIError/Code-swift.struct/revocationUnavailable``) or
    ///   from verification.
    public func status(
        of certificate: Certificate, issuer: Certificate, responderURL: String
    ) async throws -> OCSPResponseVerifier.Answer {
        guard certificate.issuer == issuer.subject else {
            throw V2GPKIError.make(.invalidRequest, "\(certificate.subject) is not issued by \(issuer.subject)")
        }
        let certID = try OCSPCertID(certificate: certificate, issuer: issuer, hashAlgorithm: hashAlgorithm)
        return try await status(of: certID, issuer: issuer, responderURL: responderURL)
    }

    /// The revocation status of an Ed448 `certificate` (ISO 15118-20), issued by the Ed448 CA `issuer`; the answer
    /// must be signed with id-Ed448 by that CA or its delegated responder.
    public func status(
        of certificate: Ed448Certificate, issuer: Ed448Certificate, responderURL: String
    ) async throws -> OCSPResponseVerifier.Answer {
        guard certificate.issuer == issuer.subject else {
            throw V2GPKIError.make(.invalidRequest, "\(certificate.subject) is not issued by \(issuer.subject)")
        }
        let certID = try OCSPCertID(certificate: certificate, issuer: issuer, hashAlgorithm: hashAlgorithm)
        return try await status(of: certID, issuer: .ed448(issuer), responderURL: responderURL)
    }

    /// The status for a CertID of a certificate issued by `issuer`.
    public func status(
        of certID: OCSPCertID, issuer: Certificate, responderURL: String
    ) async throws -> OCSPResponseVerifier.Answer {
        try await status(of: certID, issuer: .certificate(issuer), responderURL: responderURL)
    }

    /// The status for a CertID of a certificate issued by `issuer`, ECDSA or Ed448.
    public func status(
        of certID: OCSPCertID, issuer: RevocationCertificate, responderURL: String
    ) async throws -> OCSPResponseVerifier.Answer {
        if let cached = cache.answer(for: certID, now: now()) {
            cacheHitCount += 1
            return cached
        }
        let nonce = makeNonce.map { OCSPNonce.makeExtension($0()) }
        var request = OCSPRequest(requests: [OCSPSingleRequest(certID: certID)])
        if let nonce { request.extensions = [nonce] }
        let requestBytes = try request.derBytes()
        fetchCount += 1
        let responseBytes: [UInt8]
        do {
            responseBytes = try await transport.send(request: requestBytes, to: responderURL)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw V2GPKIError.make(.revocationUnavailable, "OCSP responder \(responderURL): \(error)", cause: error)
        }
        let answer = try OCSPResponseVerifier.verify(
            responseBytes: responseBytes, certID: certID, issuer: issuer, nonce: nonce, now: now())
        cache.store(answer, now: now())
        return answer
    }

    /// Forgets every cached answer.
    public func clearCache() {
        cache = OCSPCache(capacity: cache.capacity)
    }
}
