import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import DINMessages
import ISO15118Station
import Logging
import NIOCore
import NIOPosix
import SAPMessages
import Testing
import V2GTransport

/// Our DIN SPEC 70121 EVCC driver against our SECC driver over loopback TCP (DIN has no TLS), with the simulated
/// EVSE and the local backend: SupportedAppProtocol selects DIN.
@Suite struct DINStationSessionTests {
    static let ev = DINEVCCConfiguration(
        evccID: [0x02, 0, 0, 0, 0, 1], maximumVoltageV: 450, maximumCurrentA: 200, maximumPowerW: 90_000,
        targetVoltageV: 400, targetCurrentA: 100, stateOfCharge: 30)

    static func session(
        backend: LocalChargingBackend = LocalChargingBackend(), protocols: [ApplicationProtocol] = [.din, .iso2]
    ) async throws -> (DINEVCCSessionSummary, SECCSessionSummary?) {
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0), security: .tcp, logger: recorder.logger)
        let service = SECCService(
            configuration: SECCConfiguration(evseID: "DE*PNC*E1", protocols: protocols), backend: backend,
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), logger: recorder.logger)
        let seccSummary = SessionBox()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) { seccSummary.set($0) } }
            defer { group.cancelAll() }
            let connection = try await V2GClient.connect(to: server.localAddress, security: .tcp, logger: recorder.logger)
            let summary = try await EVCCSession.runDIN(
                on: connection, configuration: Self.ev, chargeLoops: 4, timers: EVCCResponseTimerTests.loaded,
                logger: recorder.logger)
            await pollWhile { seccSummary.get() == nil }
            try await server.close()
            return (summary, seccSummary.get())
        }
    }

    @Test("din-dc over loopback: SAP selects DIN, CableCheck, PreCharge, the charge loop and SessionStop")
    func dinDC() async throws {
        let backend = LocalChargingBackend()
        let (ev, secc) = try await Self.session(backend: backend)
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        #expect(ev.protocolName == .din)
        let log = backend.transactionLog
        #expect(log.first?.hasPrefix("started local-1") == true, "\(log)")
        #expect(log.last?.hasPrefix("ended local-1") == true, "\(log)")
        #expect(secc?.protocolName == .din)
        #expect(ev.timeline.filter { $0.message == "CurrentDemandReq" }.count == 4)
        #expect(ev.timeline.last?.message == "SessionStopRes")
        #expect(secc?.ending == "session ended: sessionStopped")
        // The backend was asked after ServicePaymentSelectionRes: the first ContractAuthenticationReq gets the decision.
        let answers = (secc?.timeline ?? []).filter { $0.direction == .sent && $0.message == "ContractAuthenticationRes" }
        #expect(answers.map { $0.responseCode ?? "" } == ["OK/Finished"], "\(answers)")
    }

    @Test("din-dc over loopback: a token outside the local allow-list ends the session at ContractAuthentication")
    func refused() async throws {
        let (ev, _) = try await Self.session(backend: LocalChargingBackend(allowedTokens: ["AABBCCDDEEFF"]))
        #expect(ev.outcome == .failed(.failed, request: "ContractAuthenticationReq"))
    }

    @Test("An SECC that does not offer DIN answers the DIN-only offer with Failed_NoNegotiation")
    func notOffered() async throws {
        let (ev, secc) = try await Self.session(protocols: [.iso2])
        #expect(ev.protocolName == nil)
        #expect(!ev.succeeded)
        #expect(secc?.ending == "Failed_NoNegotiation")
    }
}
