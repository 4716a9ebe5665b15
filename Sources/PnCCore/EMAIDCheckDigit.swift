/// Check digits of e-mobility account identifiers.
///
/// - ISO 15118-2 Annex H / ISO 15118-1: the 15th character of an eMAID is computed from the first 14 by the
///   matrix method of the "Check Digit Calculation for Contract-IDs" paper. Each character of `0-9A-Z` (index k) is
///   split into a pair of bits `(k/9 >> 1, k/9 & 1)` and a pair of trits `((k%9)/3, k%9 % 3)`. Position i (1-based)
///   weighs the bit pair with `P1^i` over GF(2), `P1 = [[0,1],[1,1]]`, and the trit pair with `P2^i` over GF(3),
///   `P2 = [[0,1],[1,2]]`; the trit sum is then multiplied by `-P2^-15` so that appending the check character makes
///   the weighted sum vanish. The resulting bit and trit pairs name the check character.
/// - DIN SPEC 91286: a mod-11 sum over the digits of each character's value with doubling weights; 10 becomes `X`.
public enum EMAIDCheckDigit {
    /// The alphabet of eMAID characters in index order.
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// The index (0-35) of an upper-case ASCII letter or digit, or nil.
    @inlinable
    static func index(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 10
        default: nil
        }
    }

    /// A 2×2 matrix of small integers, reduced modulo `modulus` after each product.
    struct Matrix2: Equatable {
        var a: Int, b: Int, c: Int, d: Int
        func times(_ o: Matrix2, modulo m: Int) -> Matrix2 {
            Matrix2(
                a: (a * o.a + b * o.c) % m, b: (a * o.b + b * o.d) % m,
                c: (c * o.a + d * o.c) % m, d: (c * o.b + d * o.d) % m
            )
        }
    }

    /// Row vector `(x, y)` times a matrix, modulo m.
    static func rowTimes(_ x: Int, _ y: Int, _ m: Matrix2, modulo: Int) -> (Int, Int) {
        ((x * m.a + y * m.c) % modulo, (x * m.b + y * m.d) % modulo)
    }

    /// Powers `P^1 ... P^n` modulo m.
    static func powers(of p: Matrix2, count: Int, modulo m: Int) -> [Matrix2] {
        var result: [Matrix2] = []
        result.reserveCapacity(count)
        var current = p
        for _ in 0..<count {
            result.append(current)
            current = current.times(p, modulo: m)
        }
        return result
    }

    static let p1Powers = powers(of: Matrix2(a: 0, b: 1, c: 1, d: 1), count: 15, modulo: 2)
    static let p2Powers = powers(of: Matrix2(a: 0, b: 1, c: 1, d: 2), count: 15, modulo: 3)

    /// `-P2^-15` over GF(3), computed once: the inverse of `P2^15` negated.
    static let negativeInverseP2To15: Matrix2 = {
        let m = p2Powers[14]
        // Over GF(3) the inverse of [[a,b],[c,d]] is det^-1 * [[d,-b],[-c,a]]; det^-1 = det for det in {1,2}.
        let det = ((m.a * m.d - m.b * m.c) % 3 + 3) % 3
        precondition(det != 0, "P2^15 is invertible over GF(3)")
        let inv = Matrix2(
            a: (det * m.d) % 3, b: (det * (3 - m.b)) % 3, c: (det * (3 - m.c)) % 3, d: (det * m.a) % 3
        )
        return Matrix2(a: (3 - inv.a) % 3, b: (3 - inv.b) % 3, c: (3 - inv.c) % 3, d: (3 - inv.d) % 3)
    }()

    /// The ISO 15118 check character for the 14 characters `CCPPPIIIIIIIII` (no separators; case-insensitive).
    ///
    /// - Throws: ``PnCCoreError/Code/invalidLength`` or ``PnCCoreError/Code/invalidCharacter``.
    public static func iso(_ fourteen: some StringProtocol) throws(PnCCoreError) -> Character {
        let bytes = Array(fourteen.utf8)
        guard bytes.count == 14 else {
            throw .invalidLength("an ISO 15118 check digit is computed over 14 characters, got \(bytes.count)")
        }
        var bits = (0, 0)
        var trits = (0, 0)
        for (i, byte) in bytes.enumerated() {
            guard let k = index(of: byte) else {
                throw .invalidCharacter("character \(i + 1) is not a letter or digit")
            }
            let q = k / 9
            let r = k % 9
            let b = rowTimes(q >> 1, q & 1, p1Powers[i], modulo: 2)
            let t = rowTimes(r / 3, r % 3, p2Powers[i], modulo: 3)
            bits = ((bits.0 + b.0) % 2, (bits.1 + b.1) % 2)
            trits = ((trits.0 + t.0) % 3, (trits.1 + t.1) % 3)
        }
        let check = rowTimes(trits.0, trits.1, negativeInverseP2To15, modulo: 3)
        let q = bits.0 << 1 | bits.1
        let k = q * 9 + check.0 * 3 + check.1
        return Character(Unicode.Scalar(alphabet[k]))
    }

    /// The DIN SPEC 91286 check character for `CCPPPIIIIII` (11 characters without separators; case-insensitive).
    ///
    /// - Throws: ``PnCCoreError/Code/invalidLength`` or ``PnCCoreError/Code/invalidCharacter``.
    public static func din(_ eleven: some StringProtocol) throws(PnCCoreError) -> Character {
        let bytes = Array(eleven.utf8)
        guard bytes.count == 11 else {
            throw .invalidLength("a DIN SPEC 91286 check digit is computed over 11 characters, got \(bytes.count)")
        }
        var sum = 0
        var weight = 0
        for (i, byte) in bytes.enumerated() {
            guard let v = index(of: byte) else {
                throw .invalidCharacter("character \(i + 1) is not a letter or digit")
            }
            if v < 10 {
                sum += v << weight
                weight += 1
            } else {
                sum += (v / 10) << weight + (v % 10) << (weight + 1)
                weight += 2
            }
        }
        let mod = sum % 11
        return mod == 10 ? "X" : Character(Unicode.Scalar(UInt8(ascii: "0") + UInt8(mod)))
    }
}
