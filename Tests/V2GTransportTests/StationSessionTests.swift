import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import Logging
import NIOCore
import NIOPosix
import SAPMessages
import Synchronization
import Testing
import V2GTP
import V2GTransport

/// Our EVCC driver against our SECC driver over loopback TLS (ISO 15118-2 profile), with the simulated EVSE and the
/// local backend.
@Suite struct StationSessionTests {
    static let battery = EVBattery(
        capacityWh: 60_000, stateOfCharge: 30, maximumCurrentA: 200, maximumVoltageV: 450, nominalVoltageV: 400,
        targetStateOfCharge: 80)

    static func session(
        controller: any EVSEController, mode: EnergyTransferMode, backend: any ChargingBackend = LocalChargingBackend(),
        evccID: [UInt8] = [0x02, 0, 0, 0, 0, 1], configuration: SECCConfiguration = SECCConfiguration(evseID: "DE*PNC*E1"),
        contract: StoredContract? = nil, installation: ContractInstallation? = nil, renewal: ContractRenewal? = nil,
        timers: EVCCResponseTimers = EVCCResponseTimerTests.loaded
    ) async throws -> (EVCCSessionSummary, SECCSessionSummary?) {
        let cpo = try TestChain(domain: "V2G")
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0),
            security: .tls(try V2GTLSServerProfile.iso15118_2(identity: cpo.identity)), logger: recorder.logger)
        let service = SECCService(
            configuration: configuration, backend: backend, controller: controller, logger: recorder.logger)
        let seccSummary = SessionBox()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) { seccSummary.set($0) } }
            defer { group.cancelAll() }
            let connection = try await V2GClient.connect(
                to: server.localAddress, security: .tls(try V2GTLSClientProfile.iso15118_2(v2gRoots: [cpo.root])),
                logger: recorder.logger)
            let summary = try await EVCCSession.run(
                on: connection,
                configuration: .init(evccID: evccID, energyTransfer: mode, battery: Self.battery, maximumLoopIterations: 5),
                contract: contract, installation: installation, renewal: renewal, timers: timers,
                logger: recorder.logger)
            await pollWhile { seccSummary.get() == nil }
            try await server.close()
            return (summary, seccSummary.get())
        }
    }

    @Test("iso2-eim-dc over loopback TLS: SAP, the charge loop and SessionStop, with a local transaction")
    func eimDC() async throws {
        let backend = LocalChargingBackend()
        let (ev, secc) = try await Self.session(controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended, backend: backend)
        #expect(ev.succeeded, "\(ev.failure ?? "")")
        #expect(ev.protocolName == .iso2)
        #expect(ev.timeline.filter { $0.message == "CurrentDemandReq" }.count == 5)
        #expect(ev.timeline.last?.message == "SessionStopRes")
        #expect(ev.firstPowerDeliveryMilliseconds != nil)
        #expect(secc?.ending == "SessionStop")
        #expect(secc?.sessionID == ev.sessionID)
        #expect(backend.transactionLog.first?.hasPrefix("started local-1") == true)
        #expect(backend.transactionLog.last?.hasPrefix("ended local-1") == true)
        // The backend decided within the SECC's authorization budget: one AuthorizationReq, answered Finished.
        #expect(Self.authorizationAnswers(ev) == ["OK/Finished"], "\(Self.authorizationAnswers(ev))")
    }

    /// The response code and EVSEProcessing of every AuthorizationRes the vehicle received, in order.
    static func authorizationAnswers(_ summary: EVCCSessionSummary) -> [String] {
        summary.timeline.filter { $0.direction == .received && $0.message == "AuthorizationRes" }.map { $0.responseCode ?? "" }
    }

    @Test("iso2-eim-ac over loopback TLS: ChargingStatus loop to SessionStop")
    func eimAC() async throws {
        let (ev, secc) = try await Self.session(controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.ac), mode: .acThreePhaseCore)
        #expect(ev.succeeded, "\(ev.failure ?? "")")
        #expect(ev.timeline.filter { $0.message == "ChargingStatusReq" }.count == 5)
        #expect(secc?.ending == "SessionStop")
    }

    @Test("A token outside the local allow-list is refused with FAILED and no transaction")
    func refusedToken() async throws {
        let backend = LocalChargingBackend(allowedTokens: ["AABBCCDDEEFF"])
        let (ev, _) = try await Self.session(controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended, backend: backend)
        #expect(ev.failure == "\(ISO2EVCCStateMachine.Failure.responseCode(.failed, answering: "AuthorizationRes"))")
        // The refusal within the budget is the first and only AuthorizationRes.
        #expect(Self.authorizationAnswers(ev) == ["FAILED/Finished"], "\(Self.authorizationAnswers(ev))")
        #expect(backend.transactionLog.isEmpty)
    }
}

extension StationSessionTests {
    @Test("V2G_SECC_Sequence_Timer: a vehicle that goes silent after SupportedAppProtocol is disconnected")
    func sequenceTimeout() async throws {
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(to: try SocketAddress(ipAddress: "::1", port: 0), security: .tcp, logger: recorder.logger)
        let service = SECCService(
            configuration: SECCConfiguration(evseID: "DE*PNC*E1"), backend: LocalChargingBackend(),
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), logger: recorder.logger,
            // Long enough that a loaded machine still answers SupportedAppProtocol before the timer runs out.
            sequenceTimeout: .seconds(2))
        let box = SessionBox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) { box.set($0) } }
            defer { group.cancelAll() }
            let connection = try await V2GClient.connect(to: server.localAddress, security: .tcp, logger: recorder.logger)
            let frames = try await connection.executeThenClose { inbound, outbound in
                let offer = AppProtocolOffer.request(offering: [.iso2])
                try await outbound.write(
                    V2GTPFrame(payloadType: .exi, payload: ByteBuffer(bytes: try SAPDocument.supportedAppProtocolReq(offer).exiEncoded())))
                var count = 0
                for try await _ in inbound { count += 1 }  // ends when the SECC closes
                return count
            }
            #expect(frames == 1)
            await pollWhile { box.get() == nil }
            #expect(box.get()?.ending == "closed: close sequenceTimeout")
            try await server.close()
        }
    }
}

final class SessionBox: Sendable {
    private let value = Mutex<SECCSessionSummary?>(nil)
    func set(_ summary: SECCSessionSummary) { self.value.withLock { $0 = summary } }
    func get() -> SECCSessionSummary? { self.value.withLock { $0 } }
}
