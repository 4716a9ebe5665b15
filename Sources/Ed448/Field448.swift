/// An element of GF(p), p = 2^448 − 2^224 − 1, in sixteen 28-bit limbs (little-endian).
///
/// Every operation returns limbs of at most 2^28, so products of two limbs and their sums stay below 2^64.
/// Variable time: see ``Ed448`` for what that means for callers.
struct Field448: Sendable {
    static let limbBits: UInt64 = 28
    static let mask: UInt64 = (1 << 28) - 1
    var limbs: [UInt64]

    init(limbs: [UInt64]) { self.limbs = limbs }

    init(_ small: UInt64) {
        var limbs = [UInt64](repeating: 0, count: 16)
        limbs[0] = small & Self.mask
        limbs[1] = small >> 28
        self.limbs = limbs
        Self.carry(&self.limbs)
    }

    static let zero = Field448(0)
    static let one = Field448(1)

    /// Reads 56 little-endian bytes; values ≥ p are reduced (callers that need canonical input check first).
    init(bytes: ArraySlice<UInt8>) {
        precondition(bytes.count == 56)
        let base = bytes.startIndex
        var limbs = [UInt64](repeating: 0, count: 16)
        for k in 0..<8 {
            var word: UInt64 = 0
            for i in 0..<7 { word |= UInt64(bytes[base + 7 * k + i]) << (8 * UInt64(i)) }
            limbs[2 * k] = word & Self.mask
            limbs[2 * k + 1] = word >> 28
        }
        self.limbs = limbs
    }

    /// The canonical 56-byte little-endian encoding (value reduced below p).
    var bytes: [UInt8] {
        let n = normalized()
        var out = [UInt8](repeating: 0, count: 56)
        for k in 0..<8 {
            let word = n[2 * k] | (n[2 * k + 1] << 28)
            for i in 0..<7 { out[7 * k + i] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i))) }
        }
        return out
    }

    /// Whether the canonical value is odd (the "sign" of RFC 8032 encodings).
    var isOdd: Bool { normalized()[0] & 1 == 1 }
    var isZero: Bool { normalized().allSatisfy { $0 == 0 } }

    static func == (a: Field448, b: Field448) -> Bool { a.normalized() == b.normalized() }

    /// Propagates carries; a carry out of 2^448 re-enters as 2^224 + 1. Leaves limbs ≤ 2^28.
    static func carry(_ c: inout [UInt64]) {
        for _ in 0..<2 {
            for i in 0..<15 {
                c[i + 1] += c[i] >> 28
                c[i] &= mask
            }
            let top = c[15] >> 28
            c[15] &= mask
            c[0] += top
            c[8] += top
        }
    }

    /// Limbs strictly below 2^28 and value below p.
    func normalized() -> [UInt64] {
        var c = limbs
        var rounds = 0
        while true {
            for i in 0..<15 {
                c[i + 1] += c[i] >> 28
                c[i] &= Self.mask
            }
            let top = c[15] >> 28
            c[15] &= Self.mask
            if top == 0 || rounds == 4 { break }
            c[0] += top
            c[8] += top
            rounds += 1
        }
        // value < 2^448 < 2p: subtract p once when value ≥ p.
        var d = [UInt64](repeating: 0, count: 16)
        var borrow: UInt64 = 0
        for i in 0..<16 {
            let pi: UInt64 = i == 8 ? Self.mask - 1 : Self.mask
            let sub = pi + borrow
            if c[i] >= sub {
                d[i] = c[i] - sub
                borrow = 0
            } else {
                d[i] = c[i] + (1 << 28) - sub
                borrow = 1
            }
        }
        return borrow == 0 ? d : c
    }

    static func + (a: Field448, b: Field448) -> Field448 {
        var c = a.limbs
        c.withUnsafeMutableBufferPointer { r in
            b.limbs.withUnsafeBufferPointer { pb in
                for i in 0..<16 { r[i] = r[i] &+ pb[i] }
            }
            carry(r)
        }
        return Field448(limbs: c)
    }

    /// a − b computed as a + 2p − b (limbs ≤ 2^28 < the limbs of 2p, so nothing wraps).
    static func - (a: Field448, b: Field448) -> Field448 {
        var c = a.limbs
        c.withUnsafeMutableBufferPointer { r in
            b.limbs.withUnsafeBufferPointer { pb in
                for i in 0..<16 {
                    let twoP: UInt64 = i == 8 ? (1 << 29) - 4 : (1 << 29) - 2
                    r[i] = r[i] &+ twoP &- pb[i]
                }
            }
            carry(r)
        }
        return Field448(limbs: c)
    }

    /// ``carry(_:)`` on a raw buffer of 16 limbs.
    static func carry(_ r: UnsafeMutableBufferPointer<UInt64>) {
        for _ in 0..<2 {
            for i in 0..<15 {
                r[i &+ 1] = r[i &+ 1] &+ (r[i] >> 28)
                r[i] &= mask
            }
            let top = r[15] >> 28
            r[15] &= mask
            r[0] = r[0] &+ top
            r[8] = r[8] &+ top
        }
    }

    static prefix func - (a: Field448) -> Field448 { zero - a }

    /// Schoolbook product on raw buffers (limbs ≤ 2^28, so every column stays below 2^62 and the wrapping
    /// operators cannot wrap), then the reduction 2^448 ≡ 2^224 + 1.
    static func * (a: Field448, b: Field448) -> Field448 {
        var result = [UInt64](repeating: 0, count: 16)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 31) { c in
            c.initialize(repeating: 0)
            a.limbs.withUnsafeBufferPointer { pa in
                b.limbs.withUnsafeBufferPointer { pb in
                    for i in 0..<16 {
                        let ai = pa[i]
                        for j in 0..<16 { c[i &+ j] = c[i &+ j] &+ ai &* pb[j] }
                    }
                }
            }
            // 2^(28k) for k ≥ 16 is 2^(28(k−16)) · 2^448 ≡ 2^(28(k−16)) · (2^224 + 1).
            var k = 30
            while k >= 16 {
                c[k &- 16] = c[k &- 16] &+ c[k]
                c[k &- 8] = c[k &- 8] &+ c[k]
                k -= 1
            }
            result.withUnsafeMutableBufferPointer { r in
                for i in 0..<16 { r[i] = c[i] }
                carry(r)
            }
        }
        return Field448(limbs: result)
    }

    func squared() -> Field448 { self * self }

    /// self^e, e given as little-endian bytes.
    func power(_ exponent: [UInt8]) -> Field448 {
        var result = Field448.one
        for byte in exponent.reversed() {
            for bit in stride(from: 7, through: 0, by: -1) {
                result = result.squared()
                if (byte >> UInt8(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// p − 2, little-endian.
    static let pMinus2: [UInt8] = {
        var e = [UInt8](repeating: 0xFF, count: 56)
        e[28] = 0xFE
        e[0] = 0xFD
        return e
    }()

    /// (p − 3) / 4 = 2^446 − 2^222 − 1, little-endian.
    static let pMinus3Over4: [UInt8] = {
        var e = [UInt8](repeating: 0xFF, count: 56)
        e[27] = 0xBF  // bit 222 clear
        e[55] = 0x3F  // bits 446, 447 clear
        return e
    }()

    /// The multiplicative inverse (0 for 0), by Fermat.
    func inverted() -> Field448 { power(Self.pMinus2) }
}
