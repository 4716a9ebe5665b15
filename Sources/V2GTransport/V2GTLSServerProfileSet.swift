import NIOCore
import NIOSSL

/// The SECC's chains for both ISO 15118 TLS profiles behind one listening socket; each connection is answered
/// with the profile and chain its ClientHello asks for (read by ``ClientHelloSniffer`` before TLS starts).
///
/// Profile: TLS 1.3 offered (supported_versions lists 0x0304) and -20 chains configured → ISO 15118-20 (TLS 1.3,
/// mutual); otherwise ISO 15118-2 (TLS 1.2) when -2 chains are configured; a client that offers only what is not
/// configured gets the one profile there is, whose handshake then refuses it. Chain within the profile:
/// ``TLSChainChoice/choose(for:among:preferCertificateAuthorities:)``.
public struct V2GTLSServerProfileSet: Sendable {
    /// Per -2 chain a TLS 1.2 profile presenting only that chain, in configuration order.
    let iso2: [(profile: V2GTLSServerProfile, root: TrustedRootKeys)]
    /// Per -20 chain a TLS 1.3 mutual profile presenting only that chain.
    let iso20: [(profile: V2GTLSServerProfile, root: TrustedRootKeys)]
    /// Limit of the ClientHello handshake message.
    public let maximumClientHelloLength: Int

    /// - Parameters:
    ///   - iso15118_2: chains for the -2 profile, one per V2G root, the default first.
    ///   - iso15118_20: chains for the -20 profile, one per V2G root, the default first.
    ///   - vehicleTrustRoots: OEM roots the -20 vehicle chain must verify to (needed when `iso15118_20` is not empty).
    public init(
        iso15118_2: [V2GTLSIdentity],
        iso15118_20: [V2GTLSIdentity],
        vehicleTrustRoots: [NIOSSLCertificate] = [],
        maximumClientHelloLength: Int = TLSClientHello.defaultMaximumLength
    ) throws {
        guard !iso15118_2.isEmpty || !iso15118_20.isEmpty else {
            throw V2GTransportError.make(.invalidConfiguration, "a TLS server needs at least one chain")
        }
        for identities in [iso15118_2, iso15118_20] where identities.count > 1 {
            guard identities.allSatisfy({ $0.rootKeyHash != nil }) else {
                throw V2GTransportError.make(
                    .invalidConfiguration, "with several chains in a profile each needs its root to be chosen by")
            }
        }
        self.iso2 = try iso15118_2.map { (try V2GTLSServerProfile.iso15118_2(identity: $0), $0.rootKeys) }
        self.iso20 = try iso15118_20.map {
            (try V2GTLSServerProfile.iso15118_20(identities: [$0], vehicleTrustRoots: vehicleTrustRoots), $0.rootKeys)
        }
        self.maximumClientHelloLength = maximumClientHelloLength
    }

    /// The ISO 15118 TLS profile of a connection.
    public enum Profile: String, Sendable, Hashable {
        case iso15118_2 = "ISO 15118-2"
        case iso15118_20 = "ISO 15118-20"
    }

    /// What answers a ClientHello.
    public struct Choice: Sendable, Hashable {
        public var profile: Profile
        public var chain: TLSChainChoice
    }

    /// Picks the profile, then the chain, for `hello`.
    public func choose(for hello: TLSClientHello) -> Choice {
        let useISO20 = self.iso20.isEmpty ? false : (hello.offersTLS13 || self.iso2.isEmpty)
        let profile: Profile = useISO20 ? .iso15118_20 : .iso15118_2
        let candidates = useISO20 ? self.iso20 : self.iso2
        let chain =
            TLSChainChoice.choose(
                for: hello, among: candidates.map(\.root), preferCertificateAuthorities: useISO20)
            ?? TLSChainChoice(index: 0, reason: .first)
        return Choice(profile: profile, chain: chain)
    }

    func context(for choice: Choice) -> NIOSSLContext? {
        let candidates = choice.profile == .iso15118_20 ? self.iso20 : self.iso2
        guard candidates.indices.contains(choice.chain.index) else { return nil }
        return candidates[choice.chain.index].profile.context
    }
}

/// Sent down the pipeline when ``ClientHelloSniffer`` has chosen; ``TLSHandshakeObserver`` puts it into the
/// ``V2GTLSSession``.
struct V2GTLSChoiceEvent: Sendable {
    let choice: V2GTLSServerProfileSet.Choice
}

/// Buffers the first TLS records until the ClientHello is complete, parses it, installs the
/// `NIOSSLServerHandler` of the chosen profile and chain right after itself, hands the buffered bytes on unchanged
/// and removes itself. A malformed or oversized ClientHello fails the connection with that typed error before any
/// TLS processing.
final class ClientHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let profiles: V2GTLSServerProfileSet
    private var buffered: ByteBuffer?
    private var done = false

    init(profiles: V2GTLSServerProfileSet) { self.profiles = profiles }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard !self.done else {
            context.fireChannelRead(data)
            return
        }
        if var buffered = self.buffered {
            buffered.writeBuffer(&bytes)
            self.buffered = buffered
        } else {
            self.buffered = bytes
        }
        guard let buffered = self.buffered else { return }
        do {
            guard
                let (hello, _) = try TLSClientHello.parse(
                    stream: Array(buffered.readableBytesView), maximumLength: self.profiles.maximumClientHelloLength)
            else { return }
            let choice = self.profiles.choose(for: hello)
            guard let sslContext = self.profiles.context(for: choice) else {
                throw V2GTransportError.make(.invalidConfiguration, "no TLS context for \(choice)")
            }
            self.done = true
            self.buffered = nil
            try context.pipeline.syncOperations.addHandler(
                NIOSSLServerHandler(context: sslContext), position: .after(self))
            context.fireUserInboundEventTriggered(V2GTLSChoiceEvent(choice: choice))
            context.fireChannelRead(self.wrapInboundOut(buffered))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            self.done = true
            self.buffered = nil
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }
}
