public import ISO15118EVCC
public import ISO15118SECC
import ISO2Messages
import ISO20Messages
public import Logging
import NIOCore
import V2GTP
public import V2GTransport

/// Sequential DC sessions of our EVCC against our SECC over loopback (ISO 15118-2 or ISO 15118-20, TCP or TLS, EIM
/// or Plug & Charge by the setup), each timed from its start, the SDP request (unicast SDP on ::1, as `pnc ev --to`
/// does) or, without SDP, the TCP connect, to the first PowerDeliveryRes the EVCC receives and to its SessionStopRes.
/// One charge-loop exchange per session. Used by `pnc bench v2g`; figures are measured, never asserted.
public enum V2GSessionBenchmark {
    public enum ProtocolFamily: String, Sendable, CaseIterable {
        case iso2, iso20
    }

    public struct Setup: Sendable {
        public var family: ProtocolFamily
        public var server: V2GServer.Security
        public var client: V2GClient.Security
        /// The SECC's configuration (payment options, protocols, contract roots, -20 Plug & Charge).
        public var secc: SECCConfiguration
        public var backend: any ChargingBackend
        /// ISO 15118-2 Plug & Charge: the vehicle's contract (nil: EIM).
        public var iso2Contract: StoredContract?
        /// ISO 15118-20 Plug & Charge: the vehicle's contracts (empty: EIM).
        public var iso20Contracts: [ISO20EVCCContract]
        /// Start the clock at the SDP request; otherwise at the TCP connect.
        public var fromSDP: Bool
        /// The vehicle's response windows (V2G_EVCC_Msg_Timeout); a session that misses one fails the run.
        public var timers: EVCCResponseTimers

        public init(
            family: ProtocolFamily, server: V2GServer.Security, client: V2GClient.Security, secc: SECCConfiguration,
            backend: any ChargingBackend, iso2Contract: StoredContract? = nil, iso20Contracts: [ISO20EVCCContract] = [],
            fromSDP: Bool = true, timers: EVCCResponseTimers = .standard
        ) {
            self.family = family
            self.server = server
            self.client = client
            self.secc = secc
            self.backend = backend
            self.iso2Contract = iso2Contract
            self.iso20Contracts = iso20Contracts
            self.fromSDP = fromSDP
            self.timers = timers
        }
    }

    /// Samples of one measured span in milliseconds, with nearest-rank percentiles.
    public struct Series: Sendable {
        public var name: String
        public var samples: [Double]

        public init(name: String, samples: [Double]) {
            self.name = name
            self.samples = samples
        }

        var sorted: [Double] { self.samples.sorted() }
        /// Nearest rank on the sorted samples: index round((n - 1) · p).
        public func percentile(_ p: Double) -> Double {
            let sorted = self.sorted
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
        public var p50: Double { self.percentile(0.5) }
        public var p99: Double { self.percentile(0.99) }
        public var minimum: Double { self.samples.min() ?? .nan }
        public var maximum: Double { self.samples.max() ?? .nan }
        public var mean: Double { self.samples.isEmpty ? .nan : self.samples.reduce(0, +) / Double(self.samples.count) }
    }

    public struct Report: Sendable {
        /// What ran, e.g. `iso20 DC TLS PnC`.
        public var label: String
        public var sessions: Int
        public var fromSDP: Bool
        /// Start → first PowerDeliveryRes, start → SessionStopRes, then start → connection ready (SDP, TCP, TLS).
        public var series: [Series]
    }

