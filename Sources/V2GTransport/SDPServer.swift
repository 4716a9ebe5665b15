import Logging
import NIOCore
import NIOPosix
import V2GTP

/// Where the SECC's V2G server listens, as announced in SDP responses.
public struct SDPOffer: Sendable, Hashable {
    public var address: IPv6Address
    public var port: UInt16
    public init(address: IPv6Address, port: UInt16) {
        self.address = address
        self.port = port
    }
}

/// The SECC's SDP server configuration.
public struct SDPServerConfiguration: Sendable {
    public enum Mode: Sendable {
        /// Production: bind `[::]:15118`, join ff02::1 on the named interface ([V2G2-139]).
        case multicast(interface: String)
        /// Tests: bind this unicast address (e.g. `[::1]:0`); no multicast group is joined.
        case unicast(SocketAddress)
    }

    public var mode: Mode
    /// The TLS server to announce (Security 0x00), if any.
    public var tls: SDPOffer?
    /// The plain TCP server to announce (Security 0x10), if any.
    public var tcp: SDPOffer?

    public init(mode: Mode, tls: SDPOffer?, tcp: SDPOffer?) {
        self.mode = mode
        self.tls = tls
        self.tcp = tcp
    }
}

/// The SECC side of the SECC Discovery Protocol (ISO 15118-2 §7.10.1): answers each SDP request with the address,
/// port and security of the V2G server.
///
/// The requested security is honoured when that server exists; otherwise the other one is announced and the EVCC
/// decides ([V2G2-623]: the response's Security says what the SECC offers). Datagrams that are not a valid SDP
/// request (bad header, wrong type or length, reserved values, the -20 wireless variant 0x9002, a UDP transport
/// request) get no answer; the reason is logged. In multicast mode requests that arrive on another interface than
/// the named one are not answered either (the answer would announce the wrong link's address).
public final class SDPServer: Sendable {
    private let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
    private let configuration: SDPServerConfiguration
    private let logger: Logger
    /// In multicast mode: requests arriving on other interfaces are not answered.
    private let interfaceIndex: Int?
    public let localAddress: SocketAddress

    private init(
        channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>,
        configuration: SDPServerConfiguration,
        interfaceIndex: Int?,
        logger: Logger
    ) throws {
        self.channel = channel
        self.configuration = configuration
        self.interfaceIndex = interfaceIndex
        self.logger = logger
        guard let address = channel.channel.localAddress else {
            throw V2GTransportError.make(.invalidConfiguration, "SDP socket has no local address")
        }
        self.localAddress = address
    }

    public static func bind(
        configuration: SDPServerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> SDPServer {
        guard configuration.tls != nil || configuration.tcp != nil else {
            throw V2GTransportError.make(.invalidConfiguration, "an SDP server needs a TLS or a TCP offer")
        }
        for offer in [configuration.tls, configuration.tcp].compactMap({ $0 })
        where !SDPNetwork.dynamicPorts.contains(Int(offer.port)) {
            logger.info(
                "SDP offers a port outside 49152-65535; EVCCs may refuse it (ISO 15118-2 Table 15)",
                metadata: ["v2g.port": "\(offer.port)"]
            )
        }
        let bindAddress: SocketAddress
        var interface: SDPNetwork.Interface?
        switch configuration.mode {
        case .multicast(let name):
            interface = try SDPNetwork.interface(named: name)
            bindAddress = try SDPNetwork.socketAddress(.unspecified, port: SDPNetwork.serverPort)
        case .unicast(let address):
            bindAddress = address
        }
        // ff02::1 reaches a socket bound to [::] from every interface (all-nodes is joined everywhere), so in
        // multicast mode the arrival interface is read (IPV6_PKTINFO) and requests from other interfaces are dropped.
        let bootstrap = DatagramBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.receivePacketInfo, value: interface != nil)
        let channel = try await SDPNetwork.bindDatagram(bootstrap, to: bindAddress) { channel in
            guard let interface else { return }
            guard let multicast = channel as? any MulticastChannel else {
                throw V2GTransportError.make(.invalidConfiguration, "datagram channel without multicast support")
            }
            let group = try SDPNetwork.socketAddress(
                SDPNetwork.multicastGroup,
                port: SDPNetwork.serverPort,
                interface: interface.name
            )
            let device = try System.enumerateDevices().first {
                $0.name == interface.name && $0.interfaceIndex == Int(interface.index)
            }
            try await multicast.joinGroup(group, device: device).get()
            try await SDPNetwork.setMulticastHopLimit(channel)
            logger.debug(
                "SDP server joined ff02::1",
                metadata: ["v2g.interface": "\(interface.name)", "v2g.address": "\(interface.linkLocalAddress)"]
            )
        }
        return try SDPServer(
            channel: channel,
            configuration: configuration,
            interfaceIndex: interface.map { Int($0.index) },
            logger: logger
        )
    }

