public import X509
import PnCCore

/// Every certificate type of the Plug & Charge PKI, with the profile rules that set it apart.
///
/// Rules follow the certificate profiles of ISO 15118-2:2014 Annex F and ISO 15118-20 Annex (certificate profiles),
/// as cross-checked in EXI-FACTS of this project: CAs carry a critical keyUsage of keyCertSign + cRLSign and
/// basicConstraints CA:true with the pathLen of their position; leaves carry a critical basicConstraints CA:false and
/// a critical keyUsage of exactly their usages; subjects carry CN, O, C and a DC naming the domain.
public enum CertificateRole: String, Sendable, Hashable, CaseIterable, Codable {
    case v2gRoot = "v2g-root"
    case cpoSubCA1 = "cpo-sub1"
    case cpoSubCA2 = "cpo-sub2"
    case secc
    case cpsSubCA1 = "cps-sub1"
    case cpsSubCA2 = "cps-sub2"
    case cps
    case moRoot = "mo-root"
    case moSubCA1 = "mo-sub1"
    case moSubCA2 = "mo-sub2"
    case contract
    case oemRoot = "oem-root"
    case oemSubCA1 = "oem-sub1"
    case oemSubCA2 = "oem-sub2"
    case oemProvisioning = "oem-prov"
    /// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2), issued by the CA whose status it signs.
    case ocspSigner = "ocsp"

    /// Whether the certificate is a CA.
    public var isCA: Bool {
        switch self {
        case .v2gRoot, .cpoSubCA1, .cpoSubCA2, .cpsSubCA1, .cpsSubCA2, .moRoot, .moSubCA1, .moSubCA2, .oemRoot,
            .oemSubCA1, .oemSubCA2:
            true
        case .secc, .cps, .contract, .oemProvisioning, .ocspSigner: false
        }
    }

    /// Whether the certificate is self-signed (a trust anchor).
    public var isRoot: Bool { self == .v2gRoot || self == .moRoot || self == .oemRoot }

    /// The basicConstraints pathLenConstraint a CA gets: at most two sub-CAs below a root.
    public var pathLength: Int? {
        switch self {
        case .v2gRoot, .moRoot, .oemRoot: 2
        case .cpoSubCA1, .cpsSubCA1, .moSubCA1, .oemSubCA1: 1
        case .cpoSubCA2, .cpsSubCA2, .moSubCA2, .oemSubCA2: 0
        default: nil
        }
    }

    /// The domain component value the subject carries.
    public var domainComponent: String {
        switch self {
        case .v2gRoot, .cpoSubCA1, .cpoSubCA2: "V2G"  // CPO Sub-CAs sit in the V2G domain; only the SECC leaf is CPO
        case .secc: "CPO"
        case .cpsSubCA1, .cpsSubCA2, .cps: "CPS"
        case .moRoot, .moSubCA1, .moSubCA2, .contract: "MO"
        case .oemRoot, .oemSubCA1, .oemSubCA2, .oemProvisioning: "OEM"
        case .ocspSigner: "OCSP"
        }
    }

    /// The exact critical keyUsage set the role is issued with.
    ///
    /// MO Sub-CA 2 also signs SalesTariffs, so it carries digitalSignature and nonRepudiation besides the CA bits.
    public var keyUsage: KeyUsage {
        switch self {
        case .moSubCA2: KeyUsage(digitalSignature: true, nonRepudiation: true, keyCertSign: true, cRLSign: true)
        case _ where self.isCA: KeyUsage(keyCertSign: true, cRLSign: true)
        case .contract: KeyUsage(digitalSignature: true, nonRepudiation: true, keyEncipherment: true, keyAgreement: true)
        case .secc, .oemProvisioning: KeyUsage(digitalSignature: true, keyAgreement: true)
        case .cps: KeyUsage(digitalSignature: true)
        case .ocspSigner: KeyUsage(digitalSignature: true)
        default: KeyUsage()
        }
    }

    /// Every keyUsage set the profile accepts for the role (MO Sub-CA 2 with or without the SalesTariff bits).
    public var acceptedKeyUsages: [KeyUsage] {
        self == .moSubCA2 ? [keyUsage, KeyUsage(keyCertSign: true, cRLSign: true)] : [keyUsage]
    }

    /// Extended key usages the role must carry (only the OCSP signer has one; the profiles forbid others).
    public var extendedKeyUsage: [ExtendedKeyUsage.Usage] {
        self == .ocspSigner ? [.ocspSigning] : []
    }

    /// The role that issues this one (nil for roots; the OCSP signer's issuer depends on the CA it serves).
    public var issuerRole: CertificateRole? {
        switch self {
        case .v2gRoot, .moRoot, .oemRoot, .ocspSigner: nil
        case .cpoSubCA1, .cpsSubCA1: .v2gRoot
        case .cpoSubCA2: .cpoSubCA1
        case .secc: .cpoSubCA2
        case .cpsSubCA2: .cpsSubCA1
        case .cps: .cpsSubCA2
        case .moSubCA1: .moRoot
        case .moSubCA2: .moSubCA1
        case .contract: .moSubCA2
        case .oemSubCA1: .oemRoot
        case .oemSubCA2: .oemSubCA1
        case .oemProvisioning: .oemSubCA2
        }
    }

    /// The trust anchor role the chain of this certificate ends in (nil for the OCSP signer).
    public var anchorRole: CertificateRole? {
        var role = self
        while let up = role.issuerRole { role = up }
        return role.isRoot ? role : nil
    }

    /// Default validity in days for a fresh test PKI (roots 40 years, sub-CAs 4 and 2 years, leaves shorter).
    public var defaultValidityDays: Int {
        switch self {
        case .v2gRoot, .moRoot, .oemRoot: 365 * 40
        case .cpoSubCA1, .cpsSubCA1, .moSubCA1, .oemSubCA1: 365 * 4
        case .cpoSubCA2, .cpsSubCA2, .moSubCA2, .oemSubCA2: 365 * 2
        case .secc, .cps, .ocspSigner: 365
        case .contract: 365 * 2
        case .oemProvisioning: 365 * 4
        }
    }

    /// The default common name used by `pnc pki init`.
    public var defaultCommonName: String {
        switch self {
        case .v2gRoot: "OpenPnC V2G Root CA"
        case .cpoSubCA1: "OpenPnC CPO Sub-CA 1"
        case .cpoSubCA2: "OpenPnC CPO Sub-CA 2"
        case .secc: "DE*OPC*E1"
        case .cpsSubCA1: "OpenPnC CPS Sub-CA 1"
        case .cpsSubCA2: "OpenPnC CPS Sub-CA 2"
        case .cps: "OpenPnC CPS Leaf"
        case .moRoot: "OpenPnC MO Root CA"
        case .moSubCA1: "OpenPnC MO Sub-CA 1"
        case .moSubCA2: "OpenPnC MO Sub-CA 2"
        case .contract: (try? EMAID(countryCode: "DE", providerID: "OPC", instance: "000000001").normalized) ?? "DEOPC000000001"
        case .oemRoot: "OpenPnC OEM Root CA"
        case .oemSubCA1: "OpenPnC OEM Sub-CA 1"
        case .oemSubCA2: "OpenPnC OEM Sub-CA 2"
        case .oemProvisioning: "WMIOPNPC000000001"
        case .ocspSigner: "OpenPnC OCSP Responder"
        }
    }
}
