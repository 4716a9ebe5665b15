import ISO15118SECC
import ISO2Messages
import PnCCore
import Testing

@Suite struct ISO2SECCStateMachineTests {
    typealias Machine = ISO2SECCStateMachine
    static let sessionID: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    static let trace = TraceID(high: 1, low: 2)
    static let dcCapabilities = EVSECapabilities(
        energyTransfers: [.dcExtended, .dcCore], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
        maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "M1")
    static let acCapabilities = EVSECapabilities(
        energyTransfers: [.acThreePhase], maximumPowerW: 22_000, maximumCurrentA: 32, minimumCurrentA: 6,
        maximumVoltageV: 400, minimumVoltageV: 200, nominalVoltageV: 230, meterID: "M2")

    static func machine(_ capabilities: EVSECapabilities = dcCapabilities, payment: [PaymentOption] = [.externalPayment])
        -> Machine
    {
        Machine(
            configuration: .init(evseID: "DE*ABC*E1", evseNumber: 1, capabilities: capabilities, paymentOptions: payment),
            proposedSessionID: sessionID, traceID: trace)
    }

    static func request(_ body: BodyElement, session: [UInt8] = sessionID) -> V2GMessage {
        V2GMessage(header: MessageHeader(sessionID: session), body: Body(bodyElement: body))
    }

    static let sessionSetup = request(.sessionSetupReq(SessionSetupReq(evccID: [0, 1, 2, 3, 4, 5])), session: [0])
    static let serviceDiscovery = request(.serviceDiscoveryReq(ServiceDiscoveryReq()))
    static func paymentSelection(_ option: PaymentOption, services: [UInt16] = [1]) -> V2GMessage {
        request(
            .paymentServiceSelectionReq(
                PaymentServiceSelectionReq(
                    selectedPaymentOption: option,
                    selectedServiceList: SelectedServiceList(selectedService: services.map { SelectedService(serviceID: $0) }))))
    }
    static let authorization = request(.authorizationReq(AuthorizationReq()))
    static let dcParameters = request(
        .chargeParameterDiscoveryReq(
            ChargeParameterDiscoveryReq(
                requestedEnergyTransferMode: .dcExtended,
                evChargeParameter: .dcEVChargeParameter(
                    DC_EVChargeParameter(
                        dcEVStatus: DC_EVStatus(evReady: true, evErrorCode: .noError, evresssoc: 40),
                        evMaximumCurrentLimit: .of(200, .a), evMaximumVoltageLimit: .of(450, .v))))))
    static let acParameters = request(
        .chargeParameterDiscoveryReq(
            ChargeParameterDiscoveryReq(
                requestedEnergyTransferMode: .acThreePhaseCore,
                evChargeParameter: .acEVChargeParameter(
                    AC_EVChargeParameter(
                        eAmount: .of(20_000, .wh), evMaxVoltage: .of(400, .v), evMaxCurrent: .of(32, .a),
                        evMinCurrent: .of(6, .a))))))

    static func body(_ action: Machine.Action) -> BodyElement? {
        switch action {
        case .send(let message, _), .sendAndClose(let message), .authorize(_, let message, _),
            .startTransaction(_, let message, _), .sendAndUpdateTransaction(let message, _, _),
            .endTransaction(_, let message):
            return message.body.bodyElement
        case .close, .none, .controller, .exchangeCertificate: return nil
        }
    }

    static func responseCode(_ action: Machine.Action) -> ResponseCode? {
        switch body(action) {
        case .sessionSetupRes(let r): r.responseCode
        case .serviceDiscoveryRes(let r): r.responseCode
        case .paymentServiceSelectionRes(let r): r.responseCode
        case .authorizationRes(let r): r.responseCode
        case .chargeParameterDiscoveryRes(let r): r.responseCode
        case .sessionStopRes(let r): r.responseCode
        case .cableCheckRes(let r): r.responseCode
        case .paymentDetailsRes(let r): r.responseCode
        case .meteringReceiptRes(let r): r.responseCode
        case .certificateInstallationRes(let r): r.responseCode
        case .certificateUpdateRes(let r): r.responseCode
        default: nil
        }
    }

