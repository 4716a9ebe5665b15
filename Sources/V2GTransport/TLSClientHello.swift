/// The parts of a TLS ClientHello (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2) that decide which chain and which ISO 15118
/// TLS profile an SECC answers with: server_name (RFC 6066 §3), trusted_ca_keys (RFC 6066 §6, sent by the ISO
/// 15118-2 EVCC with the V2G roots it holds), certificate_authorities (RFC 8446 §4.2.4, ISO 15118-20),
/// supported_versions (RFC 8446 §4.2.1) and signature_algorithms (RFC 8446 §4.2.3).
///
/// Pure value code with no dependencies (the libFuzzer target under FuzzTesting/ compiles this file alone with
/// ``V2GTransportError``). Parsing is strict: every length must agree with its container, every extension that is
/// read must be consumed exactly, an extension type may appear once, and the reassembled handshake message is
/// limited to ``defaultMaximumLength`` bytes (or the caller's limit), so input lengths never drive an allocation
/// beyond it.
public struct TLSClientHello: Sendable, Hashable {
    /// One entry of trusted_ca_keys (RFC 6066 §6, `TrustedAuthority`).
    public enum TrustedAuthority: Sendable, Hashable {
        /// `pre_agreed`: the client names no root.
        case preAgreed
        /// `key_sha1_hash`: SHA-1 of the root's subjectPublicKey (20 bytes).
        case keySHA1Hash([UInt8])
        /// `x509_name`: the root's DER-encoded DistinguishedName.
        case x509Name([UInt8])
        /// `cert_sha1_hash`: SHA-1 of the root's DER-encoded certificate (20 bytes).
        case certSHA1Hash([UInt8])
    }

    /// TLS record content type handshake.
    static let handshakeContentType: UInt8 = 22
    /// Handshake message type client_hello.
    static let clientHelloType: UInt8 = 1
    /// Largest record fragment (RFC 8446 §5.1: 2^14).
    public static let maximumRecordLength = 16_384
    /// Default limit of the ClientHello handshake message (body without its 4-byte header); may span records.
    public static let defaultMaximumLength = 16_384

    /// The extension numbers read here.
    public enum ExtensionType {
        public static let serverName: UInt16 = 0
        public static let trustedCAKeys: UInt16 = 3
        public static let signatureAlgorithms: UInt16 = 13
        public static let supportedVersions: UInt16 = 43
        public static let certificateAuthorities: UInt16 = 47
    }

    /// `legacy_version` (0x0303 for TLS 1.2 and, by RFC 8446, for TLS 1.3 too).
    public var legacyVersion: UInt16
    public var cipherSuites: [UInt16]
    /// The host_name of server_name; nil without the extension.
    public var serverName: String?
    /// supported_versions in client order; nil without the extension.
    public var supportedVersions: [UInt16]?
    /// trusted_ca_keys in client order; nil without the extension.
    public var trustedCAKeys: [TrustedAuthority]?
    /// certificate_authorities: DER DistinguishedNames; nil without the extension.
    public var certificateAuthorities: [[UInt8]]?
    /// signature_algorithms (SignatureScheme code points); nil without the extension.
    public var signatureAlgorithms: [UInt16]?
    /// Every extension type in order of appearance.
    public var extensionTypes: [UInt16]

    public init(
        legacyVersion: UInt16 = 0x0303,
        cipherSuites: [UInt16],
        serverName: String? = nil,
        supportedVersions: [UInt16]? = nil,
        trustedCAKeys: [TrustedAuthority]? = nil,
        certificateAuthorities: [[UInt8]]? = nil,
        signatureAlgorithms: [UInt16]? = nil,
        extensionTypes: [UInt16] = []
    ) {
        self.legacyVersion = legacyVersion
        self.cipherSuites = cipherSuites
        self.serverName = serverName
        self.supportedVersions = supportedVersions
        self.trustedCAKeys = trustedCAKeys
        self.certificateAuthorities = certificateAuthorities
        self.signatureAlgorithms = signatureAlgorithms
        self.extensionTypes = extensionTypes
    }

    /// Whether the client offers TLS 1.3 (0x0304 in supported_versions; RFC 8446 §4.2.1: only that extension
    /// negotiates 1.3).
    public var offersTLS13: Bool { self.supportedVersions?.contains(0x0304) ?? false }

