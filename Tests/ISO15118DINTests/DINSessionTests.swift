import DINMessages
import ISO15118EVCC
import ISO15118SECC
import PnCCore
import Testing

/// SECC and EVCC machines wired to each other in memory: every message goes through the EXI codec both ways, the
/// SECC's controller commands run on a ``DCOutputStage`` and its backend answers after the first
/// ContractAuthenticationReq, time advances by a fixed step per exchange.
struct DINInMemorySession {
    var secc = DINFixtures.secc()
    var evcc = DINEVCCStateMachine(configuration: DINFixtures.evccConfiguration)
    var stage = DCOutputStage()
    var decision = BackendAuthorizationDecision(status: .accepted)
    var now: Duration = .zero
    var step: Duration = .milliseconds(100)
    var transcript: [String] = []
    var authorizations: [BackendAuthorizationRequest] = []
    var stopAfterCurrentDemands = 3

    mutating func run() throws -> DINEVCCStateMachine.Outcome? {
        var evAction = self.evcc.start(at: self.now)
        var pendingAuthorization = false
        var currentDemands = 0
        for _ in 0..<200 {
            guard case .send(let outgoing, _) = evAction else {
                if case .finish(let outcome) = evAction { return outcome }
                return nil
            }
            let request = try Self.roundTrip(outgoing)
            self.transcript.append(DINFixtures.name(request))
            if case .currentDemandReq = request.body.bodyElement {
                currentDemands += 1
                if currentDemands >= self.stopAfterCurrentDemands { self.evcc.requestStop() }
            }
            var action = self.secc.received(request)
            while case .control(let command) = action { action = self.secc.controllerReplied(self.stage.run(command)) }
            let response: V2GMessage
            switch action {
            case .send(let m, _):
                response = m
            case .sendAndAuthorize(let m, _, let authorization):
                response = m
                self.authorizations.append(authorization)
                pendingAuthorization = true
            case .sendAndClose(let m, _), .sendAndUpdateTransaction(let m, _, _), .endTransaction(_, let m, _):
                response = m
            case .startTransaction(_, let m, _):
                response = m
                _ = self.secc.transactionStarted(id: "tx-1")
            case .close, .none, .control:
                return self.evcc.transportClosed().outcome
            }
            if pendingAuthorization, case .contractAuthenticationReq = request.body.bodyElement {
                _ = self.secc.backendAnswered(self.decision)
                pendingAuthorization = false
            }
            let decoded = try Self.roundTrip(response)
            self.transcript.append(DINFixtures.name(decoded))
            self.now += self.step
            evAction = self.evcc.received(decoded, at: self.now)
        }
        return nil
    }

    /// Encodes to EXI and decodes again, as the wire would.
    static func roundTrip(_ message: V2GMessage) throws -> V2GMessage {
        let bytes = try DINDocument.v2gMessage(message).exiEncoded()
        guard case .v2gMessage(let decoded) = try DINDocument(exi: bytes) else {
            throw DINSessionTestError.notAMessage
        }
        return decoded
    }
}

enum DINSessionTestError: Error { case notAMessage }

extension DINEVCCStateMachine.Action {
    var outcome: DINEVCCStateMachine.Outcome? {
        if case .finish(let outcome) = self { return outcome }
        return nil
    }
}

@Suite struct DINSessionTests {
    @Test("[DIN70121 DC] SECC and EVCC complete a DC session in memory over the EXI codec")
    func completeSession() throws {
        var session = DINInMemorySession()
        let outcome = try session.run()
        #expect(outcome == .completed)
        #expect(session.transcript == [
            "sessionSetupReq", "sessionSetupRes", "serviceDiscoveryReq", "serviceDiscoveryRes",
            "servicePaymentSelectionReq", "servicePaymentSelectionRes",
            "contractAuthenticationReq", "contractAuthenticationRes",
            "contractAuthenticationReq", "contractAuthenticationRes",
            "chargeParameterDiscoveryReq", "chargeParameterDiscoveryRes", "cableCheckReq", "cableCheckRes",
            "preChargeReq", "preChargeRes", "preChargeReq", "preChargeRes", "preChargeReq", "preChargeRes",
            "powerDeliveryReq", "powerDeliveryRes",
            "currentDemandReq", "currentDemandRes", "currentDemandReq", "currentDemandRes",
            "currentDemandReq", "currentDemandRes",
            "powerDeliveryReq", "powerDeliveryRes", "weldingDetectionReq", "weldingDetectionRes",
            "sessionStopReq", "sessionStopRes",
        ])
        #expect(session.authorizations.map(\.traceID) == [DINFixtures.traceID])
        #expect(session.secc.isClosed)
        #expect(!session.stage.contactorsClosed)
    }

    @Test("[DIN70121 ContractAuthentication] A blocked token ends the session before any energy flows")
    func blockedSession() throws {
        var session = DINInMemorySession()
        session.decision = BackendAuthorizationDecision(status: .blocked)
        let outcome = try session.run()
        #expect(outcome == .failed(.failed, request: "ContractAuthenticationReq"))
        #expect(!session.transcript.contains("cableCheckReq"))
    }

    @Test("[DIN70121 CableCheck] An isolation fault ends the session with FAILED at CableCheck")
    func isolationFault() throws {
        var session = DINInMemorySession()
        session.stage.isolation = .fault
        let outcome = try session.run()
        #expect(outcome == .failed(.failed, request: "CableCheckReq"))
        #expect(!session.stage.contactorsClosed)
    }

    @Test("[DIN70121 CurrentDemand] A full battery ends the charge loop without an explicit stop")
    func fullBattery() throws {
        var session = DINInMemorySession()
        session.stopAfterCurrentDemands = .max
        session.evcc.stateOfChargeChanged(to: 100)
        #expect(try session.run() == .completed)
        #expect(session.transcript.filter { $0 == "currentDemandReq" }.count == 1)
    }
}
