public import ISO2Messages
import V2GSecurity
import XMLDSig

/// The ISO 15118-2 EVCC session with external identification, AC or DC (ISO 15118-2:2014 §8.4, Figures 105-106
/// message sequences), as a pure value: ``start()`` gives the first request, each response gives the next one.
///
/// The vehicle repeats AuthorizationReq, ChargeParameterDiscoveryReq and CableCheckReq while the SECC answers
/// Ongoing, PreChargeReq until the EVSE's voltage is within ``Configuration/preChargeToleranceV`` of the target, and the charge loop
/// until the battery reaches its target or ``Configuration/maximumLoopIterations`` is used up. Any FAILED response
/// code, an unexpected message or a changed SessionID ends the session with ``Action/fail(_:)``.
public struct ISO2EVCCStateMachine: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// The EVCCID, the MAC address of the vehicle's PLC interface (6 bytes).
        public var evccID: [UInt8]
        public var energyTransfer: EnergyTransferMode
        public var battery: EVBattery
        /// Upper bound on CurrentDemand / ChargingStatus requests.
        public var maximumLoopIterations: Int
        /// Upper bound on repeated requests while the SECC answers Ongoing or PreCharge converges.
        public var maximumRepeats: Int
        /// Volts within which the EVSE's present voltage must come to the battery voltage before PreCharge counts
        /// as done (default ``ISO2EVCCStateMachine/preChargeTolerance``, 20 V as IEC 61851-23 asks). A larger value
        /// lets the simulated vehicle go on with EVSE simulators that do not report their output voltage.
        public var preChargeToleranceV: Double
        /// Pause after this many charge-loop requests: PowerDelivery Stop, (DC) WeldingDetection, SessionStopReq with
        /// ChargingSession=Pause; the session ends as ``ISO2EVCCStateMachine/paused`` and a new one resumes it with
        /// ``ISO2EVCCStateMachine/init(configuration:contract:installation:renewal:resuming:)``.
        public var pauseAfterLoops: Int?
        /// Renegotiate once after this many charge-loop requests: PowerDeliveryReq ChargeProgress=Renegotiate, then
        /// ChargeParameterDiscovery and PowerDelivery Start, and the charge loop goes on.
        public var renegotiateAfterLoops: Int?
        /// Conformance testing only: a named way in which this vehicle breaks ISO 15118-2, so that the SECC's refusal
        /// can be proven end to end over TLS. nil (every real vehicle, and every `pnc ev` run) behaves as the standard
        /// asks; package access keeps it out of the public API.
        package var misbehaviour: Misbehaviour?

        public init(
            evccID: [UInt8], energyTransfer: EnergyTransferMode, battery: EVBattery, maximumLoopIterations: Int = 10,
            maximumRepeats: Int = 200, preChargeToleranceV: Double = ISO2EVCCStateMachine.preChargeTolerance,
            pauseAfterLoops: Int? = nil, renegotiateAfterLoops: Int? = nil
        ) {
            self.pauseAfterLoops = pauseAfterLoops
            self.renegotiateAfterLoops = renegotiateAfterLoops
            self.evccID = evccID
            self.energyTransfer = energyTransfer
            self.battery = battery
            self.maximumLoopIterations = maximumLoopIterations
            self.maximumRepeats = maximumRepeats
            self.preChargeToleranceV = preChargeToleranceV
        }

        public var isDC: Bool {
            switch self.energyTransfer {
            case .acSinglePhaseCore, .acThreePhaseCore: false
            case .dcCore, .dcExtended, .dcComboCore, .dcUnique: true
            }
        }
    }

    /// How a vehicle under test breaks the contract signature rules of ISO 15118-2 (see ``Configuration/misbehaviour``).
    package enum Misbehaviour: Hashable, Sendable {
        /// Signs an AuthorizationReq that carries these bytes as GenChallenge instead of the SECC's ([V2G2-475]
        /// asks for the one of PaymentDetailsRes; the SECC answers FAILED_ChallengeInvalid).
        case foreignGenChallenge([UInt8])
        /// Alters one byte of the AuthorizationReq's SignatureValue after signing (the SECC answers
        /// FAILED_SignatureError).
        case tamperedAuthorizationSignature
    }

    /// Why a session ended early.
    public enum Failure: Hashable, Sendable {
        /// The SECC answered with a FAILED code.
        case responseCode(ResponseCode, answering: String)
        /// A response that does not answer the last request.
        case unexpectedMessage(String)
        /// The SECC changed the SessionID within the session.
        case sessionIDChanged
        /// The SECC does not offer the payment option or energy transfer mode the vehicle needs.
        case notOffered(String)
        /// Ongoing or PreCharge did not finish within ``Configuration/maximumRepeats`` requests.
        case tooManyRepeats(String)
        /// A phase did not finish within its ISO 15118-2 timer (named, e.g. V2G_EVCC_PreCharge_Timeout).
        case timeout(String)
        /// A request could not be signed with the contract key.
        case signing(String)
        /// The contract delivered by CertificateInstallationRes was rejected (CPS chain, signature, key).
        case installationRejected(String)
    }

    public enum Action: Hashable, Sendable {
        case send(V2GMessage)
        /// SessionStopRes arrived: close the connection.
        case finished
        case fail(Failure)
        /// Input after the session ended, or before ``start()``.
        case none
    }

    /// Volts within which PreCharge counts as done.
    public static let preChargeTolerance: Double = 20
    /// V2G_EVCC_PreCharge_Timeout: seconds from the first PreChargeReq within which the EVSE must reach the target.
    public static let preChargeTimeout: Double = 7

    enum Phase: Hashable, Sendable {
        case idle, sessionSetup, serviceDiscovery, paymentSelection, paymentDetails, authorization, chargeParameters
        case cableCheck, meteringReceipt, certificateInstallation, certificateUpdate
        case preCharge, powerDeliveryStart, chargeLoop, powerDeliveryStop, weldingDetection, sessionStop, done
        case powerDeliveryRenegotiate
    }

    public private(set) var configuration: Configuration
    private var phase: Phase = .idle
    /// The SessionID the SECC assigned (all zero until SessionSetupRes).
    public private(set) var sessionID: [UInt8] = Array(repeating: 0, count: 8)
    public private(set) var evseID: String = ""
    public private(set) var loopIterations = 0
    private var repeats = 0
    private var lastLoopAt: Double?
    /// When the first PreChargeReq was sent (V2G_EVCC_PreCharge_Timeout).
    private var preChargeStartedAt: Double?
    /// The last meter reading the SECC reported, in Wh.
    public private(set) var meterWh: UInt64?

    /// The contract used for Plug & Charge (Contract payment), nil for external identification.
    public private(set) var contract: StoredContract?
    /// OEM provisioning credentials for installing a contract when ``contract`` is nil.
    public let installation: ContractInstallation?
    /// The contract installed or updated in this session (the driver stores it in its ``ContractStore``).
    public private(set) var installedContract: StoredContract?
    /// Renewal of ``contract`` with CertificateUpdateReq when it is inside the window (ISO 15118-2 §8.4.3.11).
    public let renewal: ContractRenewal?
    /// Why an update was not installed: a FAILED CertificateUpdateRes (the SECC ends the session; the current contract
    /// stays for the next plug-in) or a rejected delivery (the session goes on with the current contract).
    public private(set) var updateFailure: String?
    /// The GenChallenge from PaymentDetailsRes, signed back in AuthorizationReq ([V2G2-475]).
    private var genChallenge: [UInt8] = []
    /// The payment option selected in PaymentServiceSelectionReq.
    public private(set) var selectedPayment: PaymentOption?
    /// The SessionID of a paused session this one asks to join in SessionSetupReq.
    public let resuming: [UInt8]?
    /// Whether the SECC joined the paused session (SessionSetupRes OK_OldSessionJoined).
    public private(set) var resumed = false
    /// Whether this session ended with SessionStopReq ChargingSession=Pause (answered OK).
    public private(set) var paused = false
    private var pausing = false
    /// A renegotiation runs: ChargeParameterDiscovery, then PowerDelivery Start without cable check or pre-charge.
    private var renegotiating = false
    /// Completed renegotiations, EV-triggered or asked by the SECC (EVSENotification=ReNegotiation).
    public private(set) var renegotiations = 0
    /// Renegotiations the SECC asked for.
    public private(set) var seccRenegotiations = 0
    /// The vehicle follows at most this many renegotiations asked by the SECC in one session (then it ignores the
    /// notification and goes on charging), so that an SECC asking in every response cannot hold it in a loop.
    public static let maximumSECCRenegotiations = 10

    /// - Parameters:
    ///   - contract: a valid contract (e.g. ``ContractStore/select(now:)``): the vehicle selects Contract when the SECC
    ///     offers it, sends PaymentDetailsReq with the chain and signs AuthorizationReq and MeteringReceiptReq with its
    ///     key; nil uses external identification.
    ///   - installation: without a contract, the vehicle selects Contract and first installs one with
    ///     CertificateInstallationReq (ISO 15118-2 §8.4.3.10), then continues with PaymentDetails in the same session.
    ///   - renewal: with a contract inside its renewal window, the vehicle first asks for an update with
    ///     CertificateUpdateReq (§8.4.3.11) and continues with the new contract (with the current one when the delivery
    ///     is rejected; a FAILED answer ends the session).
    ///   - resuming: the SessionID of a session this vehicle paused: sent in SessionSetupReq to join it.
    public init(
        configuration: Configuration, contract: StoredContract? = nil, installation: ContractInstallation? = nil,
        renewal: ContractRenewal? = nil, resuming: [UInt8]? = nil
    ) {
        self.resuming = resuming
        self.configuration = configuration
        self.contract = contract
        self.installation = installation
        self.renewal = renewal
    }

    private func signed(_ body: BodyElement, _ fragment: ISO2Fragment) throws(V2GSecurityError) -> V2GMessage {
        guard let contract = self.contract else { return self.message(body) }
        let signature = try ISO2Signature.sign([fragment], with: contract.key)
        return V2GMessage(header: MessageHeader(sessionID: self.sessionID, signature: signature), body: Body(bodyElement: body))
    }

    private mutating func paymentDetailsOrAuthorization() -> Action {
        if let contract = self.contract {
            return self.next(
                .paymentDetails,
                .paymentDetailsReq(PaymentDetailsReq(eMAID: contract.eMAID, contractSignatureCertChain: contract.certificateChain)))
        }
        return self.next(.authorization, .authorizationReq(AuthorizationReq()))
    }

    /// AuthorizationReq: empty for EIM; Id and the GenChallenge, signed with the contract key, for Contract.
    private mutating func authorizationRequest() -> Action {
        guard self.contract != nil else { return self.next(.authorization, .authorizationReq(AuthorizationReq())) }
        var challenge = self.genChallenge
        if case .foreignGenChallenge(let foreign)? = self.configuration.misbehaviour { challenge = foreign }
        let req = AuthorizationReq(id: "ID1", genChallenge: challenge)
        do {
            var message = try self.signed(.authorizationReq(req), .authorizationReq(req))
            if self.configuration.misbehaviour == .tamperedAuthorizationSignature,
                var signature = message.header.signature, let last = signature.signatureValue.value.indices.last
            {
                signature.signatureValue.value[last] ^= 0x01
                message.header.signature = signature
            }
            return self.nextMessage(.authorization, message)
        } catch {
            return self.fail(.signing("AuthorizationReq: \(error.detail)"))
        }
    }

    private mutating func nextMessage(_ phase: Phase, _ message: V2GMessage) -> Action {
        if phase == self.phase {
            self.repeats += 1
            if self.repeats > self.configuration.maximumRepeats { return self.fail(.tooManyRepeats("\(phase)")) }
        } else {
            self.repeats = 0
        }
        self.phase = phase
        return .send(message)
    }

    /// MeteringReceiptReq over the SECC's meter info, signed with the contract key ([V2G2-691], [V2G2-798]).
    private mutating func meteringReceipt(_ meterInfo: MeterInfo?) -> Action? {
        guard self.contract != nil, let meterInfo else { return nil }
        let req = MeteringReceiptReq(id: "ID1", sessionID: self.sessionID, saScheduleTupleID: 1, meterInfo: meterInfo)
        do {
            return self.nextMessage(.meteringReceipt, try self.signed(.meteringReceiptReq(req), .meteringReceiptReq(req)))
        } catch {
            return self.fail(.signing("MeteringReceiptReq: \(error.detail)"))
        }
    }

    public var battery: EVBattery { self.configuration.battery }

    private func message(_ body: BodyElement) -> V2GMessage {
        V2GMessage(header: MessageHeader(sessionID: self.sessionID), body: Body(bodyElement: body))
    }

    /// The first request, SessionSetupReq with SessionID 0, or with the paused session's SessionID to resume it.
    public mutating func start() -> Action {
        self.phase = .sessionSetup
        if let resuming = self.resuming { self.sessionID = resuming }
        return .send(self.message(.sessionSetupReq(SessionSetupReq(evccID: self.configuration.evccID))))
    }

    private var evStatus: DC_EVStatus {
        DC_EVStatus(evReady: true, evErrorCode: .noError, evresssoc: Int8(self.battery.stateOfCharge.rounded(.down)))
    }

    private mutating func fail(_ failure: Failure) -> Action {
        self.phase = .done
        return .fail(failure)
    }

    private mutating func next(_ phase: Phase, _ body: BodyElement) -> Action {
        if phase == self.phase {
            self.repeats += 1
            if self.repeats > self.configuration.maximumRepeats { return self.fail(.tooManyRepeats("\(phase)")) }
        } else {
            self.repeats = 0
        }
        self.phase = phase
        return .send(self.message(body))
    }

    private var chargeParameterRequest: BodyElement {
        let battery = self.battery
        let parameter: EVChargeParameterGroup =
            self.configuration.isDC
            ? .dcEVChargeParameter(
                DC_EVChargeParameter(
                    dcEVStatus: self.evStatus, evMaximumCurrentLimit: .of(battery.maximumCurrentA, .a),
                    evMaximumVoltageLimit: .of(battery.maximumVoltageV, .v),
                    evEnergyCapacity: .of(battery.capacityWh, .wh), evEnergyRequest: .of(battery.energyRequestWh, .wh),
                    fullSOC: 100, bulkSOC: 80))
            : .acEVChargeParameter(
                AC_EVChargeParameter(
                    eAmount: .of(battery.energyRequestWh, .wh), evMaxVoltage: .of(battery.maximumVoltageV, .v),
                    evMaxCurrent: .of(battery.maximumCurrentA, .a), evMinCurrent: .of(6, .a)))
        return .chargeParameterDiscoveryReq(
            ChargeParameterDiscoveryReq(
                maxEntriesSAScheduleTuple: 3, requestedEnergyTransferMode: self.configuration.energyTransfer,
                evChargeParameter: parameter))
    }

    private var loopRequest: BodyElement {
        let battery = self.battery
        if self.configuration.isDC {
            return .currentDemandReq(
                CurrentDemandReq(
                    dcEVStatus: self.evStatus, evTargetCurrent: .of(battery.maximumCurrentA, .a),
                    evMaximumVoltageLimit: .of(battery.maximumVoltageV, .v),
                    evMaximumCurrentLimit: .of(battery.maximumCurrentA, .a), chargingComplete: battery.isFull,
                    evTargetVoltage: .of(battery.nominalVoltageV, .v)))
        }
        return .chargingStatusReq(ChargingStatusReq())
    }

    private mutating func afterLoopStep(now: Double, powerW: Double) -> Action {
        if let last = self.lastLoopAt { self.configuration.battery.charge(energyWh: powerW * max(0, now - last) / 3600) }
        self.lastLoopAt = now
        self.loopIterations += 1
        if let after = self.configuration.pauseAfterLoops, self.loopIterations >= after, !self.battery.isFull {
            self.pausing = true
            return self.next(
                .powerDeliveryStop, .powerDeliveryReq(PowerDeliveryReq(chargeProgress: .stop, saScheduleTupleID: 1)))
        }
        if let after = self.configuration.renegotiateAfterLoops, self.loopIterations == after {
            return self.renegotiate()
        }
        if self.battery.isFull || self.loopIterations >= self.configuration.maximumLoopIterations {
            return self.next(
                .powerDeliveryStop, .powerDeliveryReq(PowerDeliveryReq(chargeProgress: .stop, saScheduleTupleID: 1)))
        }
        return self.next(.chargeLoop, self.loopRequest)
    }

    /// PowerDeliveryReq ChargeProgress=Renegotiate with the schedule in use.
    private mutating func renegotiate() -> Action {
        self.renegotiating = true
        return self.next(
            .powerDeliveryRenegotiate, .powerDeliveryReq(PowerDeliveryReq(chargeProgress: .renegotiate, saScheduleTupleID: 1)))
    }

    /// Whether a charge-loop response asks for a renegotiation (EVSENotification=ReNegotiation).
    private static func asksRenegotiation(_ body: BodyElement) -> Bool {
        switch body {
        case .currentDemandRes(let r): r.dcEVSEStatus.evseNotification == .reNegotiation
        case .chargingStatusRes(let r): r.acEVSEStatus.evseNotification == .reNegotiation
        default: false
        }
    }

    /// A response from the SECC.
    /// - Parameter now: the driver's clock in seconds (the battery model integrates power over it).
    public mutating func received(_ response: V2GMessage, now: Double) -> Action {
        guard self.phase != .done, self.phase != .idle else { return .none }
        guard let body = response.body.bodyElement else { return self.fail(.unexpectedMessage("empty body")) }
        if self.phase != .sessionSetup, response.header.sessionID != self.sessionID {
            return self.fail(.sessionIDChanged)
        }
        if let (code, name) = Self.responseCode(of: body), code.rawValue.hasPrefix("FAILED") {
            if self.phase == .certificateUpdate, case .certificateUpdateRes = body {
                // The SECC ends the session after a FAILED answer; the current contract stays for the next plug-in.
                self.updateFailure = "CertificateUpdateRes \(code.rawValue)"
            }
            return self.fail(.responseCode(code, answering: name))
        }
        switch (self.phase, body) {
        case (.sessionSetup, .sessionSetupRes(let res)):
            // OK_OldSessionJoined only answers a request that asked to join that very session.
            if res.responseCode == .okOldSessionJoined {
                guard let resuming = self.resuming, response.header.sessionID == resuming else {
                    return self.fail(.unexpectedMessage("OK_OldSessionJoined for a session this vehicle did not pause"))
                }
                self.resumed = true
            }
            self.sessionID = response.header.sessionID
            self.evseID = res.evseID
            return self.next(.serviceDiscovery, .serviceDiscoveryReq(ServiceDiscoveryReq()))
        case (.serviceDiscovery, .serviceDiscoveryRes(let res)):
            let payment: PaymentOption = self.contract != nil || self.installation != nil ? .contract : .externalPayment
            guard res.paymentOptionList.paymentOption.contains(payment) else {
                return self.fail(.notOffered(payment.rawValue))
            }
            self.selectedPayment = payment
            guard res.chargeService.supportedEnergyTransferMode.energyTransferMode.contains(self.configuration.energyTransfer)
            else { return self.fail(.notOffered(self.configuration.energyTransfer.rawValue)) }
            return self.next(
                .paymentSelection,
                .paymentServiceSelectionReq(
                    PaymentServiceSelectionReq(
                        selectedPaymentOption: payment,
                        selectedServiceList: SelectedServiceList(selectedService: [
                            SelectedService(serviceID: res.chargeService.serviceID)
                        ]))))
        case (.paymentSelection, .paymentServiceSelectionRes):
            if let contract = self.contract, let renewal = self.renewal, renewal.isDue(contract, now: now) {
                do {
                    return self.nextMessage(.certificateUpdate, try renewal.request(for: contract, sessionID: self.sessionID))
                } catch {
                    return self.fail(.signing("CertificateUpdateReq: \(error.detail)"))
                }
            }
            if self.contract == nil, let installation = self.installation {
                do {
                    return self.nextMessage(.certificateInstallation, try installation.request(sessionID: self.sessionID))
                } catch {
                    return self.fail(.signing("CertificateInstallationReq: \(error.detail)"))
                }
            }
            return self.paymentDetailsOrAuthorization()
        case (.certificateInstallation, .certificateInstallationRes(let res)):
            guard let installation = self.installation else { return self.fail(.unexpectedMessage("CertificateInstallationRes")) }
            switch installation.open(res, signature: response.header.signature, now: now) {
            case .failure(let failure): return self.fail(.installationRejected(failure.reason))
            case .success(let contract):
                self.contract = contract
                self.installedContract = contract
                return self.paymentDetailsOrAuthorization()
            }
        case (.certificateUpdate, .certificateUpdateRes(let res)):
            guard let renewal = self.renewal, let current = self.contract else {
                return self.fail(.unexpectedMessage("CertificateUpdateRes"))
            }
            switch renewal.open(res, signature: response.header.signature, current: current, now: now) {
            case .failure(let failure):
                self.updateFailure = failure.reason
            case .success(let contract):
                self.contract = contract
                self.installedContract = contract
            }
            return self.paymentDetailsOrAuthorization()
        case (.paymentDetails, .paymentDetailsRes(let res)):
            guard res.genChallenge.count == 16 else { return self.fail(.unexpectedMessage("GenChallenge of \(res.genChallenge.count) bytes")) }
            self.genChallenge = res.genChallenge
            return self.authorizationRequest()
        case (.authorization, .authorizationRes(let res)):
            if res.evseProcessing != .finished { return self.authorizationRequest() }
            return self.next(.chargeParameters, self.chargeParameterRequest)
        case (.chargeParameters, .chargeParameterDiscoveryRes(let res)):
            if res.evseProcessing != .finished { return self.next(.chargeParameters, self.chargeParameterRequest) }
            if self.configuration.isDC, !self.renegotiating {
                return self.next(.cableCheck, .cableCheckReq(CableCheckReq(dcEVStatus: self.evStatus)))
            }
            return self.next(
                .powerDeliveryStart, .powerDeliveryReq(PowerDeliveryReq(chargeProgress: .start, saScheduleTupleID: 1)))
        case (.cableCheck, .cableCheckRes(let res)):
            if res.evseProcessing != .finished {
                return self.next(.cableCheck, .cableCheckReq(CableCheckReq(dcEVStatus: self.evStatus)))
            }
            self.preChargeStartedAt = now
            return self.next(.preCharge, self.preChargeRequest)
        case (.preCharge, .preChargeRes(let res)):
            if abs(res.evsePresentVoltage.doubleValue - self.battery.nominalVoltageV) > self.configuration.preChargeToleranceV {
                if let started = self.preChargeStartedAt, now - started >= Self.preChargeTimeout {
                    return self.fail(.timeout("V2G_EVCC_PreCharge_Timeout"))
                }
                return self.next(.preCharge, self.preChargeRequest)
            }
            return self.next(
                .powerDeliveryStart, .powerDeliveryReq(PowerDeliveryReq(chargeProgress: .start, saScheduleTupleID: 1)))
        case (.powerDeliveryStart, .powerDeliveryRes):
            self.lastLoopAt = now
            if self.renegotiating {
                self.renegotiating = false
                self.renegotiations += 1
            }
            return self.next(.chargeLoop, self.loopRequest)
        case (.powerDeliveryRenegotiate, .powerDeliveryRes):
            return self.next(.chargeParameters, self.chargeParameterRequest)
        case (.chargeLoop, _)
        where Self.asksRenegotiation(body) && !self.pausing && self.seccRenegotiations < Self.maximumSECCRenegotiations:
            if case .currentDemandRes(let res) = body { self.meterWh = res.meterInfo?.meterReading ?? self.meterWh }
            if case .chargingStatusRes(let res) = body { self.meterWh = res.meterInfo?.meterReading ?? self.meterWh }
            self.seccRenegotiations += 1
            return self.renegotiate()
        case (.chargeLoop, .currentDemandRes(let res)):
            self.meterWh = res.meterInfo?.meterReading ?? self.meterWh
            if res.receiptRequired == true, let receipt = self.meteringReceipt(res.meterInfo) { return receipt }
            return self.afterLoopStep(
                now: now, powerW: res.evsePresentVoltage.doubleValue * res.evsePresentCurrent.doubleValue)
        case (.chargeLoop, .chargingStatusRes(let res)):
            self.meterWh = res.meterInfo?.meterReading ?? self.meterWh
            if res.receiptRequired == true, let receipt = self.meteringReceipt(res.meterInfo) { return receipt }
            let current = min(res.evseMaxCurrent?.doubleValue ?? 0, self.battery.maximumCurrentA)
            return self.afterLoopStep(now: now, powerW: current * 230 * 3)
        case (.meteringReceipt, .meteringReceiptRes):
            return self.next(.chargeLoop, self.loopRequest)
        case (.powerDeliveryStop, .powerDeliveryRes):
            if self.configuration.isDC {
                return self.next(.weldingDetection, .weldingDetectionReq(WeldingDetectionReq(dcEVStatus: self.evStatus)))
            }
            return self.next(.sessionStop, .sessionStopReq(SessionStopReq(chargingSession: self.stopKind)))
        case (.weldingDetection, .weldingDetectionRes):
            return self.next(.sessionStop, .sessionStopReq(SessionStopReq(chargingSession: self.stopKind)))
        case (.sessionStop, .sessionStopRes):
            self.phase = .done
            self.paused = self.pausing
            return .finished
        default:
            return self.fail(.unexpectedMessage("\(body)".prefix(60).description))
        }
    }

    private var stopKind: ChargingSession { self.pausing ? .pause : .terminate }

    private var preChargeRequest: BodyElement {
        .preChargeReq(
            PreChargeReq(
                dcEVStatus: self.evStatus, evTargetVoltage: .of(self.battery.nominalVoltageV, .v),
                evTargetCurrent: .of(2, .a)))
    }

    /// The ResponseCode and element name of a response body.
    static func responseCode(of body: BodyElement) -> (ResponseCode, String)? {
        switch body {
        case .sessionSetupRes(let r): (r.responseCode, "SessionSetupRes")
        case .serviceDiscoveryRes(let r): (r.responseCode, "ServiceDiscoveryRes")
        case .paymentServiceSelectionRes(let r): (r.responseCode, "PaymentServiceSelectionRes")
        case .authorizationRes(let r): (r.responseCode, "AuthorizationRes")
        case .chargeParameterDiscoveryRes(let r): (r.responseCode, "ChargeParameterDiscoveryRes")
        case .cableCheckRes(let r): (r.responseCode, "CableCheckRes")
        case .preChargeRes(let r): (r.responseCode, "PreChargeRes")
        case .powerDeliveryRes(let r): (r.responseCode, "PowerDeliveryRes")
        case .currentDemandRes(let r): (r.responseCode, "CurrentDemandRes")
        case .chargingStatusRes(let r): (r.responseCode, "ChargingStatusRes")
        case .weldingDetectionRes(let r): (r.responseCode, "WeldingDetectionRes")
        case .sessionStopRes(let r): (r.responseCode, "SessionStopRes")
        case .serviceDetailRes(let r): (r.responseCode, "ServiceDetailRes")
        case .paymentDetailsRes(let r): (r.responseCode, "PaymentDetailsRes")
        case .meteringReceiptRes(let r): (r.responseCode, "MeteringReceiptRes")
        case .certificateInstallationRes(let r): (r.responseCode, "CertificateInstallationRes")
        case .certificateUpdateRes(let r): (r.responseCode, "CertificateUpdateRes")
        default: nil
        }
    }
}
