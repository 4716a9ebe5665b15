public import ISO2Messages

/// The response body that answers a request with a FAILED_* code (ISO 15118-2 §8.8.2: after a FAILED response the SECC ends
/// the session). Mandatory fields carry neutral values, as the standard leaves them open for failed responses.
public enum ISO2FailedResponse {
    /// The failed response to `request`, or nil when the request is not an ISO 15118-2 request the SECC answers
    /// without data it does not have (certificate installation and update are answered by the backend's EXI).
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
        default: return nil
        }
    }
}
