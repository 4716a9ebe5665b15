import Crypto
import EXI
import Foundation
import ISO2Messages
import Testing
import V2GPKI
import V2GSecurity
import XMLDSig

/// RISE-V2G's published CertificateInstallationRes signature data (see Fixtures/README.md).
struct RISEVector {
    let values: [String: String]

    init() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/rise-v2g-certificate-installation-res.txt").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        self.values = values
    }

    func bytes(_ key: String) throws -> [UInt8] { hex(try #require(values[key])) }
    func string(_ key: String) throws -> String { try #require(values[key]) }

    func fragments() throws -> [ISO2Fragment] {
        let chain = CertificateChain(
            id: try string("contractChain.id"), certificate: try bytes("contractChain.certificate"),
            subCertificates: SubCertificates(certificate: [try bytes("contractChain.sub0"), try bytes("contractChain.sub1")]))
        return [
            .contractSignatureCertChain(chain),
            .contractSignatureEncryptedPrivateKey(
                ContractSignatureEncryptedPrivateKey(id: try string("encryptedKey.id"), value: try bytes("encryptedKey.value"))),
            .dHpublickey(DiffieHellmanPublickey(id: try string("dhPublicKey.id"), value: try bytes("dhPublicKey.value"))),
            .eMAID(ISO2Fragment.ElementFragment(id: try string("eMAID.id"), value: try string("eMAID.value"))),
        ]
    }
}

@Suite("ISO 15118-2 signatures against RISE-V2G's published data")
struct ISO2SignatureVectorTests {
    @Test("[V2G2-771] the four CertificateInstallationRes digests equal RISE-V2G's DigestValues")
    func digests() throws {
        let v = try RISEVector()
        for f in try v.fragments() {
            let e = try f.signedElement()
            #expect(Array(SHA256.hash(data: e.exi)) == (try v.bytes("digest#" + e.id)), "digest of #\(e.id)")
        }
    }

    @Test("[V2G2-771] RISE-V2G's SignatureValue verifies with the CPS leaf key; a changed element does not")
    func signatureVerifies() throws {
        let v = try RISEVector()
        let fragments = try v.fragments()
        let key = try P256.Signing.PublicKey(x963Representation: try v.bytes("cpsLeafPublicKey"))
        // SignedInfo in the published order: #id2, #id1, #id4, #id3.
        var references: [Reference] = []
        for id in ["id2", "id1", "id4", "id3"] {
            references.append(Reference(
                uri: "#" + id, transforms: Transforms(transform: [Transform(algorithm: V2GSignatureAlgorithm.canonicalEXI)]),
                digestMethod: DigestMethod(algorithm: V2GSignatureAlgorithm.sha256URI), digestValue: try v.bytes("digest#" + id)))
        }
        let signature = Signature(
            signedInfo: SignedInfo(
                canonicalizationMethod: CanonicalizationMethod(algorithm: V2GSignatureAlgorithm.canonicalEXI),
                signatureMethod: SignatureMethod(algorithm: V2GSignatureAlgorithm.ecdsaSHA256URI), reference: references),
            signatureValue: SignatureValue(value: try v.bytes("signatureValue")))
        try ISO2Signature.verify(signature, fragments: fragments, key: .p256(key))

        var changed = fragments
        changed[3] = .eMAID(ISO2Fragment.ElementFragment(id: "id4", value: "DEABCC123ABC57"))
        #expect { try ISO2Signature.verify(signature, fragments: changed, key: .p256(key)) } throws: {
            ($0 as? V2GSecurityError)?.code == .digestMismatch
        }
    }
}

/// The signed elements of every ISO 15118-2 message that carries a signature.
enum SignedMessages {
    static let cert: [UInt8] = Array(repeating: 0x30, count: 40)
    static let roots = ListOfRootCertificateIDs(rootCertificateID: [
        X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: EXIInteger(isNegative: false, magnitude: [0x30, 0x39])),
    ])
    static let chain = CertificateChain(id: "id1", certificate: cert, subCertificates: SubCertificates(certificate: [cert]))

    static let all: [(String, [ISO2Fragment])] = [
        ("AuthorizationReq", [.authorizationReq(AuthorizationReq(id: "ID1", genChallenge: Array(1...16)))]),
        ("MeteringReceiptReq", [.meteringReceiptReq(MeteringReceiptReq(
            id: "ID2", sessionID: [1, 2, 3, 4, 5, 6, 7, 8], saScheduleTupleID: 1,
            meterInfo: MeterInfo(meterID: "Meter-1", meterReading: 12345, tMeter: 1_700_000_000)))]),
        ("CertificateInstallationReq", [.certificateInstallationReq(CertificateInstallationReq(
            id: "ID3", oemProvisioningCert: cert, listOfRootCertificateIDs: roots))]),
        ("CertificateUpdateReq", [.certificateUpdateReq(CertificateUpdateReq(
            id: "ID4", contractSignatureCertChain: chain, eMAID: "DE8AA0012345670", listOfRootCertificateIDs: roots))]),
        ("CertificateInstallationRes", [
            .contractSignatureCertChain(chain),
            .contractSignatureEncryptedPrivateKey(ContractSignatureEncryptedPrivateKey(id: "id2", value: Array(repeating: 7, count: 48))),
            .dHpublickey(DiffieHellmanPublickey(id: "id3", value: [4] + Array(repeating: 9, count: 64))),
            .eMAID(ISO2Fragment.ElementFragment(id: "id4", value: "DE8AA0012345670")),
        ]),
    ]
}