    /// Whether the client can do TLS 1.2: supported_versions lists 0x0303, or, without it, legacy_version is
    /// 0x0303 or above.
    public var offersTLS12: Bool {
        if let versions = self.supportedVersions { return versions.contains(0x0303) }
        return self.legacyVersion >= 0x0303
    }

    /// Parses the start of a TLS stream: handshake records whose fragments carry one ClientHello.
    ///
    /// - Returns: the ClientHello and the number of stream bytes its records took, or nil when `bytes` are a valid
    ///   beginning that ends too early (read more and call again).
    /// - Throws: ``V2GTransportError`` `malformedClientHello`, or `clientHelloTooLarge` when a record exceeds 2^14
    ///   bytes or the handshake message exceeds `maximumLength`.
    public static func parse(
        stream bytes: [UInt8],
        maximumLength: Int = Self.defaultMaximumLength
    ) throws -> (hello: TLSClientHello, consumed: Int)? {
        var message: [UInt8] = []
        var offset = 0
        while true {
            guard bytes.count - offset >= 5 else { return nil }
            let contentType = bytes[offset]
            guard contentType == Self.handshakeContentType else {
                throw V2GTransportError.make(
                    .malformedClientHello, "record content type \(contentType) is not handshake (22)")
            }
            guard bytes[offset + 1] == 3 else {
                throw V2GTransportError.make(
                    .malformedClientHello, "record version \(bytes[offset + 1]).\(bytes[offset + 2]) is not TLS")
            }
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard length > 0 else {
                throw V2GTransportError.make(.malformedClientHello, "empty handshake record")
            }
            guard length <= Self.maximumRecordLength else {
                throw V2GTransportError.make(.clientHelloTooLarge, "record of \(length) bytes exceeds 2^14")
            }
            guard bytes.count - offset - 5 >= length else { return nil }
            message.append(contentsOf: bytes[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            guard message.count >= 4 else { continue }
            guard message[0] == Self.clientHelloType else {
                throw V2GTransportError.make(
                    .malformedClientHello, "handshake message type \(message[0]) is not client_hello (1)")
            }
            let bodyLength = Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3])
            guard bodyLength <= maximumLength else {
                throw V2GTransportError.make(
                    .clientHelloTooLarge, "ClientHello of \(bodyLength) bytes exceeds the limit of \(maximumLength)")
            }
            guard message.count >= 4 + bodyLength else { continue }
            guard message.count == 4 + bodyLength else {
                // nothing may follow the ClientHello before the server has answered
                throw V2GTransportError.make(
                    .malformedClientHello, "\(message.count - 4 - bodyLength) bytes follow the ClientHello")
            }
            return (try Self(body: message[4...]), offset)
        }
    }

    /// Parses a complete stream prefix that must hold the whole ClientHello.
    /// - Throws: ``V2GTransportError`` `truncatedClientHello` when it ends early, else as ``parse(stream:maximumLength:)``.
    public init(records bytes: [UInt8], maximumLength: Int = Self.defaultMaximumLength) throws {
        // Not `guard let (hello, _) = …; self = hello`: Swift 6.3.1 with -O miscompiles that destructuring in an
        // initializer (a release build crashed in swift_retain on a valid ClientHello).
        guard let parsed = try Self.parse(stream: bytes, maximumLength: maximumLength) else {
            throw V2GTransportError.make(.truncatedClientHello, "the records end before the ClientHello does")
        }
        self = parsed.hello
    }

