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
        guard let recipient = try? P256.KeyAgreement.PrivateKey(rawRepresentation: self.oemKey.rawRepresentation) else {
            return .failure(InstallationFailure("the OEM provisioning key is not a P-256 key"))
        }
        return ContractDelivery(
            cpsChain: res.saProvisioningCertificateChain, contractChain: res.contractSignatureCertChain,
            encryptedKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value,
            eMAID: res.eMAID.value, fragments: ISO2Signature.fragments(of: res)
        ).open(signature: signature, recipient: recipient, v2gRoots: self.v2gRoots, now: now)
    }
}

/// What the vehicle needs to renew its contract with CertificateUpdateReq (ISO 15118-2 §8.4.3.11): the V2G roots the
/// CPS chain must validate to, the root ids it names, and how long before the contract's expiry it asks.
public struct ContractRenewal: Sendable {
    public var v2gRoots: [Certificate]
    public var rootCertificateIDs: ListOfRootCertificateIDs
    /// Seconds before the contract certificate's notAfter from which the vehicle asks for an update.
    public var window: Double

    public init(v2gRoots: [Certificate], rootCertificateIDs: ListOfRootCertificateIDs, window: Double) {
        self.v2gRoots = v2gRoots
        self.rootCertificateIDs = rootCertificateIDs
        self.window = window
    }

    /// Whether `contract` is inside the renewal window at `now` (``ContractSelection/needsUpdate(_:now:renewalWindow:)``).
    public func isDue(_ contract: StoredContract, now: Double) -> Bool {
        ContractSelection.needsUpdate(contract.candidate, now: now, renewalWindow: self.window)
    }

    /// The CertificateUpdateReq for `contract`, signed with its key (the eMSP checks it against the current chain).
    func request(for contract: StoredContract, sessionID: [UInt8]) throws(V2GSecurityError) -> V2GMessage {
        let req = CertificateUpdateReq(
            id: "ID1", contractSignatureCertChain: contract.certificateChain, eMAID: contract.eMAID,
            listOfRootCertificateIDs: self.rootCertificateIDs)
        let signature = try ISO2Signature.sign([.certificateUpdateReq(req)], with: contract.key)
        return V2GMessage(
            header: MessageHeader(sessionID: sessionID, signature: signature), body: Body(bodyElement: .certificateUpdateReq(req)))
    }

    /// Checks a CertificateUpdateRes like an installation; the new key is encrypted for the current contract key.
    func open(
        _ res: CertificateUpdateRes, signature: Signature?, current: StoredContract, now: Double
    ) -> Result<StoredContract, InstallationFailure> {
        guard let recipient = current.key.keyAgreementKey else {
            return .failure(InstallationFailure("the current contract key cannot do P-256 key agreement"))
        }
        return ContractDelivery(
            cpsChain: res.saProvisioningCertificateChain, contractChain: res.contractSignatureCertChain,
            encryptedKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value,
            eMAID: res.eMAID.value, fragments: ISO2Signature.fragments(of: res)
        ).open(signature: signature, recipient: recipient, v2gRoots: self.v2gRoots, now: now)
    }
}

extension V2GSigningKey {
    /// The same P-256 key for ECDH, when it is one whose private part is at hand.
    var keyAgreementKey: P256.KeyAgreement.PrivateKey? {
        switch self {
        case .p256(let key): try? P256.KeyAgreement.PrivateKey(rawRepresentation: key.rawRepresentation)
        case .p521, .ed448: nil
        case .certificateKey(let key): try? P256.KeyAgreement.PrivateKey(pemRepresentation: key.serializeAsPEM().pemString)
        }
    }
}

/// The parts of a CertificateInstallationRes or CertificateUpdateRes that deliver a contract ([V2G2-905], [V2G2-818]).
struct ContractDelivery {
    var cpsChain: CertificateChain
    var contractChain: CertificateChain
    var encryptedKey: [UInt8]
    var dhPublicKey: [UInt8]
    var eMAID: String
    var fragments: [ISO2Fragment]

    /// The CPS chain validates to a V2G root at `now`, the signature over the four elements verifies with the CPS leaf
    /// key, the key decrypted with `recipient` matches the contract certificate.
    func open(
        signature: Signature?, recipient: P256.KeyAgreement.PrivateKey, v2gRoots: [Certificate], now: Double
    ) -> Result<StoredContract, InstallationFailure> {
        guard let signature else { return .failure(InstallationFailure("the response is not signed")) }
        let cps = [self.cpsChain.certificate] + (self.cpsChain.subCertificates?.certificate ?? [])
        guard let chain = try? cps.map({ try Certificate(derEncoded: $0) }) else {
            return .failure(InstallationFailure("unreadable CPS chain"))
        }
        if case .failure(let reason) = ChainValidator(roots: v2gRoots).validateOffline(
            chain: chain, at: Date(timeIntervalSince1970: now))
        {
            return .failure(InstallationFailure("CPS chain: \(reason)"))
        }
        do {
            let key = try V2GVerifyingKey(certificateDER: self.cpsChain.certificate)
            try ISO2Signature.verify(signature, fragments: self.fragments, key: key)
            let contractKey = try ISO2ContractKeyEncryption.decrypt(
                EncryptedContractKey(encryptedPrivateKey: self.encryptedKey, dhPublicKey: self.dhPublicKey), with: recipient)
            let leaf = try Certificate(derEncoded: self.contractChain.certificate)
            guard Certificate.PublicKey(contractKey.publicKey) == leaf.publicKey else {
                return .failure(InstallationFailure("the delivered key does not match the contract certificate"))
            }
            let chainDER = [self.contractChain.certificate] + (self.contractChain.subCertificates?.certificate ?? [])
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
