import EXI

/// The ProtocolNamespace values vehicles and chargers offer in the SupportedAppProtocol handshake (ISO 15118-2:2014
/// §8.2, ISO 15118-20 §8.3.3, DIN SPEC 70121 §8.2). This is the one table of them: ``ApplicationProtocol/namespace``
/// returns these strings, and decoding an `AppProtocol` returns the stored string when the ProtocolNamespace spells
/// one of them (the generated decoder reads the element through ``table``), so the decoded value allocates no string
/// storage. Any other namespace decodes to a new string as before.
public enum KnownProtocolNamespaces {
    /// DIN SPEC 70121.
    public static let din = "urn:din:70121:2012:MsgDef"
    /// ISO 15118-2:2014.
    public static let iso2 = "urn:iso:15118:2:2013:MsgDef"
    /// The namespace of the ISO 15118-2 drafts, still offered by some vehicles (OpenPnC does not negotiate it).
    public static let iso2Draft2010 = "urn:iso:15118:2:2010:MsgDef"
    /// ISO 15118-20 DC.
    public static let iso20DC = "urn:iso:std:iso:15118:-20:DC"
    /// ISO 15118-20 AC.
    public static let iso20AC = "urn:iso:std:iso:15118:-20:AC"
    /// ISO 15118-20 wireless power transfer.
    public static let iso20WPT = "urn:iso:std:iso:15118:-20:WPT"
    /// ISO 15118-20 automated connection device (pantograph).
    public static let iso20ACDP = "urn:iso:std:iso:15118:-20:ACDP"

    /// Every namespace above.
    public static let all: [String] = [din, iso2, iso2Draft2010, iso20DC, iso20AC, iso20WPT, iso20ACDP]

    /// The decoder's lookup table of ``all``.
    public static let table = EXIKnownStrings(all)
}
