public import ISO20Messages
public import V2GSecurity
import XMLDSig

/// A contract the vehicle can use for ISO 15118-20 Plug & Charge: its chain (leaf first, then the Sub-CAs, DER) and
/// the contract key (P-521) that signs PnC_AReqAuthorizationMode.
public struct ISO20EVCCContract: Sendable {
    public var eMAID: String
    public var chainDER: [[UInt8]]
    public var key: V2GSigningKey

    public init(eMAID: String, chainDER: [[UInt8]], key: V2GSigningKey) {
        self.eMAID = eMAID
        self.chainDER = chainDER
        self.key = key
    }

    /// The provider part of the eMAID (country code and provider id, ISO 15118-2 Annex H), compared with the SECC's
    /// SupportedProviders.
    public var providerID: String { String(self.eMAID.filter { $0 != "-" }.prefix(5)) }

    /// The contract to use: the first one whose provider the SECC supports, or the first one when it lists none.
    public static func choose(from contracts: [ISO20EVCCContract], supportedProviders: [String]?) -> ISO20EVCCContract? {
        guard let providers = supportedProviders, !providers.isEmpty else { return contracts.first }
        return contracts.first { providers.contains($0.providerID) }
    }
}

/// What an ISO 15118-20 DC EVCC knows about its vehicle.
public struct ISO20EVCCConfiguration: Sendable, Hashable {
    /// The EVCCID (ISO 15118-20 `identifierType`: the VIN or the MAC address as text).
    public var evccID: String
    public var maximumVoltageV: Double
    public var minimumVoltageV: Double
    public var maximumCurrentA: Double
    public var maximumPowerW: Double
    /// The battery voltage PreCharge must reach and the voltage requested in the charge loop.
    public var targetVoltageV: Double
    public var targetCurrentA: Double
    /// PreCharge is done when the EVSE's present voltage is within this many volts of the target.
    public var preChargeToleranceV: Double
    /// Whether the vehicle charges with AC (ServiceID 1) instead of DC (ServiceID 2).
    public var ac: Bool

    public init(
        evccID: String, maximumVoltageV: Double, minimumVoltageV: Double, maximumCurrentA: Double,
        maximumPowerW: Double, targetVoltageV: Double, targetCurrentA: Double, preChargeToleranceV: Double = 20,
        ac: Bool = false
    ) {
        self.ac = ac
        self.evccID = evccID
        self.maximumVoltageV = maximumVoltageV
        self.minimumVoltageV = minimumVoltageV
        self.maximumCurrentA = maximumCurrentA
        self.maximumPowerW = maximumPowerW
        self.targetVoltageV = targetVoltageV
        self.targetCurrentA = targetCurrentA
        self.preChargeToleranceV = preChargeToleranceV
    }
}

/// The EVCC side of an ISO 15118-20 AC or DC session (external identification, scheduled control mode) as a pure state
/// machine. `now` is seconds since 1970-01-01 UTC from the driver's clock: it stamps the headers and bounds the
/// Ongoing phases.
public struct ISO20EVCCStateMachine: Sendable {
    /// V2G_EVCC_Msg_Timeout, the general value of ISO 15118-20:2022 (2 s).
    public static let messageTimeout: Duration = .seconds(2)
    /// V2G_EVCC_Ongoing_Timeout for Authorization and ScheduleExchange (60 s).
    public static let ongoingTimeoutSeconds: UInt64 = 60
    /// The longest the vehicle lets DC_CableCheck stay Ongoing (40 s) and DC_PreCharge run (7 s).
    public static let cableCheckTimeoutSeconds: UInt64 = 40
    public static let preChargeTimeoutSeconds: UInt64 = 7
    /// The ServiceIDs of DC and AC charging (ISO 15118-20:2022 Table 204).
    public static let dcServiceID: UInt16 = 2
    public static let acServiceID: UInt16 = 1

