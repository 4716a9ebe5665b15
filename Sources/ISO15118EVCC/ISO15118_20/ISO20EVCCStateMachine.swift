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
    /// Bidirectional power transfer: the vehicle asks for AC_BPT (5) or DC_BPT (6) and discharges when the schedule
    /// (scheduled control mode) or the SECC (dynamic control mode) asks for it.
    public var bpt = false
    /// BPT: the most power and current the vehicle gives back (positive figures).
    public var maximumDischargePowerW: Double = 0
    public var maximumDischargeCurrentA: Double = 0
    /// The control modes the vehicle accepts, preferred first; it selects the first one the SECC offers.
    public var controlModes: [ISO20ControlMode] = [.scheduled]
    /// The traction battery: capacity, state of charge at the start, the floor for discharging and the target.
    public var batteryCapacityWh: Double = 60_000
    public var stateOfCharge: Double = 50
    public var minimumStateOfCharge: Double = 20
    public var targetStateOfCharge: Double = 100
    /// Standby (PowerDeliveryReq Standby) after this many charge-loop exchanges, for `standbyLoops` exchanges, then
    /// PowerDeliveryReq Start; nil: no standby.
    public var standbyAfterLoops: Int?
    public var standbyLoops = 2
    /// How the first SessionStopReq ends the session: Terminate, Pause (the session can be joined later with
    /// ``resumeSessionID``) or ServiceRenegotiation (back to ServiceDiscovery for a second energy transfer, then
    /// Terminate).
    public var sessionEnd: ChargingSession = .terminate
    /// A paused session to join: SessionSetupReq carries this SessionID.
    public var resumeSessionID: [UInt8]?

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