@Suite("ISO 15118-2 signatures: round trips and every failure code")
struct ISO2SignatureFailureTests {
    @Test("[V2G2-771] each signed -2 message signs and verifies, and survives an EXI round trip of the Signature")
    func roundTrips() throws {
        let key = try testKey(3)
        for (name, fragments) in SignedMessages.all {
            let signature = try ISO2Signature.sign(fragments, with: .p256(key))
            #expect(signature.signedInfo.reference.count == fragments.count, "\(name)")
            let header = MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8], signature: signature)
            let message = ISO2Document.v2gMessage(V2GMessage(header: header, body: Body(bodyElement: .sessionStopReq(SessionStopReq(chargingSession: .terminate)))))
            let decoded = try ISO2Document(exi: try message.exiEncoded())
            guard case .v2gMessage(let m) = decoded, let s = m.header.signature else {
                Issue.record("\(name): no signature after the round trip")
                continue
            }
            try ISO2Signature.verify(s, fragments: fragments, key: .p256(key.publicKey))
        }
    }

    @Test("[V2G2-771] signing through a V2GPKI KeyStore gives a signature the public key verifies")
    func keyStore() throws {
        let dir = NSTemporaryDirectory() + "pnc-v2gsec-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = SoftwareKeyStore(directory: dir, password: "test", iterations: 1000)
        let publicKey = try store.generateKey(label: "cps/leaf", algorithm: .p256)
        let fragments = SignedMessages.all[4].1
        let signature = try ISO2Signature.sign(fragments, with: try .keyStore(store, label: "cps/leaf"))
        try ISO2Signature.verify(signature, fragments: fragments, key: try V2GVerifyingKey(publicKey))
        #expect { try V2GSigningKey.keyStore(store, label: "missing") } throws: {
            ($0 as? V2GSecurityError)?.code == .malformedKey
        }
    }

    @Test("[V2G2-771] missing or extra element → missingReference; changed element → digestMismatch")
    func references() throws {
        let key = try testKey(4)
        let fragments = SignedMessages.all[4].1
        let signature = try ISO2Signature.sign(fragments, with: .p256(key))
        let pub = V2GVerifyingKey.p256(key.publicKey)
        #expect { try ISO2Signature.verify(signature, fragments: Array(fragments.dropLast()), key: pub) } throws: {
            ($0 as? V2GSecurityError)?.code == .missingReference
        }
        var renamed = fragments
        renamed[3] = .eMAID(ISO2Fragment.ElementFragment(id: "id9", value: "DE8AA0012345670"))
        #expect { try ISO2Signature.verify(signature, fragments: renamed, key: pub) } throws: {
            ($0 as? V2GSecurityError)?.code == .missingReference
        }
        var noRefs = signature
        noRefs.signedInfo.reference = []
        #expect { try ISO2Signature.verify(noRefs, fragments: fragments, key: pub) } throws: {
            ($0 as? V2GSecurityError)?.code == .missingReference
        }
        var changed = fragments
        changed[2] = .dHpublickey(DiffieHellmanPublickey(id: "id3", value: [4] + Array(repeating: 8, count: 64)))
        #expect { try ISO2Signature.verify(signature, fragments: changed, key: pub) } throws: {
            ($0 as? V2GSecurityError)?.code == .digestMismatch
        }
    }

    @Test("[V2G2-771] wrong key, changed SignedInfo or SignatureValue → badSignature")
    func badSignature() throws {
        let key = try testKey(5)
        let fragments = SignedMessages.all[0].1
        let signature = try ISO2Signature.sign(fragments, with: .p256(key))
        #expect { try ISO2Signature.verify(signature, fragments: fragments, key: .p256(try testKey(6).publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .badSignature
        }
        var flipped = signature
        flipped.signatureValue.value[10] ^= 1
        #expect { try ISO2Signature.verify(flipped, fragments: fragments, key: .p256(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .badSignature
        }
        var short = signature
        short.signatureValue.value.removeLast()
        #expect { try ISO2Signature.verify(short, fragments: fragments, key: .p256(key.publicKey)) } throws: {
            ($0 as? V2GSecurityError)?.code == .badSignature
        }
        // A Reference's excluded parts ([V2G2-771]) are cleared before verifying; an included change is not.
        var withType = signature
        withType.signedInfo.reference[0].type = "urn:x"
        try ISO2Signature.verify(withType, fragments: fragments, key: .p256(key.publicKey))
    }

    @Test("[V2G2-771] foreign algorithms and Ed448 → unsupportedAlgorithm; a non-key certificate → malformedKey")
    func algorithms() throws {
        let key = try testKey(8)
        let fragments = SignedMessages.all[0].1
        let signature = try ISO2Signature.sign(fragments, with: .p256(key))
        for mutate: (inout Signature) -> Void in [
            { $0.signedInfo.signatureMethod.algorithm = "http://www.w3.org/2000/09/xmldsig#rsa-sha1" },
            { $0.signedInfo.signatureMethod.algorithm = V2GSignatureAlgorithm.ed448URI },
            { $0.signedInfo.canonicalizationMethod.algorithm = "http://www.w3.org/2001/10/xml-exc-c14n#" },
            { $0.signedInfo.reference[0].digestMethod.algorithm = "http://www.w3.org/2000/09/xmldsig#sha1" },
            { $0.signedInfo.reference[0].transforms = nil },
            { $0.signedInfo.signatureMethod.algorithm = V2GSignatureAlgorithm.ecdsaSHA512URI },
        ] {
            var s = signature
            mutate(&s)
            #expect { try ISO2Signature.verify(s, fragments: fragments, key: .p256(key.publicKey)) } throws: {
                ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
            }
        }
        let p521 = P521.Signing.PrivateKey()
        #expect { try ISO2Signature.sign(fragments, with: .p521(p521)) } throws: {
            ($0 as? V2GSecurityError)?.code == .unsupportedAlgorithm
        }
        #expect { try V2GVerifyingKey(certificateDER: [0x30, 0x03, 0x02, 0x01, 0x00]) } throws: {
            ($0 as? V2GSecurityError)?.code == .malformedKey
        }
        #expect { try ISO2Signature.sign([.authorizationReq(AuthorizationReq(genChallenge: Array(1...16)))], with: .p256(key)) } throws: {
            ($0 as? V2GSecurityError)?.code == .missingID
        }
    }

    @Test("[V2G2-771] seeded mutation: bit flips and truncations of a signed message give typed errors, never a crash")
    func mutation() throws {
        let key = try testKey(9)
        let fragments = SignedMessages.all[0].1
        guard case .authorizationReq(let req) = fragments[0] else { return }
        let signature = try ISO2Signature.sign(fragments, with: .p256(key))
        let message = V2GMessage(header: MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8], signature: signature),
                                 body: Body(bodyElement: .authorizationReq(req)))
        let bytes = try ISO2Document.v2gMessage(message).exiEncoded()
        var rng = SplitMix64(seed: 0x15118)
        var verified = 0, rejected = 0, undecodable = 0
        for round in 0..<600 {
            var m = bytes
            if round % 4 == 3 {
                m = Array(m.prefix(Int(rng.next() % UInt64(m.count))))
            } else {
                let bit = Int(rng.next() % UInt64(m.count * 8))
                m[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            let doc: ISO2Document
            do { doc = try ISO2Document(exi: m) } catch { undecodable += 1; continue }
            guard case .v2gMessage(let d) = doc, let s = d.header.signature, case .authorizationReq(let r)? = d.body.bodyElement
            else { undecodable += 1; continue }
            do {
                try ISO2Signature.verify(s, fragments: [.authorizationReq(r)], key: .p256(key.publicKey))
                // Only a flip that left the signed content as it was may still verify.
                #expect(r == req && XMLSignatureTestSupport.canonicalEqual(s.signedInfo, signature.signedInfo))
                verified += 1
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 0 && undecodable > 0)
        #expect(verified + rejected + undecodable == 600)
    }
}

enum XMLSignatureTestSupport {
    static func canonicalEqual(_ a: SignedInfo, _ b: SignedInfo) -> Bool {
        (try? XMLSignature.canonicalSignedInfoEXI(a)) == (try? XMLSignature.canonicalSignedInfoEXI(b))
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

