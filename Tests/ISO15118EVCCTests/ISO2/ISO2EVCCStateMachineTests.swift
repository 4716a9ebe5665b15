import ISO15118EVCC
import ISO15118SECC
import ISO2Messages
import PnCCore
import Testing
import X509

/// Our EVCC machine against our SECC machine, every message through the EXI codec; the test plays both drivers
/// with an EVSE model that reaches the targets it is given.
@Suite struct ISO2EVCCStateMachineTests {
    static let battery = EVBattery(
        capacityWh: 60_000, stateOfCharge: 40, maximumCurrentA: 200, maximumVoltageV: 450, nominalVoltageV: 400,
        targetStateOfCharge: 80)
    static let dc = EVSECapabilities(
        energyTransfers: [.dcExtended], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
        maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "M1")
    static let ac = EVSECapabilities(
        energyTransfers: [.acThreePhase], maximumPowerW: 22_000, maximumCurrentA: 32, minimumCurrentA: 6,
        maximumVoltageV: 400, minimumVoltageV: 200, nominalVoltageV: 230, meterID: "M2")

    struct Transcript {
        var requests: [String] = []
        var transactionStarted = false
        var transactionEnded = false
        var outcome: ISO2EVCCStateMachine.Action?
        var evcc: ISO2EVCCStateMachine
    }

    static func wire(_ message: V2GMessage) throws -> V2GMessage {
        let bytes = try ISO2Document.v2gMessage(message).exiEncoded()
        guard case .v2gMessage(let decoded) = try ISO2Document(exi: bytes) else { throw CancellationError() }
        return decoded
    }

    static func name(_ message: V2GMessage) -> String {
        guard let body = message.body.bodyElement else { return "empty" }
        return String("\(body)".prefix { $0 != "(" })
    }

    /// Runs one session; the backend decides within the SECC driver's authorization budget, so the first
    /// AuthorizationReq is answered with the decision.
    static func run(
        _ capabilities: EVSECapabilities, mode: EnergyTransferMode, decision: BackendAuthorizationDecision = .init(status: .accepted),
        contract: StoredContract? = nil, contractRoots: [Certificate] = [], start: Double = 1_000,
        stuckVoltage: Double? = nil, preChargeToleranceV: Double = ISO2EVCCStateMachine.preChargeTolerance,
        misbehaviour: ISO2EVCCStateMachine.Misbehaviour? = nil
    ) throws -> Transcript {
        var configuration = ISO2EVCCStateMachine.Configuration(
            evccID: [2, 0, 0, 0, 0, 1], energyTransfer: mode, battery: battery, preChargeToleranceV: preChargeToleranceV)
        configuration.misbehaviour = misbehaviour
        var secc = ISO2SECCStateMachine(
            configuration: .init(
                evseID: "DE*ABC*E1", evseNumber: 1, capabilities: capabilities,
                paymentOptions: contractRoots.isEmpty ? [.externalPayment] : [.contract, .externalPayment],
                contractRoots: contractRoots, requiresMeteringReceipt: !contractRoots.isEmpty),
            proposedSessionID: [9, 8, 7, 6, 5, 4, 3, 2], traceID: TraceID(high: 7, low: 7), genChallenge: Array(20..<36))
        var transcript = Transcript(
            evcc: ISO2EVCCStateMachine(configuration: configuration, contract: contract))
        var now = start
        var meter = 10_000.0
        var voltage = 0.0
        var evAction = transcript.evcc.start()
        var steps = 0
        while case .send(let request) = evAction, steps < 500 {
            steps += 1
            now += 1
            transcript.requests.append(name(request))
            var seccAction = secc.received(try wire(request), now: now)
            var response: V2GMessage?
            while response == nil {
                switch seccAction {
                case .send(let message, _), .sendAndClose(let message), .sendAndUpdateTransaction(let message, _, _):
                    response = message
                case .authorize(_, let ongoing, let window):
                    _ = secc.backendAuthorized(decision)
                    seccAction = secc.decidedAuthorization(now: now) ?? .send(ongoing, expectNextWithin: window)
                case .startTransaction(_, let message, _):
                    transcript.transactionStarted = true
                    _ = secc.transactionStarted(id: "tx")
                    response = message
                case .endTransaction(_, let message):
                    transcript.transactionEnded = true
                    response = message
                case .controller(.cableCheck):
                    seccAction = secc.controllerAnswered(.isolation(.valid), now: now)
                case .controller(.deliver(let target)):
                    voltage = stuckVoltage ?? target.voltageV
                    meter += target.voltageV * target.currentA / 3600
                    seccAction = secc.controllerAnswered(
                        .output(OutputMeasurement(voltageV: voltage, currentA: target.currentA), MeterReading(energyWh: meter, powerW: 0)),
                        now: now)
                case .controller(.setContactors):
                    seccAction = secc.controllerAnswered(.contactorsSet(MeterReading(energyWh: meter, powerW: 0)), now: now)
                case .exchangeCertificate:
                    seccAction = secc.certificateExchangeFailed()
                case .close, .none:
                    transcript.outcome = .fail(.unexpectedMessage("SECC closed"))
                    return transcript
                }
            }
            evAction = transcript.evcc.received(try wire(try #require(response)), now: now)
        }
        transcript.outcome = evAction
        return transcript
    }

    @Test("EIM DC: our EVCC and our SECC reach the charge loop and SessionStop over the EXI codec")
    func dcSession() throws {
        let transcript = try Self.run(Self.dc, mode: .dcExtended)
        #expect(transcript.outcome == .finished)
        #expect(transcript.transactionStarted && transcript.transactionEnded)
        #expect(transcript.requests.prefix(7) == [
            "sessionSetupReq", "serviceDiscoveryReq", "paymentServiceSelectionReq", "authorizationReq",
            "chargeParameterDiscoveryReq", "cableCheckReq", "preChargeReq",
        ])
        #expect(transcript.requests.filter { $0 == "currentDemandReq" }.count == 10)
        #expect(transcript.requests.suffix(3) == ["powerDeliveryReq", "weldingDetectionReq", "sessionStopReq"])
        #expect(transcript.evcc.battery.stateOfCharge > 40)
        #expect(transcript.evcc.evseID == "DE*ABC*E1")
    }

