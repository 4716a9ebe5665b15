import Crypto
import Ed448
import Foundation
import PnCTesting
import SwiftASN1
import Testing
import X509
@testable import V2GPKI

@Suite struct Ed448CSRTests {
    /// An RFC 2986 request for `key`, signed by `signer` (the key itself unless a test forges it).
    static func csr(for key: Ed448.PrivateKey, signer: Ed448.PrivateKey? = nil, subject: DistinguishedName) throws -> [UInt8] {
        var info = DER.Serializer()
        try info.appendConstructedNode(identifier: .sequence) { c in
            try c.serialize(0)
            try c.serialize(subject)
            try c.appendConstructedNode(identifier: .sequence) { spki in
                try spki.appendConstructedNode(identifier: .sequence) { try $0.serialize(Ed448Certificate.oid) }
                try spki.serialize(ASN1BitString(bytes: key.publicKey.rawRepresentation[...]))
            }
            c.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { _ in }
        }
        let signature = try (signer ?? key).signature(for: info.serializedBytes)
        var request = DER.Serializer()
        try request.appendConstructedNode(identifier: .sequence) { c in
            c.serializeRawBytes(info.serializedBytes)
            try c.appendConstructedNode(identifier: .sequence) { try $0.serialize(Ed448Certificate.oid) }
            try c.serialize(ASN1BitString(bytes: signature[...]))
        }
        return request.serializedBytes
    }

