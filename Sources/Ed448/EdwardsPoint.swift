/// A point of edwards448 (x² + y² = 1 + d·x²·y², d = −39081) in projective coordinates (X : Y : Z).
struct EdwardsPoint: Sendable {
    var x: Field448
    var y: Field448
    var z: Field448

    static let d: Field448 = .zero - Field448(39081)
    static let identity = EdwardsPoint(x: .zero, y: .one, z: .one)
    /// The base point B of RFC 8032 §5.2.
    static let base = EdwardsPoint(
        x: Field448(bytes: Scalar448.hex(
            "5ec00cc72ba826268e93008be1803b431165b62af71aae1264a4d3a324e36dea67170f477065149eda36bf22a6151d22ed0ded6bc670194f"
        )[...]),
        y: Field448(bytes: Scalar448.hex(
            "14fa30f25b790898adc8d74e2c13bdfdc4397ce61cffd33ad7c2a0051e9c78874098a36c7373ea4b62c7c9563720768824bcb66e71463f69"
        )[...]),
        z: .one
    )

    /// RFC 8032 §5.2.4 addition (complete on edwards448).
    static func + (p: EdwardsPoint, q: EdwardsPoint) -> EdwardsPoint {
        let a = p.z * q.z
        let b = a.squared()
        let c = p.x * q.x
        let dd = p.y * q.y
        let e = d * c * dd
        let f = b - e
        let g = b + e
        let h = (p.x + p.y) * (q.x + q.y)
        return EdwardsPoint(x: a * f * (h - c - dd), y: a * g * (dd - c), z: f * g)
    }

    /// RFC 8032 §5.2.4 doubling.
    func doubled() -> EdwardsPoint {
        let b = (x + y).squared()
        let c = x.squared()
        let dd = y.squared()
        let e = c + dd
        let h = z.squared()
        let j = e - (h + h)
        return EdwardsPoint(x: (b - e) * j, y: e * (c - dd), z: e * j)
    }

    /// [k]P for a little-endian scalar k: a fixed 4-bit window, 448 doublings and one addition per nibble
    /// (variable time: the table index is the secret nibble).
    func multiplied(by scalar: [UInt8]) -> EdwardsPoint {
        var table = [EdwardsPoint.identity, self]
        for i in 2..<16 { table.append(table[i - 1] + self) }
        var result = EdwardsPoint.identity
        for byte in scalar.reversed() {
            for nibble in [byte >> 4, byte & 0x0F] {
                result = result.doubled().doubled().doubled().doubled()
                if nibble != 0 { result = result + table[Int(nibble)] }
            }
        }
        return result
    }

    /// [j · 16^i]B for i < 114 (every nibble of a 57-byte scalar) and j < 16, built once per process.
    static let baseComb: [[EdwardsPoint]] = {
        var rows: [[EdwardsPoint]] = []
        var power = EdwardsPoint.base
        for _ in 0..<114 {
            var row = [EdwardsPoint.identity, power]
            for j in 2..<16 { row.append(row[j - 1] + power) }
            rows.append(row)
            power = power.doubled().doubled().doubled().doubled()
        }
        return rows
    }()

    /// [k]B for a little-endian scalar of at most 57 bytes: one table addition per non-zero nibble, no doublings.
    static func baseMultiple(_ scalar: [UInt8]) -> EdwardsPoint {
        var result = EdwardsPoint.identity
        for (index, byte) in scalar.prefix(57).enumerated() {
            if byte & 0x0F != 0 { result = result + baseComb[2 * index][Int(byte & 0x0F)] }
            if byte >> 4 != 0 { result = result + baseComb[2 * index + 1][Int(byte >> 4)] }
        }
        return result
    }

    /// −P = (−X : Y : Z).
    var negated: EdwardsPoint { EdwardsPoint(x: -x, y: y, z: z) }

    /// Projective equality: X1·Z2 = X2·Z1 and Y1·Z2 = Y2·Z1.
    static func == (p: EdwardsPoint, q: EdwardsPoint) -> Bool {
        p.x * q.z == q.x * p.z && p.y * q.z == q.y * p.z
    }

    /// RFC 8032 §5.2.2: 56 bytes of y, then a byte whose top bit is the low bit of x.
    var encoded: [UInt8] {
        let zInverse = z.inverted()
        var out = (y * zInverse).bytes
        out.append((x * zInverse).isOdd ? 0x80 : 0x00)
        return out
    }

    /// RFC 8032 §5.2.3 decoding; rejects y ≥ p, stray bits in the last octet, x = 0 with sign 1, and y with no x.
    init(decoding encoding: ArraySlice<UInt8>) throws(Ed448Error) {
        guard encoding.count == 57 else { throw .make(.wrongLength, "a point encoding has 57 octets, not \(encoding.count)") }
        let last = encoding[encoding.endIndex - 1]
        let sign = last >> 7
        guard last & 0x7F == 0 else { throw .make(.invalidPoint, "y does not fit below p (bits 448-454 set)") }
        let yBytes = Array(encoding.prefix(56))
        // y < p: compare big-endian from the top.
        var p = [UInt8](repeating: 0xFF, count: 56)
        p[28] = 0xFE
        var below = false
        for i in stride(from: 55, through: 0, by: -1) where yBytes[i] != p[i] {
            below = yBytes[i] < p[i]
            break
        }
        guard below else { throw .make(.invalidPoint, "y is not below p (non-canonical encoding)") }
        let y = Field448(bytes: yBytes[...])
        let yy = y.squared()
        let u = yy - .one
        let v = Self.d * yy - .one
        // x = u³v (u⁵v³)^((p−3)/4)
        let u2 = u.squared()
        let u3 = u2 * u
        let u5 = u3 * u2
        let v3 = v.squared() * v
        var x = u3 * v * (u5 * v3).power(Field448.pMinus3Over4)
        guard v * x.squared() == u else { throw .make(.invalidPoint, "no x for this y: the point is not on edwards448") }
        if x.isZero && sign == 1 { throw .make(.invalidPoint, "x = 0 with the sign bit set") }
        if (x.isOdd ? 1 : 0) != sign { x = -x }
        self.init(x: x, y: y, z: .one)
    }

    init(x: Field448, y: Field448, z: Field448) {
        self.x = x
        self.y = y
        self.z = z
    }
}
