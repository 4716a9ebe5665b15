import Crypto
import Ed448
import SwiftASN1
import Testing
import X509
@testable import V2GPKI

/// PBES2 with AES-CBC has no integrity check: a wrong password passes the padding check about once in 256 tries and
/// yields bytes that are no key. That is still a wrong password, not a malformed file.
@Suite struct PrivateKeyPasswordTests {
    static let salt = [UInt8](repeating: 0x5A, count: 16)
    static let iv = [UInt8](repeating: 0xA5, count: 16)

    /// The first of `wrong-0`, `wrong-1`, … whose decryption of `pem` passes the padding check (bounded search).
    static func paddingPassingPassword(_ pem: String) throws -> String {
        let document = try PEMDocument(pemString: pem)
        for i in 0..<20_000 {
            let candidate = "wrong-\(i)"
            if (try? PrivateKeyFile.decryptPKCS8(document.derBytes, password: candidate)) != nil { return candidate }
        }
        throw V2GPKIError.make(.invalidRequest, "no padding-passing password among 20,000")
    }

    @Test("[RFC 8018 PBES2] a wrong password whose decryption passes the padding check is wrongPassword (EC key)")
    func ecKey() throws {
        let key = Certificate.PrivateKey(try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)))
        let pem = try PrivateKeyFile.pem(for: key, password: "right", salt: Self.salt, iv: Self.iv, iterations: 1)
        #expect(try PrivateKeyFile.load(pem: pem, password: "right") == key)
        let wrong = try Self.paddingPassingPassword(pem)
        do {
            _ = try PrivateKeyFile.load(pem: pem, password: wrong)
            Issue.record("opened with \(wrong)")
        } catch {
            #expect(error.code == .wrongPassword, "\(error)")
        }
    }

    @Test("[RFC 8018 PBES2, RFC 8410] a wrong password whose decryption passes the padding check is wrongPassword (Ed448 key)")
    func ed448Key() throws {
        let key = try Ed448.PrivateKey(seed: [UInt8](repeating: 9, count: 57))
        let pem = try PrivateKeyFile.pem(for: key, password: "right", salt: Self.salt, iv: Self.iv, iterations: 1)
        #expect(try PrivateKeyFile.loadEd448(pem: pem, password: "right") == key)
        let wrong = try Self.paddingPassingPassword(pem)
        do {
            _ = try PrivateKeyFile.loadEd448(pem: pem, password: wrong)
            Issue.record("opened with \(wrong)")
        } catch {
            #expect(error.code == .wrongPassword, "\(error)")
        }
    }
}
