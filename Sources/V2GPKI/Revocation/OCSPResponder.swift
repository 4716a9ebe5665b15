public import Ed448
import Foundation
import SwiftASN1
import X509

/// An RFC 6960 OCSP responder for one or more CAs, as a pure function from a DER request, the CAs' databases and the
/// current time to a DER response.
///
/// - Malformed DER, an empty request list or a version other than v1 → `malformedRequest` (RFC 6960 §2.3).
/// - A CertID whose issuerNameHash/issuerKeyHash (SHA-1 or SHA-256) matches no CA served → `unauthorized`
///   (RFC 6960 §2.3; RFC 5019 §2.2.3). A request naming certificates of CAs with different responders is answered
///   the same way, because one response carries one signature.
/// - Otherwise `successful`: one SingleResponse per Request with good/revoked/unknown from the CA's database,
///   thisUpdate = now, nextUpdate = now + ``validity``, the request's nonce echoed (RFC 6960 §4.4.1) and the signer's
///   certificate in `certs`.
public struct OCSPResponder: Sendable {
    /// One CA the responder answers for.
    public struct Authority: Sendable {
        /// The CA certificate whose issued certificates are answered for (ECDSA, or Ed448 under ISO 15118-20).
        public let issuer: RevocationCertificate
        /// The certificate whose key signs responses: the CA itself, or a delegated responder issued by it with the
        /// id-kp-OCSPSigning extended key usage (RFC 6960 §4.2.2.2).
        public let signer: RevocationCertificate
        public let signerKey: RevocationSigningKey
        public var database: CertificateDatabase
        /// byKey (the RFC 5019 §2.2.3 choice) or byName.
        public var responderIDByName: Bool

        let nameHashes: [OCSPCertID.HashAlgorithm: [UInt8]]
        let keyHashes: [OCSPCertID.HashAlgorithm: [UInt8]]

        /// - Throws: ``V2GPKIError/Code-swift.struct/invalidRequest`` when the signer key does not match the signer
        ///   certificate, or a delegated signer is not issued by `issuer` or lacks id-kp-OCSPSigning.
        public init(
            issuer: Certificate, signer: Certificate? = nil, signerKey: Certificate.PrivateKey,
            database: CertificateDatabase, responderIDByName: Bool = false
        ) throws {
            try self.init(
                issuer: .certificate(issuer), signer: signer.map { .certificate($0) }, signerKey: .certificate(signerKey),
                database: database, responderIDByName: responderIDByName)
        }

        /// An Ed448 CA (ISO 15118-20) answered for by itself or by its delegated Ed448 responder.
        public init(
            issuer: Ed448Certificate, signer: Ed448Certificate? = nil, signerKey: Ed448.PrivateKey,
            database: CertificateDatabase, responderIDByName: Bool = false
        ) throws {
            try self.init(
                issuer: .ed448(issuer), signer: signer.map { .ed448($0) }, signerKey: .ed448(signerKey),
                database: database, responderIDByName: responderIDByName)
        }

        /// The same checks for any ``RevocationCertificate``.
        public init(
            issuer: RevocationCertificate, signer: RevocationCertificate? = nil, signerKey: RevocationSigningKey,
            database: CertificateDatabase, responderIDByName: Bool = false
        ) throws {
            let signer = signer ?? issuer
            guard signerKey.publicKey == signer.publicKey else {
                throw V2GPKIError.make(.invalidRequest, "the OCSP signing key does not belong to \(signer.subject)")
            }
            if signer != issuer {
                guard signer.issuer == issuer.subject, signer.isSigned(by: issuer.publicKey)
                else {
                    throw V2GPKIError.make(.invalidRequest, "OCSP responder \(signer.subject) is not issued by \(issuer.subject)")
                }
                guard OCSPResponseVerifier.hasOCSPSigningUsage(signer.extensions) else {
                    throw V2GPKIError.make(.invalidRequest, "OCSP responder \(signer.subject) lacks id-kp-OCSPSigning")
                }
            }
            self.issuer = issuer
            self.signer = signer
            self.signerKey = signerKey
            self.database = database
            self.responderIDByName = responderIDByName
            let name = try RevocationDER.derBytes(of: issuer.subject)
            let key = issuer.publicKey.subjectPublicKeyBits
            var nameHashes: [OCSPCertID.HashAlgorithm: [UInt8]] = [:]
            var keyHashes: [OCSPCertID.HashAlgorithm: [UInt8]] = [:]
            for algorithm in [OCSPCertID.HashAlgorithm.sha1, .sha256] {
                nameHashes[algorithm] = algorithm.hash(name)
                keyHashes[algorithm] = algorithm.hash(key)
            }
            self.nameHashes = nameHashes
            self.keyHashes = keyHashes
        }

