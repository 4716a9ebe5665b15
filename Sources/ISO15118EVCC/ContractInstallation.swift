import Crypto
import Foundation
public import ISO2Messages
import SwiftASN1
import V2GPKI
import V2GSecurity
public import X509
import XMLDSig

/// What the vehicle needs to install a contract with CertificateInstallationReq (ISO 15118-2 §8.4.3.10): its OEM
/// provisioning certificate and key, and the V2G roots the CPS chain of the answer must validate to.
public struct ContractInstallation: Sendable {
    /// DER of the OEM provisioning certificate (OEMProvisioningCert).
    public var oemProvisioningCertificate: [UInt8]
    /// The OEM provisioning key: signs the request and, by ECDH, decrypts the delivered contract key ([V2G2-818]).
    public var oemKey: P256.Signing.PrivateKey
    /// The V2G roots the vehicle trusts; the CPS chain must validate to one of them.
    public var v2gRoots: [Certificate]
    /// ListOfRootCertificateIDs sent to the SECC.
    public var rootCertificateIDs: ListOfRootCertificateIDs

    public init(
        oemProvisioningCertificate: [UInt8], oemKey: P256.Signing.PrivateKey, v2gRoots: [Certificate],
        rootCertificateIDs: ListOfRootCertificateIDs
    ) {
        self.oemProvisioningCertificate = oemProvisioningCertificate
        self.oemKey = oemKey
        self.v2gRoots = v2gRoots
        self.rootCertificateIDs = rootCertificateIDs
    }

    /// The signed CertificateInstallationReq for `sessionID`.
    func request(sessionID: [UInt8]) throws(V2GSecurityError) -> V2GMessage {
        let req = CertificateInstallationReq(
            id: "ID1", oemProvisioningCert: self.oemProvisioningCertificate, listOfRootCertificateIDs: self.rootCertificateIDs)
        let signature = try ISO2Signature.sign([.certificateInstallationReq(req)], with: .p256(self.oemKey))
        return V2GMessage(
            header: MessageHeader(sessionID: sessionID, signature: signature), body: Body(bodyElement: .certificateInstallationReq(req)))
    }

    /// Checks a CertificateInstallationRes and opens the contract it delivers ([V2G2-905], [V2G2-818]): the CPS chain
    /// validates to a V2G root at `now`, the signature over the four elements verifies with the CPS leaf key, the
    /// decrypted key matches the contract certificate.
    /// - Returns: the contract, or a reason for the failure.
    func open(_ res: CertificateInstallationRes, signature: Signature?, now: Double) -> Result<StoredContract, InstallationFailure> {
        guard let signature else { return .failure(InstallationFailure("CertificateInstallationRes is not signed")) }
        var cps = [res.saProvisioningCertificateChain.certificate]
        cps += res.saProvisioningCertificateChain.subCertificates?.certificate ?? []
        guard let chain = try? cps.map({ try Certificate(derEncoded: $0) }) else {
            return .failure(InstallationFailure("unreadable CPS chain"))
        }
        if case .failure(let reason) = ChainValidator(roots: self.v2gRoots).validateOffline(
            chain: chain, at: Date(timeIntervalSince1970: now))
        {
            return .failure(InstallationFailure("CPS chain: \(reason)"))
        }
        do {
            let key = try V2GVerifyingKey(certificateDER: res.saProvisioningCertificateChain.certificate)
            try ISO2Signature.verify(signature, fragments: ISO2Signature.fragments(of: res), key: key)
            let agreement = try P256.KeyAgreement.PrivateKey(rawRepresentation: self.oemKey.rawRepresentation)
            let contractKey = try ISO2ContractKeyEncryption.decrypt(
                EncryptedContractKey(
                    encryptedPrivateKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value),
                with: agreement)
            let leaf = try Certificate(derEncoded: res.contractSignatureCertChain.certificate)
            guard Certificate.PublicKey(contractKey.publicKey) == leaf.publicKey else {
                return .failure(InstallationFailure("the delivered key does not match the contract certificate"))
            }
            let chainDER = [res.contractSignatureCertChain.certificate] + (res.contractSignatureCertChain.subCertificates?.certificate ?? [])
            return .success(try StoredContract(eMAID: res.eMAID.value, chainDER: chainDER, key: .p256(contractKey)))
        } catch {
            return .failure(InstallationFailure("\(error)"))
        }
    }
}

/// Why a delivered contract was rejected.
struct InstallationFailure: Error, Hashable, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
