import Testing
@testable import Ed448

func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    let utf8 = Array(text.utf8)
    var i = 0
    while i + 1 < utf8.count {
        out.append(UInt8(String(decoding: utf8[i...i + 1], as: UTF8.self), radix: 16)!)
        i += 2
    }
    return out
}

/// A reproducible generator for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("SHAKE256 (FIPS 202)")
struct SHAKE256Tests {
    @Test("[FIPS 202 §6.2] SHAKE256 known answers, across the 136-byte rate in input and output", arguments: shake256Vectors)
    func knownAnswers(_ vector: SHAKEVector) {
        let expected = hexBytes(vector.output)
        #expect(SHAKE256.hash(vector.message, count: expected.count) == expected)
    }

    @Test("[FIPS 202] incremental absorb and squeeze give the one-shot output")
    func incremental() {
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let oneShot = SHAKE256.hash(message, count: 400)
        var shake = SHAKE256()
        shake.update(message[0..<1])
        shake.update(message[1..<140])
        shake.update(message[140...])
        var out = shake.squeeze(100)
        out += shake.squeeze(36)
        out += shake.squeeze(264)
        #expect(out == oneShot)
        #expect(shake.finalized)
    }
}

@Suite("Ed448 (RFC 8032)")
struct Ed448Tests {
    @Test("[RFC 8032 §7.4] key generation, signing and verification reproduce every Ed448 vector", arguments: rfc8032Ed448Vectors)
    func vectors(_ vector: RFC8032Vector) throws {
        let key = try Ed448.PrivateKey(seed: hexBytes(vector.secret))
        #expect(key.publicKey.rawRepresentation == hexBytes(vector.publicKey))
        let message = hexBytes(vector.message)
        let context = hexBytes(vector.context)
        let signature = try key.signature(for: message, context: context)
        #expect(signature == hexBytes(vector.signature))
        let publicKey = try Ed448.PublicKey(rawRepresentation: hexBytes(vector.publicKey))
        #expect(publicKey.isValidSignature(signature, for: message, context: context))
        if context.isEmpty {
            #expect(!publicKey.isValidSignature(signature, for: message, context: Array("foo".utf8)))
        } else {
            #expect(!publicKey.isValidSignature(signature, for: message))
        }
    }

    @Test("[RFC 8032 §5.2.7] a flipped bit in R, S, the message or the key fails verification", arguments: [0, 3, 6, 7, 8])
    func flippedBits(_ vectorIndex: Int) throws {
        let vector = rfc8032Ed448Vectors[vectorIndex]
        let key = try Ed448.PublicKey(rawRepresentation: hexBytes(vector.publicKey))
        let message = hexBytes(vector.message)
        let signature = hexBytes(vector.signature)
        for byte in [0, 28, 55, 57, 80, 112] {
            for bit in [0, 5] {
                var bad = signature
                bad[byte] ^= 1 << UInt8(bit)
                #expect(!key.isValidSignature(bad, for: message), "signature byte \(byte) bit \(bit)")
            }
        }
        if !message.isEmpty {
            var bad = message
            bad[message.count / 2] ^= 0x01
            #expect(!key.isValidSignature(signature, for: bad))
        }
        #expect(!key.isValidSignature(signature, for: message + [0]))
        for byte in [0, 30, 55] {
            var raw = hexBytes(vector.publicKey)
            raw[byte] ^= 0x02
            if let other = try? Ed448.PublicKey(rawRepresentation: raw) {
                #expect(!other.isValidSignature(signature, for: message), "key byte \(byte)")
            }
        }
    }

    @Test("[RFC 8032 §5.2.7] S ≥ L is rejected (S + L and S = L), though S + L is the same scalar")
    func nonCanonicalS() throws {
        let vector = rfc8032Ed448Vectors[0]
        let key = try Ed448.PublicKey(rawRepresentation: hexBytes(vector.publicKey))
        let signature = hexBytes(vector.signature)
        var sPlusL = Array(signature[0..<57])
        var carry = 0
        for i in 0..<57 {
            let t = Int(signature[57 + i]) + Int(Scalar448.order[i]) + carry
            sPlusL.append(UInt8(t & 0xFF))
            carry = t >> 8
        }
        #expect(carry == 0)
        #expect(throws: Ed448Error.self) { try key.verify(sPlusL, for: [UInt8]()) }
        do {
            try key.verify(sPlusL, for: [UInt8]())
        } catch {
            #expect(error.code == .nonCanonicalScalar)
        }
        let sIsL = Array(signature[0..<57]) + Scalar448.order
        do {
            try key.verify(sIsL, for: [UInt8]())
            Issue.record("S = L verified")
        } catch {
            #expect(error.code == .nonCanonicalScalar)
        }
        try key.verify(signature, for: [UInt8]())
    }

