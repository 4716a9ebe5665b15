/// SHAKE256 (FIPS 202 §6.2): Keccak-f[1600] sponge, rate 136 bytes, domain suffix 1111.
///
/// Absorb with ``update(_:)``, then read any number of bytes with ``squeeze(_:)``; after the first squeeze, further
/// updates are ignored by design of the type (``finalized``).
public struct SHAKE256: Sendable {
    static let rate = 136
    private var state = [UInt64](repeating: 0, count: 25)
    private var buffer: [UInt8] = []
    private var squeezed: [UInt8] = []
    private var squeezeOffset = 0
    /// True once output has been read.
    public private(set) var finalized = false

    public init() {}

    /// One-shot: `count` bytes of SHAKE256(`data`).
    public static func hash(_ data: some Sequence<UInt8>, count: Int) -> [UInt8] {
        var shake = SHAKE256()
        shake.update(data)
        return shake.squeeze(count)
    }

    /// Absorbs `data`.
    public mutating func update(_ data: some Sequence<UInt8>) {
        precondition(!finalized, "SHAKE256.update after squeeze")
        for byte in data {
            buffer.append(byte)
            if buffer.count == Self.rate {
                absorbBlock(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The next `count` bytes of output.
    public mutating func squeeze(_ count: Int) -> [UInt8] {
        if !finalized {
            var last = buffer
            last.append(0x1F)
            while last.count < Self.rate { last.append(0) }
            last[Self.rate - 1] |= 0x80
            absorbBlock(last)
            buffer = []
            finalized = true
            squeezed = stateBytes()
            squeezeOffset = 0
        }
        var out: [UInt8] = []
        out.reserveCapacity(max(0, count))
        while out.count < count {
            if squeezeOffset == Self.rate {
                Self.keccakF(&state)
                squeezed = stateBytes()
                squeezeOffset = 0
            }
            let take = min(count - out.count, Self.rate - squeezeOffset)
            out.append(contentsOf: squeezed[squeezeOffset..<(squeezeOffset + take)])
            squeezeOffset += take
        }
        return out
    }

    private mutating func absorbBlock(_ block: [UInt8]) {
        for lane in 0..<(Self.rate / 8) {
            var word: UInt64 = 0
            for i in 0..<8 { word |= UInt64(block[lane * 8 + i]) << (8 * UInt64(i)) }
            state[lane] ^= word
        }
        Self.keccakF(&state)
    }

    private func stateBytes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.rate)
        for i in 0..<Self.rate { out[i] = UInt8(truncatingIfNeeded: state[i / 8] >> (8 * UInt64(i % 8))) }
        return out
    }

    static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]

    /// Rotation offsets r[x + 5y] (FIPS 202 §3.2.2).
    static let rotations: [UInt64] = [
        0, 1, 62, 28, 27,
        36, 44, 6, 55, 20,
        3, 10, 43, 25, 39,
        41, 45, 15, 21, 8,
        18, 2, 61, 56, 14,
    ]

    @inline(__always)
    static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { n == 0 ? x : (x << n) | (x >> (64 - n)) }

    /// Keccak-f[1600], 24 rounds of θ, ρ, π, χ, ι; lane (x, y) at index x + 5y.
    static func keccakF(_ a: inout [UInt64]) {
        var b = [UInt64](repeating: 0, count: 25)
        var c = [UInt64](repeating: 0, count: 5)
        for round in 0..<24 {
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1)
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            // ρ and π: B[y, 2x + 3y] = rot(A[x, y], r[x, y]).
            for x in 0..<5 {
                for y in 0..<5 {
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], rotations[x + 5 * y])
                }
            }
            for y in 0..<5 {
                for x in 0..<5 {
                    a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y])
                }
            }
            a[0] ^= roundConstants[round]
        }
    }
}