    private var serviceID: UInt16 { self.configuration.ac ? Self.acServiceID : Self.dcServiceID }

    public enum Action: Hashable, Sendable {
        case send(ISO20Request, responseWithin: Duration)
        case finish(Outcome)
        case none
    }

    public enum Outcome: Hashable, Sendable {
        case completed
        case failed(ResponseCode, request: String)
        case responseTimeout(request: String)
        case ongoingTimeout(request: String)
        /// The SECC does not offer what this vehicle needs (EIM, DC, scheduled control).
        case notOffered(String)
        /// The delivered contract was rejected (CPS chain or signature, key decryption, key mismatch).
        case installationRejected(String)
        case evseFault(String)
        case protocolViolation(String)
        case transportClosed
    }

    private enum Step: String, Sendable {
        case sessionSetup = "SessionSetupReq", authorizationSetup = "AuthorizationSetupReq"
        case certificateInstallation = "CertificateInstallationReq"
        case authorization = "AuthorizationReq", serviceDiscovery = "ServiceDiscoveryReq"
        case serviceDetail = "ServiceDetailReq", serviceSelection = "ServiceSelectionReq"
        case chargeParameterDiscovery = "ChargeParameterDiscoveryReq", scheduleExchange = "ScheduleExchangeReq"
        case cableCheck = "DC_CableCheckReq", preCharge = "DC_PreChargeReq", powerDeliveryStart = "PowerDeliveryReq"
        case chargeLoop = "ChargeLoopReq", powerDeliveryStop = "PowerDeliveryReq(Stop)"
        case welding = "DC_WeldingDetectionReq", sessionStop = "SessionStopReq"
    }

    private enum State: Sendable {
        case idle
        case waiting(Step, phaseStart: UInt64)
        case finished
    }

    private var state: State = .idle
    private let configuration: ISO20EVCCConfiguration
    private var sessionID: [UInt8] = Array(repeating: 0, count: 8)
    private var stopRequested = false
    private let contracts: [ISO20EVCCContract]
    /// The signed AuthorizationReq body when PnC was chosen, repeated while the SECC answers Ongoing.
    private var pncMode: (mode: PnC_AReqAuthorizationMode, signature: Signature)?
    /// The eMAID of the contract the vehicle authorizes with (PnC), nil for EIM or before AuthorizationSetupRes.
    public var plugAndChargeEMAID: String? { self.pncMode == nil ? nil : self.chosenEMAID }
    private var chosenEMAID: String?
    private let installation: ISO20ContractInstallation?
    /// The PnC offer of AuthorizationSetupRes, kept while a contract is installed.
    private var pncOffer: PnC_ASResAuthorizationMode?
    /// The contract installed in this session (CertificateInstallation), for the vehicle to keep.
    public private(set) var installedContract: ISO20EVCCContract?
    /// The schedule tuple of ScheduleExchangeRes the vehicle follows (the first one), confirmed in PowerDeliveryReq.
    private var followedSchedule: ScheduleTuple?

    /// - Parameter contracts: contracts for Plug & Charge; the vehicle uses PnC when the SECC offers it and one of
    ///   them fits its SupportedProviders, EIM otherwise.
    /// - Parameter installation: OEM provisioning credentials; with them and no fitting contract, the vehicle installs
    ///   one when the SECC offers CertificateInstallationService together with PnC, then authorizes with it.
    public init(
        configuration: ISO20EVCCConfiguration, contracts: [ISO20EVCCContract] = [],
        installation: ISO20ContractInstallation? = nil
    ) {
        self.configuration = configuration
        self.contracts = contracts
        self.installation = installation
    }

    public var currentSessionID: [UInt8] { self.sessionID }

    public mutating func start(now: UInt64) -> Action {
        guard case .idle = self.state else { return .none }
        return self.request(.sessionSetup, .sessionSetup(SessionSetupReq(header: self.header(now), evccID: self.configuration.evccID)), now)
    }

