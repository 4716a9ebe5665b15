public import Ed448
import Foundation
public import X509
import Crypto
import CryptoExtras
import SwiftASN1

/// Reads and writes private keys as PEM: encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2 and AES-CBC,
/// RFC 8018), plain PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`), and OpenSSL's legacy encrypted SEC1
/// (`Proc-Type: 4,ENCRYPTED` + `DEK-Info: AES-128-CBC`, as Josev's and EVerest's scripts write).
///
/// Errors never carry key material: a wrong password is `.wrongPassword`, anything else `.malformedEncoding`.
public enum PrivateKeyFile {
    /// PBKDF2 iterations for keys we write (OpenSSL 3's default for `pkcs8 -topk8 -v2 aes256` is 2048; we use more).
    public static let defaultIterations = 100_000

    static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
    static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
    static let hmacWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 7]
    static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
    static let hmacWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 10]
    static let hmacWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 11]
    static let aes128CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 2]
    static let aes192CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 22]
    static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]

    /// PEM of `key`: encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) when `password` is given, else PKCS#8.
    ///
    /// - Parameters:
    ///   - salt: 16 random bytes; `iv`: 16 random bytes (randomness is the caller's).
    public static func pem(
        for key: Certificate.PrivateKey, password: String?, salt: [UInt8], iv: [UInt8],
        iterations: Int = defaultIterations
    ) throws(V2GPKIError) -> String {
        let pkcs8: [UInt8]
        do { pkcs8 = try key.serializeAsPEM().derBytes } catch {
            throw .make(.unsupportedAlgorithm, "the key cannot be serialised as PKCS#8", cause: error)
        }
        return try pem(pkcs8: pkcs8, password: password, salt: salt, iv: iv, iterations: iterations)
    }

    /// PEM of an Ed448 key as RFC 8410 PKCS#8 (OneAsymmetricKey v1, id-Ed448, CurvePrivateKey = the 57-byte seed),
    /// encrypted as ``pem(for:password:salt:iv:iterations:)`` does when `password` is given.
    public static func pem(
        for key: Ed448.PrivateKey, password: String?, salt: [UInt8], iv: [UInt8], iterations: Int = defaultIterations
    ) throws(V2GPKIError) -> String {
        var serializer = DER.Serializer()
        do {
            try serializer.appendConstructedNode(identifier: .sequence) { k in
                try k.serialize(0)
                try k.appendConstructedNode(identifier: .sequence) { try $0.serialize(Ed448Certificate.oid) }
                var inner = DER.Serializer()
                try inner.serialize(ASN1OctetString(contentBytes: key.seed[...]))
                try k.serialize(ASN1OctetString(contentBytes: inner.serializedBytes[...]))
            }
        } catch {
            throw .make(.invalidRequest, "cannot encode the Ed448 key", cause: error)
        }
        return try pem(pkcs8: serializer.serializedBytes, password: password, salt: salt, iv: iv, iterations: iterations)
    }

    /// Reads an Ed448 private key: RFC 8410 PKCS#8, plain (`PRIVATE KEY`) or encrypted (`ENCRYPTED PRIVATE KEY`).
    public static func loadEd448(pem text: String, password: String?) throws(V2GPKIError) -> Ed448.PrivateKey {
        let document: PEMDocument
        do { document = try PEMDocument(pemString: text) } catch {
            throw .make(.malformedEncoding, "not a PEM private key (armour or base64 broken)", cause: error)
        }
        let der: [UInt8]
        switch document.discriminator {
        case "ENCRYPTED PRIVATE KEY":
            guard let password else { throw .make(.wrongPassword, "the key is encrypted and no password was given") }
            let decrypted = try decryptPKCS8(document.derBytes, password: password)
            do { return try ed448Key(pkcs8: decrypted) } catch where error.code == .malformedEncoding {
                // AES-CBC has no integrity check: a wrong password yields valid padding about once in 256 tries,
                // and then bytes that are no key.
                throw .make(.wrongPassword, "the decrypted key does not parse (wrong password?)", cause: error)
            }
        case "PRIVATE KEY":
            der = document.derBytes
        default:
            throw .make(.malformedEncoding, "PEM type \(document.discriminator) is not a PKCS#8 private key")
        }
        return try ed448Key(pkcs8: der)
    }

    /// Reads an Ed448 private key file.
    public static func loadEd448(path: String, password: String?) throws(V2GPKIError) -> Ed448.PrivateKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw .make(.missingFile, "cannot read \(path)") }
        return try loadEd448(pem: String(decoding: data, as: UTF8.self), password: password)
    }

    static func ed448Key(pkcs8 der: [UInt8]) throws(V2GPKIError) -> Ed448.PrivateKey {
        let seed: [UInt8]
        do {
            let root = try DER.parse(der)
            guard case .constructed(let items) = root.content, root.identifier == .sequence else {
                throw ASN1Error.unexpectedFieldType(root.identifier)
            }
            var i = items.makeIterator()
            guard let versionNode = i.next(), let algorithmNode = i.next(), let keyNode = i.next() else {
                throw ASN1Error.invalidASN1Object(reason: "OneAsymmetricKey")
            }
            let version = try Int(derEncoded: versionNode)
            guard version == 0 || version == 1 else { throw ASN1Error.invalidASN1Object(reason: "OneAsymmetricKey version") }
            guard Ed448Certificate.isEd448AlgorithmIdentifier(algorithmNode) else {
                throw V2GPKIError.make(.unsupportedAlgorithm, "the PKCS#8 key is not id-Ed448")
            }
            let wrapped = try ASN1OctetString(derEncoded: keyNode)
            seed = Array(try ASN1OctetString(derEncoded: DER.parse(wrapped.bytes)).bytes)
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "the PKCS#8 Ed448 key does not parse", cause: error)
        }
        do { return try Ed448.PrivateKey(seed: seed) } catch {
            throw .make(.malformedEncoding, "the Ed448 key is \(seed.count) octets, not 57")
        }
    }

    static func pem(
        pkcs8: [UInt8], password: String?, salt: [UInt8], iv: [UInt8], iterations: Int
    ) throws(V2GPKIError) -> String {
        guard let password else { return PEMDocument(type: "PRIVATE KEY", derBytes: pkcs8).pemString }
        guard salt.count >= 8, iv.count == 16 else { throw .make(.invalidRequest, "PBES2 needs an 8+ byte salt and a 16-byte IV") }
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: iterations
            )
            let encrypted = try AES._CBC.encrypt(pkcs8, using: key, iv: AES._CBC.IV(ivBytes: iv))
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { epki in
                try epki.appendConstructedNode(identifier: .sequence) { alg in
                    try alg.serialize(pbes2)
                    try alg.appendConstructedNode(identifier: .sequence) { params in
                        try params.appendConstructedNode(identifier: .sequence) { kdf in
                            try kdf.serialize(pbkdf2)
                            try kdf.appendConstructedNode(identifier: .sequence) { p in
                                try p.serialize(ASN1OctetString(contentBytes: salt[...]))
                                try p.serialize(iterations)
                                try p.appendConstructedNode(identifier: .sequence) { prf in
                                    try prf.serialize(hmacWithSHA256)
                                    try prf.serialize(ASN1Null())
                                }
                            }
                        }
                        try params.appendConstructedNode(identifier: .sequence) { enc in
                            try enc.serialize(aes256CBC)
                            try enc.serialize(ASN1OctetString(contentBytes: iv[...]))
                        }
                    }
                }
                try epki.serialize(ASN1OctetString(contentBytes: ArraySlice(encrypted)))
            }
            return PEMDocument(type: "ENCRYPTED PRIVATE KEY", derBytes: serializer.serializedBytes).pemString
        } catch {
            throw .make(.invalidRequest, "encrypting the key failed", cause: error)
        }
    }

    /// Reads a private key from PEM text, decrypting it with `password` when it is encrypted.
    public static func load(pem text: String, password: String?) throws(V2GPKIError) -> Certificate.PrivateKey {
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return try loadLegacyEncrypted(pem: text, password: password)
        }
        let document: PEMDocument
        do { document = try PEMDocument(pemString: text) } catch {
            throw .make(.malformedEncoding, "not a PEM private key (armour or base64 broken)", cause: error)
        }
        switch document.discriminator {
        case "ENCRYPTED PRIVATE KEY":
            guard let password else { throw .make(.wrongPassword, "the key is encrypted and no password was given") }
            let der = try decryptPKCS8(document.derBytes, password: password)
            do { return try Certificate.PrivateKey(derBytes: der) } catch {
                // No integrity check in AES-CBC: a wrong password can pass the padding check and yield bytes that are no key.
                throw .make(.wrongPassword, "the decrypted PKCS#8 key does not parse (wrong password?)", cause: error)
            }
        case "PRIVATE KEY", "EC PRIVATE KEY":
            do { return try Certificate.PrivateKey(pemDocument: document) } catch {
                throw .make(.malformedEncoding, "the \(document.discriminator) does not parse", cause: error)
            }
        default:
            throw .make(.malformedEncoding, "PEM type \(document.discriminator) is not a private key")
        }
    }

    /// Reads a private key file.
    public static func load(path: String, password: String?) throws(V2GPKIError) -> Certificate.PrivateKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .make(.missingFile, "cannot read \(path)")
        }
        return try load(pem: String(decoding: data, as: UTF8.self), password: password)
    }

    static func decryptPKCS8(_ der: [UInt8], password: String) throws(V2GPKIError) -> [UInt8] {
        do {
            let root = try DER.parse(der)
            guard case .constructed(let epki) = root.content else { throw ASN1Error.unexpectedFieldType(root.identifier) }
            var outer = epki.makeIterator()
            guard let algNode = outer.next(), let dataNode = outer.next(),
                case .constructed(let alg) = algNode.content
            else { throw ASN1Error.invalidASN1Object(reason: "EncryptedPrivateKeyInfo") }
            var algIterator = alg.makeIterator()
            guard let oidNode = algIterator.next(), let paramsNode = algIterator.next() else {
                throw ASN1Error.invalidASN1Object(reason: "AlgorithmIdentifier")
            }
            let oid = try ASN1ObjectIdentifier(derEncoded: oidNode)
            guard oid == pbes2 else {
                throw V2GPKIError.make(.unsupportedAlgorithm, "key encryption \(oid) is not PBES2")
            }
            guard case .constructed(let params) = paramsNode.content else { throw ASN1Error.invalidASN1Object(reason: "PBES2-params") }
            var p = params.makeIterator()
            guard let kdfNode = p.next(), let encNode = p.next(), case .constructed(let kdf) = kdfNode.content,
                case .constructed(let enc) = encNode.content
            else { throw ASN1Error.invalidASN1Object(reason: "PBES2-params") }
            var kdfIterator = kdf.makeIterator()
            guard let kdfOID = kdfIterator.next(), let kdfParams = kdfIterator.next(),
                try ASN1ObjectIdentifier(derEncoded: kdfOID) == pbkdf2, case .constructed(let kp) = kdfParams.content
            else { throw V2GPKIError.make(.unsupportedAlgorithm, "only PBKDF2 key derivation is supported") }
            var kpIterator = kp.makeIterator()
            guard let saltNode = kpIterator.next(), let iterNode = kpIterator.next() else {
                throw ASN1Error.invalidASN1Object(reason: "PBKDF2-params")
            }
            let salt = try ASN1OctetString(derEncoded: saltNode).bytes
            let iterations = try Int(derEncoded: iterNode)
            guard (1...10_000_000).contains(iterations) else {
                throw V2GPKIError.make(.malformedEncoding, "PBKDF2 iteration count \(iterations) out of range")
            }
            var hash = KDF.Insecure.PBKDF2.HashFunction.insecureSHA1
            var explicitKeyLength: Int?
            while let node = kpIterator.next() {
                if node.identifier == .integer {
                    explicitKeyLength = try Int(derEncoded: node)
                } else if case .constructed(let prf) = node.content, let prfOID = prf.first(where: { _ in true }) {
                    switch try ASN1ObjectIdentifier(derEncoded: prfOID) {
                    case hmacWithSHA1: hash = .insecureSHA1
                    case hmacWithSHA256: hash = .sha256
                    case hmacWithSHA384: hash = .sha384
                    case hmacWithSHA512: hash = .sha512
                    case let other: throw V2GPKIError.make(.unsupportedAlgorithm, "PBKDF2 PRF \(other)")
                    }
                }
            }
            var encIterator = enc.makeIterator()
            guard let encOID = encIterator.next(), let ivNode = encIterator.next() else {
                throw ASN1Error.invalidASN1Object(reason: "encryptionScheme")
            }
            let keyLength: Int
            switch try ASN1ObjectIdentifier(derEncoded: encOID) {
            case aes128CBC: keyLength = 16
            case aes192CBC: keyLength = 24
            case aes256CBC: keyLength = 32
            case let other: throw V2GPKIError.make(.unsupportedAlgorithm, "key cipher \(other)")
            }
            if let explicitKeyLength, explicitKeyLength != keyLength {
                throw V2GPKIError.make(.malformedEncoding, "PBKDF2 keyLength disagrees with the cipher")
            }
            let iv = try ASN1OctetString(derEncoded: ivNode).bytes
            guard iv.count == 16 else { throw V2GPKIError.make(.malformedEncoding, "AES-CBC IV must be 16 bytes") }
            let ciphertext = try ASN1OctetString(derEncoded: dataNode).bytes
            guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else {
                throw V2GPKIError.make(.malformedEncoding, "encrypted key length is not a multiple of 16")
            }
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: hash, outputByteCount: keyLength,
                unsafeUncheckedRounds: iterations
            )
            do {
                return Array(try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: iv)))
            } catch {
                throw V2GPKIError.make(.wrongPassword, "the password does not decrypt the key")
            }
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.malformedEncoding, "ENCRYPTED PRIVATE KEY does not parse", cause: error)
        }
    }

    /// OpenSSL's traditional encrypted PEM: key = EVP_BytesToKey(MD5, salt = IV[0..<8], 1 round), AES-CBC.
    static func loadLegacyEncrypted(pem text: String, password: String?) throws(V2GPKIError) -> Certificate.PrivateKey {
        guard let password else { throw .make(.wrongPassword, "the key is encrypted and no password was given") }
        var type: String?
        var dekInfo: String?
        var body = ""
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("-----BEGIN ") {
                type = String(line.dropFirst(11).dropLast(5))
            } else if line.hasPrefix("-----END ") {
                break
            } else if line.hasPrefix("DEK-Info:") {
                dekInfo = line.dropFirst(9).trimmingCharacters(in: .whitespaces)
            } else if !line.contains(":") {
                body += line.trimmingCharacters(in: .whitespaces)
            }
        }
        guard type == "EC PRIVATE KEY", let dekInfo, let der = Data(base64Encoded: body) else {
            throw .make(.malformedEncoding, "legacy encrypted PEM without EC PRIVATE KEY, DEK-Info or base64 body")
        }
        let parts = dekInfo.split(separator: ",")
        let keyLength: Int
        switch parts.first.map(String.init) {
        case "AES-128-CBC": keyLength = 16
        case "AES-192-CBC": keyLength = 24
        case "AES-256-CBC": keyLength = 32
        default: throw .make(.unsupportedAlgorithm, "legacy PEM cipher \(parts.first ?? "")")
        }
        guard parts.count == 2, let iv = hexBytes(String(parts[1])), iv.count == 16 else {
            throw .make(.malformedEncoding, "DEK-Info IV is not 16 hex bytes")
        }
        var derived: [UInt8] = []
        var previous: [UInt8] = []
        while derived.count < keyLength {
            previous = Array(Insecure.MD5.hash(data: previous + Array(password.utf8) + iv[0..<8]))
            derived += previous
        }
        let plain: Data
        do {
            plain = try AES._CBC.decrypt(
                der, using: SymmetricKey(data: derived[0..<keyLength]), iv: AES._CBC.IV(ivBytes: iv)
            )
        } catch {
            throw .make(.wrongPassword, "the password does not decrypt the key")
        }
        do {
            return try Certificate.PrivateKey(pemDocument: PEMDocument(type: "EC PRIVATE KEY", derBytes: Array(plain)))
        } catch {
            throw .make(.wrongPassword, "the decrypted key does not parse (wrong password?)", cause: error)
        }
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
