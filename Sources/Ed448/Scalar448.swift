/// Arithmetic modulo the edwards448 group order
/// L = 2^446 − 13818066809895115352007386748515426880336692474882178609894547503885, on 32-bit limbs.
enum Scalar448 {
    /// L, little-endian, 57 bytes.
    static let order: [UInt8] = hex(
        "f34458ab92c27823558fc58d72c26c219036d6ae49db4ec4e923ca7cffffffffffffffffffffffffffffffffffffffffffffffffffffff3f00"
    )
    static let orderLimbs: [UInt32] = limbs(order)

    /// Whether the 57-byte little-endian integer is below L.
    static func isCanonical(_ bytes: ArraySlice<UInt8>) -> Bool {
        compare(limbs(Array(bytes)), orderLimbs) < 0
    }

    /// A little-endian integer of any length, reduced mod L, as 57 bytes.
    static func reduce(_ bytes: [UInt8]) -> [UInt8] {
        var r = [UInt32](repeating: 0, count: orderLimbs.count + 1)
        for byte in bytes.reversed() {
            for bit in stride(from: 7, through: 0, by: -1) {
                // r = 2r + bit
                var carry = UInt32((byte >> UInt8(bit)) & 1)
                for i in 0..<r.count {
                    let next = r[i] >> 31
                    r[i] = (r[i] << 1) | carry
                    carry = next
                }
                if compare(r, orderLimbs) >= 0 { subtract(&r, orderLimbs) }
            }
        }
        return toBytes(r, count: 57)
    }

    /// (a + b·c) mod L for 57-byte little-endian a, b, c.
    static func mulAdd(_ a: [UInt8], _ b: [UInt8], _ c: [UInt8]) -> [UInt8] {
        let bl = limbs(b)
        let cl = limbs(c)
        var product = [UInt32](repeating: 0, count: bl.count + cl.count + 1)
        for i in 0..<bl.count {
            var carry: UInt64 = 0
            for j in 0..<cl.count {
                let t = UInt64(bl[i]) * UInt64(cl[j]) + UInt64(product[i + j]) + carry
                product[i + j] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            var k = i + cl.count
            while carry != 0 {
                let t = UInt64(product[k]) + carry
                product[k] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
                k += 1
            }
        }
        let al = limbs(a)
        var carry: UInt64 = 0
        for i in 0..<product.count {
            let t = UInt64(product[i]) + (i < al.count ? UInt64(al[i]) : 0) + carry
            product[i] = UInt32(truncatingIfNeeded: t)
            carry = t >> 32
        }
        return reduce(toBytes(product, count: product.count * 4))
    }

    static func limbs(_ bytes: [UInt8]) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        for (i, byte) in bytes.enumerated() { out[i / 4] |= UInt32(byte) << (8 * UInt32(i % 4)) }
        return out
    }

    static func toBytes(_ limbs: [UInt32], count: Int) -> [UInt8] {
        (0..<count).map { i in i / 4 < limbs.count ? UInt8(truncatingIfNeeded: limbs[i / 4] >> (8 * UInt32(i % 4))) : 0 }
    }

    /// −1, 0, 1 for a < b, a = b, a > b (limb arrays of any lengths).
    static func compare(_ a: [UInt32], _ b: [UInt32]) -> Int {
        for i in stride(from: max(a.count, b.count) - 1, through: 0, by: -1) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// a −= b, for a ≥ b.
    static func subtract(_ a: inout [UInt32], _ b: [UInt32]) {
        var borrow: Int64 = 0
        for i in 0..<a.count {
            var t = Int64(a[i]) - (i < b.count ? Int64(b[i]) : 0) - borrow
            if t < 0 {
                t += 1 << 32
                borrow = 1
            } else {
                borrow = 0
            }
            a[i] = UInt32(t)
        }
    }

    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for c in text.utf8 {
            let v: UInt8 =
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
                default: 0
                }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }
}
