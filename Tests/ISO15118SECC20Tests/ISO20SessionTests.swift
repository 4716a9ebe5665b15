import ISO15118EVCC
import ISO15118SECC
import ISO20Messages
import PnCCore
import Testing

/// The -20 SECC and EVCC machines wired in memory: every message is encoded with its schema, carried with its
/// V2GTP payload type and decoded on the other side; the backend accepts after the first AuthorizationReq.
struct ISO20InMemorySession {
    var secc = ISO20Fixtures.secc()
    var evcc = ISO20EVCCStateMachine(configuration: ISO20EVCCConfiguration(
        evccID: "WMIV1234567890ABCDEX", maximumVoltageV: 800, minimumVoltageV: 200, maximumCurrentA: 250,
        maximumPowerW: 100_000, targetVoltageV: 400, targetCurrentA: 200))
    var stage = DCStage()
    var decision = BackendAuthorizationDecision(status: .accepted)
    var now = ISO20Fixtures.now
    var transcript: [String] = []
    var payloadTypes: Set<UInt16> = []
    var chargeLoops = 3
    var authorizations: [BackendAuthorizationRequest] = []
    /// The backend behind ChargingBackend.exchangeCertificate (an eMSP's provisioning); nil fails the exchange.
    var exchange: ((CertificateExchangeRequest) -> CertificateExchangeResult)?
    var exchanges: [CertificateExchangeRequest] = []
    /// Every request and response as decoded by the other side.
    var requests: [ISO20Request] = []
    var responses: [ISO20Response] = []
    var transactionStarts: [TransactionStart] = []
    var transactionEnds: [TransactionEnd] = []
    /// EVSE notices the station raises before the SECC handles the charge-loop request with this number (counted
    /// per energy transfer), and the machine's answers.
    var notices: [Int: ISO20EVSENotice] = [:]
    var noticeAnswers: [ISO20SECCStateMachine.NoticeAnswer] = []
    /// Changes a response on its way to the vehicle (a peer's behaviour the SECC machine does not produce).
    var tamper: (ISO20Response) -> ISO20Response = { $0 }

    mutating func run() throws -> ISO20EVCCStateMachine.Outcome? {
        var evAction = self.evcc.start(now: self.now)
        var pending = false
        var loops = 0
        for _ in 0..<200 {
            guard case .send(let outgoing, _) = evAction else {
                if case .finish(let outcome) = evAction { return outcome }
                return nil
            }
            self.payloadTypes.insert(outgoing.payloadType)
            let request = try #require(try ISO20Request(payloadType: outgoing.payloadType, exi: outgoing.exiEncoded()))
            self.transcript.append(String(String(describing: request).prefix(while: { $0 != "(" })))
            self.requests.append(request)
            switch request {
            case .serviceDiscovery:
                loops = 0
            case .dcChargeLoop, .acChargeLoop:
                loops += 1
                if loops >= self.chargeLoops { self.evcc.requestStop() }
                if let notice = self.notices.removeValue(forKey: loops) { self.noticeAnswers.append(self.secc.notify(notice)) }
            default:
                break
            }
            var action = self.secc.received(request, now: self.now)
            while case .control(let command) = action { action = self.secc.controllerReplied(self.stage.run(command), now: self.now) }
            let response: ISO20Response
            switch action {
            case .send(let r, _), .sendAndClose(let r, _), .sendAndUpdateTransaction(let r, _, _):
                response = r
            case .endTransaction(let end, let r, _):
                self.transactionEnds.append(end)
                response = r
            case .startTransaction(let start, let r, _):
                response = r
                self.transactionStarts.append(start)
                _ = self.secc.transactionStarted(id: "tx-\(self.transactionStarts.count)")
            case .sendAndAuthorize(let r, _, let authorization):
                response = r
                self.authorizations.append(authorization)
                pending = true
            case .sendAndExchangeCertificate(let r, _, let relay):
                response = r
                self.exchanges.append(relay)
                if let exchange = self.exchange {
                    _ = self.secc.certificateExchanged(exchange(relay))
                } else {
                    _ = self.secc.certificateExchangeFailed()
                }
            case .close, .none, .control:
                if case .finish(let outcome) = self.evcc.transportClosed() { return outcome }
                return nil
            }
            if pending, case .authorization = request, case .authorization(let res) = response, res.evseProcessing == .ongoing {
                _ = self.secc.backendAnswered(self.decision)
                pending = false
            }
            self.payloadTypes.insert(response.payloadType)
            let decoded = try #require(try ISO20Response(payloadType: response.payloadType, exi: self.tamper(response).exiEncoded()))
            self.responses.append(decoded)
            self.now += 1
            evAction = self.evcc.received(decoded, now: self.now)
        }
        return nil
    }
}

