public import Crypto
import _CryptoExtras
import Foundation

/// The contract private key as the MO delivers it in CertificateInstallationRes / CertificateUpdateRes.
public struct EncryptedContractKey: Sendable, Hashable {
    /// ContractSignatureEncryptedPrivateKey: -2: IV (16) ‖ AES-128-CBC ciphertext (32) = 48 bytes;
    /// -20: IV (12) ‖ AES-GCM-256 ciphertext ‖ tag (16).
    public var encryptedPrivateKey: [UInt8]
    /// DHpublickey: the MO's ephemeral ECDH public key, uncompressed `04 ‖ X ‖ Y` (65 bytes for P-256, 133 for P-521).
    public var dhPublicKey: [UInt8]
    public init(encryptedPrivateKey: [UInt8], dhPublicKey: [UInt8]) {
        self.encryptedPrivateKey = encryptedPrivateKey
        self.dhPublicKey = dhPublicKey
    }
}

/// ISO 15118-2 contract-key delivery ([V2G2-818] .. [V2G2-820], §7.9.2.6).
///
/// ECDH P-256 between the MO's ephemeral key and the recipient's key (the OEM provisioning certificate's for
/// CertificateInstallation, the old contract certificate's for CertificateUpdate); ConcatKDF (NIST SP 800-56A
/// §5.8.1) with SHA-256, one round, keydatalen 128 bits, OtherInfo `01 55 56`; AES-128-CBC without padding over the
/// 32-byte private scalar; the IV is prepended.
public enum ISO2ContractKeyEncryption {
    /// OtherInfo of the ConcatKDF ([V2G2-818]): AlgorithmID 0x01, PartyUInfo 'U', PartyVInfo 'V'.
    public static let otherInfo: [UInt8] = [0x01, 0x55, 0x56]

    /// The AES-128 key: the first 16 bytes of SHA-256(00 00 00 01 ‖ Z ‖ OtherInfo).
    public static func sessionKey(sharedSecret z: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0, 0, 0, 1] as [UInt8])
        h.update(data: z)
        h.update(data: otherInfo)
        return Array(Array(h.finalize()).prefix(16))
    }

    /// Encrypts `contractKey` for `recipient` with the ephemeral key and IV the caller drew.
    public static func encrypt(
        contractKey: P256.Signing.PrivateKey,
        for recipient: P256.KeyAgreement.PublicKey,
        ephemeralKey: P256.KeyAgreement.PrivateKey,
        iv: [UInt8]
    ) throws(V2GSecurityError) -> EncryptedContractKey {
        guard iv.count == 16 else { throw .make(.invalidParameter, "IV is \(iv.count) bytes, not 16") }
        let z: [UInt8]
        do {
            let secret = try ephemeralKey.sharedSecretFromKeyAgreement(with: recipient)
            z = secret.withUnsafeBytes { Array($0) }
        } catch {
            throw .make(.malformedKey, "ECDH failed", cause: error)
        }
        let key = SymmetricKey(data: sessionKey(sharedSecret: z))
        let ciphertext: Data
        do {
            ciphertext = try AES._CBC.encrypt(
                Array(contractKey.rawRepresentation), using: key, iv: try AES._CBC.IV(ivBytes: iv), noPadding: true)
        } catch {
            throw .make(.invalidParameter, "AES-CBC failed", cause: error)
        }
        return EncryptedContractKey(
            encryptedPrivateKey: iv + Array(ciphertext),
            dhPublicKey: Array(ephemeralKey.publicKey.x963Representation)
        )
    }

    /// Decrypts a delivered contract key with the recipient's private key (OEM provisioning key or old contract key).
    public static func decrypt(
        _ package: EncryptedContractKey, with recipientKey: P256.KeyAgreement.PrivateKey
    ) throws(V2GSecurityError) -> P256.Signing.PrivateKey {
        guard package.encryptedPrivateKey.count == 48 else {
            throw .make(.decryptionFailed, "encrypted private key is \(package.encryptedPrivateKey.count) bytes, not 48")
        }
        guard package.dhPublicKey.count == 65, package.dhPublicKey.first == 0x04 else {
            throw .make(.malformedKey, "DHpublickey is not 65 bytes 04 ‖ X ‖ Y")
        }
        let peer: P256.KeyAgreement.PublicKey
        do { peer = try P256.KeyAgreement.PublicKey(x963Representation: package.dhPublicKey) } catch {
            throw .make(.malformedKey, "DHpublickey is not a point on P-256", cause: error)
        }
        let z: [UInt8]
        do {
            z = try recipientKey.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
        } catch {
            throw .make(.malformedKey, "ECDH failed", cause: error)
        }
        let key = SymmetricKey(data: sessionKey(sharedSecret: z))
        let iv = Array(package.encryptedPrivateKey.prefix(16))
        let body = Array(package.encryptedPrivateKey.dropFirst(16))
        let plain: Data
        do { plain = try AES._CBC.decrypt(body, using: key, iv: try AES._CBC.IV(ivBytes: iv), noPadding: true) } catch {
            throw .make(.decryptionFailed, "AES-CBC failed", cause: error)
        }
        do { return try P256.Signing.PrivateKey(rawRepresentation: plain) } catch {
            throw .make(.decryptionFailed, "decrypted bytes are not a P-256 private scalar", cause: error)
        }
    }
}

