/// Ed448 signatures (RFC 8032 §5.2, PureEdDSA on edwards448 with SHAKE256), for the ISO 15118-20 PKI and message
/// signatures.
///
/// Pure Swift, no I/O; randomness is the caller's (``PrivateKey/init(using:)``).
///
/// - Important: this implementation is **not constant-time**: field inversion, scalar multiplication
///   (double-and-add) and the scalar reduction branch on secret bits. It suits test PKIs, tools and verification
///   (which handles public data only); it must not sign with long-lived production keys on hardware an attacker
///   can time or observe.
public enum Ed448 {
    public static let seedLength = 57
    public static let publicKeyLength = 57
    public static let signatureLength = 114

    /// dom4(0, context) of RFC 8032 §5.2: "SigEd448" ‖ 0 ‖ len(context) ‖ context.
    static func dom4(_ context: [UInt8]) throws(Ed448Error) -> [UInt8] {
        guard context.count <= 255 else { throw .make(.contextTooLong, "a context has at most 255 octets, not \(context.count)") }
        return Array("SigEd448".utf8) + [0, UInt8(context.count)] + context
    }

    /// An Ed448 private key: the 57-byte seed of RFC 8032 §5.2.5 and what derives from it.
    public struct PrivateKey: Sendable, Hashable {
        /// The 57-byte secret seed (the PKCS#8 `CurvePrivateKey` of RFC 8410).
        public let seed: [UInt8]
        public let publicKey: PublicKey
        let scalar: [UInt8]
        let prefix: [UInt8]

        /// Derives the key from a 57-byte seed.
        public init(seed: some Collection<UInt8>) throws(Ed448Error) {
            let seed = Array(seed)
            guard seed.count == Ed448.seedLength else { throw .make(.wrongLength, "an Ed448 seed has 57 octets, not \(seed.count)") }
            self.init(checkedSeed: seed)
        }

        /// A new key from 57 bytes of `generator`.
        public init(using generator: inout some RandomNumberGenerator) {
            self.init(checkedSeed: (0..<Ed448.seedLength).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }

        private init(checkedSeed seed: [UInt8]) {
            let h = SHAKE256.hash(seed, count: 114)
            var s = Array(h[0..<57])
            s[0] &= 0xFC
            s[55] |= 0x80
            s[56] = 0
            self.seed = seed
            self.scalar = s
            self.prefix = Array(h[57..<114])
            self.publicKey = PublicKey(point: EdwardsPoint.baseMultiple(s))
        }

        /// The 114-byte signature R ‖ S of `message` (RFC 8032 §5.2.6), with an optional context (empty for the
        /// X.509 and ISO 15118-20 uses).
        public func signature(for message: some Collection<UInt8>, context: [UInt8] = []) throws(Ed448Error) -> [UInt8] {
            let dom = try Ed448.dom4(context)
            var hashR = SHAKE256()
            hashR.update(dom)
            hashR.update(prefix)
            hashR.update(message)
            let r = Scalar448.reduce(hashR.squeeze(114))
            let rEncoded = EdwardsPoint.baseMultiple(r).encoded
            var hashK = SHAKE256()
            hashK.update(dom)
            hashK.update(rEncoded)
            hashK.update(publicKey.rawRepresentation)
            hashK.update(message)
            let k = Scalar448.reduce(hashK.squeeze(114))
            return rEncoded + Scalar448.mulAdd(r, k, scalar)
        }

        public static func == (a: PrivateKey, b: PrivateKey) -> Bool { a.seed == b.seed }
        public func hash(into hasher: inout Hasher) { hasher.combine(publicKey) }
    }

    /// An Ed448 public key: a canonical 57-byte encoding of a point on edwards448.
    public struct PublicKey: Sendable, Hashable {
        public let rawRepresentation: [UInt8]
        let point: EdwardsPoint

        /// Decodes and checks a 57-byte public key (RFC 8032 §5.2.3).
        public init(rawRepresentation: some Collection<UInt8>) throws(Ed448Error) {
            let bytes = Array(rawRepresentation)
            self.point = try EdwardsPoint(decoding: bytes[...])
            self.rawRepresentation = bytes
        }

        init(point: EdwardsPoint) {
            self.point = point
            self.rawRepresentation = point.encoded
        }

        /// Whether `signature` is a valid Ed448 signature of `message` under this key.
        public func isValidSignature(
            _ signature: some Collection<UInt8>, for message: some Collection<UInt8>, context: [UInt8] = []
        ) -> Bool {
            (try? verify(signature, for: message, context: context)) != nil
        }

        /// Verifies per RFC 8032 §5.2.7: R must decode, S must be below L, and [4][S]B = [4]R + [4][k]A.
        ///
        /// - Throws: `.wrongLength`, `.invalidPoint` (R), `.nonCanonicalScalar` (S ≥ L), `.badSignature`.
        public func verify(
            _ signature: some Collection<UInt8>, for message: some Collection<UInt8>, context: [UInt8] = []
        ) throws(Ed448Error) {
            let signature = Array(signature)
            guard signature.count == Ed448.signatureLength else {
                throw .make(.wrongLength, "an Ed448 signature has 114 octets, not \(signature.count)")
            }
            let dom = try Ed448.dom4(context)
            let rBytes = signature[0..<57]
            let sBytes = signature[57..<114]
            let r = try EdwardsPoint(decoding: rBytes)
            guard Scalar448.isCanonical(sBytes) else { throw .make(.nonCanonicalScalar, "S is not below the group order L") }
            var hashK = SHAKE256()
            hashK.update(dom)
            hashK.update(rBytes)
            hashK.update(rawRepresentation)
            hashK.update(message)
            let k = Scalar448.reduce(hashK.squeeze(114))
            // [4]([S]B − [k]A) = [4]R, with [S]B − [k]A computed in one pass.
            let left = (EdwardsPoint.baseMultiple(Array(sBytes)) + point.negated.multiplied(by: k)).doubled().doubled()
            let right = r.doubled().doubled()
            guard left == right else { throw .make(.badSignature, "the signature does not verify") }
        }

        public static func == (a: PublicKey, b: PublicKey) -> Bool { a.rawRepresentation == b.rawRepresentation }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }
    }
}