    @Test("[ISO 15118-20, RFC 2986, RFC 8410] an Ed448 SECC CSR gets a certificate for its key from CPO Sub-CA 2 with the request's CN, O, C and the CPO DC; the chain validates as secc and is recorded; a forged, foreign-key or CN-less request is refused")
    func issueFromCSR() throws {
        let directory = try PKIDirectory(root: Ed448Fixture.root, password: "pw")
        var rng = SeededRandom(seed: 2986)
        let key = Ed448.PrivateKey(using: &rng)
        let subject = try DistinguishedName {
            CommonName("DE*OPC*E42")
            OrganizationName("Station Maker")
            CountryName("NL")
        }
        let der = try Self.csr(for: key, subject: subject)
        let pem = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        let chain = try directory.issueEd448(role: .secc, csr: Array(pem.utf8), validityDays: 30, now: Ed448Fixture.now, using: &rng)
        #expect(chain.count == 3)
        let leaf = chain[0]
        #expect(leaf.publicKey == key.publicKey)
        let attributes = CertificateLinter.Attributes(leaf.subject)
        #expect(attributes.commonName == "DE*OPC*E42")
        #expect(attributes.organization == "Station Maker")
        #expect(attributes.country == "NL")
        #expect(attributes.domainComponent == CertificateRole.secc.domainComponent)
        let validated = try Ed448ChainValidator(roots: try directory.ed448Roots())
            .validateOffline(chain: chain, at: Ed448Fixture.now, role: .secc).get()
        #expect(validated.leaf == leaf)
        #expect(!CertificateLinter.lint(leaf, issuer: chain[1]).hasErrors)
        let database = try String(contentsOfFile: "\(directory.caDirectory(.cpoSubCA2))/database.json", encoding: .utf8)
        #expect(database.contains(leaf.serialNumber.hexString))

        func refused(_ bytes: [UInt8], role: CertificateRole = .secc) -> V2GPKIError.Code? {
            do {
                _ = try directory.issueEd448(role: role, csr: bytes, validityDays: 30, now: Ed448Fixture.now, using: &rng)
                return nil
            } catch { return error.code }
        }
        // Signed by another key than the one requested: no proof of possession.
        #expect(refused(try Self.csr(for: key, signer: Ed448.PrivateKey(using: &rng), subject: subject)) == .badSignature)
        // One bit of the signature flipped.
        var flipped = der
        flipped[flipped.count - 3] ^= 0x20
        #expect(refused(flipped) == .badSignature)
        // No CN.
        #expect(refused(try Self.csr(for: key, subject: try DistinguishedName { CountryName("DE") })) == .invalidRequest)
        // Not a leaf role for CSRs, garbage, truncation.
        #expect(refused(der, role: .contract) == .invalidRequest)
        #expect(refused([0x30, 0x03, 0x02, 0x01, 0x00]) == .malformedEncoding)
        #expect(refused(Array(der.dropLast(9))) == .malformedEncoding)
        // An EC request is not an Ed448 request.
        let ecKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let ecCSR = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: ecKey, attributes: CertificateSigningRequest.Attributes(),
            signatureAlgorithm: .ecdsaWithSHA256)
        var ecDER = DER.Serializer()
        try ecDER.serialize(ecCSR)
        #expect(refused(ecDER.serializedBytes) == .unsupportedAlgorithm)
    }

    @Test(
        "[RFC 2986, RFC 8410] a CSR made by openssl req with an Ed448 key gets an Ed448 SECC certificate that openssl verify accepts under the Ed448 roots",
        .enabled(if: OpenSSL.available, OpenSSL.skipNote))
    func opensslCSR() async throws {
        let dir = URL(fileURLWithPath: Peers.temporaryDirectory("ed448csr"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try await OpenSSL.run(["genpkey", "-algorithm", "ED448", "-out", "key.pem"], in: dir)
        #expect(key.status == 0, "\(key.output)")
        let req = try await OpenSSL.run(
            ["req", "-new", "-key", "key.pem", "-subj", "/CN=DE*OPC*E77/O=OpenSSL Station/C=DE", "-out", "req.pem"], in: dir)
        #expect(req.status == 0, "\(req.output)")
        let directory = try PKIDirectory(root: Ed448Fixture.root, password: "pw")
        var rng = SystemRandomNumberGenerator()
        let csr = try Data(contentsOf: dir.appendingPathComponent("req.pem"))
        let chain = try directory.issueEd448(role: .secc, csr: Array(csr), validityDays: 30, now: Date(), using: &rng)
        try (chain[0].pemString + "\n").write(to: dir.appendingPathComponent("leaf.pem"), atomically: true, encoding: .utf8)
        try (chain.dropFirst().map(\.pemString).joined(separator: "\n") + "\n").write(
            to: dir.appendingPathComponent("subcas.pem"), atomically: true, encoding: .utf8)
        let verify = try await OpenSSL.run(
            ["verify", "-x509_strict", "-CAfile", "\(Ed448Fixture.root)/roots.pem", "-untrusted", "subcas.pem", "leaf.pem"], in: dir)
        #expect(verify.status == 0, "\(verify.output)")
        // The certificate holds the key of key.pem.
        let ours = try await OpenSSL.run(["x509", "-in", "leaf.pem", "-noout", "-pubkey"], in: dir)
        let theirs = try await OpenSSL.run(["pkey", "-in", "key.pem", "-pubout"], in: dir)
        #expect(ours.output.contains("BEGIN PUBLIC KEY"))
        #expect(ours.output == theirs.output)
    }

    @Test("[RFC 2986] the Ed448 CSR reader and the CRL reader on an Ed448-signed CRL: truncations and bit flips are typed errors or fail the signature, never a crash")
    func mutations() throws {
        var rng = SeededRandom(seed: 2987)
        let key = Ed448.PrivateKey(using: &rng)
        let csr = try Self.csr(for: key, subject: try DistinguishedName { CommonName("DE*OPC*E43") })
        let original = try Ed448CertificateSigningRequest(pemOrDER: csr)
        #expect(original.isSelfSigned)
        let f = try Ed448CRLFixture.make("mutations")
        let crl = try f.crl.derBytes()
        for (input, index) in [(csr, 0), (crl, 1)] {
            for _ in 0..<300 {
                var mutated = input
                if Bool.random(using: &rng) {
                    mutated = Array(mutated.prefix(Int.random(in: 0..<input.count, using: &rng)))
                } else {
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        let i = Int.random(in: 0..<mutated.count, using: &rng)
                        mutated[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                    }
                }
                if index == 0 {
                    do {
                        let parsed = try Ed448CertificateSigningRequest(pemOrDER: mutated)
                        // Only an untouched request and signature can still prove possession.
                        if parsed.isSelfSigned { #expect(parsed.infoBytes == original.infoBytes && parsed.signature == original.signature) }
                    } catch {
                        #expect([.malformedEncoding, .unsupportedAlgorithm].contains(error.code))
                    }
                } else {
                    do {
                        let parsed = try CertificateList(derBytes: mutated)
                        if parsed.isSignature(validFor: f.chain[0].publicKey) { #expect(parsed.tbsCertListBytes == f.crl.tbsCertListBytes) }
                    } catch let error as V2GPKIError {
                        #expect(error.code == .malformedEncoding)
                    }
                }
            }
        }
    }
}
