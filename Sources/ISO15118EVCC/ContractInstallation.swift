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
        do {
            let agreement = try P256.KeyAgreement.PrivateKey(rawRepresentation: self.oemKey.rawRepresentation)
            return DeliveredContract(
                cps: res.saProvisioningCertificateChain, contract: res.contractSignatureCertChain,
                encryptedKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value,
                eMAID: res.eMAID.value, fragments: ISO2Signature.fragments(of: res)
            ).open(signature: signature, v2gRoots: self.v2gRoots, recipient: agreement, now: now)
        } catch {
            return .failure(InstallationFailure("OEM key: \(error)"))
        }
    }
}

/// What the vehicle needs to renew its contract with CertificateUpdateReq (ISO 15118-2 §8.4.3.11) once fewer than
/// `renewalWindow` seconds of validity remain (``ContractSelection/needsUpdate(_:now:renewalWindow:)``): the V2G
/// roots the CPS chain of the answer must validate to. The request is signed with the current contract key, and the
/// new key arrives encrypted for it ([V2G2-818]), so the current key must be a P-256 key the vehicle can use for ECDH
/// (``decryptionKey``, or the contract's own `.p256` signing key).
public struct ContractUpdate: Sendable {
    /// Seconds of remaining validity below which the vehicle asks for a new contract.
    public var renewalWindow: Double
    /// The V2G roots the vehicle trusts; the CPS chain must validate to one of them.
    public var v2gRoots: [Certificate]
    /// ListOfRootCertificateIDs sent to the SECC.
    public var rootCertificateIDs: ListOfRootCertificateIDs
    /// The current contract key for ECDH when the contract signs through a key store.
    public var decryptionKey: P256.KeyAgreement.PrivateKey?

    public init(
        renewalWindow: Double, v2gRoots: [Certificate], rootCertificateIDs: ListOfRootCertificateIDs,
        decryptionKey: P256.KeyAgreement.PrivateKey? = nil
    ) {
        self.renewalWindow = renewalWindow
        self.v2gRoots = v2gRoots
        self.rootCertificateIDs = rootCertificateIDs
        self.decryptionKey = decryptionKey
    }

    /// Whether `contract` is due for renewal at `now` and can be renewed (a usable ECDH key).
    func isDue(_ contract: StoredContract, now: Double) -> Bool {
        ContractSelection.needsUpdate(contract.candidate, now: now, renewalWindow: self.renewalWindow)
            && self.agreementKey(for: contract) != nil
    }

    func agreementKey(for contract: StoredContract) -> P256.KeyAgreement.PrivateKey? {
        if let decryptionKey { return decryptionKey }
        guard case .p256(let key) = contract.key else { return nil }
        return try? P256.KeyAgreement.PrivateKey(rawRepresentation: key.rawRepresentation)
    }

    /// The CertificateUpdateReq for `contract`, signed with its key ([V2G2-919]).
    func request(for contract: StoredContract, sessionID: [UInt8]) throws(V2GSecurityError) -> V2GMessage {
        var chain = contract.certificateChain
        chain.id = "ID2"
        let req = CertificateUpdateReq(
            id: "ID1", contractSignatureCertChain: chain, eMAID: contract.eMAID,
            listOfRootCertificateIDs: self.rootCertificateIDs)
        let signature = try ISO2Signature.sign([.certificateUpdateReq(req)], with: contract.key)
        return V2GMessage(
            header: MessageHeader(sessionID: sessionID, signature: signature), body: Body(bodyElement: .certificateUpdateReq(req)))
    }

    /// Checks a CertificateUpdateRes like an installation answer and opens the new contract with the current key.
    func open(_ res: CertificateUpdateRes, replacing contract: StoredContract, signature: Signature?, now: Double)
        -> Result<StoredContract, InstallationFailure>
    {
        guard let agreement = self.agreementKey(for: contract) else {
            return .failure(InstallationFailure("no P-256 key to decrypt the new contract key"))
        }
        return DeliveredContract(
            cps: res.saProvisioningCertificateChain, contract: res.contractSignatureCertChain,
            encryptedKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value,
            eMAID: res.eMAID.value, fragments: ISO2Signature.fragments(of: res)
        ).open(signature: signature, v2gRoots: self.v2gRoots, recipient: agreement, now: now)
    }
}

/// The common content of CertificateInstallationRes and CertificateUpdateRes.
struct DeliveredContract {
    var cps: CertificateChain
    var contract: CertificateChain
    var encryptedKey: [UInt8]
    var dhPublicKey: [UInt8]
    var eMAID: String
    var fragments: [ISO2Fragment]

    /// The CPS chain validates to a V2G root at `now`, the signature over the four elements verifies with the CPS
    /// leaf key, the key decrypted for `recipient` matches the contract certificate.
    func open(signature: Signature?, v2gRoots: [Certificate], recipient: P256.KeyAgreement.PrivateKey, now: Double)
        -> Result<StoredContract, InstallationFailure>
    {
        guard let signature else { return .failure(InstallationFailure("the response is not signed")) }
        var cpsDER = [self.cps.certificate]
        cpsDER += self.cps.subCertificates?.certificate ?? []
        guard let chain = try? cpsDER.map({ try Certificate(derEncoded: $0) }) else {
            return .failure(InstallationFailure("unreadable CPS chain"))
        }
        if case .failure(let reason) = ChainValidator(roots: v2gRoots).validateOffline(
            chain: chain, at: Date(timeIntervalSince1970: now))
        {
            return .failure(InstallationFailure("CPS chain: \(reason)"))
        }
        do {
            let key = try V2GVerifyingKey(certificateDER: self.cps.certificate)
            try ISO2Signature.verify(signature, fragments: self.fragments, key: key)
            let contractKey = try ISO2ContractKeyEncryption.decrypt(
                EncryptedContractKey(encryptedPrivateKey: self.encryptedKey, dhPublicKey: self.dhPublicKey), with: recipient)
            let leaf = try Certificate(derEncoded: self.contract.certificate)
            guard Certificate.PublicKey(contractKey.publicKey) == leaf.publicKey else {
                return .failure(InstallationFailure("the delivered key does not match the contract certificate"))
            }
            let chainDER = [self.contract.certificate] + (self.contract.subCertificates?.certificate ?? [])
            return .success(try StoredContract(eMAID: self.eMAID, chainDER: chainDER, key: .p256(contractKey)))
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
