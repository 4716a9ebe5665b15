/// A 16-byte IPv6 address as carried in the SDP response, with RFC 5952 text form.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The 16 address bytes in network order.
    public let bytes: [UInt8]

    /// - Throws: ``V2GTPError/Code-swift.struct/invalidAddress`` unless exactly 16 bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(V2GTPError) where Bytes.Element == UInt8 {
        guard bytes.count == 16 else { throw .make(.invalidAddress, "IPv6 address needs 16 bytes, got \(bytes.count)") }
        self.bytes = Array(bytes)
    }

    /// Parses the text form (`fe80::1`, `::1`, `2001:db8:0:0:0:0:0:1`); no zone (`%eth0`), no embedded IPv4.
    /// - Throws: ``V2GTPError/Code-swift.struct/invalidAddress``.
    public init(_ text: String) throws(V2GTPError) {
        let parts = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, !text.contains(":::"), text.utf8.count <= 39 else {
            throw .make(.invalidAddress, "not an IPv6 address: \(text)")
        }
        func groups(_ part: Substring) throws(V2GTPError) -> [UInt16] {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.utf8.count), let value = UInt16(group, radix: 16) else {
                    throw .make(.invalidAddress, "not an IPv6 address: \(text)")
                }
                result.append(value)
            }
            return result
        }
        let head = try groups(parts[0])
        let tail = parts.count == 2 ? try groups(parts[1]) : []
        let all: [UInt16]
        if parts.count == 2 {
            guard head.count + tail.count <= 7 else { throw .make(.invalidAddress, "not an IPv6 address: \(text)") }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { throw .make(.invalidAddress, "not an IPv6 address: \(text)") }
            all = head
        }
        self.bytes = all.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }

    /// `::` (unspecified).
    public static let unspecified = IPv6Address(checked: [UInt8](repeating: 0, count: 16))
    /// `::1` (loopback).
    public static let loopback = IPv6Address(checked: [UInt8](repeating: 0, count: 15) + [1])

    /// `ff02::1`: link-local all-nodes multicast, where SDP requests go ([V2G2-139]).
    public static let allNodesLinkLocal = IPv6Address(checked: [0xFF, 0x02] + [UInt8](repeating: 0, count: 13) + [1])

    private init(checked bytes: [UInt8]) { self.bytes = bytes }

    /// Link-local unicast (fe80::/10): needs an interface (scope) to be reached.
    public var isLinkLocal: Bool { self.bytes[0] == 0xFE && self.bytes[1] & 0xC0 == 0x80 }

    /// RFC 5952 text: lower-case hex, leading zeros dropped, the longest run (2+) of zero groups as `::`.
    public var description: String {
        let groups = (0..<8).map { UInt16(self.bytes[2 * $0]) << 8 | UInt16(self.bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        let text = { (slice: ArraySlice<UInt16>) in slice.map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return text(groups[...]) }
        return text(groups[0..<bestStart]) + "::" + text(groups[(bestStart + bestLength)...])
    }
}
