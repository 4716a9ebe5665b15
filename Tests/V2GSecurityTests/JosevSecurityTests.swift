import Crypto
import Foundation
import ISO2Messages
import PnCTesting
import SwiftASN1
import Testing
import V2GSecurity
import X509
import XMLDSig

/// Cross-checks with Josev's iso15118.shared.security (iso15118==0.31.2), driven through python3.
enum JosevSecurity {
    static let skip = "SKIPPED-PEER Josev iso15118==0.31.2 (and java for its EXI codec): bash dev/install-test-deps.sh"
    static var python: String? {
        let p = "\(Peers.repoRoot)/.build/peers/venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: p) && Peers.josevPackage != nil ? p : nil
    }
    static var available: Bool { python != nil }
    static var availableWithJava: Bool { python != nil && Peers.which("java") != nil }

    static func call(_ request: [String: String]) async throws -> [String: Any] {
        let python = try #require(python)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers/josev_security.py").path
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let (status, output) = try await Peers.runAsync(python, [script, json])
        try #require(status == 0, "josev_security.py failed: \(output)")
        let line = try #require(output.split(separator: "\n").last(where: { $0.hasPrefix("{") }), "no answer: \(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// A self-signed P-256 certificate for `key` (only its public key matters to the peer).
    static func certificate(for key: P256.Signing.PrivateKey) throws -> [UInt8] {
        let name = try DistinguishedName { CommonName("OpenPnC test") }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [1, 2, 3]),
            publicKey: Certificate.PublicKey(key.publicKey), notValidBefore: now, notValidAfter: now + 86_400,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(),
            issuerPrivateKey: Certificate.PrivateKey(key))
        var s = DER.Serializer()
        try s.serialize(cert)
        return s.serializedBytes
    }
}

@Suite("V2GSecurity cross-checks with Josev")
struct JosevSecurityTests {
    static let fragment = ISO2Fragment.authorizationReq(AuthorizationReq(id: "ID1", genChallenge: Array(1...16)))

    @Test("[V2G2-771] Josev verifies a signature we made, and rejects it for another key", .enabled(if: JosevSecurity.availableWithJava, Comment(rawValue: JosevSecurity.skip)))
    func josevVerifiesOurs() async throws {
        let key = try testKey(21)
        let signature = try ISO2Signature.sign([Self.fragment], with: .p256(key))
        let element = try Self.fragment.signedElement()
        var request = [
            "op": "verify", "id": element.id, "exi": hexString(element.exi),
            "digest": hexString(signature.signedInfo.reference[0].digestValue),
            "signature": hexString(signature.signatureValue.value),
            "cert": hexString(try JosevSecurity.certificate(for: key)),
        ]
        #expect(try await JosevSecurity.call(request)["ok"] as? Bool == true)
        request["cert"] = hexString(try JosevSecurity.certificate(for: try testKey(22)))
        #expect(try await JosevSecurity.call(request)["ok"] as? Bool == false)
    }

    @Test("[V2G2-771] we verify a signature Josev made over the same fragment", .enabled(if: JosevSecurity.availableWithJava, Comment(rawValue: JosevSecurity.skip)))
    func weVerifyJosevs() async throws {
        let key = try testKey(23)
        let element = try Self.fragment.signedElement()
        let answer = try await JosevSecurity.call([
            "op": "sign", "id": element.id, "exi": hexString(element.exi), "key": hexString(Array(key.rawRepresentation)),
        ])
        let digest = hex(try #require(answer["digest"] as? String))
        let value = hex(try #require(answer["signature"] as? String))
        #expect(digest == Array(SHA256.hash(data: element.exi)))
        let reference = Reference(
            uri: "#ID1", transforms: Transforms(transform: [Transform(algorithm: V2GSignatureAlgorithm.canonicalEXI)]),
            digestMethod: DigestMethod(algorithm: V2GSignatureAlgorithm.sha256URI), digestValue: digest)
        let signature = Signature(
            signedInfo: SignedInfo(
                canonicalizationMethod: CanonicalizationMethod(algorithm: V2GSignatureAlgorithm.canonicalEXI),
                signatureMethod: SignatureMethod(algorithm: V2GSignatureAlgorithm.ecdsaSHA256URI), reference: [reference]),
            signatureValue: SignatureValue(value: value))
        try ISO2Signature.verify(signature, fragments: [Self.fragment], key: .p256(key.publicKey))
    }

    @Test("[V2G2-818] Josev decrypts a contract key we encrypted for an OEM provisioning key", .enabled(if: JosevSecurity.available, Comment(rawValue: JosevSecurity.skip)))
    func josevDecryptsOurs() async throws {
        let oem = try P256.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x42, count: 32))
        let contract = try testKey(24)
        let package = try ISO2ContractKeyEncryption.encrypt(
            contractKey: contract, for: oem.publicKey,
            ephemeralKey: try P256.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x17, count: 32)),
            iv: Array(0..<16))
        let answer = try await JosevSecurity.call([
            "op": "decrypt", "encrypted": hexString(package.encryptedPrivateKey), "dh": hexString(package.dhPublicKey),
            "key": hexString(Array(oem.rawRepresentation)),
        ])
        #expect(answer["scalar"] as? String == hexString(Array(contract.rawRepresentation)))
    }

    @Test("[V2G2-818] we decrypt a contract key Josev encrypted for an OEM provisioning certificate", .enabled(if: JosevSecurity.available, Comment(rawValue: JosevSecurity.skip)))
    func weDecryptJosevs() async throws {
        let oemSigning = try testKey(25)
        let contract = try testKey(26)
        let answer = try await JosevSecurity.call([
            "op": "encrypt", "cert": hexString(try JosevSecurity.certificate(for: oemSigning)),
            "scalar": hexString(Array(contract.rawRepresentation)),
        ])
        let package = EncryptedContractKey(
            encryptedPrivateKey: hex(try #require(answer["encrypted"] as? String)), dhPublicKey: hex(try #require(answer["dh"] as? String)))
        #expect(package.encryptedPrivateKey.count == 48 && package.dhPublicKey.count == 65)
        let oem = try P256.KeyAgreement.PrivateKey(rawRepresentation: oemSigning.rawRepresentation)
        let decrypted = try ISO2ContractKeyEncryption.decrypt(package, with: oem)
        #expect(decrypted.rawRepresentation == contract.rawRepresentation)
    }
}
