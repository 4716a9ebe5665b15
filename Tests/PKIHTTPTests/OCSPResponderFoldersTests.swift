import Foundation
import PKIHTTP
import SwiftASN1
import PnCTesting
import Testing
import V2GPKI
import X509

@Suite struct OCSPResponderFoldersTests {
    @Test("[RFC6960-2.2] one responder serves several CA folders, each signed by its own responder, and picks up revocations")
    func severalFolders() throws {
        let directory = try TemporaryDirectory()
        let p256 = try RevocationTestPKI(.p256)
        let p521 = try RevocationTestPKI(.p521)
        let revokedAt = Date(timeIntervalSince1970: 1_780_000_000)
        let a = directory.url.appendingPathComponent("cpo-p256")
        let b = directory.url.appendingPathComponent("cpo-p521")
        try p256.writeCAFolder(to: a, database: try p256.database(revokedAt: revokedAt), delegated: true)
        try p521.writeCAFolder(to: b, database: try p521.database(revokedAt: revokedAt), delegated: false)
        let folders = try OCSPResponderFolders(directories: [a, b], validity: 60)
        let now = Date(timeIntervalSince1970: 1_790_000_000)

        func ask(_ pki: RevocationTestPKI, _ leaf: Int) throws -> (OCSPResponseVerifier.Answer, BasicOCSPResponse) {
            let certID = try OCSPCertID(certificate: pki.leaves[leaf], issuer: pki.subCA, hashAlgorithm: .sha256)
            let bytes = folders.respond(
                to: try OCSPRequest(requests: [OCSPSingleRequest(certID: certID)]).derBytes(), now: now)
            let answer = try OCSPResponseVerifier.verify(
                responseBytes: bytes, certID: certID, issuer: pki.subCA, nonce: nil, now: now)
            return (answer, try #require(try OCSPResponse(derBytes: bytes).basicResponse))
        }
        let (first, firstBasic) = try ask(p256, 0)
        #expect(first.status == .good)
        #expect(firstBasic.certificates == [p256.responder])
        let (second, secondBasic) = try ask(p521, 1)
        #expect(second.status == .revoked(at: revokedAt, reason: .keyCompromise))
        #expect(secondBasic.certificates == [p521.subCA])

        try CertificateDatabaseFile(caDirectory: b).revoke(serial: p521.leaves[0].serialNumber, reason: .superseded, at: revokedAt)
        #expect(try ask(p521, 0).0.status == .revoked(at: revokedAt, reason: .superseded))
        #expect(try ask(p256, 0).0.status == .good)

        // A damaged database keeps the last good state rather than failing the responder.
        try Data("not json".utf8).write(to: b.appendingPathComponent("database.json"))
        #expect(try ask(p521, 0).0.status == .revoked(at: revokedAt, reason: .superseded))
    }

    @Test("A CA folder with a missing key or a key of another certificate is refused with a typed error")
    func badFolders() throws {
        let directory = try TemporaryDirectory()
        let pki = try RevocationTestPKI(.p256)
        let folder = directory.url.appendingPathComponent("ca")
        try pki.writeCAFolder(to: folder, database: CertificateDatabase(), delegated: false)
        try pki.rootKey.serializeAsPEM().pemString.write(
            to: folder.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        #expect((#expect(throws: V2GPKIError.self) { try RevocationCAFolder(directory: folder) })?.code == .invalidRequest)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("key.pem"))
        #expect((#expect(throws: V2GPKIError.self) { try RevocationCAFolder(directory: folder) })?.code == .missingFile)
        #expect(throws: V2GPKIError.self) {
            try OCSPResponderFolders(directories: [directory.url.appendingPathComponent("absent")], validity: 60)
        }
    }
}
