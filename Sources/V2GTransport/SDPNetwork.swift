import NIOCore
import NIOPosix
import V2GTP

/// Addresses of the SECC Discovery Protocol (ISO 15118-2 §7.10.1).
public enum SDPNetwork {
    /// The SDP server's UDP port, V2G_UDP_SDP_SERVER (ISO 15118-2 Table 15; DIN SPEC 70121 [V2G-DC-159]).
    public static let serverPort = 15118
    /// Ports the SECC's TCP/TLS server uses: the dynamic range (ISO 15118-2 Table 15, V2G_DST_TCP_DATA).
    /// EVCCs check it: Josev's refuses an SDP response with a port outside.
    public static let dynamicPorts: ClosedRange<Int> = 49152...65535

    /// The link-local all-nodes multicast group SDP requests go to ([V2G2-139], RFC 4291).
    public static let multicastGroup = IPv6Address.allNodesLinkLocal

    /// A network interface as SDP needs it: its index (the IPv6 scope) and its link-local address.
    public struct Interface: Sendable, Hashable {
        public var name: String
        public var index: UInt32
        /// The interface's fe80::/10 address, which the SECC announces in its SDP response.
        public var linkLocalAddress: IPv6Address
    }

    /// Looks up `name` among the host's interfaces (NIO `System.enumerateDevices`).
    /// - Throws: ``V2GTransportError`` `interfaceNotFound` when there is no such interface or it has no IPv6
    ///   link-local address.
    public static func interface(named name: String) throws -> Interface {
        let devices: [NIONetworkDevice]
        do {
            devices = try System.enumerateDevices()
        } catch {
            throw V2GTransportError.make(.interfaceNotFound, "cannot list network interfaces", cause: error)
        }
        let named = devices.filter { $0.name == name }
        guard !named.isEmpty else { throw V2GTransportError.make(.interfaceNotFound, "no interface named \(name)") }
        for device in named {
            guard let socketAddress = device.address, let address = Self.ipv6(of: socketAddress), address.isLinkLocal
            else { continue }
            return Interface(name: name, index: UInt32(device.interfaceIndex), linkLocalAddress: address)
        }
        throw V2GTransportError.make(.interfaceNotFound, "interface \(name) has no IPv6 link-local address")
    }

    /// A socket address for `address` and `port`; link-local addresses need the interface they are reached over
    /// (resolved as `fe80::…%<interface>`, which sets the IPv6 scope).
    public static func socketAddress(
        _ address: IPv6Address,
        port: Int,
        interface: String? = nil
    ) throws -> SocketAddress {
        if let interface {
            return try SocketAddress.makeAddressResolvingHost("\(address)%\(interface)", port: port)
        }
        return try SocketAddress(ipAddress: address.description, port: port)
    }

    /// The IPv6 address of a socket address, or nil when it is not IPv6.
    public static func ipv6(of socketAddress: SocketAddress) -> IPv6Address? {
        guard socketAddress.protocol == .inet6, let text = socketAddress.ipAddress else { return nil }
        let unscoped = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        return try? IPv6Address(unscoped)
    }

    typealias DatagramChannel = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    /// Binds a UDP socket for SDP and runs `configure` on it; if that fails the socket is closed (through
    /// `executeThenClose`, as NIO requires) and the error rethrown.
    static func bindDatagram(
        _ bootstrap: DatagramBootstrap,
        to address: SocketAddress,
        configure: (any Channel) async throws -> Void
    ) async throws -> DatagramChannel {
        let channel = try await bootstrap.bind(to: address) { channel in
            channel.eventLoop.makeCompletedFuture { try DatagramChannel(wrappingChannelSynchronously: channel) }
        }
        do {
            try await configure(channel.channel)
        } catch {
            try? await channel.executeThenClose { _, _ in }
            throw error
        }
        return channel
    }

    /// IPV6_MULTICAST_HOPS 1: SDP stays on the link ([V2G2-139]).
    static func setMulticastHopLimit(_ channel: any Channel) async throws {
        try await channel.setOption(
            ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_multicast_hops),
            value: 1
        ).get()
    }
}
