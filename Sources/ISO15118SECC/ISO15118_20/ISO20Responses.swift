import ISO20Messages

/// Building blocks of ISO 15118-20 responses shared by the SECC rules.
enum ISO20Responses {
    static func failedACChargeLoop(_ header: MessageHeader, _ code: ResponseCode) -> ISO20Response {
        .acChargeLoop(
            AC_ChargeLoopRes(
                header: header, responseCode: code,
                clResControlMode: .scheduledACCLResControlMode(Scheduled_AC_CLResControlMode())))
    }

    static func failedChargeLoop(_ header: MessageHeader, _ code: ResponseCode) -> ISO20Response {
        let zero = RationalNumber(exponent: 0, value: 0)
        return .dcChargeLoop(
            DC_ChargeLoopRes(
                header: header, responseCode: code, evsePresentCurrent: zero, evsePresentVoltage: zero,
                evsePowerLimitAchieved: false, evseCurrentLimitAchieved: false, evseVoltageLimitAchieved: false,
                clResControlMode: .scheduledDCCLResControlMode(Scheduled_DC_CLResControlMode())))
    }

    /// A CertificateInstallationRes without a delivered contract (Ongoing or a failure): the schema's mandatory
    /// certificate, key and chain fields hold zero placeholders of their sizes, unsigned.
    static func certificateInstallation(_ header: MessageHeader, code: ResponseCode, processing: Processing) -> CertificateInstallationRes {
        let placeholder: [UInt8] = [0x30, 0x00]
        return CertificateInstallationRes(
            header: header, responseCode: code, evseProcessing: processing,
            cpsCertificateChain: CertificateChain(certificate: placeholder),
            signedInstallationData: SignedInstallationData(
                id: "None", contractCertificateChain: ContractCertificateChain(
                    certificate: placeholder, subCertificates: SubCertificates(certificate: [placeholder])),
                ecdhCurve: .secp521, dhPublicKey: [0x04] + Array(repeating: 0, count: 132),
                choice: .secp521EncryptedPrivateKey(Array(repeating: 0, count: 94))),
            remainingContractCertificateChains: 0)
    }

    /// The response to `request` carrying `code`, mandatory fields at neutral values.
    static func failed(
        answering request: ISO20Request, header: MessageHeader, code: ResponseCode,
        configuration: ISO20SECCConfiguration
    ) -> ISO20Response {
        let zero = RationalNumber(exponent: 0, value: 0)
        switch request {
        case .sessionSetup:
            return .sessionSetup(SessionSetupRes(header: header, responseCode: code, evseID: configuration.evseID))
        case .authorizationSetup:
            return .authorizationSetup(
                AuthorizationSetupRes(
                    header: header, responseCode: code, authorizationServices: [.eim],
                    certificateInstallationService: false,
                    choice: .eimASResAuthorizationMode(EIM_ASResAuthorizationMode())))
        case .authorization:
            return .authorization(AuthorizationRes(header: header, responseCode: code, evseProcessing: .finished))
        case .certificateInstallation:
            return .certificateInstallation(certificateInstallation(header, code: code, processing: .finished))
        case .serviceDiscovery:
            return .serviceDiscovery(
                ServiceDiscoveryRes(
                    header: header, responseCode: code, serviceRenegotiationSupported: false,
                    energyTransferServiceList: ServiceList(service: [
                        Service(serviceID: ISO20SECCStateMachine.dcServiceID, freeService: false)
                    ])))
        case .serviceDetail(let r):
            return .serviceDetail(
                ServiceDetailRes(
                    header: header, responseCode: code, serviceID: r.serviceID,
                    serviceParameterList: ServiceParameterList(parameterSet: [
                        ParameterSet(
                            parameterSetID: ISO20SECCStateMachine.parameterSetID,
                            parameter: [Parameter(name: "Connector", choice: .intValue(2))])
                    ])))
        case .serviceSelection:
            return .serviceSelection(ServiceSelectionRes(header: header, responseCode: code))
        case .scheduleExchange:
            return .scheduleExchange(
                ScheduleExchangeRes(
                    header: header, responseCode: code, evseProcessing: .finished,
                    // Scheduled_SEResControlMode needs at least one schedule tuple; the dynamic choice has no
                    // mandatory content.
                    choice: .dynamicSEResControlMode(Dynamic_SEResControlMode())))
        case .powerDelivery:
            return .powerDelivery(PowerDeliveryRes(header: header, responseCode: code))
        case .sessionStop:
            return .sessionStop(SessionStopRes(header: header, responseCode: code))
        case .dcChargeParameterDiscovery:
            return .dcChargeParameterDiscovery(
                DC_ChargeParameterDiscoveryRes(
                    header: header, responseCode: code,
                    dcCPDResEnergyTransferMode: .dcCPDResEnergyTransferMode(
                        DC_CPDResEnergyTransferMode(
                            evseMaximumChargePower: zero, evseMinimumChargePower: zero,
                            evseMaximumChargeCurrent: zero, evseMinimumChargeCurrent: zero,
                            evseMaximumVoltage: zero, evseMinimumVoltage: zero))))
        case .dcCableCheck:
            return .dcCableCheck(DC_CableCheckRes(header: header, responseCode: code, evseProcessing: .finished))
        case .dcPreCharge:
            return .dcPreCharge(DC_PreChargeRes(header: header, responseCode: code, evsePresentVoltage: zero))
        case .dcChargeLoop:
            return failedChargeLoop(header, code)
        case .dcWeldingDetection:
            return .dcWeldingDetection(
                DC_WeldingDetectionRes(header: header, responseCode: code, evsePresentVoltage: zero))
        case .acChargeParameterDiscovery:
            return .acChargeParameterDiscovery(
                AC_ChargeParameterDiscoveryRes(
                    header: header, responseCode: code,
                    acCPDResEnergyTransferMode: .acCPDResEnergyTransferMode(
                        AC_CPDResEnergyTransferMode(
                            evseMaximumChargePower: zero, evseMinimumChargePower: zero, evseNominalFrequency: zero))))
        case .acChargeLoop:
            return failedACChargeLoop(header, code)
        }
    }
}
