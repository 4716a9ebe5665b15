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
    /// `answerSAP`, then reads and never answers. The SECC answers on its event loop, when the first bytes arrive, so
    /// that a busy test run (all cooperative threads taken by other suites) cannot make SupportedAppProtocolRes late.
    static func againstSilentSECC<T: Sendable>(
        answerSAP: Bool, protocols: [ApplicationProtocol],
        _ body: @Sendable (V2GConnection, Logger) async throws -> T
    ) async throws -> T {
        let recorder = LogRecorder()
        var answer: [UInt8]? = nil
        if answerSAP {
            let offer = AppProtocolOffer.request(offering: protocols)
            let outcome = AppProtocolNegotiation.response(to: offer, supported: protocols)
            answer = V2GTPMessage(
                payloadType: .exi, payload: try SAPDocument.supportedAppProtocolRes(outcome.response).exiEncoded()
            ).bytes
        }
        let firstAnswer = answer
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.pipeline.addHandler(SilentSECC(firstAnswer: firstAnswer)) }
            .bind(host: "::1", port: 0).get()
        defer { server.close(promise: nil) }
        let connection = try await V2GClient.connect(
            to: try #require(server.localAddress), security: .tcp, logger: recorder.logger)
        return try await body(connection, recorder.logger)
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

/// An SECC that writes `firstAnswer` (a whole V2GTP message) when the first bytes arrive, then reads and never answers;
/// it gives up after 60 s, so a missing EVCC timer shows as `transportClosed`, not as a hanging test.
private final class SilentSECC: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let firstAnswer: [UInt8]?
    // Touched only on the channel's event loop.
    private var answered = false

    init(firstAnswer: [UInt8]?) { self.firstAnswer = firstAnswer }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(60)) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.answered, let firstAnswer = self.firstAnswer else { return }
        self.answered = true
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: firstAnswer)), promise: nil)
    }
}