    @Test("[RFC 8032 §5.2.3] point decoding rejects y ≥ p, stray bits, x = 0 with sign 1, and y off the curve")
    func pointDecoding() throws {
        func code(_ bytes: [UInt8]) -> Ed448Error.Code? {
            do {
                _ = try Ed448.PublicKey(rawRepresentation: bytes)
                return nil
            } catch { return error.code }
        }
        var p = [UInt8](repeating: 0xFF, count: 57)
        p[28] = 0xFE
        p[56] = 0
        #expect(code(p) == .invalidPoint)  // y = p (non-canonical zero)
        // p + 1 = 2^448 − 2^224: bytes 0..27 zero, bytes 28..55 0xFF.
        let pPlusOne = [UInt8](repeating: 0, count: 28) + [UInt8](repeating: 0xFF, count: 28) + [0]
        #expect(code(pPlusOne) == .invalidPoint)  // non-canonical encoding of the identity (y = 1)
        var identity = [UInt8](repeating: 0, count: 57)
        identity[0] = 1
        #expect(code(identity) == nil)
        identity[56] = 0x80
        #expect(code(identity) == .invalidPoint)  // x = 0 with the sign bit
        var two = [UInt8](repeating: 0, count: 57)
        two[0] = 2
        #expect(code(two) == .invalidPoint)  // y = 2 is not on the curve
        var stray = hexBytes(rfc8032Ed448Vectors[0].publicKey)
        #expect(code(stray) == nil)
        stray[56] |= 0x01
        #expect(code(stray) == .invalidPoint)
        #expect(code(Array(hexBytes(rfc8032Ed448Vectors[0].publicKey).prefix(56))) == .wrongLength)
        // A signature whose R is the non-canonical identity is refused with invalidPoint.
        let key = try Ed448.PublicKey(rawRepresentation: hexBytes(rfc8032Ed448Vectors[0].publicKey))
        let signature = hexBytes(rfc8032Ed448Vectors[0].signature)
        do {
            try key.verify(pPlusOne + signature[57...], for: [UInt8]())
            Issue.record("non-canonical R verified")
        } catch {
            #expect(error.code == .invalidPoint)
        }
    }

    @Test("[RFC 8032 §5.2] wrong lengths and long contexts are typed errors")
    func lengths() throws {
        #expect(throws: Ed448Error.self) { try Ed448.PrivateKey(seed: [UInt8](repeating: 1, count: 56)) }
        let key = try Ed448.PrivateKey(seed: [UInt8](repeating: 7, count: 57))
        #expect(throws: Ed448Error.self) { try key.signature(for: [1, 2], context: [UInt8](repeating: 0, count: 256)) }
        do {
            try key.publicKey.verify([UInt8](repeating: 0, count: 113), for: [UInt8]())
            Issue.record("short signature verified")
        } catch {
            #expect(error.code == .wrongLength)
        }
        #expect(!key.publicKey.isValidSignature([UInt8](), for: [UInt8]()))
    }

    @Test("[RFC 8032] keys from a random source sign and verify; another key does not verify")
    func randomKeys() throws {
        var rng = SplitMix64(state: 448)
        let a = Ed448.PrivateKey(using: &rng)
        let b = Ed448.PrivateKey(using: &rng)
        #expect(a != b)
        let message = Array("ISO 15118-20 SignedInfo".utf8)
        let signature = try a.signature(for: message)
        #expect(a.publicKey.isValidSignature(signature, for: message))
        #expect(!b.publicKey.isValidSignature(signature, for: message))
        #expect(try Ed448.PublicKey(rawRepresentation: a.publicKey.rawRepresentation) == a.publicKey)
    }

    @Test("[RFC 8032 §5.2] field: p reduces to 0, 2^448 − 1 to 2^224, x · x⁻¹ = 1; [L]B is the identity")
    func arithmetic() {
        var p = [UInt8](repeating: 0xFF, count: 56)
        p[28] = 0xFE
        #expect(Field448(bytes: p[...]).bytes == [UInt8](repeating: 0, count: 56))
        var want = [UInt8](repeating: 0, count: 56)
        want[28] = 1
        #expect(Field448(bytes: [UInt8](repeating: 0xFF, count: 56)[...]).bytes == want)
        let x = EdwardsPoint.base.x
        #expect(x * x.inverted() == .one)
        #expect((x - x).isZero)
        #expect((-Field448.one + .one).isZero)
        #expect(EdwardsPoint.base.multiplied(by: Scalar448.order) == .identity)
        #expect(!(EdwardsPoint.base == .identity))
        let encoded = EdwardsPoint.base.encoded
        #expect((try? EdwardsPoint(decoding: encoded[...]).encoded) == encoded)
        #expect(Scalar448.reduce(Scalar448.order) == [UInt8](repeating: 0, count: 57))
        // The fixed-base table and the windowed variable-base multiplication agree.
        var rng = SplitMix64(state: 7)
        for _ in 0..<3 {
            let k = Scalar448.reduce((0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) })
            #expect(EdwardsPoint.baseMultiple(k) == EdwardsPoint.base.multiplied(by: k))
        }
        #expect(EdwardsPoint.baseMultiple(Scalar448.order) == .identity)
    }
}
