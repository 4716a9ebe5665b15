import Ed448
import Foundation
import NIOCore
import PKIHTTP
import PnCTesting
import SwiftASN1
import Testing
import V2GPKI
import X509

/// OCSP for an ISO 15118-20 Ed448 PKI: `pnc pki init --algorithm ed448` folders served by ``OCSPResponderFolders``
/// over HTTP on 127.0.0.1, answers signed with id-Ed448 (RFC 8410) by the CA or its delegated Ed448 responder.
@Suite(.serialized) struct Ed448OCSPTests {
    struct PKI {
        let directory: TemporaryDirectory
        let pki: PKIDirectory
        let caDirectory: URL
        let subCA2: Ed448Certificate
        let good: Ed448Certificate
        let revoked: Ed448Certificate
        let revokedAt: Date
    }

    /// An Ed448 PKI with one more SECC leaf, revoked (keyCompromise), and PEM files for openssl.
    static func makePKI() throws -> PKI {
        let directory = try TemporaryDirectory()
        let root = directory.url.appendingPathComponent("pki").path
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1000
        let pki = try PKIDirectory.create(
            at: root,
            configuration: .init(
                profile: .iso15118_20, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl",
                keyAlgorithm: .ed448),
            password: "pw", options: options)
        var rng = SystemRandomNumberGenerator()
        let revoked = try pki.issueEd448Leaf(
            name: "secc-revoked", role: .secc, commonName: "DE*OPC*E9", validityDays: 30, now: Date(), using: &rng)
        let caDirectory = URL(fileURLWithPath: pki.caDirectory(.cpoSubCA2))
        let revokedAt = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 600)
        try CertificateDatabaseFile(caDirectory: caDirectory).revoke(
            serial: revoked.serialNumber, reason: .keyCompromise, at: revokedAt)
        let good = try CertificateFile.ed448Certificates(atPath: "\(pki.leafDirectory("secc"))/cert.pem")[0]
        let subCA2 = try CertificateFile.ed448Certificates(atPath: "\(caDirectory.path)/cert.pem")[0]
        let subCA1 = try CertificateFile.ed448Certificates(atPath: "\(pki.caDirectory(.cpoSubCA1))/cert.pem")[0]
        func write(_ certificates: [Ed448Certificate], _ name: String) throws {
            try (certificates.map(\.pemString).joined(separator: "\n") + "\n").write(
                to: directory.url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write([subCA2], "subca.pem")
        try write([subCA2, subCA1] + (try pki.ed448Roots()), "cas.pem")
        try write([good], "good.pem")
        try write([revoked], "revoked.pem")
        return PKI(
            directory: directory, pki: pki, caDirectory: caDirectory, subCA2: subCA2, good: good, revoked: revoked,
            revokedAt: revokedAt)
    }

    /// Serves the CPO Sub-CA 2 folder on an ephemeral port while `body` runs.
    static func withResponder(_ pki: PKI, _ body: (String) async throws -> Void) async throws {
        let folders = try OCSPResponderFolders(directories: [pki.caDirectory], validity: 900, password: "pw")
        let server = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            folders.respond(to: request, now: Date())
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body("http://127.0.0.1:\(server.port)")
        }
    }

    @Test("[RFC 6960, RFC 8410, ISO 15118-20] our OCSP client verifies the Ed448-signed answers of our responder for an Ed448 CA folder (delegated Ed448 responder): good, and revoked with time and reason")
    func ourClient() async throws {
        let pki = try Self.makePKI()
        try await Self.withResponder(pki) { url in
            let client = OCSPClient(
                transport: OCSPHTTPTransport(timeout: .seconds(10)), now: { Date() },
                makeNonce: { (0..<16).map { _ in UInt8.random(in: 0...255) } })
            let good = try await client.status(of: pki.good, issuer: pki.subCA2, responderURL: url)
            #expect(good.status == .good)
            let revoked = try await client.status(of: pki.revoked, issuer: pki.subCA2, responderURL: url)
            #expect(revoked.status == .revoked(at: pki.revokedAt, reason: .keyCompromise))
            // The response is signed by the delegated Ed448 responder and carries its certificate.
            let certID = try OCSPCertID(certificate: pki.good, issuer: pki.subCA2)
            let folders = try OCSPResponderFolders(directories: [pki.caDirectory], validity: 900, password: "pw")
            let bytes = folders.respond(
                to: try OCSPRequest(requests: [OCSPSingleRequest(certID: certID)]).derBytes(), now: Date())
            let basic = try #require(try OCSPResponse(derBytes: bytes).basicResponse)
            let responder = try CertificateFile.ed448Certificates(atPath: "\(pki.caDirectory.path)/ocsp/cert.pem")[0]
            #expect(basic.embeddedCertificates == [.ed448(responder)])
            #expect(basic.isSignature(validFor: .ed448(responder.publicKey)))
            #expect(!basic.isSignature(validFor: .ed448(pki.subCA2.publicKey)))
        }
    }

