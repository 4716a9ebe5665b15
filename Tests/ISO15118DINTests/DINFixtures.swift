import DINMessages
import ISO15118EVCC
import ISO15118SECC
import PnCCore

enum DINFixtures {
    static let sessionID: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
    static let evccID: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    static let traceID = TraceID(high: 1, low: 2)

    static let capabilities = EVSECapabilities(
        energyTransfers: [.dcExtended], maximumPowerW: 50_000, maximumCurrentA: 125, minimumCurrentA: 0,
        maximumVoltageV: 500, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "METER-1")

    static let seccConfiguration = DINSECCConfiguration(
        evseID: [0x49, 0x4E, 0x54, 0x31], evseIndex: 1, capabilities: capabilities)

    static let evccConfiguration = DINEVCCConfiguration(
        evccID: evccID, maximumVoltageV: 450, maximumCurrentA: 100, maximumPowerW: 40_000, targetVoltageV: 380,
        targetCurrentA: 80, stateOfCharge: 30)

    static func secc() -> DINSECCStateMachine {
        DINSECCStateMachine(configuration: seccConfiguration, proposedSessionID: sessionID, traceID: traceID)
    }

    static func message(_ body: BodyElement, sessionID: [UInt8] = sessionID) -> V2GMessage {
        V2GMessage(header: MessageHeader(sessionID: sessionID), body: Body(bodyElement: body))
    }

    static let evStatus = DC_EVStatus(evReady: true, evErrorCode: .noError, evresssoc: 30)

    static let sessionSetup = message(.sessionSetupReq(SessionSetupReq(evccID: evccID)), sessionID: [0])
    static let serviceDiscovery = message(.serviceDiscoveryReq(ServiceDiscoveryReq()))
    static let paymentSelection = message(
        .servicePaymentSelectionReq(
            ServicePaymentSelectionReq(
                selectedPaymentOption: .externalPayment,
                selectedServiceList: SelectedServiceList(selectedService: [SelectedService(serviceID: 1)]))))
    static let contractAuthentication = message(.contractAuthenticationReq(ContractAuthenticationReq()))
    static func chargeParameterDiscovery(
        _ transfer: EVRequestedEnergyTransfer = .dcExtended, maximumVoltage: Double = 450
    ) -> V2GMessage {
        message(
            .chargeParameterDiscoveryReq(
                ChargeParameterDiscoveryReq(
                    evRequestedEnergyTransferType: transfer,
                    evChargeParameter: .dcEVChargeParameter(
                        DC_EVChargeParameter(
                            dcEVStatus: evStatus, evMaximumCurrentLimit: PhysicalValue(100, unit: .a),
                            evMaximumVoltageLimit: PhysicalValue(maximumVoltage, unit: .v))))))
    }
    static func cableCheck(_ status: DC_EVStatus = evStatus) -> V2GMessage {
        message(.cableCheckReq(CableCheckReq(dcEVStatus: status)))
    }
    static func preCharge(voltage: Double = 380) -> V2GMessage {
        message(
            .preChargeReq(
                PreChargeReq(
                    dcEVStatus: evStatus, evTargetVoltage: PhysicalValue(voltage, unit: .v),
                    evTargetCurrent: PhysicalValue(1, unit: .a))))
    }
    static func powerDelivery(ready: Bool, tuple: Int16? = nil) -> V2GMessage {
        message(
            .powerDeliveryReq(
                PowerDeliveryReq(
                    readyToChargeState: ready,
                    chargingProfile: tuple.map { ChargingProfile(saScheduleTupleID: $0) })))
    }
    static let currentDemand = message(
        .currentDemandReq(
            CurrentDemandReq(
                dcEVStatus: evStatus, evTargetCurrent: PhysicalValue(80, unit: .a), chargingComplete: false,
                evTargetVoltage: PhysicalValue(380, unit: .v))))
    static let weldingDetection = message(.weldingDetectionReq(WeldingDetectionReq(dcEVStatus: evStatus)))
    static let sessionStop = message(.sessionStopReq(SessionStop()))

    /// The response code of a DIN response body, nil for requests.
    static func responseCode(_ message: V2GMessage) -> ResponseCode? {
        switch message.body.bodyElement {
        case .sessionSetupRes(let r): r.responseCode
        case .serviceDiscoveryRes(let r): r.responseCode
        case .servicePaymentSelectionRes(let r): r.responseCode
        case .contractAuthenticationRes(let r): r.responseCode
        case .chargeParameterDiscoveryRes(let r): r.responseCode
        case .cableCheckRes(let r): r.responseCode
        case .preChargeRes(let r): r.responseCode
        case .powerDeliveryRes(let r): r.responseCode
        case .currentDemandRes(let r): r.responseCode
        case .weldingDetectionRes(let r): r.responseCode
        case .sessionStopRes(let r): r.responseCode
        case .serviceDetailRes(let r): r.responseCode
        case .paymentDetailsRes(let r): r.responseCode
        default: nil
        }
    }

    /// The element name of a message body, for transcripts.
    static func name(_ message: V2GMessage) -> String {
        guard let body = message.body.bodyElement else { return "empty" }
        let label = String(describing: body)
        return String(label.prefix(while: { $0 != "(" }))
    }
}

/// A deterministic DC output stage: the voltage moves at most 150 V towards the target per regulation step, the
/// current follows the target once the voltage is there, and the isolation monitor reports a configurable level.
struct DCOutputStage {
    var voltageV: Double = 0
    var isolation: ISO15118SECC.IsolationLevel = .valid
    var contactorsClosed = false

    mutating func run(_ command: DINSECCStateMachine.ControllerCommand) -> DINSECCStateMachine.ControllerReply {
        switch command {
        case .cableCheck:
            return .isolation(self.isolation)
        case .setContactors(let closed):
            self.contactorsClosed = closed
            return .contactorsSet
        case .deliver(let target):
            let step = max(min(target.voltageV - self.voltageV, 150), -150)
            self.voltageV += step
            let current = self.voltageV == target.voltageV && self.contactorsClosed ? target.currentA : 0
            return .output(OutputMeasurement(voltageV: self.voltageV, currentA: current))
        }
    }
}
