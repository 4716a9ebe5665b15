import Logging
import NIOCore
import NIOPosix
import V2GTP

/// The EVCC's SDP client configuration.
public struct SDPClientConfiguration: Sendable {
    public enum Destination: Sendable {
        /// Production: send to [ff02::1%interface]:15118 with hop limit 1 ([V2G2-139]).
        case multicast(interface: String)
        /// Tests: send to this unicast address (e.g. the test server's `[::1]:port`).
        case unicast(SocketAddress)
    }

    /// Time between requests while no answer came (the EVCC's SDP timing of ISO 15118-2: 250 ms).
    public static let defaultRequestInterval: Duration = .milliseconds(250)
    /// Requests sent before giving up (ISO 15118-2: up to 50).
    public static let defaultMaximumRequests = 50

    public var destination: Destination
    public var request: SDPRequest
    /// When set, answers with another Security are ignored (like an EVCC that enforces TLS).
    public var requiredSecurity: SDPSecurity?
    public var requestInterval: Duration
    public var maximumRequests: Int

    public init(
        destination: Destination,
        request: SDPRequest,
        requiredSecurity: SDPSecurity? = nil,
        requestInterval: Duration = Self.defaultRequestInterval,
        maximumRequests: Int = Self.defaultMaximumRequests
    ) {
        self.destination = destination
        self.request = request
        self.requiredSecurity = requiredSecurity
        self.requestInterval = requestInterval
        self.maximumRequests = maximumRequests
    }
}

/// An SECC found by SDP.
public struct SDPDiscovery: Sendable {
    public var response: SDPResponse
    /// Where to connect: the announced address and port, scoped to the interface for link-local addresses.
    public var seccAddress: SocketAddress
    /// Who answered.
    public var responder: SocketAddress
}

/// The EVCC side of the SECC Discovery Protocol (ISO 15118-2 §7.10.1).
public enum SDPClient {
    /// Sends the request every `requestInterval`, at most `maximumRequests` times, and returns the first valid
    /// answer that matches the configuration. Invalid answers are logged and ignored.
    /// - Throws: ``V2GTransportError`` `discoveryTimedOut` when nothing matching arrived in time.
    public static func discover<C: Clock<Duration>>(
        configuration: SDPClientConfiguration,
        clock: C = ContinuousClock(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> SDPDiscovery {
        let destination: SocketAddress
        let bindAddress: SocketAddress
        var interfaceName: String?
        var interfaceIndex: UInt32?
        switch configuration.destination {
        case .multicast(let name):
            let interface = try SDPNetwork.interface(named: name)
            interfaceName = name
            interfaceIndex = interface.index
            destination = try SDPNetwork.socketAddress(
                SDPNetwork.multicastGroup,
                port: SDPNetwork.serverPort,
                interface: name
            )
            bindAddress = try SDPNetwork.socketAddress(.unspecified, port: 0)
        case .unicast(let address):
            destination = address
            bindAddress =
                address.protocol == .inet6
                ? try SDPNetwork.socketAddress(.unspecified, port: 0) : try SocketAddress(ipAddress: "0.0.0.0", port: 0)
        }
        let channel = try await SDPNetwork.bindDatagram(DatagramBootstrap(group: eventLoopGroup), to: bindAddress) {
            channel in
            guard let interfaceIndex else { return }
            try await channel.setOption(
                ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_multicast_if),
                value: SocketOptionValue(interfaceIndex)
            ).get()
            try await SDPNetwork.setMulticastHopLimit(channel)
        }
        let request = ByteBuffer(bytes: configuration.request.datagram)
        let maximumRequests = max(1, configuration.maximumRequests)
        let interval = configuration.requestInterval
        let required = configuration.requiredSecurity
        let scopeInterface = interfaceName
        return try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: SDPDiscovery?.self) { group in
                group.addTask {
                    for try await envelope in inbound {
                        let response: SDPResponse
                        do {
                            response = try SDPResponse(datagram: Array(envelope.data.readableBytesView))
                        } catch {
                            logger.info(
                                "SDP answer ignored",
                                metadata: ["v2g.peer": "\(envelope.remoteAddress)", "v2g.reason": "\(error)"]
                            )
                            continue
                        }
                        if let required, response.security != required {
                            logger.info(
                                "SDP answer ignored: security \(response.security), \(required) required",
                                metadata: ["v2g.peer": "\(envelope.remoteAddress)"]
                            )
                            continue
                        }
                        let seccAddress: SocketAddress
                        do {
                            seccAddress = try SDPNetwork.socketAddress(
                                response.address,
                                port: Int(response.port),
                                interface: response.address.isLinkLocal ? scopeInterface : nil
                            )
                        } catch {
                            logger.info("SDP answer ignored: unusable address", metadata: ["v2g.reason": "\(error)"])
                            continue
                        }
                        return SDPDiscovery(
                            response: response,
                            seccAddress: seccAddress,
                            responder: envelope.remoteAddress
                        )
                    }
                    return nil
                }
                group.addTask {
                    for attempt in 1...maximumRequests {
                        logger.trace("SDP request", metadata: ["v2g.attempt": "\(attempt)"])
                        do {
                            try await outbound.write(AddressedEnvelope(remoteAddress: destination, data: request))
                        } catch {
                            // e.g. the link is not up yet: the next attempt may succeed
                            logger.info("SDP request not sent", metadata: ["v2g.reason": "\(error)"])
                        }
                        try await clock.sleep(for: interval)
                    }
                    return nil
                }
                defer { group.cancelAll() }
                if case let discovery?? = try await group.next() {
                    return discovery
                }
                throw V2GTransportError.make(
                    .discoveryTimedOut,
                    "no matching SDP answer after \(maximumRequests) requests \(interval) apart to \(destination)"
                )
            }
        }
    }
}
