/// A message set a vehicle and a charger can agree on in the SupportedAppProtocol handshake (ISO 15118-2:2014 §8.2,
/// ISO 15118-20 §8.3.3, DIN SPEC 70121 §8.2): its namespace and the schema version OpenPnC implements.
///
/// ISO 15118-20 names one namespace per service family; DIN SPEC 70121 and ISO 15118-2 have one each.
public enum ApplicationProtocol: String, Sendable, Hashable, CaseIterable, Codable {
    case iso20DC = "iso20-dc"
    case iso20AC = "iso20-ac"
    case iso20WPT = "iso20-wpt"
    case iso20ACDP = "iso20-acdp"
    case iso2 = "iso2"
    case din = "din"

    /// The ProtocolNamespace carried in the handshake (from ``KnownProtocolNamespaces``).
    public var namespace: String {
        switch self {
        case .iso20DC: KnownProtocolNamespaces.iso20DC
        case .iso20AC: KnownProtocolNamespaces.iso20AC
        case .iso20WPT: KnownProtocolNamespaces.iso20WPT
        case .iso20ACDP: KnownProtocolNamespaces.iso20ACDP
        case .iso2: KnownProtocolNamespaces.iso2
        case .din: KnownProtocolNamespaces.din
        }
    }

    /// The schema version implemented (ISO 15118-2 and DIN SPEC 70121: 2.0; ISO 15118-20: 1.0).
    public var versionMajor: UInt32 {
        switch self {
        case .iso20DC, .iso20AC, .iso20WPT, .iso20ACDP: 1
        case .iso2, .din: 2
        }
    }

    public var versionMinor: UInt32 { 0 }

    /// Whether the protocol belongs to ISO 15118-20 (whose V2GTP payload types differ, EXI-FACTS).
    public var isISO20: Bool {
        switch self {
        case .iso20DC, .iso20AC, .iso20WPT, .iso20ACDP: true
        case .iso2, .din: false
        }
    }

    /// The protocol a namespace names, nil for namespaces OpenPnC does not implement.
    public init?(namespace: String) {
        guard let match = Self.allCases.first(where: { $0.namespace == namespace }) else { return nil }
        self = match
    }
}
