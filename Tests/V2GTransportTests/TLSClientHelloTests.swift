import Foundation
import Testing
import V2GTransport

/// Builds ClientHello bytes by hand: a body with chosen extensions, wrapped in handshake records of a chosen size.
struct ClientHelloBytes {
    var legacyVersion: [UInt8] = [0x03, 0x03]
    var sessionID: [UInt8] = Array(repeating: 0xAB, count: 32)
    var cipherSuites: [UInt16] = [0xC023]
    var compression: [UInt8] = [0]
    /// nil: no extensions block at all.
    var extensions: [(type: UInt16, data: [UInt8])]? = []

    static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func vector16(_ bytes: [UInt8]) -> [UInt8] { Self.u16(bytes.count) + bytes }
    static func vector8(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count)] + bytes }

    static func serverName(_ host: String) -> [UInt8] { Self.vector16([0] + Self.vector16(Array(host.utf8))) }
    static func supportedVersions(_ versions: [UInt16]) -> [UInt8] {
        Self.vector8(versions.flatMap { Self.u16(Int($0)) })
    }
    static func signatureAlgorithms(_ schemes: [UInt16]) -> [UInt8] {
        Self.vector16(schemes.flatMap { Self.u16(Int($0)) })
    }
    static func certificateAuthorities(_ names: [[UInt8]]) -> [UInt8] {
        Self.vector16(names.flatMap { Self.vector16($0) })
    }
    static func trustedCAKeys(_ authorities: [TLSClientHello.TrustedAuthority]) -> [UInt8] {
        Self.vector16(
            authorities.flatMap { authority -> [UInt8] in
                switch authority {
                case .preAgreed: [0]
                case .keySHA1Hash(let hash): [1] + hash
                case .x509Name(let name): [2] + Self.vector16(name)
                case .certSHA1Hash(let hash): [3] + hash
                }
            })
    }

    var body: [UInt8] {
        var body = self.legacyVersion + Array(repeating: 0x11, count: 32)
        body += Self.vector8(self.sessionID)
        body += Self.vector16(self.cipherSuites.flatMap { Self.u16(Int($0)) })
        body += Self.vector8(self.compression)
        if let extensions = self.extensions {
            body += Self.vector16(extensions.flatMap { Self.u16(Int($0.type)) + Self.vector16($0.data) })
        }
        return body
    }

    /// The handshake message (type 1, 24-bit length, body).
    var message: [UInt8] {
        let body = self.body
        return [1, UInt8(body.count >> 16 & 0xFF), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    /// The message in handshake records of at most `fragment` bytes.
    func records(fragment: Int = 16_384) -> [UInt8] {
        Self.records(self.message, fragment: fragment)
    }

    static func records(_ message: [UInt8], fragment: Int) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < message.count {
            let piece = Array(message[index..<min(index + fragment, message.count)])
            out += [22, 3, 1] + Self.u16(piece.count) + piece
            index += piece.count
        }
        return out
    }
}

/// A DER Name: SEQUENCE { SET { SEQUENCE { OID cn, UTF8String } } }.
func derName(_ commonName: String) -> [UInt8] {
    let value = [0x0C, UInt8(commonName.utf8.count)] + Array(commonName.utf8)
    let attribute = [0x30, UInt8(5 + value.count), 0x06, 0x03, 0x55, 0x04, 0x03] + value
    let set = [0x31, UInt8(attribute.count)] + attribute
    return [0x30, UInt8(set.count)] + set
}

@Suite struct TLSClientHelloTests {
    static let keyHash = Array(repeating: UInt8(0x5A), count: 20)
    static let certHash = Array(repeating: UInt8(0xC3), count: 20)

    /// A ClientHello with every extension this parser reads, in every form, plus one it skips.
    static var full: ClientHelloBytes {
        var hello = ClientHelloBytes()
        hello.cipherSuites = [0x1302, 0xC023]
        hello.extensions = [
            (0, ClientHelloBytes.serverName("secc.example")),
            (10, ClientHelloBytes.vector16([0x00, 0x17])),  // supported_groups: skipped
            (43, ClientHelloBytes.supportedVersions([0x0304, 0x0303])),
            (13, ClientHelloBytes.signatureAlgorithms([0x0603, 0x0403])),
            (47, ClientHelloBytes.certificateAuthorities([derName("V2G Root A"), derName("V2G Root B")])),
            (
                3,
                ClientHelloBytes.trustedCAKeys([
                    .preAgreed, .keySHA1Hash(Self.keyHash), .x509Name(derName("V2G Root B")),
                    .certSHA1Hash(Self.certHash),
                ])
            ),
        ]
        return hello
    }

