public import ISO2Messages

/// ServiceDiscoveryRes: the payment options and the charge service with the EVSE's energy transfer modes
/// (ISO 15118-2:2014 §8.4.3.3).
public enum ServiceDiscoveryRules {
    public static func response(_ configuration: ISO2SECCStateMachine.Configuration) -> ServiceDiscoveryRes {
        ServiceDiscoveryRes(
            responseCode: .ok, paymentOptionList: PaymentOptionList(paymentOption: configuration.paymentOptions),
            chargeService: ChargeService(
                serviceID: 1, serviceCategory: .evCharging, freeService: false,
                supportedEnergyTransferMode: SupportedEnergyTransferMode(
                    energyTransferMode: configuration.capabilities.energyTransfers.compactMap(EnergyTransferMode.init(_:)))))
    }
}

extension EnergyTransferMode {
    /// The -2 mode of a port-level energy transfer; nil for -20 BPT.
    public init?(_ transfer: EnergyTransfer) {
        self.init(rawValue: transfer.rawValue)
    }
}

/// PaymentServiceSelectionRes (ISO 15118-2:2014 §8.4.3.4): the option must be one offered and the charge service
/// (ServiceID 1) must be selected.
public enum PaymentServiceSelectionRules {
    public static func responseCode(_ request: PaymentServiceSelectionReq, offered: [PaymentOption]) -> ResponseCode {
        guard offered.contains(request.selectedPaymentOption) else { return .failedPaymentSelectionInvalid }
        guard request.selectedServiceList.selectedService.contains(where: { $0.serviceID == 1 }) else {
            return .failedNoChargeServiceSelected
        }
        guard request.selectedServiceList.selectedService.allSatisfy({ $0.serviceID == 1 }) else {
            return .failedServiceSelectionInvalid
        }
        return .ok
    }
}

/// AuthorizationRes codes from the backend's decision (ISO 15118-2 ResponseCode, OCPP 2.0.1 C07
/// AuthorizeCertificateStatusEnumType and AuthorizationStatusEnumType).
public enum AuthorizationRules {
    public static func responseCode(for decision: BackendAuthorizationDecision) -> ResponseCode {
        switch decision.certificateStatus {
        case .certificateRevoked: return .failedCertificateRevoked
        case .certificateExpired: return .failedCertificateExpired
        case .certChainError: return .failedCertChainError
        case .signatureError: return .failedSignatureError
        case .contractCancelled: return .failedContractCanceled
        case .noCertificateAvailable: return .failedNoCertificateAvailable
        case .accepted, nil: break
        }
        return decision.status == .accepted ? .ok : .failed
    }
}

/// A ResponseCode carried as an error value of a rule.
public struct RuleFailure: Error, Hashable, Sendable {
    public var code: ResponseCode
    public init(_ code: ResponseCode) { self.code = code }
}

/// ChargeParameterDiscoveryRes (ISO 15118-2:2014 §8.4.3.8): the requested mode must be offered and match the
/// parameter set (AC or DC); the answer carries the EVSE limits and one SAScheduleTuple (ID 1) whose PMax is the
/// EVSE's maximum power for 24 h.
public enum ChargeParameterDiscoveryRules {
    public static func response(
        to request: ChargeParameterDiscoveryReq, configuration: ISO2SECCStateMachine.Configuration
    ) -> Result<ChargeParameterDiscoveryRes, RuleFailure> {
        let capabilities = configuration.capabilities
        let offered = capabilities.energyTransfers.compactMap(EnergyTransferMode.init(_:))
        guard offered.contains(request.requestedEnergyTransferMode) else {
            return .failure(RuleFailure(.failedWrongEnergyTransferMode))
        }
        let isDC = EnergyTransfer(rawValue: request.requestedEnergyTransferMode.rawValue)?.isDC ?? false
        let schedule = SAScheduleList(saScheduleTuple: [
            SAScheduleTuple(
                saScheduleTupleID: 1,
                pMaxSchedule: PMaxSchedule(pMaxScheduleEntry: [
                    PMaxScheduleEntry(
                        timeInterval: .relativeTimeInterval(RelativeTimeInterval(start: 0, duration: 86_400)),
                        pMax: PhysicalValue.of(capabilities.maximumPowerW, .w))
                ]))
        ])
        let limit = request.maxEntriesSAScheduleTuple.map { Int($0) } ?? Int.max
        guard limit >= 1 else { return .failure(RuleFailure(.failedWrongChargeParameter)) }
        switch (isDC, request.evChargeParameter) {
        case (true, .dcEVChargeParameter):
            let status = DC_EVSEStatus(
                notificationMaxDelay: 0, evseNotification: .none, evseIsolationStatus: .invalid,
                evseStatusCode: .evseReady)
            return .success(
                ChargeParameterDiscoveryRes(
                    responseCode: .ok, evseProcessing: .finished, saSchedules: .saScheduleList(schedule),
                    evseChargeParameter: .dcEVSEChargeParameter(
                        DC_EVSEChargeParameter(
                            dcEVSEStatus: status,
                            evseMaximumCurrentLimit: .of(capabilities.maximumCurrentA, .a),
                            evseMaximumPowerLimit: .of(capabilities.maximumPowerW, .w),
                            evseMaximumVoltageLimit: .of(capabilities.maximumVoltageV, .v),
                            evseMinimumCurrentLimit: .of(capabilities.minimumCurrentA, .a),
                            evseMinimumVoltageLimit: .of(capabilities.minimumVoltageV, .v),
                            evsePeakCurrentRipple: .of(1, .a)))))
        case (false, .acEVChargeParameter):
            return .success(
                ChargeParameterDiscoveryRes(
                    responseCode: .ok, evseProcessing: .finished, saSchedules: .saScheduleList(schedule),
                    evseChargeParameter: .acEVSEChargeParameter(
                        AC_EVSEChargeParameter(
                            acEVSEStatus: AC_EVSEStatus(notificationMaxDelay: 0, evseNotification: .none, rcd: false),
                            evseNominalVoltage: .of(capabilities.nominalVoltageV, .v),
                            evseMaxCurrent: .of(capabilities.maximumCurrentA, .a)))))
        default:
            return .failure(RuleFailure(.failedWrongChargeParameter))
        }
    }
}