        func matches(_ certID: OCSPCertID) -> Bool {
            guard let name = nameHashes[certID.hashAlgorithm], let key = keyHashes[certID.hashAlgorithm] else {
                return false
            }
            return name == certID.issuerNameHash && key == certID.issuerKeyHash
        }
    }

    public var authorities: [Authority]
    /// nextUpdate − thisUpdate of every answer.
    public var validity: TimeInterval

    public init(authorities: [Authority], validity: TimeInterval) {
        self.authorities = authorities
        self.validity = validity
    }

    /// Answers a DER request. Never throws: every failure is an OCSP error status.
    public func respond(to requestBytes: [UInt8], now: Date) -> [UInt8] {
        let response = self.response(to: requestBytes, now: now)
        if let bytes = try? response.derBytes() { return bytes }
        // Error responses are three constant fields; serializing them cannot fail.
        return (try? OCSPResponse(errorStatus: .internalError).derBytes()) ?? [0x30, 0x03, 0x0a, 0x01, 0x02]
    }

    /// Answers a DER request with a response value.
    public func response(to requestBytes: [UInt8], now: Date) -> OCSPResponse {
        guard let request = try? OCSPRequest(derBytes: requestBytes) else {
            return OCSPResponse(errorStatus: .malformedRequest)
        }
        return response(to: request, now: now)
    }

    /// Answers a parsed request.
    public func response(to request: OCSPRequest, now: Date) -> OCSPResponse {
        guard !request.requests.isEmpty else { return OCSPResponse(errorStatus: .malformedRequest) }
        var authority: Authority?
        for single in request.requests {
            guard let match = authorities.first(where: { $0.matches(single.certID) }) else {
                return OCSPResponse(errorStatus: .unauthorized)
            }
            if let chosen = authority, chosen.signer != match.signer { return OCSPResponse(errorStatus: .unauthorized) }
            authority = match
        }
        guard let authority else { return OCSPResponse(errorStatus: .malformedRequest) }

        let thisUpdate = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let nextUpdate = thisUpdate.addingTimeInterval(validity.rounded(.down))
        let responses = request.requests.map { single -> OCSPSingleResponse in
            let status: OCSPCertStatus
            switch authority.database.status(serial: single.certID.serialNumber) {
            case .good: status = .good
            case .unknown: status = .unknown
            case .revoked(let at, let reason): status = .revoked(at: at, reason: reason == .unspecified ? nil : reason)
            }
            return OCSPSingleResponse(
                certID: single.certID, status: status, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        }
        do {
            let responderID: OCSPResponderID =
                authority.responderIDByName
                ? .byName(authority.signer.subject) : .byKey(try OCSPResponderID.keyHash(of: authority.signer.publicKey))
            let data = OCSPResponseData(
                responderID: responderID, producedAt: thisUpdate, responses: responses,
                extensions: request.nonce.map { [$0] } ?? [])
            let basic = try BasicOCSPResponse(signing: data, with: authority.signerKey, certificates: [authority.signer])
            return OCSPResponse(basicResponse: basic)
        } catch {
            return OCSPResponse(errorStatus: .internalError)
        }
    }
}
