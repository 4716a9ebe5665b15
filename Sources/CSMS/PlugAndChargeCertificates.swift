import Foundation
import OCPPMessages

extension CentralSystem {
    /// M02/M03: Get15118EVCertificate relayed to the ``EVCertificateProvider``; Plug & Charge switched off, a missing
    /// provider, an exiRequest that is not base64 or does not decode as the request its action and schema name, a
    /// provider failure or timeout answer Failed with a reason code. Every Failed answer carries the same kind of
    /// exiResponse: a FAILED CertificateInstallationRes / CertificateUpdateRes from ``EVCertificateFailure``.
    func get15118EVCertificate201(_ request: V201.Get15118EVCertificateRequest, session: StationSession) async -> CSMSReply {
        let traceID = traceID(from: request.customData)
        let requestEXI = Data(base64Encoded: request.exiRequest).map { Array($0) }
        func failed(_ code: String, _ detail: String) -> CSMSReply {
            let exiResponse = EVCertificateFailure.exiResponse(
                schema: request.iso15118SchemaVersion, action: request.action, request: requestEXI, now: now())
            let response = V201.Get15118EVCertificateResponse(
                customData: Self.traceCustomData(traceID), status: .failed,
                statusInfo: V201.StatusInfo(reasonCode: code, additionalInfo: String(detail.prefix(512))),
                exiResponse: exiResponse)
            return CSMSReply(
                .result(response.json),
                decisions: [
                    CSMSDecision(
                        .notice, "Get15118EVCertificate failed", traceID: traceID,
                        metadata: ["ocpp.station_id": session.stationID, "pnc.action": request.action.rawValue, "pnc.reason": detail])
                ])
        }
        if let switches = plugAndCharge.switches {
            do {
                if try await !switches.plugAndChargeEnabled(stationID: session.stationID) {
                    return failed("PnCDisabled", "Plug & Charge is switched off for station \(session.stationID)")
                }
            } catch {
                return failed("StorageError", "the Plug & Charge switch could not be read: \(error)")
            }
        }
        guard let provider = plugAndCharge.evCertificates else {
            return failed("NoCPSConfigured", "no contract certificate provider is configured")
        }
        guard let exi = requestEXI, !exi.isEmpty else {
            return failed("InvalidExiRequest", "exiRequest is not base64")
        }
        if let problem = EVCertificateFailure.decodingProblem(exi, schema: request.iso15118SchemaVersion, action: request.action) {
            return failed("InvalidExiRequest", problem)
        }
        let relayed = EVCertificateRequest(
            stationID: session.stationID, action: request.action == .install ? .install : .update,
            iso15118SchemaVersion: request.iso15118SchemaVersion, exiRequest: exi, traceID: traceID)
        let answer: EVCertificateResponse
        do {
            answer = try await provider.certificate(for: relayed)
        } catch {
            return failed("ProviderError", "contract certificate provider: \(error)")
        }
        let encoded = Data(answer.exiResponse).base64EncodedString()
        guard answer.status == .accepted else {
            return failed("ProviderFailed", answer.reason ?? "the contract certificate provider answered Failed")
        }
        guard !answer.exiResponse.isEmpty, encoded.utf8.count <= 7500 else {
            return failed("InvalidExiResponse", "the provider's exiResponse is empty or longer than 7500 base64 characters")
        }
        let response = V201.Get15118EVCertificateResponse(
            customData: Self.traceCustomData(traceID), status: .accepted, exiResponse: encoded)
        return CSMSReply(
            .result(response.json),
            decisions: [
                CSMSDecision(
                    .info, "Get15118EVCertificate accepted", traceID: traceID,
                    metadata: ["ocpp.station_id": session.stationID, "pnc.action": request.action.rawValue,
                               "pnc.exi_bytes": "\(answer.exiResponse.count)"])
            ])
    }

    /// M06: GetCertificateStatus answered with the verified DER OCSP response, base64, from the certificate's
    /// responder (through the same OCSP client as C07); Failed with a reason code otherwise.
    func getCertificateStatus201(_ request: V201.GetCertificateStatusRequest, session: StationSession) async -> CSMSReply {
        let traceID = traceID(from: request.customData)
        let data = CertificateHashData(request.ocspRequestData)
        func failed(_ code: String, _ detail: String) -> CSMSReply {
            CSMSReply(
                .result(
                    V201.GetCertificateStatusResponse(
                        customData: Self.traceCustomData(traceID), status: .failed,
                        statusInfo: V201.StatusInfo(reasonCode: code, additionalInfo: String(detail.prefix(512)))
                    ).json),
                decisions: [
                    CSMSDecision(
                        .notice, "GetCertificateStatus failed", traceID: traceID,
                        metadata: ["ocpp.station_id": session.stationID, "pnc.certificate": "\(data)", "pnc.reason": detail])
                ])
        }
        guard let checker = plugAndCharge.certificateStatus else {
            return failed("NoOCSPConfigured", "no OCSP client is configured")
        }
        let der: [UInt8]
        do {
            der = try await checker.ocspResponse(for: data, traceID: traceID)
        } catch let error as CSMSError where error.code == .unknownIssuer {
            return failed("UnknownIssuer", error.detail)
        } catch {
            return failed("OCSPUnavailable", "\(error)")
        }
        let encoded = Data(der).base64EncodedString()
        guard encoded.utf8.count <= 5500 else { return failed("OCSPResponseTooLarge", "\(encoded.utf8.count) base64 characters") }
        return CSMSReply(
            .result(
                V201.GetCertificateStatusResponse(customData: Self.traceCustomData(traceID), status: .accepted, ocspResult: encoded).json),
            decisions: [
                CSMSDecision(.info, "GetCertificateStatus answered", traceID: traceID, metadata: ["ocpp.station_id": session.stationID, "pnc.certificate": "\(data)"])
            ])
    }
}
