import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import Logging
import NIOCore
import NIOPosix
import SAPMessages
import Testing
import V2GTP
import V2GTransport

/// V2G_EVCC_Msg_Timeout in the EVCC network drivers (DIN SPEC 70121, ISO 15118-20, ISO 15118-2): our EV against an
/// SECC on loopback TCP that answers SupportedAppProtocol (or nothing) and then stays silent. The drivers run with
/// windows shortened to 1 s (`EVCCResponseTimers(limit:)`); the silent SECC gives up after 60 s, so a missing timer shows as
/// `transportClosed`, not as a hanging test.
@Suite struct EVCCResponseTimerTests {
    static let limit = EVCCResponseTimers(limit: .seconds(1))
    /// For loopback sessions whose protocol flow is under test, not the timers: every window at least 30 s, so that a
    /// loaded test machine cannot trip the 0.25 s CurrentDemandRes window.
    static let loaded = EVCCResponseTimers(floor: .seconds(30))

    /// Runs `body` against an SECC that answers SupportedAppProtocol (the vehicle's offer of `protocols`) when
    /// `answerSAP`, then reads and never answers.
    static func againstSilentSECC<T: Sendable>(
        answerSAP: Bool, protocols: [ApplicationProtocol],
        _ body: @Sendable (V2GConnection, Logger) async throws -> T
    ) async throws -> T {
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0), security: .tcp, logger: recorder.logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run { connection in
                    try await withThrowingTaskGroup(of: Void.self) { inner in
                        inner.addTask {
                            try await connection.executeThenClose { inbound, outbound in
                                if answerSAP {
                                    // The answer to the offer the vehicle will make is sent as soon as it connects, so
                                    // that a loaded test machine cannot make SupportedAppProtocolRes late.
                                    let offer = AppProtocolOffer.request(offering: protocols)
                                    let outcome = AppProtocolNegotiation.response(to: offer, supported: protocols)
                                    try await outbound.write(V2GTPFrame(
                                        payloadType: .exi,
                                        payload: ByteBuffer(bytes: try SAPDocument.supportedAppProtocolRes(outcome.response).exiEncoded())))
                                }
                                for try await _ in inbound {}
                            }
                        }
                        inner.addTask {
                            try await Task.sleep(for: .seconds(60))
                            connection.channel.channel.close(promise: nil)
                        }
                        _ = try await inner.next()
                        inner.cancelAll()
                    }
                }
            }
            defer { group.cancelAll() }
            let connection = try await V2GClient.connect(to: server.localAddress, security: .tcp, logger: recorder.logger)
            let result = try await body(connection, recorder.logger)
            try await server.close()
            return result
        }
    }

    static let din = DINEVCCConfiguration(
        evccID: [0x02, 0, 0, 0, 0, 1], maximumVoltageV: 450, maximumCurrentA: 200, maximumPowerW: 90_000,
        targetVoltageV: 400, targetCurrentA: 100, stateOfCharge: 30)
    static let iso20 = ISO20EVCCConfiguration(
        evccID: "WMIV1234567890ABCDEX", maximumVoltageV: 800, minimumVoltageV: 200, maximumCurrentA: 250,
        maximumPowerW: 100_000, targetVoltageV: 400, targetCurrentA: 200)

    @Test("[DIN70121 §9.6 V2G_EVCC_Msg_Timeout] DIN SPEC 70121: no SessionSetupRes within the window ends the session as responseTimeout")
    func dinSessionSetup() async throws {
        let summary = try await Self.againstSilentSECC(answerSAP: true, protocols: [.din]) { connection, logger in
            try await EVCCSession.runDIN(on: connection, configuration: Self.din, timers: Self.limit, logger: logger)
        }
        #expect(summary.protocolName == .din)
        #expect(summary.outcome == .responseTimeout(request: "SessionSetupReq"))
        #expect(summary.timeline.last?.message == "SessionSetupReq")
    }

    @Test("[DIN70121 §9.6 V2G_EVCC_Msg_Timeout] DIN SPEC 70121: no SupportedAppProtocolRes within the window ends the session as responseTimeout")
    func dinSupportedAppProtocol() async throws {
        let summary = try await Self.againstSilentSECC(answerSAP: false, protocols: [.din]) { connection, logger in
            try await EVCCSession.runDIN(on: connection, configuration: Self.din, timers: Self.limit, logger: logger)
        }
        #expect(summary.protocolName == nil)
        #expect(summary.outcome == .responseTimeout(request: "SupportedAppProtocolReq"))
    }

    @Test("[V2G20 V2G_EVCC_Msg_Timeout] ISO 15118-20: no SessionSetupRes within the window ends the session as responseTimeout")
    func iso20SessionSetup() async throws {
        let summary = try await Self.againstSilentSECC(answerSAP: true, protocols: [.iso20DC]) { connection, logger in
            try await EVCCSession.runISO20(on: connection, configuration: Self.iso20, timers: Self.limit, logger: logger)
        }
        #expect(summary.protocolName == .iso20DC)
        #expect(summary.outcome == .responseTimeout(request: "SessionSetupReq"))
    }

    @Test("[V2G20 V2G_EVCC_Msg_Timeout] ISO 15118-20: no SupportedAppProtocolRes within the window")
    func iso20SupportedAppProtocol() async throws {
        let summary = try await Self.againstSilentSECC(answerSAP: false, protocols: [.iso20DC]) { connection, logger in
            try await EVCCSession.runISO20(on: connection, configuration: Self.iso20, timers: Self.limit, logger: logger)
        }
        #expect(summary.outcome == .responseTimeout(request: "SupportedAppProtocolReq"))
    }

    @Test("[ISO15118-2 Table 109 V2G_EVCC_Msg_Timeout] ISO 15118-2: no SessionSetupRes within the window fails the session, named")
    func iso2SessionSetup() async throws {
        let summary = try await Self.againstSilentSECC(answerSAP: true, protocols: [.iso2]) { connection, logger in
            let battery = EVBattery(
                capacityWh: 60_000, stateOfCharge: 30, maximumCurrentA: 200, maximumVoltageV: 450, nominalVoltageV: 400,
                targetStateOfCharge: 80)
            return try await EVCCSession.run(
                on: connection,
                configuration: .init(evccID: [0x02, 0, 0, 0, 0, 1], energyTransfer: .dcExtended, battery: battery),
                timers: Self.limit, logger: logger)
        }
        #expect(summary.protocolName == .iso2)
        #expect(summary.failure == "V2G_EVCC_Msg_Timeout: no answer to SessionSetupReq")
    }

    @Test("ISO 15118-2 Table 109 windows: CurrentDemand 0.25 s, the 5 s requests, 2 s otherwise; a limit only shortens, a floor only lengthens")
    func iso2Windows() {
        #expect(EVCCSession.iso2ResponseWindow("CurrentDemandReq") == .milliseconds(250))
        for name in ["ServiceDetailReq", "PaymentDetailsReq", "PowerDeliveryReq", "CertificateInstallationReq", "CertificateUpdateReq"] {
            #expect(EVCCSession.iso2ResponseWindow(name) == .seconds(5), "\(name)")
        }
        for name in ["SupportedAppProtocolReq", "SessionSetupReq", "AuthorizationReq", "PreChargeReq", "SessionStopReq"] {
            #expect(EVCCSession.iso2ResponseWindow(name) == .seconds(2), "\(name)")
        }
        #expect(Self.limit.window(.seconds(2)) == .seconds(1))
        #expect(Self.limit.window(.milliseconds(250)) == .milliseconds(250))
        #expect(EVCCResponseTimers.standard.window(.seconds(5)) == .seconds(5))
        // the explicit leniency for slow SECC simulators lengthens only the short windows
        let lenient = EVCCResponseTimers(floor: .seconds(3))
        #expect(lenient.window(.milliseconds(250)) == .seconds(3))
        #expect(lenient.window(.seconds(5)) == .seconds(5))
    }

    @Test("SessionTimer: a shorter window armed after a longer one closes the channel; a disarmed timer does not")
    func rearmShorter() async throws {
        try await Self.againstSilentSECC(answerSAP: false, protocols: []) { connection, _ in
            let channel = connection.channel.channel
            let quiet = SessionTimer(window: .milliseconds(50), closing: channel)
            quiet.arm()
            quiet.disarm()
            let timer = SessionTimer(window: .seconds(30), closing: channel)
            timer.arm()
            timer.arm(window: .milliseconds(100))
            try await channel.closeFuture.get()
            #expect(timer.expired)
            #expect(!quiet.expired)
        }
    }
}
