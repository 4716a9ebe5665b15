import Crypto
import Testing
import V2GSecurity

@Suite("Contract private-key encryption")
struct ContractKeyEncryptionTests {
    static let oem = try! P256.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x31, count: 32))
    static let ephemeral = try! P256.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x32, count: 32))

    @Test("[V2G2-818] -2: ConcatKDF(SHA-256, 01 55 56) + AES-128-CBC; 48 bytes with the IV first, DHpublickey 65 bytes; round trip")
    func roundTrip() throws {
        let contract = try testKey(11)
        let iv: [UInt8] = Array(100..<116)
        let package = try ISO2ContractKeyEncryption.encrypt(
            contractKey: contract, for: Self.oem.publicKey, ephemeralKey: Self.ephemeral, iv: iv)
        #expect(package.encryptedPrivateKey.count == 48)
        #expect(Array(package.encryptedPrivateKey.prefix(16)) == iv)
        #expect(package.dhPublicKey.count == 65 && package.dhPublicKey.first == 0x04)
        #expect(package.dhPublicKey == Array(Self.ephemeral.publicKey.x963Representation))
        // The session key is the ConcatKDF output of the ECDH secret, as the recipient computes it.
        let z = try Self.oem.sharedSecretFromKeyAgreement(with: Self.ephemeral.publicKey).withUnsafeBytes { Array($0) }
        var h = SHA256()
        h.update(data: [0, 0, 0, 1] + z + [0x01, 0x55, 0x56])
        #expect(ISO2ContractKeyEncryption.sessionKey(sharedSecret: z) == Array(Array(h.finalize()).prefix(16)))
        let decrypted = try ISO2ContractKeyEncryption.decrypt(package, with: Self.oem)
        #expect(decrypted.rawRepresentation == contract.rawRepresentation)
        // Deterministic for fixed inputs (the randomness is the caller's).
        #expect(try ISO2ContractKeyEncryption.encrypt(contractKey: contract, for: Self.oem.publicKey, ephemeralKey: Self.ephemeral, iv: iv) == package)
    }

    @Test("[V2G2-818] -2: wrong recipient, wrong lengths, a point off the curve give typed errors")
    func failures() throws {
        let contract = try testKey(12)
        #expect { try ISO2ContractKeyEncryption.encrypt(contractKey: contract, for: Self.oem.publicKey, ephemeralKey: Self.ephemeral, iv: [1]) } throws: {
            ($0 as? V2GSecurityError)?.code == .invalidParameter
        }
        let package = try ISO2ContractKeyEncryption.encrypt(
            contractKey: contract, for: Self.oem.publicKey, ephemeralKey: Self.ephemeral, iv: Array(0..<16))
        let other = try P256.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x33, count: 32))
        if let wrong = try? ISO2ContractKeyEncryption.decrypt(package, with: other) {
            #expect(wrong.rawRepresentation != contract.rawRepresentation)
        }
        var short = package
        short.encryptedPrivateKey.removeLast()
        #expect { try ISO2ContractKeyEncryption.decrypt(short, with: Self.oem) } throws: {
            ($0 as? V2GSecurityError)?.code == .decryptionFailed
        }
        var offCurve = package
        offCurve.dhPublicKey[40] ^= 1
        #expect { try ISO2ContractKeyEncryption.decrypt(offCurve, with: Self.oem) } throws: {
            ($0 as? V2GSecurityError)?.code == .malformedKey
        }
        var compressed = package
        compressed.dhPublicKey = Array(compressed.dhPublicKey.prefix(33))
        #expect { try ISO2ContractKeyEncryption.decrypt(compressed, with: Self.oem) } throws: {
            ($0 as? V2GSecurityError)?.code == .malformedKey
        }
    }

    @Test("[V2G20-KEY] -20 SECP521: AES-GCM-256, IV ‖ ct ‖ tag = 94 bytes, AAD = PCID ‖ SKI hex; round trip; tampering fails")
    func iso20() throws {
        let oem = P521.KeyAgreement.PrivateKey()
        let contract = P521.Signing.PrivateKey()
        let aad = ISO20ContractKeyEncryption.additionalData(pcid: "WMIV1234567890ABCE", contractSKI: [0xAB, 0x01])
        #expect(String(decoding: aad, as: UTF8.self) == "WMIV1234567890ABCEAB01")
        let package = try ISO20ContractKeyEncryption.encrypt(
            contractKey: contract, for: oem.publicKey, ephemeralKey: P521.KeyAgreement.PrivateKey(), iv: Array(0..<12),
            additionalData: aad)
        #expect(package.encryptedPrivateKey.count == 94 && package.dhPublicKey.count == 133)
        let decrypted = try ISO20ContractKeyEncryption.decrypt(package, with: oem, additionalData: aad)
        #expect(decrypted.rawRepresentation == contract.rawRepresentation)
        #expect { try ISO20ContractKeyEncryption.decrypt(package, with: oem, additionalData: aad + [0x30]) } throws: {
            ($0 as? V2GSecurityError)?.code == .decryptionFailed
        }
        var flipped = package
        flipped.encryptedPrivateKey[20] ^= 0x80
        #expect { try ISO20ContractKeyEncryption.decrypt(flipped, with: oem, additionalData: aad) } throws: {
            ($0 as? V2GSecurityError)?.code == .decryptionFailed
        }
    }
}
