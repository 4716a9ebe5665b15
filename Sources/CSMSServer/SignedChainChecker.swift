public import CSMS
public import Foundation
public import OCPPMessages
import V2GPKI
import X509

/// Checks a chain an external CA signed for a station (OCPP 2.0.1 A02/A03) before it goes out as CertificateSigned:
/// PEM certificates only, at most 10,000 characters (the schema's certificateChain maxLength) and four certificates
/// (leaf, two Sub-CAs, root), the leaf valid now and not a CA, each certificate followed by its issuer whose key
/// verifies its signature. The chain need not end in a root the CSMS knows: the CA is external.
public struct PEMSignedChainChecker: SignedCertificateChainChecker {
    public static let certificateTypes: Set<String> = ["ChargingStationCertificate", "V2GCertificate"]
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// With the CSMS's clock.
    public init(clock: @escaping @Sendable () -> OCPPDateTime) {
        self.now = { Date(timeIntervalSince1970: clock().secondsSince1970) }
    }

    public func check(pemChain: String, certificateType: String) throws(CSMSError) {
        func refuse(_ detail: String) -> CSMSError { CSMSError.make(.invalidCertificateChain, detail) }
        guard Self.certificateTypes.contains(certificateType) else {
            throw refuse("certificateType \(certificateType) is neither ChargingStationCertificate nor V2GCertificate")
        }
        guard pemChain.utf8.count <= 10_000 else {
            throw refuse("the chain has \(pemChain.utf8.count) characters, more than the 10000 of certificateChain")
        }
        guard pemChain.contains("-----BEGIN CERTIFICATE-----") else { throw refuse("the chain is not PEM (no BEGIN CERTIFICATE)") }
        let chain: [Certificate]
        do { chain = try CertificateFile.certificates(from: Array(pemChain.utf8)) } catch {
            throw refuse("the chain does not parse: \(error.detail)")
        }
        guard chain.count <= 4 else { throw refuse("\(chain.count) certificates, at most 4 (leaf, two Sub-CAs, root)") }
        let leaf = chain[0]
        let time = now()
        guard leaf.notValidAfter > time else { throw refuse("the leaf \(leaf.subject) expired at \(leaf.notValidAfter)") }
        guard leaf.notValidBefore <= time else { throw refuse("the leaf \(leaf.subject) is valid only from \(leaf.notValidBefore)") }
        if case .isCertificateAuthority = try? leaf.extensions.basicConstraints {
            throw refuse("the first certificate \(leaf.subject) is a CA, not the station's certificate")
        }
        for index in chain.indices.dropLast() {
            let (child, issuer) = (chain[index], chain[index + 1])
            guard child.issuer == issuer.subject else {
                throw refuse(
                    "certificate \(index + 1) (\(child.subject)) is issued by \(child.issuer), but certificate \(index + 2) is "
                        + "\(issuer.subject): the chain must be leaf first, each certificate followed by its issuer")
            }
            guard issuer.publicKey.isValidSignature(child.signature, for: child) else {
                throw refuse("the signature of certificate \(index + 1) (\(child.subject)) does not verify with its issuer's key")
            }
        }
    }
}