@Suite struct ISO20SessionTests {
    @Test("[V2G20 DC EIM] SECC and EVCC complete a DC session in memory through the -20 EXI codecs")
    func completeSession() throws {
        var session = ISO20InMemorySession()
        #expect(try session.run() == .completed)
        #expect(session.transcript == [
            "sessionSetup", "authorizationSetup", "authorization", "authorization", "serviceDiscovery", "serviceDetail",
            "serviceSelection", "dcChargeParameterDiscovery", "scheduleExchange", "dcCableCheck", "dcPreCharge",
            "dcPreCharge", "powerDelivery", "dcChargeLoop", "dcChargeLoop", "dcChargeLoop", "powerDelivery",
            "dcWeldingDetection", "sessionStop",
        ])
        #expect(session.payloadTypes == [0x8002, 0x8004])
        #expect(session.secc.isClosed)
        #expect(!session.stage.contactorsClosed)
    }

    @Test("[V2G20 WARNING_EIMAuthorizationFailure] A refused EIM authorization ends the session before services")
    func refused() throws {
        var session = ISO20InMemorySession()
        session.decision = BackendAuthorizationDecision(status: .blocked)
        #expect(try session.run() == .failed(.warningEIMAuthorizationFailure, request: "AuthorizationReq"))
        #expect(!session.transcript.contains("serviceDiscovery"))
    }

    @Test("[V2G20 DC_CableCheck] An isolation fault ends the session at the cable check")
    func isolationFault() throws {
        var session = ISO20InMemorySession()
        session.stage.isolation = .fault
        #expect(try session.run() == .failed(.failed, request: "DC_CableCheckReq"))
    }
}

@Suite struct ISO20EVCCStateMachineTests {
    static func machine() -> ISO20EVCCStateMachine {
        ISO20EVCCStateMachine(configuration: ISO20EVCCConfiguration(
            evccID: "EV1", maximumVoltageV: 800, minimumVoltageV: 200, maximumCurrentA: 250, maximumPowerW: 100_000,
            targetVoltageV: 400, targetCurrentA: 200))
    }

    @Test("[V2G20 SessionSetup] The EVCC opens with an all-zero SessionID and adopts the SECC's")
    func sessionSetup() {
        var evcc = Self.machine()
        guard case .send(.sessionSetup(let req), let window) = evcc.start(now: 10) else { Issue.record("no setup"); return }
        #expect(req.header.sessionID == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(req.header.timeStamp == 10)
        #expect(window == .seconds(2))
        let res = SessionSetupRes(header: ISO20Fixtures.header(), responseCode: .okNewSessionEstablished, evseID: "E")
        guard case .send(.authorizationSetup, _) = evcc.received(.sessionSetup(res), now: 11) else { Issue.record("no next"); return }
        #expect(evcc.currentSessionID == ISO20Fixtures.sessionID)
    }

    @Test("[V2G20 ResponseCode] A FAILED or WARNING response code ends the session with it", arguments: [
        ResponseCode.failed, .failedSequenceError, .warningEIMAuthorizationFailure,
    ])
    func failedCode(code: ResponseCode) {
        var evcc = Self.machine()
        _ = evcc.start(now: 0)
        let res = SessionSetupRes(header: ISO20Fixtures.header(), responseCode: code, evseID: "E")
        #expect(evcc.received(.sessionSetup(res), now: 1) == .finish(.failed(code, request: "SessionSetupReq")))
    }

    @Test("[V2G20 V2G_EVCC_Msg_Timeout] No response in time ends the session")
    func timeout() {
        var evcc = Self.machine()
        _ = evcc.start(now: 0)
        #expect(evcc.responseTimerExpired() == .finish(.responseTimeout(request: "SessionSetupReq")))
        #expect(evcc.responseTimerExpired() == .none)
    }

    @Test("[V2G20 V2G_EVCC_Ongoing_Timeout] Authorization Ongoing for more than 60 s ends the session")
    func ongoingTimeout() {
        var evcc = Self.machine()
        _ = evcc.start(now: 0)
        let h = ISO20Fixtures.header()
        _ = evcc.received(.sessionSetup(SessionSetupRes(header: h, responseCode: .okNewSessionEstablished, evseID: "E")), now: 0)
        _ = evcc.received(.authorizationSetup(AuthorizationSetupRes(
            header: h, responseCode: .ok, authorizationServices: [.eim], certificateInstallationService: false,
            choice: .eimASResAuthorizationMode(EIM_ASResAuthorizationMode()))), now: 1)
        let ongoing = ISO20Response.authorization(AuthorizationRes(header: h, responseCode: .ok, evseProcessing: .ongoing))
        guard case .send(.authorization, _) = evcc.received(ongoing, now: 60) else { Issue.record("no repeat"); return }
        #expect(evcc.received(ongoing, now: 62) == .finish(.ongoingTimeout(request: "AuthorizationReq")))
    }