    static func isClosing(_ action: Machine.Action) -> Bool {
        if case .sendAndClose = action { return true }
        return false
    }

    /// Drives a machine to the point where it waits for AuthorizationReq.
    static func toAuthorization(_ machine: inout Machine) {
        _ = machine.received(sessionSetup, now: 100)
        _ = machine.received(serviceDiscovery, now: 101)
        _ = machine.received(paymentSelection(.externalPayment), now: 102)
    }

    @Test("EIM DC: SessionSetup to ChargeParameterDiscovery; the backend decides before the first AuthorizationReq is answered, which is then Finished")
    func eimDC() throws {
        var machine = Self.machine()
        let setup = machine.received(Self.sessionSetup, now: 100)
        guard case .send(let setupRes, let window) = setup, case .sessionSetupRes(let res)? = setupRes.body.bodyElement else {
            Issue.record("expected SessionSetupRes, got \(setup)")
            return
        }
        #expect(window == ISO2Timing.sequenceTimeout)
        #expect(setupRes.header.sessionID == Self.sessionID)
        #expect(res == SessionSetupRes(responseCode: .okNewSessionEstablished, evseID: "DE*ABC*E1", evseTimeStamp: 100))
        guard case .serviceDiscoveryRes(let discovery)? = Self.body(machine.received(Self.serviceDiscovery, now: 101)) else {
            Issue.record("expected ServiceDiscoveryRes")
            return
        }
        #expect(discovery.paymentOptionList.paymentOption == [.externalPayment])
        #expect(discovery.chargeService.supportedEnergyTransferMode.energyTransferMode == [.dcExtended, .dcCore])
        #expect(Self.responseCode(machine.received(Self.paymentSelection(.externalPayment), now: 102)) == .ok)

        let first = machine.received(Self.authorization, now: 103)
        guard case .authorize(let backendRequest, let ongoing, _) = first else {
            Issue.record("expected a backend authorization, got \(first)")
            return
        }
        #expect(backendRequest.identification == .external(idToken: "000102030405", type: "MacAddress"))
        #expect(backendRequest.traceID == Self.trace)
        // The fallback for a backend slower than the driver's budget.
        #expect(ongoing.body.bodyElement == .authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .ongoing)))
        let pending = machine.decidedAuthorization(now: 103)
        #expect(pending == nil, "no answer while the backend decides")
        #expect(machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted)) == .none)
        let decidedAction = machine.decidedAuthorization(now: 103)
        let decided = try #require(decidedAction)
        #expect(decided == .send(
            Self.request(.authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .finished))),
            expectNextWithin: ISO2Timing.sequenceTimeout))
        // Answered once: the machine now waits for ChargeParameterDiscovery.
        let again = machine.decidedAuthorization(now: 104)
        #expect(again == nil)

        guard case .chargeParameterDiscoveryRes(let parameters)? = Self.body(machine.received(Self.dcParameters, now: 106)),
            case .dcEVSEChargeParameter(let dc) = parameters.evseChargeParameter,
            case .saScheduleList(let schedules)? = parameters.saSchedules
        else {
            Issue.record("expected a DC ChargeParameterDiscoveryRes with an SAScheduleList")
            return
        }
        #expect(parameters.responseCode == .ok)
        #expect(dc.evseMaximumVoltageLimit.doubleValue == 920)
        #expect(dc.evseMaximumPowerLimit.doubleValue == 150_000)
        #expect(schedules.saScheduleTuple.map(\.saScheduleTupleID) == [1])
        #expect(machine.selectedEnergyTransfer == .dcExtended)
        #expect(!machine.isClosed)
    }

    @Test("EIM AC: ChargeParameterDiscovery answers AC limits")
    func eimAC() {
        var machine = Self.machine(Self.acCapabilities)
        Self.toAuthorization(&machine)
        _ = machine.received(Self.authorization, now: 103)
        _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted))
        _ = machine.decidedAuthorization(now: 103)
        guard case .chargeParameterDiscoveryRes(let parameters)? = Self.body(machine.received(Self.acParameters, now: 105)),
            case .acEVSEChargeParameter(let ac) = parameters.evseChargeParameter
        else {
            Issue.record("expected AC parameters")
            return
        }
        #expect(ac.evseMaxCurrent.doubleValue == 32)
        #expect(ac.evseNominalVoltage.doubleValue == 230)
    }

    @Test("A first request other than SessionSetupReq gets FAILED_SequenceError and ends the session")
    func sequenceErrorFirst() {
        var machine = Self.machine()
        let action = machine.received(Self.serviceDiscovery, now: 1)
        #expect(Self.responseCode(action) == .failedSequenceError)
        #expect(Self.isClosing(action))
        #expect(machine.isClosed)
        #expect(machine.received(Self.sessionSetup, now: 2) == .none)
    }

    @Test("Out-of-order requests later in the session get FAILED_SequenceError")
    func sequenceErrorLater() {
        var machine = Self.machine()
        _ = machine.received(Self.sessionSetup, now: 1)
        let early = machine.received(Self.dcParameters, now: 2)
        #expect(Self.responseCode(early) == .failedSequenceError)
        #expect(Self.isClosing(early))

        var skipping = Self.machine()
        Self.toAuthorization(&skipping)
        #expect(Self.responseCode(skipping.received(Self.dcParameters, now: 103)) == .failedSequenceError)

        var repeated = Self.machine()
        _ = repeated.received(Self.sessionSetup, now: 1)
        #expect(Self.responseCode(repeated.received(Self.sessionSetup, now: 2)) == .failedSequenceError)
    }

    @Test("A SessionID other than the session's gets FAILED_UnknownSession")
    func unknownSession() {
        var machine = Self.machine()
        _ = machine.received(Self.sessionSetup, now: 1)
        let action = machine.received(
            Self.request(.serviceDiscoveryReq(ServiceDiscoveryReq()), session: [9, 9, 9, 9, 9, 9, 9, 9]), now: 2)
        #expect(Self.responseCode(action) == .failedUnknownSession)
        #expect(Self.isClosing(action))
    }

    @Test("PaymentServiceSelection: an option not offered, no charge service, an unknown service")
    func paymentSelectionCodes() {
        func code(_ request: V2GMessage, offered: [PaymentOption] = [.externalPayment]) -> ResponseCode? {
            var machine = Self.machine(payment: offered)
            _ = machine.received(Self.sessionSetup, now: 1)
            _ = machine.received(Self.serviceDiscovery, now: 2)
            return Self.responseCode(machine.received(request, now: 3))
        }
        #expect(code(Self.paymentSelection(.contract)) == .failedPaymentSelectionInvalid)
        #expect(code(Self.paymentSelection(.externalPayment, services: [2])) == .failedNoChargeServiceSelected)
        #expect(code(Self.paymentSelection(.externalPayment, services: [1, 77])) == .failedServiceSelectionInvalid)
        #expect(code(Self.paymentSelection(.externalPayment)) == .ok)
    }

    @Test("The backend's decision maps to the ISO 15118-2 response code", arguments: [
        (BackendAuthorizationDecision(status: .accepted), ResponseCode.ok),
        (BackendAuthorizationDecision(status: .invalid), .failed),
        (BackendAuthorizationDecision(status: .blocked), .failed),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .certificateRevoked), .failedCertificateRevoked),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .certificateExpired), .failedCertificateExpired),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .certChainError), .failedCertChainError),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .signatureError), .failedSignatureError),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .contractCancelled), .failedContractCanceled),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .noCertificateAvailable), .failedNoCertificateAvailable),
    ])
    func authorizationCodes(decision: BackendAuthorizationDecision, expected: ResponseCode) throws {
        #expect(AuthorizationRules.responseCode(for: decision) == expected)
        var machine = Self.machine()
        Self.toAuthorization(&machine)
        _ = machine.received(Self.authorization, now: 103)
        // A backend slower than the budget: the vehicle was answered Ongoing and repeats AuthorizationReq.
        var slow = machine
        _ = slow.backendAuthorized(decision)
        let repeated = slow.received(Self.authorization, now: 104)
        #expect(Self.responseCode(repeated) == expected)
        #expect(Self.isClosing(repeated) == (expected != .ok))
        // Within the budget: the first AuthorizationReq is answered with the decision, EVSEProcessing Finished.
        _ = machine.backendAuthorized(decision)
        let firstAction = machine.decidedAuthorization(now: 103)
        let first = try #require(firstAction)
        #expect(Self.body(first) == .authorizationRes(AuthorizationRes(responseCode: expected, evseProcessing: .finished)))
        #expect(Self.isClosing(first) == (expected != .ok))
        #expect(machine.isClosed == (expected != .ok))
    }

    @Test("[ISO 15118-2 AuthorizationRes EVSEProcessing] A backend slower than the driver's budget: Ongoing to the first AuthorizationReq and its repeats, then Finished")
    func slowBackend() {
        var machine = Self.machine()
        Self.toAuthorization(&machine)
        guard case .authorize(_, let ongoing, _) = machine.received(Self.authorization, now: 103) else {
            Issue.record("expected a backend authorization")
            return
        }
        #expect(ongoing.body.bodyElement == .authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .ongoing)))
        #expect(Self.body(machine.received(Self.authorization, now: 104))
            == .authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .ongoing)))
        _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted))
        #expect(Self.body(machine.received(Self.authorization, now: 105))
            == .authorizationRes(AuthorizationRes(responseCode: .ok, evseProcessing: .finished)))
        #expect(Self.responseCode(machine.received(Self.dcParameters, now: 106)) == .ok)
    }

    @Test("An EIM AuthorizationReq carrying a GenChallenge gets FAILED_ChallengeInvalid")
    func eimWithChallenge() {
        var machine = Self.machine()
        Self.toAuthorization(&machine)
        let action = machine.received(
            Self.request(.authorizationReq(AuthorizationReq(id: "ID1", genChallenge: Array(repeating: 1, count: 16)))),
            now: 103)
        #expect(Self.responseCode(action) == .failedChallengeInvalid)
    }

    @Test("V2G_SECC_Ongoing_Timeout: Ongoing for more than 60 s ends with FAILED")
    func ongoingTimeout() {
        var machine = Self.machine()
        Self.toAuthorization(&machine)
        _ = machine.received(Self.authorization, now: 103)
        #expect(Self.responseCode(machine.received(Self.authorization, now: 163)) == .ok)
        let late = machine.received(Self.authorization, now: 164)
        #expect(Self.responseCode(late) == .failed)
        #expect(Self.isClosing(late))
    }

    @Test("A backend failure refuses the session with FAILED: in the first AuthorizationRes within the budget, in the repeat's answer after Ongoing")
    func backendFailure() {
        var machine = Self.machine()
        Self.toAuthorization(&machine)
        _ = machine.received(Self.authorization, now: 103)
        var slow = machine
        _ = machine.backendFailed()
        let first = machine.decidedAuthorization(now: 103)
        #expect(first.flatMap(Self.responseCode) == .failed)
        #expect(first.map(Self.isClosing) == true)
        _ = slow.backendFailed()
        #expect(Self.responseCode(slow.received(Self.authorization, now: 104)) == .failed)
    }

    @Test("ChargeParameterDiscovery: a mode not offered, or parameters of the other kind")
    func chargeParameterCodes() {
        func code(_ request: V2GMessage, _ capabilities: EVSECapabilities) -> ResponseCode? {
            var machine = Self.machine(capabilities)
            Self.toAuthorization(&machine)
            _ = machine.received(Self.authorization, now: 103)
            _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted))
            _ = machine.decidedAuthorization(now: 103)
            return Self.responseCode(machine.received(request, now: 105))
        }
        #expect(code(Self.acParameters, Self.dcCapabilities) == .failedWrongEnergyTransferMode)
        #expect(code(Self.dcParameters, Self.acCapabilities) == .failedWrongEnergyTransferMode)
        let mismatched = Self.request(
            .chargeParameterDiscoveryReq(
                ChargeParameterDiscoveryReq(
                    requestedEnergyTransferMode: .dcExtended,
                    evChargeParameter: .acEVChargeParameter(
                        AC_EVChargeParameter(
                            eAmount: .of(1, .wh), evMaxVoltage: .of(400, .v), evMaxCurrent: .of(32, .a),
                            evMinCurrent: .of(6, .a))))))
        #expect(code(mismatched, Self.dcCapabilities) == .failedWrongChargeParameter)
    }

    @Test("The sequence timer closes the session; a closed machine ignores later input")
    func timers() {
        var machine = Self.machine()
        _ = machine.received(Self.sessionSetup, now: 1)
        #expect(machine.sequenceTimerExpired() == .close(.sequenceTimeout))
        #expect(machine.received(Self.serviceDiscovery, now: 2) == .none)
        #expect(machine.sequenceTimerExpired() == .none)
    }

    @Test("Every failed response encodes as a valid ISO 15118-2 message")
    func failedResponsesEncode() throws {
        let requests: [BodyElement] = [
            .sessionSetupReq(SessionSetupReq(evccID: [1])), .serviceDiscoveryReq(ServiceDiscoveryReq()),
            .authorizationReq(AuthorizationReq()), .sessionStopReq(SessionStopReq(chargingSession: .terminate)),
        ]
        for request in requests {
            let body = try #require(ISO2FailedResponse.body(answering: request, code: .failedSequenceError, evseID: "DE*ABC*E1"))
            let message = V2GMessage(header: MessageHeader(sessionID: Self.sessionID), body: Body(bodyElement: body))
            let bytes = try ISO2Document.v2gMessage(message).exiEncoded()
            #expect(try ISO2Document(exi: bytes) == .v2gMessage(message))
        }
    }

    @Test("PhysicalValue picks a multiplier that keeps the value within Int16")
    func physicalValue() {
        #expect(PhysicalValue.of(150_000, .w) == PhysicalValue(multiplier: 1, unit: .w, value: 15_000))
        #expect(PhysicalValue.of(32, .a) == PhysicalValue(multiplier: 0, unit: .a, value: 32))
        #expect(PhysicalValue.of(.infinity, .a).value == 0)
        #expect(PhysicalValue.of(1e12, .w).value == Int16.max)
    }

    @Test("ServiceDetail: the charge service is answered OK, an unlisted ServiceID gets FAILED_ServiceIDInvalid")
    func serviceDetail() {
        var machine = Self.machine()
        _ = machine.received(Self.sessionSetup, now: 1)
        _ = machine.received(Self.serviceDiscovery, now: 2)
        #expect(Self.body(machine.received(Self.request(.serviceDetailReq(ServiceDetailReq(serviceID: 1))), now: 3))
            == .serviceDetailRes(ServiceDetailRes(responseCode: .ok, serviceID: 1)))
        #expect(Self.responseCode(machine.received(Self.paymentSelection(.externalPayment), now: 4)) == .ok)

        var unknown = Self.machine()
        _ = unknown.received(Self.sessionSetup, now: 1)
        _ = unknown.received(Self.serviceDiscovery, now: 2)
        let action = unknown.received(Self.request(.serviceDetailReq(ServiceDetailReq(serviceID: 42))), now: 3)
        guard case .sendAndClose(let message) = action, case .serviceDetailRes(let response)? = message.body.bodyElement else {
            Issue.record("expected a failed ServiceDetailRes, got \(action)")
            return
        }
        #expect(response.responseCode == .failedServiceIDInvalid)
    }
}