    @Test("[RFC 6960 §3.2, RFC 8410] an Ed448 CA signing its own answers verifies; a flipped signature bit is badSignature; an answer signed by another Ed448 CA is refused")
    func caSignedAndForged() throws {
        let pki = try Self.makePKI()
        let key = try PrivateKeyFile.loadEd448(path: "\(pki.caDirectory.path)/key.pem", password: "pw")
        let database = try CertificateDatabaseFile(caDirectory: pki.caDirectory).load()
        let responder = OCSPResponder(
            authorities: [try OCSPResponder.Authority(issuer: pki.subCA2, signerKey: key, database: database)],
            validity: 600)
        let now = Date()
        let certID = try OCSPCertID(certificate: pki.revoked, issuer: pki.subCA2, hashAlgorithm: .sha256)
        let request = try OCSPRequest(requests: [OCSPSingleRequest(certID: certID)]).derBytes()
        let bytes = responder.respond(to: request, now: now)
        let answer = try OCSPResponseVerifier.verify(
            responseBytes: bytes, certID: certID, issuer: pki.subCA2, nonce: nil, now: now)
        #expect(answer.status == .revoked(at: pki.revokedAt, reason: .keyCompromise))
        // One bit of the 114-byte id-Ed448 signature flipped.
        let basic = try #require(try OCSPResponse(derBytes: bytes).basicResponse)
        #expect(basic.signature.bytes.count == Ed448.signatureLength)
        var forged = bytes
        let signatureStart = try #require(forged.firstRange(of: Array(basic.signature.bytes)))
        forged[signatureStart.lowerBound + 7] ^= 0x01
        do {
            _ = try OCSPResponseVerifier.verify(responseBytes: forged, certID: certID, issuer: pki.subCA2, nonce: nil, now: now)
            Issue.record("a forged Ed448 signature verified")
        } catch let error as V2GPKIError {
            #expect(error.code == .badSignature)
        }
        // Another Ed448 CA's key under the same name is refused.
        var rng = SystemRandomNumberGenerator()
        #expect(throws: V2GPKIError.self) {
            _ = try OCSPResponder.Authority(issuer: pki.subCA2, signerKey: Ed448.PrivateKey(using: &rng), database: database)
        }
        let otherCA = try CertificateFile.ed448Certificates(atPath: "\(pki.pki.caDirectory(.cpoSubCA1))/cert.pem")[0]
        do {
            _ = try OCSPResponseVerifier.verify(responseBytes: bytes, certID: certID, issuer: otherCA, nonce: nil, now: now)
            Issue.record("an answer from CPO Sub-CA 2 verified as CPO Sub-CA 1's")
        } catch let error as V2GPKIError {
            #expect(error.code == .responseMismatch || error.code == .badSignature)
        }
    }

    @Test(
        "[RFC 6960 A.1, RFC 8410] openssl ocsp -url verifies the Ed448-signed answers of our responder for an Ed448 PKI: good, revoked keyCompromise",
        .enabled(if: OpenSSL.available, OpenSSL.skipNote))
    func opensslClient() async throws {
        let pki = try Self.makePKI()
        try await Self.withResponder(pki) { url in
            let result = try await OpenSSL.run(
                [
                    "ocsp", "-issuer", "subca.pem", "-cert", "good.pem", "-cert", "revoked.pem", "-url", url,
                    "-CAfile", "cas.pem", "-resp_text",
                ], in: pki.directory.url)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("Response verify OK"), "\(result.output)")
            #expect(result.output.contains("ED448"), "\(result.output)")
            #expect(result.output.contains("good.pem: good"))
            #expect(result.output.contains("revoked.pem: revoked"))
            #expect(result.output.contains("Reason: keyCompromise"))
            // With only the root trusted and a wrong responder CA, verification fails.
            let wrong = try await OpenSSL.run(
                ["ocsp", "-issuer", "subca.pem", "-cert", "good.pem", "-url", url, "-CAfile", "good.pem"],
                in: pki.directory.url)
            #expect(!wrong.output.contains("Response verify OK"), "\(wrong.output)")
        }
    }
}