/// ISO 15118-20 contract-key delivery for SECP521 (SECP521_EncryptedPrivateKey, 94 bytes).
///
/// Layout IV (12) ‖ ciphertext (66) ‖ tag (16), AES-GCM-256, the private scalar left-padded to 66 bytes, AAD =
/// PCID (18 upper-case characters) ‖ contract certificate SKI as upper-case hex. ECDH on P-521 between the MO's
/// ephemeral key and the OEM provisioning key; DHPublicKey 133 bytes `04 ‖ X ‖ Y`.
///
/// Assumption (the -20 KDF text was not at hand): ConcatKDF per NIST SP 800-56A §5.8.1 with SHA-512, one round, the
/// first 32 bytes of SHA-512(00 00 00 01 ‖ Z ‖ OtherInfo) with the same OtherInfo `01 55 56` as -2. Change
/// ``ISO20ContractKeyEncryption/sessionKey(sharedSecret:)`` when the standard says otherwise.
public enum ISO20ContractKeyEncryption {
    public static let otherInfo: [UInt8] = [0x01, 0x55, 0x56]
    public static let encryptedLength = 94

    public static func sessionKey(sharedSecret z: [UInt8]) -> [UInt8] {
        var h = SHA512()
        h.update(data: [0, 0, 0, 1] as [UInt8])
        h.update(data: z)
        h.update(data: otherInfo)
        return Array(Array(h.finalize()).prefix(32))
    }

    /// The additional authenticated data: PCID ‖ upper-case hex of the contract certificate's SKI.
    public static func additionalData(pcid: String, contractSKI: [UInt8]) -> [UInt8] {
        let d = Array("0123456789ABCDEF")
        return Array(pcid.utf8) + Array(String(contractSKI.flatMap { [d[Int($0 >> 4)], d[Int($0 & 15)]] }).utf8)
    }

    public static func encrypt(
        contractKey: P521.Signing.PrivateKey,
        for recipient: P521.KeyAgreement.PublicKey,
        ephemeralKey: P521.KeyAgreement.PrivateKey,
        iv: [UInt8],
        additionalData: [UInt8]
    ) throws(V2GSecurityError) -> EncryptedContractKey {
        guard iv.count == 12 else { throw .make(.invalidParameter, "IV is \(iv.count) bytes, not 12") }
        do {
            let z = try ephemeralKey.sharedSecretFromKeyAgreement(with: recipient).withUnsafeBytes { Array($0) }
            let key = SymmetricKey(data: sessionKey(sharedSecret: z))
            let scalar = Array(contractKey.rawRepresentation)
            let padded = [UInt8](repeating: 0, count: max(0, 66 - scalar.count)) + scalar
            let box = try AES.GCM.seal(padded, using: key, nonce: try AES.GCM.Nonce(data: iv), authenticating: additionalData)
            return EncryptedContractKey(
                encryptedPrivateKey: iv + Array(box.ciphertext) + Array(box.tag),
                dhPublicKey: Array(ephemeralKey.publicKey.x963Representation)
            )
        } catch {
            throw .make(.invalidParameter, "encryption failed", cause: error)
        }
    }

    public static func decrypt(
        _ package: EncryptedContractKey, with recipientKey: P521.KeyAgreement.PrivateKey, additionalData: [UInt8]
    ) throws(V2GSecurityError) -> P521.Signing.PrivateKey {
        let e = package.encryptedPrivateKey
        guard e.count == encryptedLength else {
            throw .make(.decryptionFailed, "encrypted private key is \(e.count) bytes, not \(encryptedLength)")
        }
        guard package.dhPublicKey.count == 133, package.dhPublicKey.first == 0x04 else {
            throw .make(.malformedKey, "DHPublicKey is not 133 bytes 04 ‖ X ‖ Y")
        }
        let peer: P521.KeyAgreement.PublicKey
        do { peer = try P521.KeyAgreement.PublicKey(x963Representation: package.dhPublicKey) } catch {
            throw .make(.malformedKey, "DHPublicKey is not a point on P-521", cause: error)
        }
        let plain: Data
        do {
            let z = try recipientKey.sharedSecretFromKeyAgreement(with: peer).withUnsafeBytes { Array($0) }
            let key = SymmetricKey(data: sessionKey(sharedSecret: z))
            let box = try AES.GCM.SealedBox(
                nonce: try AES.GCM.Nonce(data: e.prefix(12)), ciphertext: e[12..<78], tag: e.suffix(16))
            plain = try AES.GCM.open(box, using: key, authenticating: additionalData)
        } catch {
            throw .make(.decryptionFailed, "AES-GCM failed", cause: error)
        }
        do { return try P521.Signing.PrivateKey(rawRepresentation: plain) } catch {
            throw .make(.decryptionFailed, "decrypted bytes are not a P-521 private scalar", cause: error)
        }
    }
}