    /// The answer to one datagram, or the reason there is none.
    public static func answer(
        to datagram: [UInt8],
        configuration: SDPServerConfiguration
    ) -> Result<SDPResponse, V2GTPError> {
        let request: SDPRequest
        do {
            let message = try V2GTPMessage(
                datagram: datagram,
                acceptedTypes: [.sdpRequest, .sdpRequestWireless],
                maximumPayloadLength: 512
            )
            guard message.payloadType == .sdpRequest else {
                return .failure(
                    .make(.unknownPayloadType, "SDP request for wireless communication (0x9002) is not supported")
                )
            }
            request = try SDPRequest(payload: message.payload)
        } catch {
            return .failure(error)
        }
        guard request.transportProtocol == .tcp else {
            return .failure(.make(.invalidTransportProtocol, "UDP transport requested; only TCP is offered"))
        }
        let preferred = request.security == .tls ? configuration.tls : configuration.tcp
        let other = request.security == .tls ? configuration.tcp : configuration.tls
        let security: SDPSecurity = preferred != nil ? request.security : (request.security == .tls ? .none : .tls)
        guard let offer = preferred ?? other else {
            return .failure(.make(.invalidSecurity, "no server to offer"))
        }
        return .success(
            SDPResponse(address: offer.address, port: offer.port, security: security, transportProtocol: .tcp)
        )
    }

    /// Answers requests until the task is cancelled or ``close()`` is called.
    public func run() async throws {
        try await self.channel.executeThenClose { inbound, outbound in
            for try await envelope in inbound {
                if let expected = self.interfaceIndex, let arrival = envelope.metadata?.packetInfo?.interfaceIndex,
                    arrival != expected
                {
                    self.logger.info(
                        "SDP datagram ignored: arrived on another interface",
                        metadata: ["v2g.peer": "\(envelope.remoteAddress)", "v2g.interface_index": "\(arrival)"]
                    )
                    continue
                }
                let datagram = Array(envelope.data.readableBytesView)
                switch Self.answer(to: datagram, configuration: self.configuration) {
                case .success(let response):
                    self.logger.debug(
                        "SDP response sent",
                        metadata: ["v2g.peer": "\(envelope.remoteAddress)", "v2g.security": "\(response.security)"]
                    )
                    let buffer = ByteBuffer(bytes: response.datagram)
                    do {
                        try await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer))
                    } catch {
                        // one unreachable EVCC must not stop discovery for the others
                        self.logger.info(
                            "SDP response not sent",
                            metadata: ["v2g.peer": "\(envelope.remoteAddress)", "v2g.reason": "\(error)"]
                        )
                    }
                case .failure(let error):
                    self.logger.info(
                        "SDP datagram ignored",
                        metadata: ["v2g.peer": "\(envelope.remoteAddress)", "v2g.reason": "\(error)"]
                    )
                }
            }
        }
    }

    /// Stops the server; ``run()`` returns. Safe whether or not ``run()`` was started (NIO requires the writer to
    /// be finished, which `executeThenClose` does).
    public func close() async {
        try? await self.channel.executeThenClose { _, _ in }
    }
}
