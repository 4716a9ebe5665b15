import Foundation
import PnCTesting
import Testing
import X509

@testable import V2GPKI

/// openssl 3 as the peer: it writes requests (`-reqout`), we answer them, it verifies our answers (`-respin`).
@Suite(.enabled(if: OpenSSL.available, OpenSSL.skipNote))
struct OCSPOpenSSLTests {
    struct Setup {
        let pki: RevocationTestPKI
        let directory: TemporaryDirectory
        var dir: URL { directory.url }

        init(_ curve: RevocationTestPKI.Curve) throws {
            pki = try RevocationTestPKI(curve)
            directory = try TemporaryDirectory()
            try RevocationTestPKI.pem(pki.root).write(to: dir.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
            try RevocationTestPKI.pem(pki.subCA).write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
            for (i, leaf) in pki.leaves.enumerated() {
                try RevocationTestPKI.pem(leaf).write(
                    to: dir.appendingPathComponent("leaf\(i).pem"), atomically: true, encoding: .utf8)
            }
        }
    }

    @Test(
        "[RFC6960-4.2] openssl ocsp -respin verifies our signed answers (good, revoked with reason, unknown) for its own requests",
        arguments: RevocationTestPKI.Curve.allCases, [false, true])
    func opensslVerifiesOurResponses(curve: RevocationTestPKI.Curve, delegated: Bool) async throws {
        let setup = try Setup(curve)
        let now = Date()
        let authority = try OCSPResponder.Authority(
            issuer: setup.pki.subCA, signer: delegated ? setup.pki.responder : nil,
            signerKey: delegated ? setup.pki.responderKey : setup.pki.subCAKey,
            database: try setup.pki.database(revokedAt: now.addingTimeInterval(-3600)))
        let responder = OCSPResponder(authorities: [authority], validity: 3600)
        let expected = ["good", "revoked", "revoked", "unknown"]
        for digest in ["-sha1", "-sha256"] {
            for leaf in 0..<4 {
                let request = try await OpenSSL.run(
                    ["ocsp", "-issuer", "ca.pem", digest, "-cert", "leaf\(leaf).pem", "-reqout", "req.der"], in: setup.dir)
                #expect(request.status == 0, "\(request.output)")
                let requestBytes = Array(try Data(contentsOf: setup.dir.appendingPathComponent("req.der")))
                let parsed = try OCSPRequest(derBytes: requestBytes)
                #expect(parsed.nonce != nil)
                #expect(parsed.requests.first?.certID.hashAlgorithm == (digest == "-sha1" ? .sha1 : .sha256))
                try Data(responder.respond(to: requestBytes, now: now)).write(to: setup.dir.appendingPathComponent("resp.der"))
                let check = try await OpenSSL.run(
                    [
                        "ocsp", "-respin", "resp.der", "-issuer", "ca.pem", digest, "-cert", "leaf\(leaf).pem",
                        "-CAfile", "root.pem", "-no_nonce", "-resp_text",
                    ], in: setup.dir)
                #expect(check.status == 0, "\(check.output)")
                #expect(check.output.contains("Response verify OK"), "\(check.output)")
                #expect(check.output.contains("leaf\(leaf).pem: \(expected[leaf])"), "\(check.output)")
                #expect(check.output.contains("Next Update:"))
                #expect(check.output.contains("OCSP Nonce"))
                if leaf == 1 { #expect(check.output.contains("Reason: keyCompromise")) }
                if leaf == 2 { #expect(check.output.contains("Reason: cessationOfOperation")) }
            }
        }
    }

    @Test("[RFC6960-2.3] openssl reads our unauthorized and malformedRequest answers")
    func errorStatuses() async throws {
        let setup = try Setup(.p256)
        let authority = try OCSPResponder.Authority(
            issuer: setup.pki.subCA, signerKey: setup.pki.subCAKey, database: CertificateDatabase())
        let responder = OCSPResponder(authorities: [authority], validity: 600)
        let foreign = OCSPRequest(requests: [
            OCSPSingleRequest(certID: try OCSPCertID(issuer: setup.pki.otherCA, serialNumber: setup.pki.leaves[0].serialNumber))
        ])
        try Data(responder.respond(to: try foreign.derBytes(), now: Date())).write(to: setup.dir.appendingPathComponent("u.der"))
        let unauthorized = try await OpenSSL.run(["ocsp", "-respin", "u.der", "-resp_text", "-noverify"], in: setup.dir)
        #expect(unauthorized.output.contains("unauthorized (6)"), "\(unauthorized.output)")
        try Data(responder.respond(to: [0x30, 0x00], now: Date())).write(to: setup.dir.appendingPathComponent("m.der"))
        let malformed = try await OpenSSL.run(["ocsp", "-respin", "m.der", "-resp_text", "-noverify"], in: setup.dir)
        #expect(malformed.output.contains("malformedrequest (1)"), "\(malformed.output)")
    }

    @Test("[RFC6960-4.1] openssl parses the requests our client builds (CertID, nonce)")
    func opensslReadsOurRequests() async throws {
        let setup = try Setup(.p521)
        let certID = try OCSPCertID(certificate: setup.pki.leaves[1], issuer: setup.pki.subCA, hashAlgorithm: .sha256)
        let request = OCSPRequest(requests: [OCSPSingleRequest(certID: certID)], nonce: Array(repeating: 0xAB, count: 16))
        try Data(try request.derBytes()).write(to: setup.dir.appendingPathComponent("ours.der"))
        let text = try await OpenSSL.run(["ocsp", "-reqin", "ours.der", "-req_text"], in: setup.dir)
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("Hash Algorithm: sha256"))
        #expect(text.output.contains("Serial Number: 3002"))
        #expect(text.output.contains("OCSP Nonce"))
        #expect(text.output.uppercased().contains("ABABABAB"))
    }
}