    @Test("[V2G20 AuthorizationSetup] An SECC offering only PnC cannot serve this EIM vehicle")
    func eimNotOffered() {
        var evcc = Self.machine()
        _ = evcc.start(now: 0)
        let h = ISO20Fixtures.header()
        _ = evcc.received(.sessionSetup(SessionSetupRes(header: h, responseCode: .okNewSessionEstablished, evseID: "E")), now: 0)
        let res = AuthorizationSetupRes(
            header: h, responseCode: .ok, authorizationServices: [.pnC], certificateInstallationService: false,
            choice: .pnCASResAuthorizationMode(PnC_ASResAuthorizationMode(genChallenge: Array(repeating: 1, count: 16))))
        #expect(evcc.received(.authorizationSetup(res), now: 1) == .finish(.notOffered("EIM")))
    }

    @Test("[V2G20] A response with another SessionID is a protocol violation")
    func sessionChanged() {
        var evcc = Self.machine()
        _ = evcc.start(now: 0)
        _ = evcc.received(.sessionSetup(SessionSetupRes(header: ISO20Fixtures.header(), responseCode: .okNewSessionEstablished, evseID: "E")), now: 0)
        let other = AuthorizationSetupRes(
            header: MessageHeader(sessionID: [9, 9, 9, 9, 9, 9, 9, 9], timeStamp: 0), responseCode: .ok,
            authorizationServices: [.eim], certificateInstallationService: false,
            choice: .eimASResAuthorizationMode(EIM_ASResAuthorizationMode()))
        #expect(evcc.received(.authorizationSetup(other), now: 1) == .finish(.protocolViolation("SessionID changed")))
    }
}

@Suite struct ISO20ACSessionTests {
    static let acCapabilities = EVSECapabilities(
        energyTransfers: [.acThreePhase], maximumPowerW: 22_000, maximumCurrentA: 32, minimumCurrentA: 6,
        maximumVoltageV: 250, minimumVoltageV: 200, nominalVoltageV: 230, meterID: "METER-AC")

    static func session() -> ISO20InMemorySession {
        var session = ISO20InMemorySession()
        session.secc = ISO20SECCStateMachine(
            configuration: ISO20SECCConfiguration(evseID: "DE*ABC*E2", evseIndex: 2, capabilities: acCapabilities),
            proposedSessionID: ISO20Fixtures.sessionID, traceID: ISO20Fixtures.traceID)
        session.evcc = ISO20EVCCStateMachine(configuration: ISO20EVCCConfiguration(
            evccID: "WMIV1234567890ABCDEX", maximumVoltageV: 400, minimumVoltageV: 200, maximumCurrentA: 16,
            maximumPowerW: 11_000, targetVoltageV: 230, targetCurrentA: 16, ac: true))
        return session
    }

    @Test("[V2G20 AC EIM] SECC and EVCC complete an AC session in memory: no cable check, pre-charge or welding")
    func completeACSession() throws {
        var session = Self.session()
        #expect(try session.run() == .completed)
        #expect(session.transcript == [
            "sessionSetup", "authorizationSetup", "authorization", "authorization", "serviceDiscovery", "serviceDetail",
            "serviceSelection", "acChargeParameterDiscovery", "scheduleExchange", "powerDelivery", "acChargeLoop",
            "acChargeLoop", "acChargeLoop", "powerDelivery", "sessionStop",
        ])
        #expect(session.payloadTypes == [0x8002, 0x8003])
        #expect(!session.stage.contactorsClosed)
    }

    @Test("[V2G20 ServiceDiscovery] A DC vehicle at an AC-only EVSE finds no DC service")
    func dcVehicleAtACStation() throws {
        var session = Self.session()
        session.evcc = ISO20InMemorySession().evcc
        #expect(try session.run() == .notOffered("DC"))
    }

    @Test("[V2G20 FAILED_WrongChargeParameter] DC parameters after selecting AC are refused")
    func dcParametersInACSession() throws {
        var machine = ISO20SECCStateMachine(
            configuration: ISO20SECCConfiguration(evseID: "E", evseIndex: 2, capabilities: Self.acCapabilities),
            proposedSessionID: ISO20Fixtures.sessionID, traceID: ISO20Fixtures.traceID)
        var stage = DCStage()
        let prefix: [ISO20Request] = [
            ISO20Fixtures.sessionSetup, ISO20Fixtures.authorizationSetup, ISO20Fixtures.authorizationEIM,
            ISO20Fixtures.authorizationEIM, ISO20Fixtures.serviceDiscovery, ISO20Fixtures.serviceSelection(1),
            ISO20Fixtures.chargeParameterDiscovery(),
        ]
        let actions = try ISO20SECCStateMachineTests.drive(&machine, prefix, stage: &stage)
        #expect(ISO20SECCStateMachineTests.code(actions.last) == .failedWrongChargeParameter)
    }
}