    /// The driver or the battery asks to end charging; the next charge-loop turn goes to PowerDelivery Stop.
    public mutating func requestStop() {
        self.stopRequested = true
    }

    public mutating func received(_ response: ISO20Response, now: UInt64) -> Action {
        guard case .waiting(let step, let phaseStart) = self.state else {
            if case .finished = self.state { return .none }
            return self.finish(.protocolViolation("response before the session started"))
        }
        if step != .sessionSetup, response.header.sessionID != self.sessionID {
            return self.finish(.protocolViolation("SessionID changed"))
        }
        guard Self.isOK(response.responseCode) else {
            return self.finish(.failed(response.responseCode, request: step.rawValue))
        }
        let h = self.header(now)
        let c = self.configuration
        switch (step, response) {
        case (.sessionSetup, .sessionSetup):
            self.sessionID = response.header.sessionID
            return self.request(.authorizationSetup, .authorizationSetup(AuthorizationSetupReq(header: self.header(now))), now)

        case (.authorizationSetup, .authorizationSetup(let r)):
            if r.authorizationServices.contains(.pnC), case .pnCASResAuthorizationMode(let offer) = r.choice {
                if let contract = ISO20EVCCContract.choose(from: self.contracts, supportedProviders: offer.supportedProviders?.providerID) {
                    return self.authorize(with: contract, offer: offer, h, now)
                }
                if r.certificateInstallationService, let installation = self.installation {
                    self.pncOffer = offer
                    do {
                        return self.request(.certificateInstallation, .certificateInstallation(try installation.request(header: h)), now)
                    } catch {
                        return self.finish(.protocolViolation("OEM provisioning signature failed: \(error)"))
                    }
                }
            }
            guard r.authorizationServices.contains(.eim) else { return self.finish(.notOffered("EIM")) }
            return self.request(.authorization, self.authorization(h), now)

        case (.certificateInstallation, .certificateInstallation(let r)):
            guard let installation = self.installation, let offer = self.pncOffer else {
                return self.finish(.protocolViolation("CertificateInstallationRes without a request"))
            }
            if r.evseProcessing != .finished {
                guard Self.elapsed(now, since: phaseStart) <= Self.ongoingTimeoutSeconds else {
                    return self.finish(.ongoingTimeout(request: step.rawValue))
                }
                do {
                    return self.again(step, .certificateInstallation(try installation.request(header: h)), phaseStart)
                } catch {
                    return self.finish(.protocolViolation("OEM provisioning signature failed: \(error)"))
                }
            }
            switch installation.open(r, now: Double(now)) {
            case .failure(let failure):
                return self.finish(.installationRejected(failure.reason))
            case .success(let contract):
                self.installedContract = contract
                return self.authorize(with: contract, offer: offer, h, now)
            }

        case (.authorization, .authorization(let r)):
            if r.evseProcessing != .finished {
                guard Self.elapsed(now, since: phaseStart) <= Self.ongoingTimeoutSeconds else {
                    return self.finish(.ongoingTimeout(request: step.rawValue))
                }
                return self.again(step, self.authorization(h), phaseStart)
            }
            return self.request(.serviceDiscovery, .serviceDiscovery(ServiceDiscoveryReq(header: h)), now)

        case (.serviceDiscovery, .serviceDiscovery(let r)):
            guard r.energyTransferServiceList.service.contains(where: { $0.serviceID == self.serviceID }) else {
                return self.finish(.notOffered(self.configuration.ac ? "AC" : "DC"))
            }
            return self.request(.serviceDetail, .serviceDetail(ServiceDetailReq(header: h, serviceID: self.serviceID)), now)

        case (.serviceDetail, .serviceDetail(let r)):
            // The first parameter set with scheduled control mode (ControlMode = 1).
            guard let set = r.serviceParameterList.parameterSet.first(where: { set in
                set.parameter.contains { $0.name == "ControlMode" && $0.choice == .intValue(1) }
            }) else { return self.finish(.notOffered("scheduled control mode")) }
            let selection = ServiceSelectionReq(
                header: h, selectedEnergyTransferService: SelectedService(serviceID: self.serviceID, parameterSetID: set.parameterSetID))
            return self.request(.serviceSelection, .serviceSelection(selection), now)

        case (.serviceSelection, .serviceSelection) where c.ac:
            let parameters = AC_CPDReqEnergyTransferMode(
                evMaximumChargePower: RationalNumber(c.maximumPowerW), evMinimumChargePower: RationalNumber(0))
            return self.request(.chargeParameterDiscovery, .acChargeParameterDiscovery(AC_ChargeParameterDiscoveryReq(
                header: h, acCPDReqEnergyTransferMode: .acCPDReqEnergyTransferMode(parameters))), now)

        case (.serviceSelection, .serviceSelection):
            let parameters = DC_CPDReqEnergyTransferMode(
                evMaximumChargePower: RationalNumber(c.maximumPowerW), evMinimumChargePower: RationalNumber(0),
                evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA), evMinimumChargeCurrent: RationalNumber(0),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV), evMinimumVoltage: RationalNumber(c.minimumVoltageV))
            return self.request(.chargeParameterDiscovery, .dcChargeParameterDiscovery(DC_ChargeParameterDiscoveryReq(
                header: h, dcCPDReqEnergyTransferMode: .dcCPDReqEnergyTransferMode(parameters))), now)

