import EXI
import Testing
import XMLDSig

/// Decoding the xmldsig `Algorithm` attributes through `KnownAlgorithms.table`: the identifiers ISO 15118 signatures
/// name come back as the table's own strings (no new storage), anything else as a new string; the value is the same.
@Suite struct KnownAlgorithmsTests {
    static func signedInfo(canonicalization: String, signature: String, transform: String, digest: String) -> XMLDSigFragment {
        .signedInfo(
            SignedInfo(
                canonicalizationMethod: CanonicalizationMethod(algorithm: canonicalization),
                signatureMethod: SignatureMethod(algorithm: signature),
                reference: [
                    Reference(
                        id: nil, uri: "#id1", transforms: Transforms(transform: [Transform(algorithm: transform)]),
                        digestMethod: DigestMethod(algorithm: digest), digestValue: Array(repeating: 0xA5, count: 32))
                ]))
    }

    static func algorithms(of fragment: XMLDSigFragment) -> [String] {
        guard case .signedInfo(let info) = fragment, let reference = info.reference.first else { return [] }
        return [
            info.canonicalizationMethod.algorithm, info.signatureMethod.algorithm,
            reference.transforms?.transform.first?.algorithm ?? "", reference.digestMethod.algorithm,
        ]
    }

    @Test("[V2G2-771, V2G20-SIG] the Algorithm URIs of ISO 15118 signatures decode to the table's own strings, equal to the input")
    func known() throws {
        #expect(Set(KnownAlgorithms.all).count == KnownAlgorithms.all.count)
        for (signature, digest) in [
            (KnownAlgorithms.ecdsaSHA256, KnownAlgorithms.sha256), (KnownAlgorithms.ecdsaSHA512, KnownAlgorithms.sha512),
            (KnownAlgorithms.ed448, KnownAlgorithms.shake256), (KnownAlgorithms.ed448, KnownAlgorithms.shake256Legacy),
        ] {
            // Each input in new heap storage, so that equality never rests on sharing a literal.
            let fresh = { (text: String) in String(decoding: Array(text.utf8), as: UTF8.self) }
            let fragment = Self.signedInfo(
                canonicalization: fresh(KnownAlgorithms.canonicalEXI), signature: fresh(signature),
                transform: fresh(KnownAlgorithms.canonicalEXI), digest: fresh(digest))
            let bytes = try fragment.exiEncoded()
            let decoded = try XMLDSigFragment(exi: bytes)
            #expect(decoded == fragment)
            #expect(try decoded.exiEncoded() == bytes)
            let expected = [KnownAlgorithms.canonicalEXI, signature, KnownAlgorithms.canonicalEXI, digest]
            let names = Self.algorithms(of: decoded)
            try #require(names.count == expected.count)
            for (name, known) in zip(names, expected) {
                #expect(name == known)
                // The same storage as the table's string: nothing was allocated for it.
                let address = name.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
                let knownAddress = known.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
                #expect(address != nil && address == knownAddress)
            }
        }
    }

    @Test("[V2G2-771] other Algorithm URIs, near misses of the known ones included, decode to equal new strings")
    func unknown() throws {
        let others = [
            "http://www.w3.org/TR/canonical-exi", "http://www.w3.org/2001/04/xmlenc#sha384",
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha25", "http://www.w3.org/2000/09/xmldsig#sha1",
            "http://www.w3.org/2001/04/xmlenc#sha256é", "",
        ]
        for other in others {
            let fragment = Self.signedInfo(
                canonicalization: other, signature: other, transform: other, digest: other)
            let decoded = try XMLDSigFragment(exi: try fragment.exiEncoded())
            #expect(decoded == fragment)
            #expect(Self.algorithms(of: decoded) == [other, other, other, other])
        }
    }
}