/// The EVCC side of an ISO 15118-20 AC or DC session (EIM or PnC; AC, DC, AC_BPT, DC_BPT; scheduled or dynamic
/// control mode; standby, pause and service renegotiation) as a pure state machine. `now` is seconds since 1970-01-01 UTC from the driver's clock: it stamps the headers and bounds the
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

    private var service: ISO20EnergyService { .of(dc: !self.configuration.ac, bpt: self.configuration.bpt) }
    private var serviceID: UInt16 { self.service.rawValue }

    public enum Action: Hashable, Sendable {
        case send(ISO20Request, responseWithin: Duration)
        case finish(Outcome)
        case none
    }

    public enum Outcome: Hashable, Sendable {
        case completed
        /// SessionStopRes to SessionStopReq Pause: the session can be joined with this SessionID.
        case paused(sessionID: [UInt8])
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
        case powerDeliveryStandby = "PowerDeliveryReq(Standby)"
        case powerDeliveryRenegotiation = "PowerDeliveryReq(ScheduleRenegotiation)"
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
    /// The battery, charged and discharged by what the EVSE reports in each charge-loop response over the time
    /// between responses.
    public private(set) var battery: EVBattery
    /// Energy taken in and given back in this session, in Wh (from the EVSE's reports).
    public private(set) var chargedWh: Double = 0
    public private(set) var dischargedWh: Double = 0
    /// The control mode of the selected parameter set.
    public private(set) var controlMode: ISO20ControlMode = .scheduled
    /// The SECC joined the paused session (SessionSetupRes OK_OldSessionJoined).
    public private(set) var joinedOldSession = false
    /// How many service renegotiations the session went through.
    public private(set) var renegotiations = 0
    /// How many schedule renegotiations (PowerDeliveryReq ScheduleRenegotiation) the session went through.
    public private(set) var scheduleRenegotiations = 0
    /// The EVSE's notifications the vehicle reacted to, in order.
    public private(set) var noticeReactions: [ISO20NoticeReaction] = []
    /// A ScheduleExchange after PowerDeliveryReq ScheduleRenegotiation: PowerDelivery Start follows directly.
    private var renegotiatingSchedule = false
    /// How the session ends after a service renegotiation the EVSE asked for (the configured end).
    private var endAfterRenegotiation: ChargingSession?
    /// The ChargingSchedule of scheduled control mode: its time anchor and entries (seconds, W).
    private var schedule: (anchor: UInt64, entries: [(duration: UInt64, powerW: Double)])?
    private var lastLoopAt: UInt64?
    private var loops = 0
    /// Standby exchanges still to send; nil when not in standby.
    private var standbyRemaining: Int?
    private var standbyDone = false
    private var sessionEnd: ChargingSession
    /// The AC power the SECC last set (dynamic) or the vehicle last drew (scheduled).
    private var acPowerW: Double = 0
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
        self.sessionEnd = configuration.sessionEnd
        self.battery = EVBattery(
            capacityWh: configuration.batteryCapacityWh, stateOfCharge: configuration.stateOfCharge,
            maximumCurrentA: configuration.maximumCurrentA, maximumVoltageV: configuration.maximumVoltageV,
            nominalVoltageV: configuration.targetVoltageV, targetStateOfCharge: configuration.targetStateOfCharge)
    }

    public var currentSessionID: [UInt8] { self.sessionID }

    public mutating func start(now: UInt64) -> Action {
        guard case .idle = self.state else { return .none }
        if let resume = self.configuration.resumeSessionID, resume.count == 8 { self.sessionID = resume }
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
        if step == .powerDeliveryStandby, response.responseCode == .warningStandbyNotAllowed {
            // The SECC keeps charging: so does the vehicle.
            self.standbyDone = true
            return self.request(.chargeLoop, self.chargeLoop(self.header(now), now: now), now)
        }
        guard Self.isOK(response.responseCode) else {
            return self.finish(.failed(response.responseCode, request: step.rawValue))
        }
        let h = self.header(now)
        let c = self.configuration
        switch (step, response) {
        case (.sessionSetup, .sessionSetup):
            self.joinedOldSession = response.responseCode == .okOldSessionJoined
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
                return self.finish(.notOffered(Self.name(self.service)))
            }
            return self.request(.serviceDetail, .serviceDetail(ServiceDetailReq(header: h, serviceID: self.serviceID)), now)

        case (.serviceDetail, .serviceDetail(let r)):
            // The first offered parameter set in the vehicle's most preferred control mode.
            let offered = r.serviceParameterList.parameterSet
            let choice = self.configuration.controlModes.lazy.compactMap { mode in
                offered.first(where: { ISO20ControlMode.of($0) == mode }).map { (set: $0, mode: mode) }
            }.first
            guard let choice else {
                return self.finish(.notOffered(self.configuration.controlModes.map { "\($0) control mode" }.joined(separator: " or ")))
            }
            let set = choice.set
            self.controlMode = choice.mode
            let selection = ServiceSelectionReq(
                header: h, selectedEnergyTransferService: SelectedService(serviceID: self.serviceID, parameterSetID: set.parameterSetID))
            return self.request(.serviceSelection, .serviceSelection(selection), now)

        case (.serviceSelection, .serviceSelection) where c.ac:
            return self.request(.chargeParameterDiscovery, .acChargeParameterDiscovery(self.acChargeParameters(h)), now)

        case (.serviceSelection, .serviceSelection):
            return self.request(.chargeParameterDiscovery, .dcChargeParameterDiscovery(self.dcChargeParameters(h)), now)

        case (.chargeParameterDiscovery, .dcChargeParameterDiscovery(let r)) where !c.ac:
            guard Self.isBPT(r.dcCPDResEnergyTransferMode) == c.bpt else {
                return self.finish(.protocolViolation("DC_ChargeParameterDiscoveryRes for another service"))
            }
            return self.request(.scheduleExchange, self.scheduleExchange(h), now)

        case (.chargeParameterDiscovery, .acChargeParameterDiscovery(let r)) where c.ac:
            guard Self.isBPT(r.acCPDResEnergyTransferMode) == c.bpt else {
                return self.finish(.protocolViolation("AC_ChargeParameterDiscoveryRes for another service"))
            }
            return self.request(.scheduleExchange, self.scheduleExchange(h), now)

        case (.scheduleExchange, .scheduleExchange(let r)):
            if r.evseProcessing != .finished {
                guard Self.elapsed(now, since: phaseStart) <= Self.ongoingTimeoutSeconds else {
                    return self.finish(.ongoingTimeout(request: step.rawValue))
                }
                return self.again(step, self.scheduleExchange(h), phaseStart)
            }
            switch (self.controlMode, r.choice) {
            case (.scheduled, .scheduledSEResControlMode(let mode)):
                guard let tuple = mode.scheduleTuple.first else { return self.finish(.protocolViolation("no schedule tuple")) }
                let power = tuple.chargingSchedule.powerSchedule
                self.schedule = (power.timeAnchor, power.powerScheduleEntries.powerScheduleEntry.map {
                    (UInt64($0.duration), $0.power.doubleValue)
                })
                self.followedSchedule = tuple
            case (.dynamic, .dynamicSEResControlMode):
                self.schedule = nil
                self.followedSchedule = nil
            default:
                return self.finish(.protocolViolation("ScheduleExchangeRes in another control mode"))
            }
            if c.ac || self.renegotiatingSchedule {
                // AC has no cable check or pre-charge; after a schedule renegotiation the DC output is still up.
                self.renegotiatingSchedule = false
                return self.request(.powerDeliveryStart, self.powerDeliveryStart(h), now)
            }
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
            self.lastLoopAt = now
            return self.request(.chargeLoop, self.chargeLoop(h, now: now), now)

        case (.powerDeliveryRenegotiation, .powerDelivery):
            self.renegotiatingSchedule = true
            self.scheduleRenegotiations += 1
            return self.request(.scheduleExchange, self.scheduleExchange(h), now)

        case (.powerDeliveryStandby, .powerDelivery):
            self.standbyRemaining = max(1, self.configuration.standbyLoops)
            self.lastLoopAt = now
            return self.request(.chargeLoop, self.chargeLoop(h, now: now), now)

        case (.chargeLoop, .acChargeLoop(let r)) where c.ac:
            self.account(acPowerW: Self.presentPower(r.clResControlMode), now: now)
            return self.nextLoop(h, status: r.evseStatus, now: now)

        case (.chargeLoop, .dcChargeLoop(let r)) where !c.ac:
            self.account(
                dcPowerW: r.evsePresentCurrent.doubleValue * r.evsePresentVoltage.doubleValue, now: now)
            return self.nextLoop(h, status: r.evseStatus, now: now)

        case (.powerDeliveryStop, .powerDelivery) where c.ac:
            return self.request(.sessionStop, .sessionStop(SessionStopReq(header: h, chargingSession: self.sessionEnd)), now)

        case (.powerDeliveryStop, .powerDelivery):
            return self.request(.welding, .dcWeldingDetection(DC_WeldingDetectionReq(header: h, evProcessing: .finished)), now)

        case (.welding, .dcWeldingDetection):
            return self.request(.sessionStop, .sessionStop(SessionStopReq(header: h, chargingSession: self.sessionEnd)), now)

        case (.sessionStop, .sessionStop):
            switch self.sessionEnd {
            case .terminate:
                return self.finish(.completed)
            case .pause:
                return self.finish(.paused(sessionID: self.sessionID))
            case .serviceRenegotiation:
                // A second energy transfer in the same session, ended by Terminate.
                self.renegotiations += 1
                self.sessionEnd = self.endAfterRenegotiation ?? .terminate
                self.endAfterRenegotiation = nil
                self.stopRequested = false
                self.standbyDone = true
                self.loops = 0
                return self.request(.serviceDiscovery, .serviceDiscovery(ServiceDiscoveryReq(header: h)), now)
            }

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

    private func scheduleExchange(_ h: MessageHeader) -> ISO20Request {
        switch self.controlMode {
        case .scheduled:
            return .scheduleExchange(ScheduleExchangeReq(
                header: h, maximumSupportingPoints: 1024, choice: .scheduledSEReqControlMode(Scheduled_SEReqControlMode())))
        case .dynamic:
            let e = self.energyRequests
            let bpt = self.configuration.bpt
            return .scheduleExchange(ScheduleExchangeReq(
                header: h, maximumSupportingPoints: 1024,
                choice: .dynamicSEReqControlMode(Dynamic_SEReqControlMode(
                    departureTime: 7_200, minimumSOC: Self.percent(self.configuration.minimumStateOfCharge),
                    targetSOC: Self.percent(self.configuration.targetStateOfCharge),
                    evTargetEnergyRequest: RationalNumber(e.target), evMaximumEnergyRequest: RationalNumber(e.maximum),
                    evMinimumEnergyRequest: RationalNumber(e.minimum),
                    evMaximumV2XEnergyRequest: bpt ? RationalNumber(e.maximum) : nil,
                    evMinimumV2XEnergyRequest: bpt ? RationalNumber(e.v2xMinimum) : nil))))
        }
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

    private static func name(_ service: ISO20EnergyService) -> String {
        switch service {
        case .ac: "AC"
        case .dc: "DC"
        case .acBPT: "AC_BPT"
        case .dcBPT: "DC_BPT"
        }
    }

}

// MARK: - Bidirectional power transfer, dynamic control mode, standby

extension ISO20EVCCStateMachine {
    /// Energy requests from the battery (Wh): to the target, to full, to the minimum state of charge (never below 0),
    /// and the V2X floor (negative: what the vehicle may give back down to its minimum state of charge).
    fileprivate var energyRequests: (target: Double, maximum: Double, minimum: Double, v2xMinimum: Double) {
        let capacity = self.battery.capacityWh
        let soc = self.battery.stateOfCharge
        let c = self.configuration
        return (
            max(0, (c.targetStateOfCharge - soc) / 100 * capacity), max(0, (100 - soc) / 100 * capacity),
            max(0, (c.minimumStateOfCharge - soc) / 100 * capacity), (c.minimumStateOfCharge - soc) / 100 * capacity
        )
    }

    /// A state of charge in percent as the schema's byte (0 ... 100).
    fileprivate static func percent(_ value: Double) -> Int8 {
        Int8(min(100, max(0, value.isFinite ? value.rounded() : 0)))
    }

    /// The vehicle may discharge while above its minimum state of charge.
    fileprivate var canDischarge: Bool {
        self.configuration.bpt && self.battery.stateOfCharge > self.configuration.minimumStateOfCharge
    }

    fileprivate func acChargeParameters(_ h: MessageHeader) -> AC_ChargeParameterDiscoveryReq {
        let c = self.configuration
        if c.bpt {
            return AC_ChargeParameterDiscoveryReq(
                header: h, acCPDReqEnergyTransferMode: .bptACCPDReqEnergyTransferMode(BPT_AC_CPDReqEnergyTransferMode(
                    evMaximumChargePower: RationalNumber(c.maximumPowerW), evMinimumChargePower: RationalNumber(0),
                    evMaximumDischargePower: RationalNumber(c.maximumDischargePowerW),
                    evMinimumDischargePower: RationalNumber(0))))
        }
        return AC_ChargeParameterDiscoveryReq(
            header: h, acCPDReqEnergyTransferMode: .acCPDReqEnergyTransferMode(AC_CPDReqEnergyTransferMode(
                evMaximumChargePower: RationalNumber(c.maximumPowerW), evMinimumChargePower: RationalNumber(0))))
    }

    fileprivate func dcChargeParameters(_ h: MessageHeader) -> DC_ChargeParameterDiscoveryReq {
        let c = self.configuration
        if c.bpt {
            return DC_ChargeParameterDiscoveryReq(
                header: h, dcCPDReqEnergyTransferMode: .bptDCCPDReqEnergyTransferMode(BPT_DC_CPDReqEnergyTransferMode(
                    evMaximumChargePower: RationalNumber(c.maximumPowerW), evMinimumChargePower: RationalNumber(0),
                    evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA), evMinimumChargeCurrent: RationalNumber(0),
                    evMaximumVoltage: RationalNumber(c.maximumVoltageV), evMinimumVoltage: RationalNumber(c.minimumVoltageV),
                    targetSOC: Self.percent(c.targetStateOfCharge),
                    evMaximumDischargePower: RationalNumber(c.maximumDischargePowerW), evMinimumDischargePower: RationalNumber(0),
                    evMaximumDischargeCurrent: RationalNumber(c.maximumDischargeCurrentA),
                    evMinimumDischargeCurrent: RationalNumber(0))))
        }
        return DC_ChargeParameterDiscoveryReq(
            header: h, dcCPDReqEnergyTransferMode: .dcCPDReqEnergyTransferMode(DC_CPDReqEnergyTransferMode(
                evMaximumChargePower: RationalNumber(c.maximumPowerW), evMinimumChargePower: RationalNumber(0),
                evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA), evMinimumChargeCurrent: RationalNumber(0),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV), evMinimumVoltage: RationalNumber(c.minimumVoltageV))))
    }

    fileprivate static func isBPT(_ mode: DC_CPDResEnergyTransferModeGroup) -> Bool {
        if case .bptDCCPDResEnergyTransferMode = mode { return true }
        return false
    }

    fileprivate static func isBPT(_ mode: AC_CPDResEnergyTransferModeGroup) -> Bool {
        if case .bptACCPDResEnergyTransferMode = mode { return true }
        return false
    }

    /// The AC power the EVSE reports (present, else target), in W.
    fileprivate static func presentPower(_ mode: CLResControlModeGroupAC) -> Double? {
        switch mode {
        case .scheduledACCLResControlMode(let m): (m.evsePresentActivePower ?? m.evseTargetActivePower)?.doubleValue
        case .bptScheduledACCLResControlMode(let m): (m.evsePresentActivePower ?? m.evseTargetActivePower)?.doubleValue
        case .dynamicACCLResControlMode(let m): (m.evsePresentActivePower ?? m.evseTargetActivePower).doubleValue
        case .bptDynamicACCLResControlMode(let m): (m.evsePresentActivePower ?? m.evseTargetActivePower).doubleValue
        case .clResControlMode: nil
        }
    }

    /// The schedule's power at `now` (scheduled control mode), the vehicle's maximum without a schedule.
    fileprivate func scheduledPower(now: UInt64) -> Double {
        guard let schedule = self.schedule else { return self.configuration.maximumPowerW }
        var elapsed = now > schedule.anchor ? now - schedule.anchor : 0
        for entry in schedule.entries {
            if elapsed < entry.duration { return entry.powerW }
            elapsed -= entry.duration
        }
        return self.configuration.maximumPowerW
    }

    /// Charges the battery with the energy of `powerW` since the previous charge-loop response.
    fileprivate mutating func account(dcPowerW: Double, now: UInt64) {
        self.account(power: dcPowerW, now: now)
    }

    fileprivate mutating func account(acPowerW: Double?, now: UInt64) {
        if let acPowerW { self.acPowerW = acPowerW }
        self.account(power: acPowerW ?? 0, now: now)
    }

    private mutating func account(power: Double, now: UInt64) {
        defer { self.lastLoopAt = now }
        guard power.isFinite, let last = self.lastLoopAt, now > last else { return }
        let energy = power * Double(now - last) / 3_600
        self.battery.charge(energyWh: energy)
        if energy >= 0 { self.chargedWh += energy } else { self.dischargedWh -= energy }
    }

    /// After a charge-loop response: standby in or out, stop, or the next charge-loop request.
    fileprivate mutating func nextLoop(_ h: MessageHeader, status: EVSEStatus?, now: UInt64) -> Action {
        self.loops += 1
        if let status, let reaction = self.react(to: status, h, now: now) { return reaction }
        if self.stopRequested {
            self.standbyRemaining = nil
            return self.request(.powerDeliveryStop, Self.powerDelivery(h, .stop), now)
        }
        if let remaining = self.standbyRemaining {
            if remaining <= 1 {
                self.standbyRemaining = nil
                self.standbyDone = true
                return self.request(.powerDeliveryStart, Self.powerDelivery(h, .start), now)
            }
            self.standbyRemaining = remaining - 1
            return self.request(.chargeLoop, self.chargeLoop(h, now: now), now)
        }
        if !self.standbyDone, let after = self.configuration.standbyAfterLoops, self.loops >= after {
            return self.request(.powerDeliveryStandby, Self.powerDelivery(h, .standby), now)
        }
        return self.request(.chargeLoop, self.chargeLoop(h, now: now), now)
    }

    /// The charge-loop request of the selected service and control mode. Scheduled: the vehicle follows the schedule
    /// (a negative entry: it discharges while above its minimum state of charge); dynamic: it sends its limits and
    /// energy requests and the SECC sets the power. In standby the vehicle asks for no current.
    fileprivate func chargeLoop(_ h: MessageHeader, now: UInt64) -> ISO20Request {
        let c = self.configuration
        let e = self.energyRequests
        let standby = self.standbyRemaining != nil
        let planned = self.scheduledPower(now: now)
        let display = DisplayParameters(
            presentSOC: Self.percent(self.battery.stateOfCharge.rounded()),
            minimumSOC: Self.percent(c.minimumStateOfCharge), targetSOC: Self.percent(c.targetStateOfCharge),
            // Optional in the schema, but a vehicle knows it, and Josev's SECC rejects DisplayParameters without it.
            chargingComplete: self.battery.stateOfCharge >= c.targetStateOfCharge)
        if c.ac {
            // Scheduled: the power drawn follows the schedule within the vehicle's limits.
            var scheduledPower: Double
            if planned < 0 {
                scheduledPower = self.canDischarge ? max(planned, -c.maximumDischargePowerW) : 0
            } else {
                scheduledPower = self.battery.isFull ? 0 : min(planned, c.maximumPowerW, c.targetVoltageV * c.targetCurrentA * 3)
            }
            if standby { scheduledPower = 0 }
            let mode: CLReqControlModeGroupAC
            switch (c.bpt, self.controlMode) {
            case (false, .scheduled):
                mode = .scheduledACCLReqControlMode(Scheduled_AC_CLReqControlMode(
                    evMaximumChargePower: RationalNumber(c.maximumPowerW),
                    evPresentActivePower: RationalNumber(standby ? 0 : c.targetVoltageV * c.targetCurrentA)))
            case (true, .scheduled):
                mode = .bptScheduledACCLReqControlMode(BPT_Scheduled_AC_CLReqControlMode(
                    evMaximumChargePower: RationalNumber(c.maximumPowerW), evPresentActivePower: RationalNumber(scheduledPower),
                    evMaximumDischargePower: RationalNumber(c.maximumDischargePowerW)))
            case (false, .dynamic):
                mode = .dynamicACCLReqControlMode(Dynamic_AC_CLReqControlMode(
                    evTargetEnergyRequest: RationalNumber(standby ? 0 : e.target), evMaximumEnergyRequest: RationalNumber(e.maximum),
                    evMinimumEnergyRequest: RationalNumber(e.minimum), evMaximumChargePower: RationalNumber(c.maximumPowerW),
                    evMinimumChargePower: RationalNumber(0), evPresentActivePower: RationalNumber(self.acPowerW),
                    evPresentReactivePower: RationalNumber(0)))
            case (true, .dynamic):
                mode = .bptDynamicACCLReqControlMode(BPT_Dynamic_AC_CLReqControlMode(
                    evTargetEnergyRequest: RationalNumber(standby ? 0 : e.target), evMaximumEnergyRequest: RationalNumber(e.maximum),
                    evMinimumEnergyRequest: RationalNumber(e.minimum), evMaximumChargePower: RationalNumber(c.maximumPowerW),
                    evMinimumChargePower: RationalNumber(0), evPresentActivePower: RationalNumber(self.acPowerW),
                    evPresentReactivePower: RationalNumber(0), evMaximumDischargePower: RationalNumber(c.maximumDischargePowerW),
                    evMinimumDischargePower: RationalNumber(0),
                    evMaximumV2XEnergyRequest: RationalNumber(e.maximum),
                    evMinimumV2XEnergyRequest: RationalNumber(standby ? 0 : e.v2xMinimum)))
            }
            return .acChargeLoop(AC_ChargeLoopReq(
                header: h, displayParameters: display, meterInfoRequested: false, clReqControlMode: mode))
        }
        let voltage = c.targetVoltageV
        let mode: CLReqControlModeGroupDC
        switch (c.bpt, self.controlMode) {
        case (false, .scheduled):
            mode = .scheduledDCCLReqControlMode(Scheduled_DC_CLReqControlMode(
                evTargetCurrent: RationalNumber(standby ? 0 : c.targetCurrentA), evTargetVoltage: RationalNumber(voltage),
                evMaximumChargePower: RationalNumber(c.maximumPowerW),
                evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV)))
        case (true, .scheduled):
            var current: Double
            if planned < 0 {
                current = self.canDischarge && voltage > 0
                    ? max(planned / voltage, -c.maximumDischargeCurrentA, -c.maximumDischargePowerW / voltage) : 0
            } else {
                current = self.battery.isFull ? 0 : min(c.targetCurrentA, voltage > 0 ? planned / voltage : 0)
            }
            if standby { current = 0 }
            mode = .bptScheduledDCCLReqControlMode(BPT_Scheduled_DC_CLReqControlMode(
                evTargetCurrent: RationalNumber(current), evTargetVoltage: RationalNumber(voltage),
                evMaximumChargePower: RationalNumber(c.maximumPowerW), evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV), evMinimumVoltage: RationalNumber(c.minimumVoltageV),
                evMaximumDischargePower: RationalNumber(c.maximumDischargePowerW),
                evMaximumDischargeCurrent: RationalNumber(c.maximumDischargeCurrentA)))
        case (false, .dynamic):
            mode = .dynamicDCCLReqControlMode(Dynamic_DC_CLReqControlMode(
                evTargetEnergyRequest: RationalNumber(standby ? 0 : e.target), evMaximumEnergyRequest: RationalNumber(e.maximum),
                evMinimumEnergyRequest: RationalNumber(e.minimum), evMaximumChargePower: RationalNumber(c.maximumPowerW),
                evMinimumChargePower: RationalNumber(0), evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV), evMinimumVoltage: RationalNumber(c.minimumVoltageV)))
        case (true, .dynamic):
            mode = .bptDynamicDCCLReqControlMode(BPT_Dynamic_DC_CLReqControlMode(
                evTargetEnergyRequest: RationalNumber(standby ? 0 : e.target), evMaximumEnergyRequest: RationalNumber(e.maximum),
                evMinimumEnergyRequest: RationalNumber(e.minimum), evMaximumChargePower: RationalNumber(c.maximumPowerW),
                evMinimumChargePower: RationalNumber(0), evMaximumChargeCurrent: RationalNumber(c.maximumCurrentA),
                evMaximumVoltage: RationalNumber(c.maximumVoltageV), evMinimumVoltage: RationalNumber(c.minimumVoltageV),
                evMaximumDischargePower: RationalNumber(c.maximumDischargePowerW), evMinimumDischargePower: RationalNumber(0),
                evMaximumDischargeCurrent: RationalNumber(c.maximumDischargeCurrentA),
                evMaximumV2XEnergyRequest: RationalNumber(e.maximum),
                evMinimumV2XEnergyRequest: RationalNumber(standby || !self.canDischarge ? 0 : e.v2xMinimum)))
        }
        return .dcChargeLoop(DC_ChargeLoopReq(
            header: h, displayParameters: display, meterInfoRequested: false, evPresentVoltage: RationalNumber(voltage),
            clReqControlMode: mode))
    }
}

