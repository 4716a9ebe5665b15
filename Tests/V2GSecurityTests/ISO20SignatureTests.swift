import Crypto
import ISO20Messages
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

    @Test("[V2G20-SIG] Ed448 and P-256 keys are typed unsupportedAlgorithm errors")
    func ed448() throws {
        let key = P521.Signing.PrivateKey()
        var signature = try ISO20Signature.sign([("ID1", Self.authorization())], with: .p521(key))
        signature.signedInfo.signatureMethod.algorithm = V2GSignatureAlgorithm.ed448URI
        #expect { try ISO20Signature.verify(signature, fragments: [("ID1", Self.authorization())], key: .p521(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
        #expect { try ISO20Signature.sign([("ID1", Self.authorization())], with: .p256(try testKey(1))) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
        #expect { try XMLSignature.signedInfo(for: [SignedElement(id: "a", exi: [0x80])], algorithm: .ed448) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
    }
}
