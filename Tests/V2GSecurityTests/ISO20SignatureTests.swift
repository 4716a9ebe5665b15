import Crypto
import Ed448
import PnCTesting
import SwiftASN1
import Foundation
import ISO20Messages
import V2GPKI
import X509
import Testing
import V2GSecurity
import XMLDSig

@Suite("ISO 15118-20 signatures")
struct ISO20SignatureTests {
    static func authorization() -> ISO20Fragment {
        .pnCAReqAuthorizationMode(PnC_AReqAuthorizationMode(
            id: "ID1", genChallenge: Array(1...16),
            contractCertificateChain: ContractCertificateChain(
                certificate: Array(repeating: 0x30, count: 40), subCertificates: SubCertificates(certificate: [[0x30, 0]]))))
    }

    @Test("[V2G20-SIG] PnC_AReqAuthorizationMode signs with P-521/SHA-512 and verifies; tampering is caught")
    func p521() throws {
        let key = P521.Signing.PrivateKey()
        let signature = try ISO20Signature.sign([("ID1", Self.authorization())], with: .p521(key))
        #expect(signature.signedInfo.signatureMethod.algorithm == V2GSignatureAlgorithm.ecdsaSHA512URI)
        #expect(signature.signedInfo.reference.first?.digestMethod.algorithm == V2GSignatureAlgorithm.sha512URI)
        #expect(signature.signedInfo.reference.first?.digestValue.count == 64)
        #expect(signature.signatureValue.value.count == 132)
        try ISO20Signature.verify(signature, fragments: [("ID1", Self.authorization())], key: .p521(key.publicKey))
        #expect { try ISO20Signature.verify(signature, fragments: [("ID1", Self.authorization())], key: .p521(P521.Signing.PrivateKey().publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .badSignature
        }
    }

    @Test("[V2G20-SIG] a method that does not match the key, and P-256 keys, are typed unsupportedAlgorithm errors")
    func mismatches() throws {
        let key = P521.Signing.PrivateKey()
        var signature = try ISO20Signature.sign([("ID1", Self.authorization())], with: .p521(key))
        signature.signedInfo.signatureMethod.algorithm = V2GSignatureAlgorithm.ed448URI
        #expect { try ISO20Signature.verify(signature, fragments: [("ID1", Self.authorization())], key: .p521(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
        #expect { try ISO20Signature.sign([("ID1", Self.authorization())], with: .p256(try testKey(1))) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
        let edKey = try Ed448.PrivateKey(seed: [UInt8](repeating: 0x48, count: 57))
        let edSignature = try ISO20Signature.sign([("ID1", Self.authorization())], with: .ed448(edKey))
        #expect { try ISO20Signature.verify(edSignature, fragments: [("ID1", Self.authorization())], key: .p521(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
    }

    @Test("[V2G20-SIG] PnC_AReqAuthorizationMode signs with Ed448 (eddsa-ed448, 64-byte SHAKE256 digests, 114-byte value) and verifies; another key, a changed element or a flipped bit fail")
    func ed448() throws {
        let key = try Ed448.PrivateKey(seed: (0..<57).map { UInt8($0) })
        let signature = try ISO20Signature.sign([("ID1", Self.authorization())], with: .ed448(key))
        #expect(signature.signedInfo.signatureMethod.algorithm == "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed448")
        let reference = try #require(signature.signedInfo.reference.first)
        #expect(reference.digestMethod.algorithm == V2GSignatureAlgorithm.shake256URI)
        let fragment = try ISO20Signature.signedElementEXI(Self.authorization(), id: "ID1")
        #expect(reference.digestValue == SHAKE256.hash(fragment, count: 64))
        #expect(signature.signatureValue.value.count == 114)
        // The value is a plain RFC 8032 signature (empty context) over the SignedInfo EXI.
        let signedInfo = try XMLSignature.canonicalSignedInfoEXI(signature.signedInfo)
        #expect(key.publicKey.isValidSignature(signature.signatureValue.value, for: signedInfo))
        try ISO20Signature.verify(signature, fragments: [("ID1", Self.authorization())], key: .ed448(key.publicKey))
        let other = try Ed448.PrivateKey(seed: [UInt8](repeating: 9, count: 57))
        #expect { try ISO20Signature.verify(signature, fragments: [("ID1", Self.authorization())], key: .ed448(other.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .badSignature
        }
        var changed = PnC_AReqAuthorizationMode(
            id: "ID1", genChallenge: Array(2...17),
            contractCertificateChain: ContractCertificateChain(
                certificate: Array(repeating: 0x30, count: 40), subCertificates: SubCertificates(certificate: [[0x30, 0]])))
        changed.id = "ID1"
        #expect { try ISO20Signature.verify(signature, fragments: [("ID1", .pnCAReqAuthorizationMode(changed))], key: .ed448(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .digestMismatch
        }
        for byte in [0, 56, 57, 113] {
            var flipped = signature
            flipped.signatureValue.value[byte] ^= 0x01
            #expect { try ISO20Signature.verify(flipped, fragments: [("ID1", Self.authorization())], key: .ed448(key.publicKey)) } throws: {
                ($0 as? V2GSecurityError)?.code == .badSignature
            }
        }
        var short = signature
        short.signatureValue.value.removeLast()
        #expect { try ISO20Signature.verify(short, fragments: [("ID1", Self.authorization())], key: .ed448(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .badSignature
        }
    }

    @Test("[V2G20-SIG] OpenSSL verifies our Ed448 SignatureValue over the SignedInfo EXI with the public key", .enabled(if: Peers.hasOpenSSL, "SKIPPED-PEER openssl: apt-get install openssl"))
    func ed448OpenSSL() async throws {
        let key = try Ed448.PrivateKey(seed: (100..<157).map { UInt8($0) })
        let signature = try ISO20Signature.sign([("ID1", Self.authorization())], with: .ed448(key))
        let dir = Peers.temporaryDirectory("xmldsig448")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // SubjectPublicKeyInfo of RFC 8410: SEQUENCE { SEQUENCE { id-Ed448 }, BIT STRING key }.
        let spki: [UInt8] = [0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x71, 0x03, 0x3A, 0x00] + key.publicKey.rawRepresentation
        try PEMDocument(type: "PUBLIC KEY", derBytes: spki).pemString.write(toFile: "\(dir)/pub.pem", atomically: true, encoding: .utf8)
        try Data(XMLSignature.canonicalSignedInfoEXI(signature.signedInfo)).write(to: URL(fileURLWithPath: "\(dir)/signedinfo.exi"))
        try Data(signature.signatureValue.value).write(to: URL(fileURLWithPath: "\(dir)/sig"))
        let ok = try await Peers.runAsync(Peers.openssl!, [
            "pkeyutl", "-verify", "-pubin", "-inkey", "\(dir)/pub.pem", "-rawin", "-in", "\(dir)/signedinfo.exi", "-sigfile", "\(dir)/sig",
        ])
        #expect(ok.status == 0, "\(ok.output)")
        var flipped = signature.signatureValue.value
        flipped[60] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: "\(dir)/sig"))
        let bad = try await Peers.runAsync(Peers.openssl!, [
            "pkeyutl", "-verify", "-pubin", "-inkey", "\(dir)/pub.pem", "-rawin", "-in", "\(dir)/signedinfo.exi", "-sigfile", "\(dir)/sig",
        ])
        #expect(bad.status != 0)
    }

    @Test("[V2G20-SIG] the verifying key of an Ed448 contract certificate is read from its DER")
    func ed448Certificate() throws {
        let key = try Ed448.PrivateKey(seed: [UInt8](repeating: 0x11, count: 57))
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let certificate = try CertificateIssuer(profile: .iso15118_20).issueEd448(
            Ed448IssuanceRequest(
                role: .moRoot, subject: CertificateIssuer.subject(commonName: "Ed448 MO Root", role: .moRoot),
                publicKey: key.publicKey, serialNumber: Certificate.SerialNumber(bytes: [0x01, 0x02]),
                notBefore: now, notAfter: now.addingTimeInterval(86_400)),
            issuer: nil, issuerKey: key)
        guard case .ed448(let publicKey) = try V2GVerifyingKey(certificateDER: certificate.derBytes) else {
            Issue.record("an Ed448 certificate did not give an Ed448 key")
            return
        }
        #expect(publicKey == key.publicKey)
        #expect { try V2GVerifyingKey(certificateDER: Array(certificate.derBytes.dropLast(3))) } throws: {
            ($0 as? V2GSecurityError)?.code == .malformedKey
        }
    }
}