    public static func run(_ setup: Setup, sessions: Int, label: String, logger: Logger) async throws -> Report {
        guard (1...10_000).contains(sessions) else {
            throw ISO15118StationError.make(.invalidConfiguration, "sessions must be 1 ... 10000, not \(sessions)")
        }
        let loopback = try SocketAddress(ipAddress: "::1", port: 0)
        let server = try await V2GServer.bindDynamicPort(on: loopback, security: setup.server, logger: logger)
        let tls: Bool = if case .tls = setup.client { true } else { false }
        let offer = SDPOffer(address: try IPv6Address("::1"), port: UInt16(server.localAddress.port ?? 0))
        let sdp = try await SDPServer.bind(
            configuration: SDPServerConfiguration(mode: .unicast(loopback), tls: tls ? offer : nil, tcp: tls ? nil : offer),
            logger: logger)
        let service = SECCService(
            configuration: setup.secc, backend: setup.backend,
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), logger: logger)
        let sdpAddress = sdp.localAddress
        let (connected, firstPower, whole) = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sdp.run() }
            group.addTask { try await service.run(server: server) }
            defer { group.cancelAll() }
            var connected: [Double] = []
            var firstPower: [Double] = []
            var whole: [Double] = []
            for index in 0..<sessions {
                let (ready, power, stop) = try await Self.session(
                    index: index, setup: setup, tls: tls, server: server.localAddress, sdp: sdpAddress, logger: logger)
                connected.append(ready)
                firstPower.append(power)
                whole.append(stop)
            }
            await sdp.close()
            try await server.close()
            return (connected, firstPower, whole)
        }
        let start = setup.fromSDP ? "SDP request" : "connect"
        return Report(
            label: label, sessions: sessions, fromSDP: setup.fromSDP,
            series: [
                Series(name: "\(start) → first PowerDeliveryRes", samples: firstPower),
                Series(name: "\(start) → SessionStopRes", samples: whole),
                Series(name: "\(start) → connected (\(setup.fromSDP ? "SDP, " : "")TCP\(tls ? ", TLS handshake" : ""))", samples: connected),
            ])
    }

    /// One session: milliseconds from the start to the connection being ready, to the first PowerDeliveryRes and to
    /// SessionStopRes.
    static func session(
        index: Int, setup: Setup, tls: Bool, server: SocketAddress, sdp: SocketAddress, logger: Logger
    ) async throws -> (Double, Double, Double) {
        let started = ContinuousClock.now
        var secc = server
        if setup.fromSDP {
            let found = try await SDPClient.discover(
                configuration: SDPClientConfiguration(
                    destination: .unicast(sdp), request: SDPRequest(security: tls ? .tls : .none),
                    requiredSecurity: tls ? .tls : nil),
                logger: logger)
            secc = found.seccAddress
        }
        let connection = try await V2GClient.connect(to: secc, security: setup.client, logger: logger)
        let before = Self.milliseconds(ContinuousClock.now - started)
        let timeline: [TimelineEntry]
        let failure: String?
        switch setup.family {
        case .iso2:
            let summary = try await EVCCSession.run(
                on: connection,
                configuration: .init(
                    evccID: [2, 0, 0, 0, UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)], energyTransfer: .dcExtended,
                    battery: EVBattery(
                        capacityWh: 60_000, stateOfCharge: 30, maximumCurrentA: 200, maximumVoltageV: 450,
                        nominalVoltageV: 400),
                    maximumLoopIterations: 1),
                contract: setup.iso2Contract, timers: setup.timers, logger: logger)
            timeline = summary.timeline
            failure = summary.succeeded ? nil : summary.failure ?? "not completed"
        case .iso20:
            let summary = try await EVCCSession.runISO20(
                on: connection,
                configuration: ISO20EVCCConfiguration(
                    evccID: "WMIV12345678" + String(String(100_000_000 + index).suffix(8)), maximumVoltageV: 800, minimumVoltageV: 200,
                    maximumCurrentA: 250, maximumPowerW: 100_000, targetVoltageV: 400, targetCurrentA: 200, ac: false),
                contracts: setup.iso20Contracts, chargeLoops: 1, timers: setup.timers, logger: logger)
            timeline = summary.timeline
            failure = summary.succeeded ? nil : String(describing: summary.outcome)
        }
        let received = timeline.filter { $0.direction == .received }
        guard failure == nil, let power = received.first(where: { $0.message == "PowerDeliveryRes" }),
            let stop = received.last(where: { $0.message == "SessionStopRes" })
        else {
            throw ISO15118StationError.make(
                .benchmarkSessionFailed,
                "session \(index): \(failure ?? "no PowerDeliveryRes or SessionStopRes"), last message \(timeline.last?.message ?? "-")")
        }
        return (before, before + power.milliseconds, before + stop.milliseconds)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// One line per series: `<label> sessions=N <span>: median …, p99 …, mean …, min …, max …`.
    public static func render(_ report: Report) -> String {
        report.series.map { series in
            "v2g \(report.label) sessions=\(report.sessions) \(series.name): "
                + "median \(Self.format(series.p50)) ms, p99 \(Self.format(series.p99)) ms, mean \(Self.format(series.mean)) ms, "
                + "min \(Self.format(series.minimum)) ms, max \(Self.format(series.maximum)) ms"
        }.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        guard hundredths.isFinite, abs(hundredths) < 1e15 else { return "-" }
        let whole = Int(hundredths)
        let fraction = abs(whole % 100)
        return "\(whole / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