    /// Parses the body of a client_hello handshake message (after its type and 24-bit length).
    public init(body: ArraySlice<UInt8>) throws {
        var reader = Reader(body)
        self.legacyVersion = try reader.u16("legacy_version")
        try reader.skip(32, "random")
        let sessionID = try reader.u8("legacy_session_id length")
        guard sessionID <= 32 else {
            throw V2GTransportError.make(.malformedClientHello, "legacy_session_id of \(sessionID) bytes exceeds 32")
        }
        try reader.skip(Int(sessionID), "legacy_session_id")
        var suites = try reader.vector16("cipher_suites")
        guard suites.remaining >= 2, suites.remaining % 2 == 0 else {
            throw V2GTransportError.make(.malformedClientHello, "cipher_suites of \(suites.remaining) bytes")
        }
        self.cipherSuites = []
        while !suites.isEmpty { self.cipherSuites.append(try suites.u16("cipher suite")) }
        let compression = try reader.vector8("legacy_compression_methods")
        guard !compression.isEmpty else {
            throw V2GTransportError.make(.malformedClientHello, "no compression method")
        }
        self.serverName = nil
        self.supportedVersions = nil
        self.trustedCAKeys = nil
        self.certificateAuthorities = nil
        self.signatureAlgorithms = nil
        self.extensionTypes = []
        guard !reader.isEmpty else { return }  // TLS 1.2 allows a ClientHello without extensions
        var extensions = try reader.vector16("extensions")
        guard reader.isEmpty else {
            throw V2GTransportError.make(.malformedClientHello, "\(reader.remaining) bytes follow the extensions")
        }
        var seen: Set<UInt16> = []
        while !extensions.isEmpty {
            let type = try extensions.u16("extension type")
            var data = try extensions.vector16("extension \(type)")
            guard seen.insert(type).inserted else {
                throw V2GTransportError.make(.malformedClientHello, "extension \(type) appears twice")
            }
            self.extensionTypes.append(type)
            switch type {
            case ExtensionType.serverName: self.serverName = try Self.serverName(&data)
            case ExtensionType.supportedVersions: self.supportedVersions = try Self.supportedVersions(&data)
            case ExtensionType.trustedCAKeys: self.trustedCAKeys = try Self.trustedCAKeys(&data)
            case ExtensionType.certificateAuthorities: self.certificateAuthorities = try Self.authorities(&data)
            case ExtensionType.signatureAlgorithms: self.signatureAlgorithms = try Self.signatureAlgorithms(&data)
            default: data.skipRest()
            }
            guard data.isEmpty else {
                throw V2GTransportError.make(
                    .malformedClientHello, "extension \(type) has \(data.remaining) bytes after its content")
            }
        }
    }

    /// RFC 6066 §3: `ServerNameList server_name_list<1..2^16-1>`; the host_name (type 0) is returned.
    private static func serverName(_ data: inout Reader) throws -> String? {
        var list = try data.vector16("server_name_list")
        guard !list.isEmpty else {
            throw V2GTransportError.make(.malformedClientHello, "empty server_name_list")
        }
        var hostName: String?
        while !list.isEmpty {
            let nameType = try list.u8("name_type")
            let name = try list.vector16("server name")
            guard !name.isEmpty else {
                throw V2GTransportError.make(.malformedClientHello, "empty server name")
            }
            guard nameType == 0 else { continue }
            guard hostName == nil else {
                throw V2GTransportError.make(.malformedClientHello, "two host_name entries in server_name")
            }
            guard let text = String(validating: name.rest, as: UTF8.self), text.utf8.allSatisfy({ $0 < 0x80 }) else {
                throw V2GTransportError.make(.malformedClientHello, "host_name is not ASCII")
            }
            hostName = text
        }
        return hostName
    }

    /// RFC 8446 §4.2.1 (ClientHello form): `ProtocolVersion versions<2..254>`.
    private static func supportedVersions(_ data: inout Reader) throws -> [UInt16] {
        var list = try data.vector8("supported_versions")
        guard list.remaining >= 2, list.remaining % 2 == 0 else {
            throw V2GTransportError.make(.malformedClientHello, "supported_versions of \(list.remaining) bytes")
        }
        var versions: [UInt16] = []
        while !list.isEmpty { versions.append(try list.u16("version")) }
        return versions
    }

    /// RFC 8446 §4.2.3: `SignatureScheme supported_signature_algorithms<2..2^16-2>`.
    private static func signatureAlgorithms(_ data: inout Reader) throws -> [UInt16] {
        var list = try data.vector16("supported_signature_algorithms")
        guard list.remaining >= 2, list.remaining % 2 == 0 else {
            throw V2GTransportError.make(
                .malformedClientHello, "signature_algorithms of \(list.remaining) bytes")
        }
        var schemes: [UInt16] = []
        while !list.isEmpty { schemes.append(try list.u16("signature scheme")) }
        return schemes
    }

