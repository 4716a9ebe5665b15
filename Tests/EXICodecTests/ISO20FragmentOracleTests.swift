import EXI
import Foundation
import ISO20Messages
import Testing

/// ISO 15118-20 signed elements as fragments of the CommonMessages grammar, against EXIficient.
@Suite struct ISO20FragmentOracleTests {
    static let ns = "urn:iso:std:iso:15118:-20:CommonMessages"

    @Test(
        "[ISO 15118-20 §8.3.4] -20 signed fragments are byte-identical to EXIficient's",
        .enabled(
            if: EXIficientOracleTests.available,
            "SKIPPED-PEER EXICodec.jar + Java 17: run dev/install-test-deps.sh (iso15118==0.31.2, openjdk-17-jre-headless)"))
    func iso20Fragments() throws {
        let b64 = EXIficientOracleTests.b64
        let challenge = Array<UInt8>(1...16), cert = EXIficientOracleTests.bytes(400, 1), sub = EXIficientOracleTests.bytes(300, 2)
        let cases: [(String, String, () throws -> [UInt8])] = [
            (
                "PnC_AReqAuthorizationMode",
                #"{"PnC_AReqAuthorizationMode":{"Id":"id1","GenChallenge":"\#(b64(challenge))","ContractCertificateChain":{"Certificate":"\#(b64(cert))","SubCertificates":{"Certificate":["\#(b64(sub))"]}}}}"#,
                {
                    try ISO20Fragment.pnCAReqAuthorizationMode(
                        PnC_AReqAuthorizationMode(
                            id: "id1", genChallenge: challenge,
                            contractCertificateChain: ContractCertificateChain(certificate: cert, subCertificates: SubCertificates(certificate: [sub])))
                    ).exiEncoded()
                }
            ),
            (
                "OEMProvisioningCertificateChain",
                #"{"OEMProvisioningCertificateChain":{"Id":"id1","Certificate":"\#(b64(cert))"}}"#,
                { try ISO20Fragment.oemProvisioningCertificateChain(SignedCertificateChain(id: "id1", certificate: cert)).exiEncoded() }
            ),
            // EXICodec.jar has no fragment mode for SignedMeteringData: it writes a CommonMessages document (root
            // event code 46). Our document encoding must match it; the fragment form (code 232) has no oracle.
            (
                "SignedMeteringData (as a document)",
                #"{"SignedMeteringData":{"Id":"id1","SessionID":"0102030405060708","MeterInfo":{"MeterID":"M1","ChargedEnergyReadingWh":100},"Scheduled_SMDTControlMode":{"SelectedScheduleTupleID":1}}}"#,
                {
                    try ISO20CommonMessagesDocument.signedMeteringData(
                        SignedMeteringData(
                            id: "id1", sessionID: [1, 2, 3, 4, 5, 6, 7, 8], meterInfo: MeterInfo(meterID: "M1", chargedEnergyReadingWh: 100),
                            choice: .scheduledSMDTControlMode(Scheduled_SMDTControlMode(selectedScheduleTupleID: 1)))
                    ).exiEncoded()
                }
            ),
        ]
        let answers = try EXIficientOracleTests.oracle(cases.map { (Self.ns, $0.1) })
        try #require(answers.count == cases.count)
        for (c, answer) in zip(cases, answers) {
            let ours = hexString(try c.2())
            #expect(ours == answer, "\(c.0): ours \(ours), EXIficient \(answer)")
        }
    }
}
