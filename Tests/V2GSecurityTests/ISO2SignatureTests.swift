import Crypto
import EXI
import ISO2Messages
import Testing
import V2GSecurity
import XMLDSig

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16) ?? 0) }
    return out
}

func hexString(_ b: [UInt8]) -> String {
    let d = Array("0123456789abcdef")
    return String(b.flatMap { [d[Int($0 >> 4)], d[Int($0 & 15)]] })
}

/// A deterministic P-256 key for tests (the scalar is fixed, so failures reproduce).
func testKey(_ seed: UInt8) throws -> P256.Signing.PrivateKey {
    try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 31) + [1])
}

@Suite("ISO 15118-2 XML signatures")
struct ISO2SignatureTests {
    static let authorizationReq = AuthorizationReq(id: "ID1", genChallenge: Array(1...16))

    @Test("[V2G2-771] the AuthorizationReq fragment is the EXIficient/libcbv2g vector")
    func fragmentVector() throws {
        let element = try ISO2Fragment.authorizationReq(Self.authorizationReq).signedElement()
        #expect(element.id == "ID1")
        #expect(hexString(element.exi) == "80040152510c408008101820283038404850586068707881e8")
    }

    @Test("[V2G2-771] SignedInfo: one Reference per element, #Id, canonical-exi, SHA-256 of the fragment")
    func signedInfoShape() throws {
        let key = try testKey(7)
        let signature = try ISO2Signature.sign([.authorizationReq(Self.authorizationReq)], with: .p256(key))
        let info = signature.signedInfo
        #expect(info.canonicalizationMethod.algorithm == "http://www.w3.org/TR/canonical-exi/")
        #expect(info.signatureMethod.algorithm == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")
        #expect(info.reference.count == 1)
        let r = try #require(info.reference.first)
        #expect(r.uri == "#ID1")
        #expect(r.transforms?.transform.map(\.algorithm) == ["http://www.w3.org/TR/canonical-exi/"])
        #expect(r.digestMethod.algorithm == "http://www.w3.org/2001/04/xmlenc#sha256")
        #expect(r.digestValue == Array(SHA256.hash(data: hex("80040152510c408008101820283038404850586068707881e8"))))
        #expect(signature.signatureValue.value.count == 64)
        // The SignatureValue is plain ECDSA-SHA256 over the standalone xmldsig EXI of SignedInfo.
        let bytes = try XMLDSigFragment.signedInfo(info).exiEncoded()
        #expect(bytes.first == 0x80)
        let s = try P256.Signing.ECDSASignature(rawRepresentation: signature.signatureValue.value)
        #expect(key.publicKey.isValidSignature(s, for: bytes))
        try ISO2Signature.verify(signature, fragments: [.authorizationReq(Self.authorizationReq)], key: .p256(key.publicKey))
    }
}
