import CSMS
import CSMSServer
import Foundation
import ISO20Messages
import ISO2Messages
import OCPPMessages
import Synchronization
import Testing

@Suite(.serialized) struct EVCertificateFailureTests {
    @Test("[M03 Failed answer] Update refused: a FAILED CertificateUpdateRes under the request's SessionID; a request of the other action is InvalidExiRequest")
    func update() async throws {
        let recorder = RelayRecorder()
        try await withCSMS { _, port in
            let request = Data(try decodableCertificateRequest(update: true, sessionID: [9, 8, 7, 6, 5, 4, 3, 2])).base64EncodedString()
            let response = try await evCertificate(port: port, exi: request, action: .update)
            #expect(response.status == .failed)
            #expect(response.statusInfo?.reasonCode == "NoCPSConfigured")
            let answer = try failedEXIAnswer(response.exiResponse)
            #expect(answer.code == .failed && answer.update && answer.sessionID == [9, 8, 7, 6, 5, 4, 3, 2])
        }
        try await withCSMS(plugAndCharge: PlugAndChargeServices(evCertificates: recorder)) { _, port in
            // An installation request sent as Update does not reach the provider.
            let request = Data(try decodableCertificateRequest()).base64EncodedString()
            let response = try await evCertificate(port: port, exi: request, action: .update)
            #expect(response.status == .failed)
            #expect(response.statusInfo?.reasonCode == "InvalidExiRequest")
            #expect(response.statusInfo?.additionalInfo == "exiRequest is not a CertificateUpdateReq")
            #expect(try failedEXIAnswer(response.exiResponse).update)
            #expect(recorder.requests.withLock { $0.isEmpty })
        }
    }

    @Test("[M02 Failed answer, ISO 15118-20] a -20 request refused gets a FAILED -20 CertificateInstallationRes (EVSEProcessing Finished, the CSMS's TimeStamp, SessionID zero when the request is unreadable)")
    func iso20() async throws {
        let recorder = RelayRecorder()
        try await withCSMS(plugAndCharge: PlugAndChargeServices(evCertificates: recorder)) { _, port in
            let before = UInt64(Date().timeIntervalSince1970) - 1
            let response = try await evCertificate(
                port: port, exi: Data([0x80, 0x01, 0x02]).base64EncodedString(), schema: "urn:iso:std:iso:15118:-20:CommonMessages")
            #expect(response.status == .failed)
            #expect(response.statusInfo?.reasonCode == "InvalidExiRequest")
            #expect(response.statusInfo?.additionalInfo?.contains("does not decode as ISO 15118-20 CommonMessages") == true)
            let bytes = try #require(Data(base64Encoded: response.exiResponse))
            guard case .certificateInstallationRes(let res) = try ISO20CommonMessagesDocument(exi: Array(bytes)) else {
                Issue.record("not a -20 CertificateInstallationRes")
                return
            }
            #expect(res.responseCode == .failed)
            #expect(res.evseProcessing == .finished)
            #expect(res.header.sessionID == Array(repeating: 0, count: 8))
            #expect(res.header.timeStamp >= before && res.header.timeStamp <= before + 60)
            #expect(recorder.requests.withLock { $0.isEmpty })
        }
    }
}
