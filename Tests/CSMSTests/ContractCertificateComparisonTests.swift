@testable import CSMS
import Testing

@Suite("C07: presented contract certificate against the eMSP's record")
struct ContractCertificateComparisonTests {
    static let onRecord = CertificateHashData(
        hashAlgorithm: "SHA256", issuerNameHash: "aa11", issuerKeyHash: "bb22", serialNumber: "0f3c", responderURL: "")

    func presented(
        algorithm: String = "SHA256", name: String = "aa11", key: String = "bb22", serial: String = "0f3c"
    ) -> CertificateHashData {
        CertificateHashData(
            hashAlgorithm: algorithm, issuerNameHash: name, issuerKeyHash: key, serialNumber: serial,
            responderURL: "http://127.0.0.1:1/ocsp")
    }

    @Test("[OCPP2.0.1 C07] the same certificate matches whatever the hex case, leading zeros of the serial and responder URL")
    func matches() {
        #expect(CentralSystem.certificateMismatch(presented(), .certificate(Self.onRecord), eMAID: "E") == nil)
        #expect(CentralSystem.certificateMismatch(
            presented(algorithm: "sha256", name: "AA11", key: "BB22", serial: "F3C"), .certificate(Self.onRecord), eMAID: "E") == nil)
        #expect(CentralSystem.certificateMismatch(presented(serial: "00f3c"), .certificate(Self.onRecord), eMAID: "E") == nil)
        #expect(CentralSystem.certificateMismatch(presented(serial: "x"), .notKept, eMAID: "E") == nil)
    }

    @Test("[OCPP2.0.1 C07] serial, issuer name hash, issuer key hash or hash algorithm differing → CertChainError; no certificate or unknown contract → NoCertificateAvailable")
    func mismatches() {
        for other in [presented(serial: "0f3d"), presented(name: "aa12"), presented(key: "bb23"), presented(algorithm: "SHA384")] {
            #expect(CentralSystem.certificateMismatch(other, .certificate(Self.onRecord), eMAID: "E")?.certificateStatus == "CertChainError")
        }
        #expect(CentralSystem.certificateMismatch(presented(), .noCertificate, eMAID: "E")?.certificateStatus == "NoCertificateAvailable")
        #expect(CentralSystem.certificateMismatch(presented(), .unknownContract, eMAID: "E")?.certificateStatus == "NoCertificateAvailable")
    }
}
