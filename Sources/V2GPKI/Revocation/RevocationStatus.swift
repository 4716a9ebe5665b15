import Crypto
import Foundation
import X509

/// What a CA knows about one of its serial numbers.
public enum RevocationStatus: Hashable, Sendable, CustomStringConvertible {
    /// Issued by this CA and not revoked.
    case good
    /// Revoked at a time (whole seconds) for an RFC 5280 reason.
    case revoked(at: Date, reason: CRLReason)
    /// Never issued by this CA (as far as its database knows).
    case unknown

    public var description: String {
        switch self {
        case .good: "good"
        case .revoked(let at, let reason): "revoked at \(at) (\(reason))"
        case .unknown: "unknown"
        }
    }
}