    /// RFC 8446 §4.2.4: `DistinguishedName authorities<3..2^16-1>`, each `opaque DistinguishedName<1..2^16-1>`.
    private static func authorities(_ data: inout Reader) throws -> [[UInt8]] {
        var list = try data.vector16("certificate_authorities")
        guard list.remaining >= 3 else {
            throw V2GTransportError.make(.malformedClientHello, "certificate_authorities of \(list.remaining) bytes")
        }
        var names: [[UInt8]] = []
        while !list.isEmpty {
            names.append(try Self.distinguishedName(&list))
        }
        return names
    }

    /// RFC 6066 §6: `TrustedAuthority trusted_authorities_list<0..2^16-1>`.
    private static func trustedCAKeys(_ data: inout Reader) throws -> [TrustedAuthority] {
        var list = try data.vector16("trusted_authorities_list")
        var authorities: [TrustedAuthority] = []
        while !list.isEmpty {
            let identifierType = try list.u8("identifier_type")
            switch identifierType {
            case 0: authorities.append(.preAgreed)
            case 1: authorities.append(.keySHA1Hash(try list.bytes(20, "key_sha1_hash")))
            case 2: authorities.append(.x509Name(try Self.distinguishedName(&list)))
            case 3: authorities.append(.certSHA1Hash(try list.bytes(20, "cert_sha1_hash")))
            default:
                throw V2GTransportError.make(
                    .malformedClientHello, "trusted_ca_keys identifier_type \(identifierType) is unknown")
            }
        }
        return authorities
    }

    /// `opaque DistinguishedName<1..2^16-1>` holding one DER SEQUENCE (a Name) whose length matches.
    private static func distinguishedName(_ list: inout Reader) throws -> [UInt8] {
        let name = try list.vector16("DistinguishedName")
        guard !name.isEmpty else {
            throw V2GTransportError.make(.malformedClientHello, "empty DistinguishedName")
        }
        guard Self.isOneDERSequence(name.rest) else {
            throw V2GTransportError.make(.malformedClientHello, "DistinguishedName is not one DER SEQUENCE")
        }
        return Array(name.rest)
    }

    /// Checks the outer DER header only: tag 0x30 and a definite minimal length that covers exactly the rest.
    static func isOneDERSequence(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        guard bytes.count >= 2, bytes[index] == 0x30 else { return false }
        index += 1
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let octets = Int(first & 0x7F)
            guard octets >= 1, octets <= 2, bytes.endIndex - index >= octets else { return false }
            for _ in 0..<octets {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
            guard length >= 0x80, octets == 1 || length > 0xFF else { return false }
        }
        return bytes.endIndex - index == length
    }

    /// Bounds-checked big-endian reader over a slice; every overrun is `malformedClientHello`.
    struct Reader {
        private var bytes: ArraySlice<UInt8>

        init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

        var isEmpty: Bool { self.bytes.isEmpty }
        var remaining: Int { self.bytes.count }
        var rest: ArraySlice<UInt8> { self.bytes }

        mutating func skipRest() { self.bytes = self.bytes[self.bytes.endIndex...] }

        private mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
            guard count <= self.bytes.count else {
                throw V2GTransportError.make(
                    .malformedClientHello, "\(what) needs \(count) bytes, \(self.bytes.count) remain")
            }
            let taken = self.bytes.prefix(count)
            self.bytes = self.bytes.dropFirst(count)
            return taken
        }

        mutating func u8(_ what: String) throws -> UInt8 {
            try self.take(1, what).first ?? 0
        }

        mutating func u16(_ what: String) throws -> UInt16 {
            let two = try self.take(2, what)
            return UInt16(two[two.startIndex]) << 8 | UInt16(two[two.startIndex + 1])
        }

        mutating func skip(_ count: Int, _ what: String) throws { _ = try self.take(count, what) }

        mutating func bytes(_ count: Int, _ what: String) throws -> [UInt8] { Array(try self.take(count, what)) }

        mutating func vector8(_ what: String) throws -> Reader {
            let length = try self.u8(what + " length")
            return Reader(try self.take(Int(length), what))
        }

        mutating func vector16(_ what: String) throws -> Reader {
            let length = try self.u16(what + " length")
            return Reader(try self.take(Int(length), what))
        }
    }
}
