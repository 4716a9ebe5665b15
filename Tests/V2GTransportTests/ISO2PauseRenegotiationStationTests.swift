import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import V2GTransport

/// ISO 15118-2 pause and resume, and renegotiation, between our EVCC driver and our SECC driver over loopback TLS:
/// the paused session is kept by the SECCService across connections and joined by the next one.
@Suite struct ISO2PauseRenegotiationStationTests {
    final class Summaries: Sendable {
        private let value = Mutex<[SECCSessionSummary]>([])
        func add(_ summary: SECCSessionSummary) { self.value.withLock { $0.append(summary) } }
        var all: [SECCSessionSummary] { self.value.withLock { $0 } }
    }

    /// Runs `body` with a TLS SECC on ::1 (simulated EVSE, local backend) and a function that connects a vehicle.
    static func withStation(
        mode: EnergyTransferMode, configuration: SECCConfiguration = SECCConfiguration(evseID: "DE*PNC*E1"),
        backend: LocalChargingBackend, summaries: Summaries,
        _ body: (_ connect: () async throws -> V2GConnection, _ logger: Logger) async throws -> Void
    ) async throws {
        let cpo = try TestChain(domain: "V2G")
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0),
            security: .tls(try V2GTLSServerProfile.iso15118_2(identity: cpo.identity)), logger: recorder.logger)
        let capabilities = mode == .dcExtended ? SimulatedEVSEController.dc : SimulatedEVSEController.ac
        let service = SECCService(
            configuration: configuration, backend: backend, controller: SimulatedEVSEController(capabilities: capabilities),
            logger: recorder.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) { summaries.add($0) } }
            defer { group.cancelAll() }
            let root = cpo.root
            try await body({
                try await V2GClient.connect(
                    to: server.localAddress, security: .tls(try V2GTLSClientProfile.iso15118_2(v2gRoots: [root])),
                    logger: recorder.logger)
            }, recorder.logger)
            try await server.close()
        }
    }

    static func configuration(_ mode: EnergyTransferMode, pauseAfter: Int? = nil, renegotiateAfter: Int? = nil)
        -> ISO2EVCCStateMachine.Configuration
    {
        .init(
            evccID: [0x02, 0, 0, 0, 0, 1], energyTransfer: mode, battery: StationSessionTests.battery,
            maximumLoopIterations: 5, pauseAfterLoops: pauseAfter, renegotiateAfterLoops: renegotiateAfter)
    }

    @Test(
        "[ISO 15118-2 SessionStop Pause / OK_OldSessionJoined] Over loopback TLS: pause after 2 loops, plug in again, the SECC joins the paused session; one transaction from the first PowerDelivery Start to the final SessionStop",
        arguments: [EnergyTransferMode.dcExtended, .acThreePhaseCore])
    func pauseResume(mode: EnergyTransferMode) async throws {
        let backend = LocalChargingBackend()
        let summaries = Summaries()
        try await Self.withStation(mode: mode, backend: backend, summaries: summaries) { connect, logger in
            let first = try await EVCCSession.run(
                on: try await connect(), configuration: Self.configuration(mode, pauseAfter: 2),
                timers: EVCCResponseTimerTests.loaded, logger: logger)
            #expect(first.succeeded, "\(first.failure ?? "")")
            #expect(first.paused)
            #expect(first.timeline.contains { $0.message == "SessionStopReq" && $0.responseCode == "Pause" })
            await pollWhile { summaries.all.count < 1 }
            #expect(summaries.all.first?.ending == "paused")
            #expect(backend.transactionLog.count == 1, "\(backend.transactionLog)")

            let second = try await EVCCSession.run(
                on: try await connect(), configuration: Self.configuration(mode),
                resuming: EVCommandHex.bytes(first.sessionID), timers: EVCCResponseTimerTests.loaded, logger: logger)
            #expect(second.succeeded, "\(second.failure ?? "")")
            #expect(second.resumed)
            #expect(second.sessionID == first.sessionID)
            #expect(second.timeline.contains { $0.message == "SessionSetupRes" && $0.responseCode == "OK_OldSessionJoined" })
            await pollWhile { summaries.all.count < 2 }
            #expect(summaries.all.last?.ending == "SessionStop")
            #expect(summaries.all.last?.sessionID == first.sessionID)
        }
        let log = backend.transactionLog
        #expect(log.count == 2, "\(log)")
        #expect(log.first?.hasPrefix("started local-1") == true, "\(log)")
        #expect(log.last?.hasPrefix("ended local-1") == true, "\(log)")
    }

    @Test(
        "[ISO 15118-2 PowerDelivery Renegotiate, EVSENotification ReNegotiation] Over loopback TLS: one EV-triggered and one SECC-triggered renegotiation in the same session, to SessionStop",
        arguments: [EnergyTransferMode.dcExtended, .acThreePhaseCore])
    func renegotiation(mode: EnergyTransferMode) async throws {
        let backend = LocalChargingBackend()
        let summaries = Summaries()
        var configuration = SECCConfiguration(evseID: "DE*PNC*E1")
        configuration.renegotiateAfterChargeLoops = 4
        try await Self.withStation(mode: mode, configuration: configuration, backend: backend, summaries: summaries) {
            connect, logger in
            var ev = Self.configuration(mode, renegotiateAfter: 1)
            ev.maximumLoopIterations = 6
            let summary = try await EVCCSession.run(
                on: try await connect(), configuration: ev, timers: EVCCResponseTimerTests.loaded, logger: logger)
            #expect(summary.succeeded, "\(summary.failure ?? "")")
            #expect(summary.renegotiations == 2)
            #expect(summary.seccRenegotiations == 1)
            let renegotiates = summary.timeline.filter { $0.message == "PowerDeliveryReq" && $0.responseCode == "Renegotiate" }
            #expect(renegotiates.count == 2)
            #expect(summary.timeline.filter { $0.responseCode?.hasSuffix("/ReNegotiation") == true }.count == 1)
            #expect(summary.timeline.filter { $0.message == "ChargeParameterDiscoveryReq" }.count == 3)
            #expect(summary.timeline.last?.message == "SessionStopRes")
        }
        #expect(backend.transactionLog.count == 2, "\(backend.transactionLog)")
    }
}

/// SessionIDs travel as hex in the session summaries.
enum EVCommandHex {
    static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
