import Crypto
import Foundation
import ISO15118SECC
import PnCTesting
import SwiftASN1
import Testing
import V2GPKI
import X509

@Suite struct CertificateHashDataTests {
    @Test("C07 iso15118CertificateHashData: SHA-256 of issuer name and key, serial in hex without leading zeros")
    func hashData() throws {
        let pki = try RevocationTestPKI(.p256)
        let leaf = pki.leaves[3]  // serial 0x80000001: DER has a leading zero byte
        let data = try CertificateHashData(certificate: leaf, issuer: pki.subCA)
        var serializer = DER.Serializer()
        try serializer.serialize(pki.subCA.subject)
        #expect(data.hashAlgorithm == .sha256)
        #expect(data.issuerNameHash == SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined())
        #expect(data.serialNumber == "80000001")
        #expect(data.issuerKeyHash.count == 64)
        #expect(data.responderURL == "")
        let certID = try OCSPCertID(certificate: leaf, issuer: pki.subCA, hashAlgorithm: .sha256)
        #expect(data.issuerKeyHash == certID.issuerKeyHash.map { String(format: "%02x", $0) }.joined())
    }

    @Test("A chain's hash data is leaf first and each entry names its own issuer")
    func chain() throws {
        let pki = try RevocationTestPKI(.p256)
        let entries = try CertificateHashData.chain([pki.leaves[0], pki.subCA], root: pki.root)
        #expect(entries.count == 2)
        #expect(entries[0].serialNumber == "3001")
        #expect(entries[1].serialNumber == "1001")
        #expect(entries[0].issuerNameHash != entries[1].issuerNameHash)
    }
}
