import EXI
import SAPMessages
import Testing

/// Decoding a ProtocolNamespace through `KnownProtocolNamespaces.table`: the well-known namespaces come back as the
/// table's own strings (no new storage), anything else as a new string; the value is the same either way.
@Suite struct SAPKnownNamespaceTests {
    /// A copy of `text` in new heap storage, so that equality below never rests on sharing a literal.
    static func fresh(_ text: String) -> String {
        String(decoding: Array(text.utf8), as: UTF8.self)
    }

    /// The address of a string's UTF-8 storage (nil for strings without contiguous storage).
    static func storage(_ text: String) -> UnsafePointer<UInt8>? {
        text.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil
    }

    static func request(_ namespaces: [String]) -> SAPDocument {
        .supportedAppProtocolReq(
            SupportedAppProtocolReq(
                appProtocol: namespaces.enumerated().map { index, namespace in
                    AppProtocol(
                        protocolNamespace: namespace, versionNumberMajor: 2, versionNumberMinor: UInt32(index),
                        schemaID: UInt8(index), priority: UInt8(index + 1))
                }))
    }

    static func namespaces(of document: SAPDocument) -> [String] {
        guard case .supportedAppProtocolReq(let request) = document else { return [] }
        return request.appProtocol.map(\.protocolNamespace)
    }

    @Test("[ISO 15118-2 §8.2] every well-known ProtocolNamespace decodes to the table's own string, equal to the input")
    func knownNamespaces() throws {
        #expect(KnownProtocolNamespaces.all.count == 7)
        #expect(Set(KnownProtocolNamespaces.all).count == KnownProtocolNamespaces.all.count)
        for protocolCase in ApplicationProtocol.allCases {
            #expect(KnownProtocolNamespaces.all.contains(protocolCase.namespace))
        }
        // One entry per namespace, in a request of all seven, each in new storage.
        let document = Self.request(KnownProtocolNamespaces.all.map(Self.fresh))
        let bytes = try document.exiEncoded()
        let decoded = try SAPDocument(exi: bytes)
        #expect(decoded == document)
        #expect(try decoded.exiEncoded() == bytes)
        let names = Self.namespaces(of: decoded)
        try #require(names.count == KnownProtocolNamespaces.all.count)
        for (name, known) in zip(names, KnownProtocolNamespaces.all) {
            #expect(name == known)
            // The same storage as the table's string: nothing was allocated for it.
            let address = try #require(Self.storage(name))
            #expect(address == Self.storage(known))
        }
        // The buffer entry point decodes the same way.
        let inPlace = try bytes.withUnsafeBytes { try SAPDocument(exi: $0) }
        #expect(inPlace == document)
        #expect(Self.storage(Self.namespaces(of: inPlace)[0]) == Self.storage(KnownProtocolNamespaces.din))
    }

    /// Namespaces that are not in the table although close to one: one octet changed at the start, in the middle
    /// and at the end, one character missing or added, a non-ASCII character, the empty string.
    static func nearMisses() -> [String] {
        var result: [String] = []
        for known in KnownProtocolNamespaces.all {
            let octets = Array(known.utf8)
            for index in [0, octets.count / 2, octets.count - 1] {
                var changed = octets
                changed[index] ^= 0x01
                result.append(String(decoding: changed, as: UTF8.self))
            }
            result.append(String(known.dropLast()))
            result.append(known + ":")
        }
        result.append("urn:din:70121:2012:MsgDéf")
        result.append("urn:iso:std:iso:15118:-20:DC\u{1F50C}")
        result.append("")
        result.append("urn:example")
        return result
    }

    @Test("[ISO 15118-2 §8.2] namespaces close to a well-known one (one octet changed, shorter, longer, non-ASCII) decode to new equal strings")
    func unknownNamespaces() throws {
        let misses = Self.nearMisses()
        for miss in misses { #expect(!KnownProtocolNamespaces.all.contains(miss)) }
        // At most 20 entries per request (the schema's maxOccurs).
        var start = 0
        while start < misses.count {
            let chunk = Array(misses[start..<min(start + 20, misses.count)])
            start += 20
            let document = Self.request(chunk)
            let bytes = try document.exiEncoded()
            let decoded = try SAPDocument(exi: bytes)
            #expect(decoded == document)
            #expect(try decoded.exiEncoded() == bytes)
            let names = Self.namespaces(of: decoded)
            #expect(names == chunk)
            for name in names where name.utf8.count > 15 {
                for known in KnownProtocolNamespaces.all {
                    #expect(Self.storage(name) != Self.storage(known))
                }
            }
        }
    }

    @Test("[ISO 15118-2 §8.2] known and unknown namespaces mixed in one request round-trip: decode(encode(x)) == x")
    func mixed() throws {
        let names = [
            KnownProtocolNamespaces.iso20DC, "urn:iso:std:iso:15118:-20:DD", KnownProtocolNamespaces.iso2,
            "urn:iso:15118:2:2013:MsgDe", KnownProtocolNamespaces.din, "urn:din:70121:2012:MsgDef:extra",
            Self.fresh(KnownProtocolNamespaces.iso2Draft2010),
        ]
        let document = Self.request(names)
        let bytes = try document.exiEncoded()
        let decoded = try SAPDocument(exi: bytes)
        #expect(decoded == document)
        #expect(Self.namespaces(of: decoded) == names)
        #expect(try decoded.exiEncoded() == bytes)
    }

    @Test("[ISO 15118-2 §8.2] a request cut anywhere, inside a well-known namespace included, is a typed error")
    func truncatedKnownNamespace() throws {
        let bytes = try Self.request([KnownProtocolNamespaces.din, KnownProtocolNamespaces.iso2]).exiEncoded()
        for cut in 0..<bytes.count {
            do {
                _ = try SAPDocument(exi: Array(bytes[..<cut]))
                Issue.record("a stream cut at byte \(cut) decoded")
            } catch {
                #expect(error.code == .truncated)
            }
        }
    }
}
