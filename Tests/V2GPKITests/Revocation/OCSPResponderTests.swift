import Foundation
import SwiftASN1
import PnCTesting
import Testing
import X509

@testable import V2GPKI

@Suite struct OCSPResponderTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)
    static let revokedAt = Date(timeIntervalSince1970: 1_780_000_000)

    static func responder(_ pki: RevocationTestPKI, delegated: Bool, byName: Bool = false) throws -> OCSPResponder {
        let authority = try OCSPResponder.Authority(
            issuer: pki.subCA, signer: delegated ? pki.responder : nil,
            signerKey: delegated ? pki.responderKey : pki.subCAKey, database: try pki.database(revokedAt: revokedAt),
            responderIDByName: byName)
        return OCSPResponder(authorities: [authority], validity: 3600)
    }

    static func ask(
        _ responder: OCSPResponder, _ pki: RevocationTestPKI, leaf: Int, hash: OCSPCertID.HashAlgorithm = .sha1,
        nonce: [UInt8]? = Array(repeating: 7, count: 16)
    ) throws -> (OCSPCertID, Certificate.Extension?, [UInt8]) {
        let certID = try OCSPCertID(certificate: pki.leaves[leaf], issuer: pki.subCA, hashAlgorithm: hash)
        let request = OCSPRequest(requests: [OCSPSingleRequest(certID: certID)], nonce: nonce)
        return (certID, request.nonce, responder.respond(to: try request.derBytes(), now: now))
    }

    @Test(
        "[RFC6960-2.2] good, revoked with reason and unknown, signed by the CA or a delegated responder, P-256 and P-521",
        arguments: RevocationTestPKI.Curve.allCases, [false, true])
    func statuses(curve: RevocationTestPKI.Curve, delegated: Bool) throws {
        let pki = try RevocationTestPKI(curve)
        let responder = try Self.responder(pki, delegated: delegated)
        let expected: [OCSPCertStatus] = [
            .good, .revoked(at: Self.revokedAt, reason: .keyCompromise),
            .revoked(at: Self.revokedAt, reason: .cessationOfOperation), .unknown,
        ]
        for (leaf, status) in expected.enumerated() {
            for hash in [OCSPCertID.HashAlgorithm.sha1, .sha256] {
                let (certID, nonce, bytes) = try Self.ask(responder, pki, leaf: leaf, hash: hash)
                let answer = try OCSPResponseVerifier.verify(
                    responseBytes: bytes, certID: certID, issuer: pki.subCA, nonce: nonce, now: Self.now)
                #expect(answer.status == status)
                #expect(answer.thisUpdate == Self.now)
                #expect(answer.nextUpdate == Self.now.addingTimeInterval(3600))
                let basic = try #require(try OCSPResponse(derBytes: bytes).basicResponse)
                #expect(basic.certificates == [delegated ? pki.responder : pki.subCA])
                #expect(basic.responseData.responderID == .byKey(try OCSPResponderID.keyHash(of: basic.certificates[0].publicKey)))
                #expect(basic.isSignature(validFor: (delegated ? pki.responder : pki.subCA).publicKey))
                #expect(!basic.isSignature(validFor: pki.otherCA.publicKey))
            }
        }
    }

    @Test("[RFC6960-4.2.1] responderID byName names the signer and verifies")
    func byName() throws {
        let pki = try RevocationTestPKI(.p256)
        let responder = try Self.responder(pki, delegated: true, byName: true)
        let (certID, nonce, bytes) = try Self.ask(responder, pki, leaf: 0)
        let basic = try #require(try OCSPResponse(derBytes: bytes).basicResponse)
        #expect(basic.responseData.responderID == .byName(pki.responder.subject))
        #expect(
            try OCSPResponseVerifier.verify(
                responseBytes: bytes, certID: certID, issuer: pki.subCA, nonce: nonce, now: Self.now
            ).status == .good)
    }

    @Test("[RFC6960-2.3] a request about an issuer the responder does not serve gets unauthorized")
    func unauthorized() throws {
        let pki = try RevocationTestPKI(.p256)
        let responder = try Self.responder(pki, delegated: true)
        for issuer in [pki.otherCA, pki.root] {
            let certID = try OCSPCertID(issuer: issuer, serialNumber: pki.leaves[0].serialNumber)
            let request = OCSPRequest(requests: [OCSPSingleRequest(certID: certID)])
            let response = try OCSPResponse(derBytes: responder.respond(to: try request.derBytes(), now: Self.now))
            #expect(response.status == .unauthorized)
            #expect(response.basicResponse == nil)
            #expect(
                throws: V2GPKIError.self,
                performing: {
                    try OCSPResponseVerifier.verify(
                        responseBytes: try response.derBytes(), certID: certID, issuer: issuer, nonce: nil,
                        now: Self.now)
                })
        }
        // One served and one foreign CertID in the same request: one signature cannot cover both.
        let mixed = OCSPRequest(requests: [
            OCSPSingleRequest(certID: try OCSPCertID(certificate: pki.leaves[0], issuer: pki.subCA)),
            OCSPSingleRequest(certID: try OCSPCertID(issuer: pki.otherCA, serialNumber: pki.leaves[0].serialNumber)),
        ])
        #expect(try OCSPResponse(derBytes: responder.respond(to: try mixed.derBytes(), now: Self.now)).status == .unauthorized)
        // A hash algorithm other than SHA-1/SHA-256 cannot be matched to an issuer.
        var md5 = try OCSPCertID(certificate: pki.leaves[0], issuer: pki.subCA)
        md5.hashAlgorithm = .other([1, 2, 840, 113549, 2, 5])
        let odd = OCSPRequest(requests: [OCSPSingleRequest(certID: md5)])
        #expect(try OCSPResponse(derBytes: responder.respond(to: try odd.derBytes(), now: Self.now)).status == .unauthorized)
    }

    @Test(
        "[RFC6960-2.3] garbage, truncated, empty and wrong-version requests get malformedRequest",
        arguments: [
            [], [0x00], [0x30, 0x00], [0x30, 0x02, 0x30, 0x00], [0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            Array("GET / HTTP/1.1\r\n".utf8), [0x30, 0x05, 0x30, 0x03, 0x30, 0x01, 0x00],
        ] as [[UInt8]])
    func malformed(bytes: [UInt8]) throws {
        let pki = try RevocationTestPKI(.p256)
        let responder = try Self.responder(pki, delegated: false)
        let response = try OCSPResponse(derBytes: responder.respond(to: bytes, now: Self.now))
        #expect(response.status == .malformedRequest)
        #expect(try response.derBytes() == [0x30, 0x03, 0x0a, 0x01, 0x01])
    }

    @Test("[RFC6960-4.4.1] the nonce is echoed; a response whose nonce differs is rejected")
    func nonce() throws {
        let pki = try RevocationTestPKI(.p256)
        let responder = try Self.responder(pki, delegated: false)
        let (certID, nonce, bytes) = try Self.ask(responder, pki, leaf: 0, nonce: Array(1...32))
        let basic = try #require(try OCSPResponse(derBytes: bytes).basicResponse)
        #expect(basic.responseData.nonce == nonce)
        let other = OCSPNonce.makeExtension(Array(repeating: 9, count: 32))
        let error = #expect(throws: V2GPKIError.self) {
            try OCSPResponseVerifier.verify(
                responseBytes: bytes, certID: certID, issuer: pki.subCA, nonce: other, now: Self.now)
        }
        #expect(error?.code == .responseMismatch)
        // No nonce in the request: none in the response.
        let (_, _, plain) = try Self.ask(responder, pki, leaf: 0, nonce: nil)
        #expect(try #require(try OCSPResponse(derBytes: plain).basicResponse).responseData.extensions.isEmpty)
    }

    @Test("[RFC6960-3.2] the verifier rejects stale answers, future answers, foreign CertIDs and unauthorised signers")
    func verifierRejections() throws {
        let pki = try RevocationTestPKI(.p256)
        let responder = try Self.responder(pki, delegated: true)
        let (certID, nonce, bytes) = try Self.ask(responder, pki, leaf: 0)
        func code(_ body: () throws -> Void) -> V2GPKIError.Code? {
            do { try body(); return nil } catch let error as V2GPKIError { return error.code } catch { return nil }
        }
        #expect(code { _ = try OCSPResponseVerifier.verify(responseBytes: bytes, certID: certID, issuer: pki.subCA, nonce: nonce, now: Self.now.addingTimeInterval(7200)) } == .responseMismatch)
        #expect(code { _ = try OCSPResponseVerifier.verify(responseBytes: bytes, certID: certID, issuer: pki.subCA, nonce: nonce, now: Self.now.addingTimeInterval(-3600)) } == .responseMismatch)
        let other = try OCSPCertID(certificate: pki.leaves[1], issuer: pki.subCA)
        #expect(code { _ = try OCSPResponseVerifier.verify(responseBytes: bytes, certID: other, issuer: pki.subCA, nonce: nonce, now: Self.now) } == .responseMismatch)
        // The same response presented as coming from another CA: its delegated signer is not certified by that CA.
        #expect(code { _ = try OCSPResponseVerifier.verify(responseBytes: bytes, certID: certID, issuer: pki.otherCA, nonce: nonce, now: Self.now) } == .responseMismatch)

        // A responder certificate without id-kp-OCSPSigning cannot be configured, nor accepted by the verifier.
        #expect(throws: V2GPKIError.self) {
            try OCSPResponder.Authority(
                issuer: pki.subCA, signer: pki.leaves[0], signerKey: try RevocationTestPKI.key("leaf0", .p256),
                database: CertificateDatabase())
        }
        let data = OCSPResponseData(
            responderID: .byKey(try OCSPResponderID.keyHash(of: pki.leaves[0].publicKey)), producedAt: Self.now,
            responses: [OCSPSingleResponse(certID: certID, status: .good, thisUpdate: Self.now, nextUpdate: nil)])
        let forged = OCSPResponse(
            basicResponse: try BasicOCSPResponse(
                signing: data, with: try RevocationTestPKI.key("leaf0", .p256), certificates: [pki.leaves[0]]))
        #expect(code { _ = try OCSPResponseVerifier.verify(responseBytes: try forged.derBytes(), certID: certID, issuer: pki.subCA, nonce: nil, now: Self.now) } == .responseMismatch)
        // Signed by a key other than the one the responder ID names.
        let wrongKey = OCSPResponse(
            basicResponse: try BasicOCSPResponse(
                signing: OCSPResponseData(
                    responderID: .byName(pki.subCA.subject), producedAt: Self.now, responses: data.responses),
                with: pki.otherCAKey, certificates: []))
        #expect(code { _ = try OCSPResponseVerifier.verify(responseBytes: try wrongKey.derBytes(), certID: certID, issuer: pki.subCA, nonce: nil, now: Self.now) } == .badSignature)
    }

    @Test("[RFC6960-4.1.1] requests and responses re-encode to the same bytes")
    func roundTrip() throws {
        let pki = try RevocationTestPKI(.p521)
        let responder = try Self.responder(pki, delegated: true)
        let certIDs = try pki.leaves.map { try OCSPCertID(certificate: $0, issuer: pki.subCA, hashAlgorithm: .sha256) }
        let request = OCSPRequest(requests: certIDs.map { OCSPSingleRequest(certID: $0) }, nonce: [1, 2, 3])
        let requestBytes = try request.derBytes()
        #expect(try OCSPRequest(derBytes: requestBytes) == request)
        let bytes = responder.respond(to: requestBytes, now: Self.now)
        let response = try OCSPResponse(derBytes: bytes)
        #expect(try response.derBytes() == bytes)
        let statuses = try #require(response.basicResponse).responseData.responses.map(\.status)
        #expect(statuses == [
            .good, .revoked(at: Self.revokedAt, reason: .keyCompromise),
            .revoked(at: Self.revokedAt, reason: .cessationOfOperation), .unknown,
        ])
    }
}