    @Test("EIM AC: ChargingStatus loop, PowerDelivery stop, SessionStop")
    func acSession() throws {
        let transcript = try Self.run(Self.ac, mode: .acThreePhaseCore)
        #expect(transcript.outcome == .finished)
        #expect(transcript.requests.filter { $0 == "chargingStatusReq" }.count == 10)
        #expect(!transcript.requests.contains("cableCheckReq"))
        #expect(transcript.requests.last == "sessionStopReq")
        #expect(transcript.evcc.meterWh != nil)
    }

    @Test("A refused authorization ends the EV session with the SECC's FAILED code")
    func refused() throws {
        let transcript = try Self.run(
            Self.dc, mode: .dcExtended, decision: .init(status: .invalid, certificateStatus: .certificateRevoked))
        #expect(transcript.outcome == .fail(.responseCode(.failedCertificateRevoked, answering: "AuthorizationRes")))
        #expect(!transcript.transactionStarted)
    }

    @Test("The EV stops when the SECC lacks its energy transfer mode")
    func modeNotOffered() throws {
        let transcript = try Self.run(Self.ac, mode: .dcExtended)
        #expect(transcript.outcome == .fail(.notOffered("DC_extended")))
    }

    @Test("A changed SessionID, an unexpected response and endless Ongoing end the EV session")
    func evccFailures() {
        var machine = ISO2EVCCStateMachine(configuration: .init(evccID: [1], energyTransfer: .dcExtended, battery: Self.battery, maximumRepeats: 2))
        _ = machine.start()
        let setup = V2GMessage(
            header: MessageHeader(sessionID: [1, 1, 1, 1, 1, 1, 1, 1]),
            body: Body(bodyElement: .sessionSetupRes(SessionSetupRes(responseCode: .okNewSessionEstablished, evseID: "DE*ABC*E1"))))
        guard case .send = machine.received(setup, now: 1) else {
            Issue.record("expected ServiceDiscoveryReq")
            return
        }
        var other = setup
        other.header.sessionID = [2, 2, 2, 2, 2, 2, 2, 2]
        var copy = machine
        #expect(copy.received(other, now: 2) == .fail(.sessionIDChanged))
        var unexpected = machine
        let repeated = unexpected.received(setup, now: 2)
        guard case .fail(.unexpectedMessage) = repeated else {
            Issue.record("expected an unexpected-message failure, got \(repeated)")
            return
        }
        var ongoing = machine
        _ = ongoing.received(
            V2GMessage(header: setup.header, body: Body(bodyElement: .serviceDiscoveryRes(
                ServiceDiscoveryRes(
                    responseCode: .ok, paymentOptionList: PaymentOptionList(paymentOption: [.externalPayment]),
                    chargeService: ChargeService(
                        serviceID: 1, serviceCategory: .evCharging, freeService: false,
                        supportedEnergyTransferMode: SupportedEnergyTransferMode(energyTransferMode: [.dcExtended])))))), now: 2)
        let pending = V2GMessage(header: setup.header, body: Body(bodyElement: .authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .ongoing))))
        _ = ongoing.received(V2GMessage(header: setup.header, body: Body(bodyElement: .paymentServiceSelectionRes(.init(responseCode: .ok)))), now: 3)
        #expect(ongoing.received(pending, now: 4) != .fail(.tooManyRepeats("authorization")))
        _ = ongoing.received(pending, now: 5)
        #expect(ongoing.received(pending, now: 6) == .fail(.tooManyRepeats("authorization")))
    }

    @Test("[ISO 15118-2 §9.6] An EVSE that stays at 1 V in PreCharge ends the session at V2G_EVCC_PreCharge_Timeout (7 s); a wider tolerance goes on")
    func preChargeTimeout() throws {
        let stuck = try Self.run(Self.dc, mode: .dcExtended, stuckVoltage: 1)
        #expect(stuck.outcome == .fail(.timeout("V2G_EVCC_PreCharge_Timeout")))
        // one request a second in this model: the first PreChargeReq and the repeats within 7 s
        #expect(stuck.requests.filter { $0 == "preChargeReq" }.count == 7)
        #expect(!stuck.requests.contains("powerDeliveryReq"))

        let tolerant = try Self.run(Self.dc, mode: .dcExtended, stuckVoltage: 1, preChargeToleranceV: 400)
        #expect(tolerant.outcome == .finished)
        #expect(tolerant.requests.filter { $0 == "preChargeReq" }.count == 1)
    }

    @Test("The battery model integrates energy and clamps the state of charge")
    func battery() {
        var battery = Self.battery
        #expect(battery.energyRequestWh == 24_000)
        battery.charge(energyWh: 6_000)
        #expect(battery.stateOfCharge == 50)
        battery.charge(energyWh: 1e9)
        #expect(battery.stateOfCharge == 100)
        #expect(battery.isFull)
        battery.charge(energyWh: .nan)
        #expect(battery.stateOfCharge == 100)
    }
}