    @Test("[RFC 6066 §3 §6][RFC 8446 §4.2] every extension form is read: server_name, supported_versions, signature_algorithms, certificate_authorities, all four trusted_ca_keys kinds")
    func everyExtension() throws {
        let hello = try TLSClientHello(records: Self.full.records())
        #expect(hello.legacyVersion == 0x0303)
        #expect(hello.cipherSuites == [0x1302, 0xC023])
        #expect(hello.serverName == "secc.example")
        #expect(hello.supportedVersions == [0x0304, 0x0303])
        #expect(hello.offersTLS13)
        #expect(hello.offersTLS12)
        #expect(hello.signatureAlgorithms == [0x0603, 0x0403])
        #expect(hello.certificateAuthorities == [derName("V2G Root A"), derName("V2G Root B")])
        #expect(
            hello.trustedCAKeys == [
                .preAgreed, .keySHA1Hash(Self.keyHash), .x509Name(derName("V2G Root B")), .certSHA1Hash(Self.certHash),
            ])
        #expect(hello.extensionTypes == [0, 10, 43, 13, 47, 3])
    }

    @Test("A TLS 1.2 ClientHello without extensions, and one with an empty trusted_ca_keys list, parse")
    func minimal() throws {
        var bare = ClientHelloBytes()
        bare.extensions = nil
        let hello = try TLSClientHello(records: bare.records())
        #expect(hello.serverName == nil && hello.supportedVersions == nil && hello.trustedCAKeys == nil)
        #expect(!hello.offersTLS13 && hello.offersTLS12)
        var empty = ClientHelloBytes()
        empty.extensions = [(3, ClientHelloBytes.trustedCAKeys([]))]
        #expect(try TLSClientHello(records: empty.records()).trustedCAKeys == [])
    }

    @Test("A ClientHello split across records (down to one byte per record) parses; every proper prefix asks for more")
    func splitAcrossRecords() throws {
        let whole = try TLSClientHello(records: Self.full.records())
        for fragment in [1, 3, 7, 100] {
            let bytes = Self.full.records(fragment: fragment)
            let parsed = try #require(try TLSClientHello.parse(stream: bytes))
            #expect(parsed.hello == whole)
            #expect(parsed.consumed == bytes.count)
        }
        let bytes = Self.full.records(fragment: 50)
        for end in 0..<bytes.count {
            #expect(try TLSClientHello.parse(stream: Array(bytes[..<end])) == nil)
        }
        #expect { try TLSClientHello(records: Array(bytes.dropLast())) } throws: {
            ($0 as? V2GTransportError)?.code == .truncatedClientHello
        }
    }

    @Test("Bytes after the ClientHello's records are not consumed")
    func consumedStopsAtTheHello() throws {
        let bytes = Self.full.records() + [23, 3, 3, 0, 1, 0]
        let parsed = try #require(try TLSClientHello.parse(stream: bytes))
        #expect(parsed.consumed == bytes.count - 6)
    }

    static func malformed(_ edit: (inout ClientHelloBytes) -> Void) -> [UInt8] {
        var hello = ClientHelloBytes()
        edit(&hello)
        return hello.records()
    }

    /// (what, bytes, expected code)
    static var badInputs: [(String, [UInt8], V2GTransportError.Code)] {
        let good = ClientHelloBytes().records()
        let message = ClientHelloBytes().message
        var out: [(String, [UInt8], V2GTransportError.Code)] = [
            ("application data record", [23] + good.dropFirst(), .malformedClientHello),
            ("record version 2.0", [22, 2, 0] + good.dropFirst(3), .malformedClientHello),
            ("empty record", [22, 3, 1, 0, 0] + good, .malformedClientHello),
            ("record over 2^14", [22, 3, 1, 0x40, 0x01], .clientHelloTooLarge),
            ("server_hello message", ClientHelloBytes.records([2] + message.dropFirst(), fragment: 16_384), .malformedClientHello),
            (
                "ClientHello over the limit",
                ClientHelloBytes.records([1, 0x00, 0x40, 0x01] + message.dropFirst(4), fragment: 16_384),
                .clientHelloTooLarge
            ),
            ("bytes after the ClientHello in its record", ClientHelloBytes.records(message + [0], fragment: 16_384), .malformedClientHello),
            (
                "body shorter than its header says",
                ClientHelloBytes.records(
                    [1, 0, 0, 10] + [3, 3, 0, 0, 0, 0, 0, 0, 0, 0], fragment: 16_384), .malformedClientHello
            ),
            ("session id of 33 bytes", Self.malformed { $0.sessionID = Array(repeating: 1, count: 33) }, .malformedClientHello),
            ("no cipher suite", Self.malformed { $0.cipherSuites = [] }, .malformedClientHello),
            ("no compression method", Self.malformed { $0.compression = [] }, .malformedClientHello),
            ("duplicate extension", Self.malformed { $0.extensions = [(0, ClientHelloBytes.serverName("a")), (0, ClientHelloBytes.serverName("b"))] }, .malformedClientHello),
            ("empty server_name list", Self.malformed { $0.extensions = [(0, ClientHelloBytes.vector16([]))] }, .malformedClientHello),
            ("empty host name", Self.malformed { $0.extensions = [(0, ClientHelloBytes.vector16([0, 0, 0]))] }, .malformedClientHello),
            ("non-ASCII host name", Self.malformed { $0.extensions = [(0, ClientHelloBytes.vector16([0, 0, 2, 0xC3, 0xA9]))] }, .malformedClientHello),
            ("two host names", Self.malformed { $0.extensions = [(0, ClientHelloBytes.vector16([0, 0, 1, 0x61, 0, 0, 1, 0x62]))] }, .malformedClientHello),
            ("server_name list shorter than the extension", Self.malformed { $0.extensions = [(0, ClientHelloBytes.serverName("a") + [0])] }, .malformedClientHello),
            ("supported_versions of odd length", Self.malformed { $0.extensions = [(43, [3, 3, 4, 3])] }, .malformedClientHello),
            ("empty supported_versions", Self.malformed { $0.extensions = [(43, [0])] }, .malformedClientHello),
            ("empty signature_algorithms", Self.malformed { $0.extensions = [(13, [0, 0])] }, .malformedClientHello),
            ("signature_algorithms of odd length", Self.malformed { $0.extensions = [(13, [0, 3, 4, 3, 6])] }, .malformedClientHello),
            ("certificate_authorities under 3 bytes", Self.malformed { $0.extensions = [(47, [0, 2, 0, 0])] }, .malformedClientHello),
            ("certificate_authorities name not DER", Self.malformed { $0.extensions = [(47, ClientHelloBytes.certificateAuthorities([[0x04, 0x01, 0x00]]))] }, .malformedClientHello),
            ("DER name with a wrong inner length", Self.malformed { $0.extensions = [(47, ClientHelloBytes.certificateAuthorities([[0x30, 0x05, 0x00]]))] }, .malformedClientHello),
            ("trusted_ca_keys unknown identifier type", Self.malformed { $0.extensions = [(3, ClientHelloBytes.vector16([4]))] }, .malformedClientHello),
            ("trusted_ca_keys short key hash", Self.malformed { $0.extensions = [(3, ClientHelloBytes.vector16([1] + Array(repeating: 0, count: 19)))] }, .malformedClientHello),
            ("trusted_ca_keys short cert hash", Self.malformed { $0.extensions = [(3, ClientHelloBytes.vector16([3, 1, 2]))] }, .malformedClientHello),
            ("trusted_ca_keys x509_name empty", Self.malformed { $0.extensions = [(3, ClientHelloBytes.vector16([2, 0, 0]))] }, .malformedClientHello),
            ("trusted_ca_keys list overruns the extension", Self.malformed { $0.extensions = [(3, [0, 5, 0])] }, .malformedClientHello),
        ]
        // extension block longer than the body
        var overrun = ClientHelloBytes()
        overrun.extensions = nil
        let body = overrun.body + [0, 10, 0, 0]
        out.append(
            (
                "extensions overrun the body",
                ClientHelloBytes.records(
                    [1, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body, fragment: 16_384),
                .malformedClientHello
            ))
        return out
    }

    @Test("Malformed and oversized ClientHellos give typed errors, one per case")
    func malformedInputs() throws {
        for (what, bytes, code) in Self.badInputs {
            #expect(throws: V2GTransportError.self, Comment(rawValue: what)) {
                try TLSClientHello(records: bytes)
            }
            do {
                _ = try TLSClientHello(records: bytes)
            } catch let error as V2GTransportError {
                #expect(error.code == code, Comment(rawValue: "\(what): \(error)"))
            }
        }
    }

    @Test("A smaller configured limit refuses a ClientHello that fits the default")
    func configuredLimit() throws {
        let bytes = Self.full.records()
        #expect { try TLSClientHello(records: bytes, maximumLength: 64) } throws: {
            ($0 as? V2GTransportError)?.code == .clientHelloTooLarge
        }
    }

    @Test("Seeded mutation: bit flips, byte changes and truncations of valid ClientHellos give a parse, a request for more, or a typed error")
    func mutations() throws {
        var generator = SplitMix64(seed: 0x15118_2020)
        let seeds = [Self.full.records(), Self.full.records(fragment: 9), ClientHelloBytes().records()]
        let codes: Set<String> = ["malformedClientHello", "clientHelloTooLarge"]
        var errors = 0
        for _ in 0..<3000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &generator)]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
                case 1: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                default: bytes = Array(bytes[..<index])
                }
                if bytes.isEmpty { break }
            }
            do {
                _ = try TLSClientHello.parse(stream: bytes)
            } catch let error as V2GTransportError {
                #expect(codes.contains(error.code.name), "\(error)")
                errors += 1
            }
        }
        #expect(errors > 500)  // the mutations do reach the error paths
    }

    @Test("Inputs the fuzzer kept under FuzzTesting/FailCases/V2GTransport parse or give typed errors")
    func failCases() throws {
        let folder = repositoryRoot.appendingPathComponent("FuzzTesting/FailCases/V2GTransport")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix("clienthello-") {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            do {
                if let (hello, consumed) = try TLSClientHello.parse(stream: bytes) {
                    #expect(try TLSClientHello(records: Array(bytes[..<consumed])) == hello, "\(name)")
                }
            } catch let error as V2GTransportError {
                #expect([V2GTransportError.Code.malformedClientHello, .clientHelloTooLarge].contains(error.code))
            }
            do {
                _ = try TLSClientHello(body: bytes[...])
            } catch let error as V2GTransportError {
                #expect(error.code == .malformedClientHello)
            }
        }
    }
}