// MARK: - EVSE notifications

/// How the vehicle reacted to an EVSENotification of a charge-loop response.
public struct ISO20NoticeReaction: Hashable, Sendable {
    public var notification: EvseNotification
    /// NotificationMaxDelay of the response, in seconds.
    public var maxDelaySeconds: UInt16
    /// The time of the response that carried it and of the reaction's first request (seconds since 1970).
    public var receivedAt: UInt64
    public var reactedAt: UInt64
    /// The first request of the reaction, e.g. `PowerDeliveryReq(ScheduleRenegotiation)`.
    public var reaction: String

    public init(notification: EvseNotification, maxDelaySeconds: UInt16, receivedAt: UInt64, reactedAt: UInt64, reaction: String) {
        self.notification = notification
        self.maxDelaySeconds = maxDelaySeconds
        self.receivedAt = receivedAt
        self.reactedAt = reactedAt
        self.reaction = reaction
    }

    /// The reaction came within NotificationMaxDelay.
    public var inTime: Bool { self.reactedAt >= self.receivedAt && self.reactedAt - self.receivedAt <= UInt64(self.maxDelaySeconds) }
}

extension ISO20EVCCStateMachine {
    /// The vehicle's reaction to the EVSE's notification, as the next request (well within NotificationMaxDelay):
    /// Terminate, Pause and ServiceRenegotiation end the energy transfer (PowerDeliveryReq Stop, DC welding detection)
    /// and SessionStopReq asks for the same; ScheduleRenegotiation sends PowerDeliveryReq ScheduleRenegotiation, then
    /// ScheduleExchange and PowerDelivery Start; ExitStandby in standby sends PowerDeliveryReq Start. Nil when there
    /// is nothing to do (ExitStandby outside standby, MeteringConfirmation, a renegotiation while the vehicle stops).
    fileprivate mutating func react(to status: EVSEStatus, _ h: MessageHeader, now: UInt64) -> Action? {
        let step: Step
        let progress: ChargeProgress
        switch status.evseNotification {
        case .terminate, .pause:
            self.sessionEnd = status.evseNotification == .terminate ? .terminate : .pause
            self.endAfterRenegotiation = nil
            (step, progress) = (.powerDeliveryStop, .stop)
        case .serviceRenegotiation:
            if self.sessionEnd != .serviceRenegotiation { self.endAfterRenegotiation = self.sessionEnd }
            self.sessionEnd = .serviceRenegotiation
            (step, progress) = (.powerDeliveryStop, .stop)
        case .scheduleRenegotiation:
            guard !self.stopRequested else { return nil }
            (step, progress) = (.powerDeliveryRenegotiation, .scheduleRenegotiation)
        case .exitStandby:
            guard self.standbyRemaining != nil, !self.stopRequested else { return nil }
            (step, progress) = (.powerDeliveryStart, .start)
        case .meteringConfirmation:
            return nil
        }
        if self.standbyRemaining != nil {
            self.standbyRemaining = nil
            self.standbyDone = true
        }
        self.noticeReactions.append(ISO20NoticeReaction(
            notification: status.evseNotification, maxDelaySeconds: status.notificationMaxDelay, receivedAt: now,
            reactedAt: now, reaction: "PowerDeliveryReq(\(progress.rawValue))"))
        return self.request(step, Self.powerDelivery(h, progress), now)
    }
}