        case (.chargeParameterDiscovery, .dcChargeParameterDiscovery) where !c.ac,
            (.chargeParameterDiscovery, .acChargeParameterDiscovery) where c.ac:
            return self.request(.scheduleExchange, Self.scheduleExchange(h), now)

        case (.scheduleExchange, .scheduleExchange(let r)):
            if r.evseProcessing != .finished {
                guard Self.elapsed(now, since: phaseStart) <= Self.ongoingTimeoutSeconds else {
                    return self.finish(.ongoingTimeout(request: step.rawValue))
                }
                return self.again(step, Self.scheduleExchange(h), phaseStart)
            }
            guard case .scheduledSEResControlMode(let mode) = r.choice, let tuple = mode.scheduleTuple.first else {
                return self.finish(.protocolViolation("no schedule tuple"))
            }
            self.followedSchedule = tuple
            if c.ac { return self.request(.powerDeliveryStart, self.powerDeliveryStart(h), now) }
            return self.request(.cableCheck, .dcCableCheck(DC_CableCheckReq(header: h)), now)

        case (.cableCheck, .dcCableCheck(let r)):
            if r.evseProcessing != .finished {
                guard Self.elapsed(now, since: phaseStart) <= Self.cableCheckTimeoutSeconds else {
                    return self.finish(.ongoingTimeout(request: step.rawValue))
                }
                return self.again(step, .dcCableCheck(DC_CableCheckReq(header: h)), phaseStart)
            }
            return self.request(.preCharge, self.preCharge(h), now)

        case (.preCharge, .dcPreCharge(let r)):
            if abs(r.evsePresentVoltage.doubleValue - c.targetVoltageV) > c.preChargeToleranceV {
                guard Self.elapsed(now, since: phaseStart) <= Self.preChargeTimeoutSeconds else {
                    return self.finish(.ongoingTimeout(request: step.rawValue))
                }
                return self.again(step, self.preCharge(h), phaseStart)
            }
            return self.request(.powerDeliveryStart, self.powerDeliveryStart(h), now)

        case (.powerDeliveryStart, .powerDelivery):
            return self.request(.chargeLoop, self.chargeLoop(h), now)

        case (.chargeLoop, .acChargeLoop(let r)) where c.ac:
            if self.stopRequested || r.evseStatus?.evseNotification == .terminate {
                return self.request(.powerDeliveryStop, Self.powerDelivery(h, .stop), now)
            }
            return self.request(.chargeLoop, self.chargeLoop(h), now)

