public import ISO2Messages

/// The response body that answers a request with a FAILED_* code (ISO 15118-2 §8.8.2: after a FAILED response the SECC ends
/// the session). Mandatory fields carry neutral values, as the standard leaves them open for failed responses.
public enum ISO2FailedResponse {
    /// The failed response to `request`, or nil when the request is not an ISO 15118-2 request.
    ///
    /// CertificateInstallationRes and CertificateUpdateRes require a CPS chain, a contract chain, an encrypted key,
    /// a DH public key and an eMAID even when they refuse; when the SECC itself refuses (the backend failed or did not
    /// answer) these carry placeholders of the schema's shapes, unsigned, which an EVCC ignores after FAILED.
    public static func body(answering request: BodyElement, code: ResponseCode, evseID: String) -> BodyElement? {
        let dcStatus = DC_EVSEStatus(notificationMaxDelay: 0, evseNotification: .none, evseStatusCode: .evseNotReady)
        let zeroVolt = PhysicalValue(multiplier: 0, unit: .v, value: 0)
        let zeroAmp = PhysicalValue(multiplier: 0, unit: .a, value: 0)
        switch request {
        case .sessionSetupReq: return .sessionSetupRes(SessionSetupRes(responseCode: code, evseID: evseID))
        case .serviceDiscoveryReq:
            return .serviceDiscoveryRes(
                ServiceDiscoveryRes(
                    responseCode: code, paymentOptionList: PaymentOptionList(paymentOption: [.externalPayment]),
                    chargeService: ChargeService(
                        serviceID: 1, serviceCategory: .evCharging, freeService: false,
                        supportedEnergyTransferMode: SupportedEnergyTransferMode(energyTransferMode: [.dcExtended]))))
        case .serviceDetailReq(let req):
            return .serviceDetailRes(ServiceDetailRes(responseCode: code, serviceID: req.serviceID))
        case .paymentServiceSelectionReq:
            return .paymentServiceSelectionRes(PaymentServiceSelectionRes(responseCode: code))
        case .paymentDetailsReq:
            return .paymentDetailsRes(PaymentDetailsRes(responseCode: code, genChallenge: Array(repeating: 0, count: 16), evseTimeStamp: 0))
        case .authorizationReq: return .authorizationRes(AuthorizationRes(responseCode: code, evseProcessing: .finished))
        case .chargeParameterDiscoveryReq:
            return .chargeParameterDiscoveryRes(
                ChargeParameterDiscoveryRes(
                    responseCode: code, evseProcessing: .finished,
                    evseChargeParameter: .dcEVSEChargeParameter(
                        DC_EVSEChargeParameter(
                            dcEVSEStatus: dcStatus, evseMaximumCurrentLimit: zeroAmp,
                            evseMaximumPowerLimit: PhysicalValue(multiplier: 0, unit: .w, value: 0),
                            evseMaximumVoltageLimit: zeroVolt, evseMinimumCurrentLimit: zeroAmp,
                            evseMinimumVoltageLimit: zeroVolt, evsePeakCurrentRipple: zeroAmp))))
        case .cableCheckReq:
            return .cableCheckRes(CableCheckRes(responseCode: code, dcEVSEStatus: dcStatus, evseProcessing: .finished))
        case .preChargeReq:
            return .preChargeRes(PreChargeRes(responseCode: code, dcEVSEStatus: dcStatus, evsePresentVoltage: zeroVolt))
        case .powerDeliveryReq:
            return .powerDeliveryRes(PowerDeliveryRes(responseCode: code, evseStatus: .dcEVSEStatus(dcStatus)))
        case .currentDemandReq:
            return .currentDemandRes(
                CurrentDemandRes(
                    responseCode: code, dcEVSEStatus: dcStatus, evsePresentVoltage: zeroVolt, evsePresentCurrent: zeroAmp,
                    evseCurrentLimitAchieved: false, evseVoltageLimitAchieved: false, evsePowerLimitAchieved: false,
                    evseID: evseID, saScheduleTupleID: 1))
        case .chargingStatusReq:
            return .chargingStatusRes(
                ChargingStatusRes(
                    responseCode: code, evseID: evseID, saScheduleTupleID: 1,
                    acEVSEStatus: AC_EVSEStatus(notificationMaxDelay: 0, evseNotification: .none, rcd: false)))
        case .meteringReceiptReq:
            return .meteringReceiptRes(MeteringReceiptRes(responseCode: code, evseStatus: .dcEVSEStatus(dcStatus)))
        case .weldingDetectionReq:
            return .weldingDetectionRes(WeldingDetectionRes(responseCode: code, dcEVSEStatus: dcStatus, evsePresentVoltage: zeroVolt))
        case .sessionStopReq: return .sessionStopRes(SessionStopRes(responseCode: code))
        case .certificateInstallationReq:
            let p = Self.provisioningPlaceholders
            return .certificateInstallationRes(
                CertificateInstallationRes(
                    responseCode: code, saProvisioningCertificateChain: p.cps, contractSignatureCertChain: p.contract,
                    contractSignatureEncryptedPrivateKey: p.key, dHpublickey: p.dh, eMAID: p.eMAID))
        case .certificateUpdateReq:
            let p = Self.provisioningPlaceholders
            return .certificateUpdateRes(
                CertificateUpdateRes(
                    responseCode: code, saProvisioningCertificateChain: p.cps, contractSignatureCertChain: p.contract,
                    contractSignatureEncryptedPrivateKey: p.key, dHpublickey: p.dh, eMAID: p.eMAID))
        default: return nil
        }
    }

    /// Schema-shaped placeholders for a refused CertificateInstallationRes / CertificateUpdateRes: a one-byte
    /// certificate, a zero 48-byte encrypted key, an uncompressed-point-sized DH key and a 14-character eMAID.
    static let provisioningPlaceholders = (
        cps: CertificateChain(certificate: [0]),
        contract: CertificateChain(id: "id1", certificate: [0]),
        key: ContractSignatureEncryptedPrivateKey(id: "id2", value: Array(repeating: 0, count: 48)),
        dh: DiffieHellmanPublickey(id: "id3", value: [4] + Array(repeating: 0, count: 64)),
        eMAID: EMAID(id: "id4", value: "ZZ000000000000")
    )
}
