import SwiftASN1

/// `CRLReason ::= ENUMERATED` (RFC 5280 §5.3.1), used in CRL entries and in OCSP `RevokedInfo` (RFC 6960 §4.2.1).
public enum CRLReason: Int, CaseIterable, Codable, Hashable, Sendable, CustomStringConvertible {
    case unspecified = 0
    case keyCompromise = 1
    case caCompromise = 2
    case affiliationChanged = 3
    case superseded = 4
    case cessationOfOperation = 5
    case certificateHold = 6
    // 7 is not used.
    case removeFromCRL = 8
    case privilegeWithdrawn = 9
    case aaCompromise = 10

    /// The RFC 5280 name (`keyCompromise`, `cACompromise`, …), as `pnc pki revoke --reason` accepts it.
    public var name: String {
        switch self {
        case .unspecified: "unspecified"
        case .keyCompromise: "keyCompromise"
        case .caCompromise: "cACompromise"
        case .affiliationChanged: "affiliationChanged"
        case .superseded: "superseded"
        case .cessationOfOperation: "cessationOfOperation"
        case .certificateHold: "certificateHold"
        case .removeFromCRL: "removeFromCRL"
        case .privilegeWithdrawn: "privilegeWithdrawn"
        case .aaCompromise: "aACompromise"
        }
    }

    public var description: String { name }

    /// Accepts the RFC 5280 name in any case (`keyCompromise`, `keycompromise`, `cACompromise`, `caCompromise`).
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = match
    }

    init(derEncoded node: ASN1Node) throws {
        let raw = try Int(derEncoded: node, withIdentifier: .enumerated)
        guard let reason = CRLReason(rawValue: raw) else {
            throw ASN1Error.invalidASN1Object(reason: "CRLReason \(raw) is not defined")
        }
        self = reason
    }

    func serialize(into coder: inout DER.Serializer) throws {
        try self.rawValue.serialize(into: &coder, withIdentifier: .enumerated)
    }
}
