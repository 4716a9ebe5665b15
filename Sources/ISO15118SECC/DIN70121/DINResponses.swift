import DINMessages

/// Building blocks of DIN SPEC 70121 responses shared by the SECC rules.
enum DINResponses {
    /// The ServiceID of the charge service (DIN SPEC 70121 ServiceDiscoveryRes ChargeService; 1 by convention).
    static let chargeServiceID: UInt16 = 1
    /// The only SAScheduleTuple the SECC offers.
    static let scheduleTupleID: Int16 = 1

    static func isRequest(_ body: BodyElement) -> Bool {
        switch body {
        case .sessionSetupReq, .serviceDiscoveryReq, .serviceDetailReq, .servicePaymentSelectionReq,
            .paymentDetailsReq, .contractAuthenticationReq, .chargeParameterDiscoveryReq, .cableCheckReq,
            .preChargeReq, .powerDeliveryReq, .currentDemandReq, .chargingStatusReq, .meteringReceiptReq,
            .weldingDetectionReq, .sessionStopReq, .certificateInstallationReq, .certificateUpdateReq:
            true
        default:
            false
        }
    }

    static func isDC(_ transfer: EVRequestedEnergyTransfer) -> Bool {
        switch transfer {
        case .dcCore, .dcExtended, .dcComboCore, .dcUnique: true
        case .acSinglePhaseCore, .acThreePhaseCore: false
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// One schedule of one entry: the EVSE's maximum power for 24 hours (DIN SPEC 70121 SAScheduleList; PMax in W).
    static func schedule(maximumPowerW: Double) -> SAScheduleList {
        let pMax = Int16(clamping: Int(min(max(maximumPowerW, 0), Double(Int16.max))))
        let entry = PMaxScheduleEntry(
            timeInterval: .relativeTimeInterval(RelativeTimeInterval(start: 0, duration: 86_400)), pMax: pMax)
        return SAScheduleList(saScheduleTuple: [
            SAScheduleTuple(
                saScheduleTupleID: scheduleTupleID, pMaxSchedule: PMaxSchedule(pMaxScheduleID: 1, pMaxScheduleEntry: [entry]))
        ])
    }

    static func chargeParameter(_ configuration: DINSECCConfiguration, status: DC_EVSEStatus) -> DC_EVSEChargeParameter {
        let capabilities = configuration.capabilities
        return DC_EVSEChargeParameter(
            dcEVSEStatus: status,
            evseMaximumCurrentLimit: PhysicalValue(capabilities.maximumCurrentA, unit: .a),
            evseMaximumPowerLimit: PhysicalValue(capabilities.maximumPowerW, unit: .w),
            evseMaximumVoltageLimit: PhysicalValue(capabilities.maximumVoltageV, unit: .v),
            evseMinimumCurrentLimit: PhysicalValue(capabilities.minimumCurrentA, unit: .a),
            evseMinimumVoltageLimit: PhysicalValue(capabilities.minimumVoltageV, unit: .v),
            evsePeakCurrentRipple: PhysicalValue(configuration.peakCurrentRippleA, unit: .a))
    }

    /// The response to `request` carrying `code`, with the mandatory fields at neutral values; nil for requests the
    /// SECC cannot answer (certificate installation and update, which DIN SPEC 70121 DC does not use).
    static func failed(
        answering request: BodyElement, code: ResponseCode, configuration: DINSECCConfiguration
    ) -> BodyElement? {
        let status = DC_EVSEStatus(
            evseStatusCode: .evseNotReady, notificationMaxDelay: 0, evseNotification: .none)
        let volts = PhysicalValue(multiplier: 0, unit: .v, value: 0)
        let amps = PhysicalValue(multiplier: 0, unit: .a, value: 0)
        switch request {
        case .sessionSetupReq:
            return .sessionSetupRes(SessionSetupRes(responseCode: code, evseID: configuration.evseID))
        case .serviceDiscoveryReq:
            return .serviceDiscoveryRes(
                ServiceDiscoveryRes(
                    responseCode: code, paymentOptions: PaymentOptions(paymentOption: [.externalPayment]),
                    chargeService: ServiceCharge(
                        serviceTag: ServiceTag(serviceID: chargeServiceID, serviceCategory: .evCharging),
                        freeService: false, energyTransferType: .dcExtended)))
        case .serviceDetailReq(let request):
            return .serviceDetailRes(ServiceDetailRes(responseCode: code, serviceID: request.serviceID))
        case .servicePaymentSelectionReq:
            return .servicePaymentSelectionRes(ServicePaymentSelectionRes(responseCode: code))
        case .paymentDetailsReq:
            return .paymentDetailsRes(PaymentDetailsRes(responseCode: code, genChallenge: "", dateTimeNow: 0))
        case .contractAuthenticationReq:
            return .contractAuthenticationRes(ContractAuthenticationRes(responseCode: code, evseProcessing: .finished))
        case .chargeParameterDiscoveryReq:
            return .chargeParameterDiscoveryRes(
                ChargeParameterDiscoveryRes(
                    responseCode: code, evseProcessing: .finished,
                    saSchedules: .saScheduleList(schedule(maximumPowerW: 0)),
                    evseChargeParameter: .dcEVSEChargeParameter(chargeParameter(configuration, status: status))))
        case .cableCheckReq:
            return .cableCheckRes(CableCheckRes(responseCode: code, dcEVSEStatus: status, evseProcessing: .finished))
        case .preChargeReq:
            return .preChargeRes(PreChargeRes(responseCode: code, dcEVSEStatus: status, evsePresentVoltage: volts))
        case .powerDeliveryReq:
            return .powerDeliveryRes(PowerDeliveryRes(responseCode: code, evseStatus: .dcEVSEStatus(status)))
        case .currentDemandReq:
            return .currentDemandRes(
                CurrentDemandRes(
                    responseCode: code, dcEVSEStatus: status, evsePresentVoltage: volts, evsePresentCurrent: amps,
                    evseCurrentLimitAchieved: false, evseVoltageLimitAchieved: false, evsePowerLimitAchieved: false))
        case .weldingDetectionReq:
            return .weldingDetectionRes(
                WeldingDetectionRes(responseCode: code, dcEVSEStatus: status, evsePresentVoltage: volts))
        case .sessionStopReq:
            return .sessionStopRes(SessionStopRes(responseCode: code))
        default:
            return nil
        }
    }
}
