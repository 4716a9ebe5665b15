public import Crypto
public import Foundation
public import ISO20Messages
import SwiftASN1
import V2GPKI
import V2GSecurity
public import X509

/// A P-521 MO chain (root, two Sub-CAs, contract) valid from `notBefore` for `days`, and signed ISO 15118-20
/// PnC AuthorizationReqs made with its contract key: the fixture of the -20 Plug & Charge tests.
public struct ContractPKI: Sendable {
    public let root: Certificate
    /// Contract leaf, MO Sub-CA 2, MO Sub-CA 1.
    public let chain: [Certificate]
    public let contractKey: P521.Signing.PrivateKey

    public init(eMAID: String = "DEABCC00000001", notBefore: Date, days: Double = 30) throws {
        let issuer = CertificateIssuer(profile: .iso15118_20)
        var serial: UInt8 = 1
        func issue(
            _ role: CertificateRole, _ cn: String, key: P521.Signing.PrivateKey, by parent: (Certificate, P521.Signing.PrivateKey)?
        ) throws -> Certificate {
            serial += 1
            let request = IssuanceRequest(
                role: role, subject: try CertificateIssuer.subject(commonName: cn, role: role),
                publicKey: Certificate.PublicKey(key.publicKey), serialNumber: Certificate.SerialNumber(bytes: [serial]),
                notBefore: notBefore, notAfter: notBefore.addingTimeInterval(days * 86_400))
            return try issuer.issue(
                request, issuer: parent?.0, issuerKey: Certificate.PrivateKey(parent?.1 ?? key))
        }
        let rootKey = P521.Signing.PrivateKey(), sub1Key = P521.Signing.PrivateKey(), sub2Key = P521.Signing.PrivateKey()
        let leafKey = P521.Signing.PrivateKey()
        let root = try issue(.moRoot, "MO Root", key: rootKey, by: nil)
        let sub1 = try issue(.moSubCA1, "MO Sub1", key: sub1Key, by: (root, rootKey))
        let sub2 = try issue(.moSubCA2, "MO Sub2", key: sub2Key, by: (sub1, sub1Key))
        let leaf = try issue(.contract, eMAID, key: leafKey, by: (sub2, sub2Key))
        self.root = root
        self.chain = [leaf, sub2, sub1]
        self.contractKey = leafKey
    }

    public func der(_ c: Certificate) throws -> [UInt8] { try c.derBytesChecked() }

    /// A signed AuthorizationReq for PnC with `challenge`.
    public func authorizationRequest(
        header: MessageHeader, challenge: [UInt8], signingKey: P521.Signing.PrivateKey? = nil, signed: Bool = true
    ) throws -> ISO20Request {
        let mode = PnC_AReqAuthorizationMode(
            id: "id1", genChallenge: challenge,
            contractCertificateChain: ContractCertificateChain(
                certificate: try self.der(self.chain[0]),
                subCertificates: SubCertificates(certificate: try self.chain.dropFirst().map(self.der))))
        var header = header
        if signed {
            header.signature = try ISO20Signature.sign(
                [(mode.id, .pnCAReqAuthorizationMode(mode))], with: .p521(signingKey ?? self.contractKey))
        }
        return .authorization(AuthorizationReq(
            header: header, selectedAuthorizationService: .pnC, choice: .pnCAReqAuthorizationMode(mode)))
    }
}

extension Certificate {
    public func derBytesChecked() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}