        case (.chargeLoop, .dcChargeLoop(let r)) where !c.ac:
            if self.stopRequested || r.evseStatus?.evseNotification == .terminate {
                return self.request(.powerDeliveryStop, Self.powerDelivery(h, .stop), now)
            }
            return self.request(.chargeLoop, self.chargeLoop(h), now)

        case (.powerDeliveryStop, .powerDelivery) where c.ac:
            return self.request(.sessionStop, .sessionStop(SessionStopReq(header: h, chargingSession: .terminate)), now)

        case (.powerDeliveryStop, .powerDelivery):
            return self.request(.welding, .dcWeldingDetection(DC_WeldingDetectionReq(header: h, evProcessing: .finished)), now)

        case (.welding, .dcWeldingDetection):
            return self.request(.sessionStop, .sessionStop(SessionStopReq(header: h, chargingSession: .terminate)), now)

        case (.sessionStop, .sessionStop):
            return self.finish(.completed)

        default:
            return self.finish(.protocolViolation("unexpected response while waiting for the answer to \(step.rawValue)"))
        }
    }

    public mutating func responseTimerExpired() -> Action {
        guard case .waiting(let step, _) = self.state else { return .none }
        return self.finish(.responseTimeout(request: step.rawValue))
    }

    public mutating func transportClosed() -> Action {
        if case .finished = self.state { return .none }
        return self.finish(.transportClosed)
    }

    // MARK: - Helpers

    /// Signs PnC_AReqAuthorizationMode with the contract key and sends the first AuthorizationReq (PnC).
    private mutating func authorize(
        with contract: ISO20EVCCContract, offer: PnC_ASResAuthorizationMode, _ h: MessageHeader, _ now: UInt64
    ) -> Action {
        guard let leaf = contract.chainDER.first else { return self.finish(.protocolViolation("contract without certificate")) }
        let mode = PnC_AReqAuthorizationMode(
            id: "PnC_AReq", genChallenge: offer.genChallenge,
            contractCertificateChain: ContractCertificateChain(
                certificate: leaf, subCertificates: SubCertificates(certificate: Array(contract.chainDER.dropFirst()))))
        do {
            let signature = try ISO20Signature.sign([(mode.id, .pnCAReqAuthorizationMode(mode))], with: contract.key)
            self.pncMode = (mode, signature)
            self.chosenEMAID = contract.eMAID
        } catch {
            return self.finish(.protocolViolation("contract signature failed: \(error)"))
        }
        return self.request(.authorization, self.authorization(h), now)
    }

    /// Seconds since `start`; 0 if the driver's clock went backwards.
    private static func elapsed(_ now: UInt64, since start: UInt64) -> UInt64 { now > start ? now - start : 0 }

    private func header(_ now: UInt64) -> MessageHeader { MessageHeader(sessionID: self.sessionID, timeStamp: now) }

    private mutating func request(_ step: Step, _ request: ISO20Request, _ now: UInt64) -> Action {
        self.state = .waiting(step, phaseStart: now)
        return .send(request, responseWithin: Self.messageTimeout)
    }

    private mutating func again(_ step: Step, _ request: ISO20Request, _ phaseStart: UInt64) -> Action {
        self.state = .waiting(step, phaseStart: phaseStart)
        return .send(request, responseWithin: Self.messageTimeout)
    }

    private mutating func finish(_ outcome: Outcome) -> Action {
        self.state = .finished
        return .finish(outcome)
    }

    private static func isOK(_ code: ResponseCode) -> Bool {
        switch code {
        case .ok, .okNewSessionEstablished, .okOldSessionJoined, .okCertificateExpiresSoon, .okPowerToleranceConfirmed:
            true
        default:
            false
        }
    }

    private func authorization(_ h: MessageHeader) -> ISO20Request {
        if let pnc = self.pncMode {
            var header = h
            header.signature = pnc.signature
            return .authorization(AuthorizationReq(
                header: header, selectedAuthorizationService: .pnC, choice: .pnCAReqAuthorizationMode(pnc.mode)))
        }
        return .authorization(AuthorizationReq(
            header: h, selectedAuthorizationService: .eim, choice: .eimAReqAuthorizationMode(EIM_AReqAuthorizationMode())))
    }

    private static func scheduleExchange(_ h: MessageHeader) -> ISO20Request {
        .scheduleExchange(ScheduleExchangeReq(
            header: h, maximumSupportingPoints: 1024, choice: .scheduledSEReqControlMode(Scheduled_SEReqControlMode())))
    }

    /// PowerDeliveryReq Start confirming the schedule the vehicle follows: EVPowerProfile in scheduled control mode
    /// with the SelectedScheduleTupleID, PowerToleranceAcceptance (confirmed only when the schedule carries a
    /// PowerTolerance) and the tuple's power entries. Both EVPowerProfile and PowerToleranceAcceptance are optional in
    /// the schema; Josev's SECC refuses a Finished Start without them.
    private func powerDeliveryStart(_ h: MessageHeader) -> ISO20Request {
        guard let tuple = self.followedSchedule, !tuple.chargingSchedule.powerSchedule.powerScheduleEntries.powerScheduleEntry.isEmpty
        else { return Self.powerDelivery(h, .start) }
        let schedule = tuple.chargingSchedule.powerSchedule
        let acceptance: PowerToleranceAcceptance =
            schedule.powerTolerance == nil ? .powerToleranceNotConfirmed : .powerToleranceConfirmed
        let profile = EVPowerProfile(
            timeAnchor: schedule.timeAnchor,
            choice: .scheduledEVPPTControlMode(Scheduled_EVPPTControlMode(
                selectedScheduleTupleID: tuple.scheduleTupleID, powerToleranceAcceptance: acceptance)),
            evPowerProfileEntries: EVPowerProfileEntryList(evPowerProfileEntry: schedule.powerScheduleEntries.powerScheduleEntry))
        return .powerDelivery(PowerDeliveryReq(header: h, evProcessing: .finished, chargeProgress: .start, evPowerProfile: profile))
    }

    private static func powerDelivery(_ h: MessageHeader, _ progress: ChargeProgress) -> ISO20Request {
        .powerDelivery(PowerDeliveryReq(header: h, evProcessing: .finished, chargeProgress: progress))
    }

    private func preCharge(_ h: MessageHeader) -> ISO20Request {
        .dcPreCharge(DC_PreChargeReq(
            header: h, evProcessing: .ongoing, evPresentVoltage: RationalNumber(self.configuration.targetVoltageV),
            evTargetVoltage: RationalNumber(self.configuration.targetVoltageV)))
    }

    private func chargeLoop(_ h: MessageHeader) -> ISO20Request {
        let c = self.configuration
        if c.ac {
            return .acChargeLoop(AC_ChargeLoopReq(
                header: h, meterInfoRequested: false,
                clReqControlMode: .scheduledACCLReqControlMode(Scheduled_AC_CLReqControlMode(
                    evMaximumChargePower: RationalNumber(c.maximumPowerW),
                    evPresentActivePower: RationalNumber(c.targetVoltageV * c.targetCurrentA)))))
        }
        return .dcChargeLoop(DC_ChargeLoopReq(
            header: h, meterInfoRequested: false, evPresentVoltage: RationalNumber(c.targetVoltageV),
            clReqControlMode: .scheduledDCCLReqControlMode(Scheduled_DC_CLReqControlMode(
                evTargetCurrent: RationalNumber(c.targetCurrentA), evTargetVoltage: RationalNumber(c.targetVoltageV),
                evMaximumChargePower: RationalNumber(c.maximumPowerW),
                evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV)))))
    }
}
