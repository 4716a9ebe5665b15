/// How the EVCC picks one of the contracts it holds for a session (ISO 15118-2 PaymentDetails, -20
/// AuthorizationSetup): the first contract, in the vehicle's own order of preference, that is within its validity
/// period and whose chain ends at a root the SECC offers. `nil` means none fits: the vehicle falls back to
/// certificate installation or to external identification.
public enum ContractSelection {
    /// A contract as the selection sees it.
    public struct Candidate: Hashable, Sendable {
        public var eMAID: String
        /// Hex SHA-256 fingerprints of the roots the contract chain can be validated to.
        public var rootFingerprints: Set<String>
        /// Validity of the contract certificate, seconds since 1970-01-01 UTC.
        public var notBefore: Double
        public var notAfter: Double

        public init(eMAID: String, rootFingerprints: Set<String>, notBefore: Double, notAfter: Double) {
            self.eMAID = eMAID
            self.rootFingerprints = rootFingerprints
            self.notBefore = notBefore
            self.notAfter = notAfter
        }
    }

    /// Picks the contract to use.
    /// - Parameters:
    ///   - candidates: the contracts in the vehicle's order of preference.
    ///   - offeredRoots: fingerprints of the roots the SECC lists; empty when it lists none (then any root fits).
    ///   - now: the caller's clock, seconds since 1970-01-01 UTC.
    /// - Returns: the index of the chosen candidate, nil when none fits.
    public static func choose(from candidates: [Candidate], offeredRoots: Set<String>, now: Double) -> Int? {
        candidates.firstIndex { candidate in
            candidate.notBefore <= now && now <= candidate.notAfter
                && (offeredRoots.isEmpty || !candidate.rootFingerprints.isDisjoint(with: offeredRoots))
        }
    }

    /// Whether a contract should be updated ahead of its expiry (ISO 15118-2 CertificateUpdate): true when fewer than
    /// `renewalWindow` seconds of validity remain.
    public static func needsUpdate(_ candidate: Candidate, now: Double, renewalWindow: Double) -> Bool {
        candidate.notAfter - now < renewalWindow
    }
}
