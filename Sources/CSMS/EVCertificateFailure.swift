import Foundation
import ISO20Messages
import ISO2Messages
import OCPPMessages

/// The one source of the exiResponse of a Get15118EVCertificate answered Failed (OCPP 2.0.1 M02/M03: exiResponse is
/// required even then): a real, schema-valid EXI message for the EV with ResponseCode FAILED, never an empty string.
///
/// - ISO 15118-2 (`urn:iso:15118:2:2013:MsgDef`): a V2G_Message with CertificateInstallationRes (Install) or
///   CertificateUpdateRes (Update).
/// - ISO 15118-20 (`urn:iso:std:iso:15118:-20:CommonMessages`): a CertificateInstallationRes, EVSEProcessing
///   Finished, the header's TimeStamp the CSMS's time.
///
/// The header carries the SessionID of the request when its header decodes; when it does not, the SessionID cannot be
/// known and is eight zero bytes. The mandatory certificate, key and eMAID fields hold placeholders of the schema's
/// shapes and the message is unsigned: the CSMS refuses before any CPS is involved, and an EVCC reads nothing beyond
/// a FAILED ResponseCode.
enum EVCertificateFailure {
    static let iso2Schema = "urn:iso:15118:2:2013:MsgDef"
    static let iso20Schema = "urn:iso:std:iso:15118:-20:CommonMessages"
    static let unknownSessionID: [UInt8] = Array(repeating: 0, count: 8)

    /// Why `exi` is not the request `action` names under `schema`; nil when it decodes as that request.
    static func decodingProblem(_ exi: [UInt8], schema: String, action: V201.CertificateActionEnum) -> String? {
        switch schema {
        case iso2Schema:
            let document: ISO2Document
            do { document = try ISO2Document(exi: exi) } catch {
                return "exiRequest does not decode as an ISO 15118-2 V2G_Message: \(error)"
            }
            guard case .v2gMessage(let message) = document else {
                return "exiRequest is an ISO 15118-2 fragment, not a V2G_Message"
            }
            switch (action, message.body.bodyElement) {
            case (.install, .certificateInstallationReq?), (.update, .certificateUpdateReq?): return nil
            default:
                return "exiRequest is not a \(action == .install ? "CertificateInstallationReq" : "CertificateUpdateReq")"
            }
        case iso20Schema:
            let document: ISO20CommonMessagesDocument
            do { document = try ISO20CommonMessagesDocument(exi: exi) } catch {
                return "exiRequest does not decode as ISO 15118-20 CommonMessages: \(error)"
            }
            guard case .certificateInstallationReq = document else { return "exiRequest is not a -20 CertificateInstallationReq" }
            return nil
        default:
            return nil
        }
    }

    /// The FAILED answer for the EV, base64; "" only for a schema this CSMS has no codec for (the field is then
    /// schema-valid but carries nothing).
    static func exiResponse(
        schema: String, action: V201.CertificateActionEnum, request: [UInt8]?, now: OCPPDateTime
    ) -> String {
        let bytes: [UInt8]?
        switch schema {
        case iso2Schema: bytes = iso2(action: action, sessionID: iso2SessionID(request))
        case iso20Schema: bytes = iso20(sessionID: iso20SessionID(request), timeStamp: now)
        default: bytes = nil
        }
        guard let bytes else { return "" }
        return Data(bytes).base64EncodedString()
    }

    static func iso2SessionID(_ request: [UInt8]?) -> [UInt8] {
        guard let request, case .v2gMessage(let message)? = try? ISO2Document(exi: request) else { return unknownSessionID }
        return message.header.sessionID
    }

    static func iso20SessionID(_ request: [UInt8]?) -> [UInt8] {
        guard let request, case .certificateInstallationReq(let req)? = try? ISO20CommonMessagesDocument(exi: request) else {
            return unknownSessionID
        }
        return req.header.sessionID
    }

    static func iso2(action: V201.CertificateActionEnum, sessionID: [UInt8]) -> [UInt8]? {
        let cps = ISO2Messages.CertificateChain(certificate: [0x30, 0x00])
        let contract = ISO2Messages.CertificateChain(id: "id1", certificate: [0x30, 0x00])
        let key = ContractSignatureEncryptedPrivateKey(id: "id2", value: Array(repeating: 0, count: 48))
        let dh = DiffieHellmanPublickey(id: "id3", value: [0x04] + Array(repeating: 0, count: 64))
        let eMAID = ISO2Messages.EMAID(id: "id4", value: "00000000000000")
        let body: BodyElement =
            action == .update
            ? .certificateUpdateRes(CertificateUpdateRes(
                responseCode: .failed, saProvisioningCertificateChain: cps, contractSignatureCertChain: contract,
                contractSignatureEncryptedPrivateKey: key, dHpublickey: dh, eMAID: eMAID))
            : .certificateInstallationRes(ISO2Messages.CertificateInstallationRes(
                responseCode: .failed, saProvisioningCertificateChain: cps, contractSignatureCertChain: contract,
                contractSignatureEncryptedPrivateKey: key, dHpublickey: dh, eMAID: eMAID))
        let message = V2GMessage(header: ISO2Messages.MessageHeader(sessionID: sessionID), body: Body(bodyElement: body))
        return try? ISO2Document.v2gMessage(message).exiEncoded()
    }

    static func iso20(sessionID: [UInt8], timeStamp: OCPPDateTime) -> [UInt8]? {
        let placeholder: [UInt8] = [0x30, 0x00]
        let seconds = timeStamp.secondsSince1970
        let response = ISO20Messages.CertificateInstallationRes(
            header: ISO20Messages.MessageHeader(sessionID: sessionID, timeStamp: seconds > 0 ? UInt64(seconds) : 0),
            responseCode: .failed, evseProcessing: .finished,
            cpsCertificateChain: ISO20Messages.CertificateChain(certificate: placeholder),
            signedInstallationData: SignedInstallationData(
                id: "None",
                contractCertificateChain: ContractCertificateChain(
                    certificate: placeholder, subCertificates: SubCertificates(certificate: [placeholder])),
                ecdhCurve: .secp521, dhPublicKey: [0x04] + Array(repeating: 0, count: 132),
                choice: .secp521EncryptedPrivateKey(Array(repeating: 0, count: 94))),
            remainingContractCertificateChains: 0)
        return try? ISO20CommonMessagesDocument.certificateInstallationRes(response).exiEncoded()
    }
}
