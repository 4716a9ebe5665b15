import Crypto
public import Foundation
public import ISO20Messages
import PnCCore
import SwiftASN1
import V2GPKI
import V2GSecurity
public import X509
import XMLDSig

/// What an ISO 15118-20 installation request produced: the complete CertificateInstallationRes (CommonMessages EXI)
/// and the contract it delivered.
public struct ISO20ProvisioningOutcome: Sendable {
    public var responseEXI: [UInt8]
    public var responseCode: ISO20Messages.ResponseCode
    /// The contract with its new P-521 certificate and key package (nil when the request was refused).
    public var contract: Contract?
}

extension ContractProvisioning {
    /// The Id of the signed SignedInstallationData element.
    public static let iso20SignedInstallationDataID = "SID1"

    /// Answers a complete ISO 15118-20 CertificateInstallationReq (CommonMessages EXI) with a CertificateInstallationRes.
    ///
    /// The header Signature must cover OEMProvisioningCertificateChain (by its Id) and verify with the OEM
    /// provisioning leaf's P-521 key; the chain (leaf and the SubCertificates it carries, else the configured OEM
    /// intermediates) must validate to an OEM root at `now`; the PCID (leaf CN) must be a registered vehicle. The
    /// contract (a PrioritizedEMAIDs one when usable, else the first usable one, else a new eMAID) gets a fresh
    /// P-521 certificate from the issuer port; its key is encrypted for the OEM provisioning key
    /// (``ISO20ContractKeyEncryption``, SECP521 choice) and SignedInstallationData is signed with the CPS leaf.
    ///
    /// Refusals are complete signed responses with placeholder contents: FAILED_SequenceError (not this request),
    /// FAILED_SignatureError, WARNING_CertificateExpired / WARNING_CertificateNotYetValid /
    /// WARNING_CertificateValidationError (OEM chain), WARNING_NoContractMatchingPCIDFound (unknown PCID), FAILED.
    public func installISO20(
        requestEXI: [UInt8], pool: inout ContractPool, nextSequence: () throws -> UInt64, now: Date,
        using rng: inout some RandomNumberGenerator
    ) -> ISO20ProvisioningOutcome {
        var sessionID: [UInt8] = Array(repeating: 0, count: 8)
        let stamp = UInt64(max(0, now.timeIntervalSince1970))
        func refuse(_ code: ISO20Messages.ResponseCode) -> ISO20ProvisioningOutcome {
            iso20Refusal(code, sessionID: sessionID, timeStamp: stamp)
        }
        do throws(any Error) {
            guard case .certificateInstallationReq(let req) = try ISO20CommonMessagesDocument(exi: requestEXI) else {
                return refuse(.failedSequenceError)
            }
            sessionID = req.header.sessionID
            guard let signature = req.header.signature else { return refuse(.failedSignatureError) }
            let signed = req.oemProvisioningCertificateChain
            var certificates: [Certificate] = []
            for der in [signed.certificate] + (signed.subCertificates?.certificate ?? []) {
                guard let c = try? Certificate(derEncoded: der) else { return refuse(.warningCertificateValidationError) }
                certificates.append(c)
            }
            guard let oemCert = certificates.first, let oemKey = Self.agreementKey521(oemCert.publicKey),
                let verifyKey = try? V2GVerifyingKey(oemCert.publicKey)
            else { return refuse(.warningCertificateValidationError) }
            do {
                try ISO20Signature.verify(signature, fragments: [(signed.id, .oemProvisioningCertificateChain(signed))], key: verifyKey)
            } catch {
                return refuse(.failedSignatureError)
            }
            let chain = certificates.count > 1 ? certificates : certificates + oemIntermediates
            if case .failure(let reason) = ChainValidator(roots: oemRoots).validateOffline(chain: chain, at: now, role: .oemProvisioning) {
                return refuse(Self.iso20Code(reason))
            }
            guard let pcid = Self.registeredPCID(oemCert, in: pool) else { return refuse(.warningNoContractMatchingPCIDFound) }
            guard
                var contract = try contractToDeliver(
                    pcid: pcid, pool: pool, preferred: req.prioritizedEMAIDs?.emaID ?? [], nextSequence: nextSequence, now: now)
            else { return refuse(.warningNoContractMatchingPCIDFound) }
            contract = try issueISO20(contract, recipient: oemKey, now: now, using: &rng)
            try pool.upsert(contract)
            guard let package = contract.keyPackage, let leaf = contract.certificateChain.first else {
                return refuse(.failed)
            }
            let others = pool.contracts(for: pcid).filter { $0.isUsable(at: now) && $0.emaid != contract.emaid }.count
            let bytes = try iso20Response(
                code: .ok, sessionID: sessionID, timeStamp: stamp,
                contractChain: ContractCertificateChain(
                    certificate: leaf, subCertificates: SubCertificates(certificate: Array(contract.certificateChain.dropFirst()))),
                package: package, remaining: UInt8(min(others, 255)))
            return ISO20ProvisioningOutcome(responseEXI: bytes, responseCode: .ok, contract: contract)
        } catch {
            return refuse(.failed)
        }
    }

    /// The certificate public key of the uncompressed point an issuer port receives: 65 bytes P-256 (-2), 133 bytes
    /// P-521 (-20).
    public static func contractPublicKey(x963 bytes: [UInt8]) throws -> Certificate.PublicKey {
        switch bytes.count {
        case 65: return Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: bytes))
        case 133: return Certificate.PublicKey(try P521.Signing.PublicKey(x963Representation: bytes))
        default: throw EMSPError.make(.invalidParameter, "a contract public key of \(bytes.count) bytes is neither P-256 nor P-521")
        }
    }

    // MARK: - -20 parts

    static func agreementKey521(_ key: Certificate.PublicKey) -> P521.KeyAgreement.PublicKey? {
        guard let signing = P521.Signing.PublicKey(key) else { return nil }
        return try? P521.KeyAgreement.PublicKey(rawRepresentation: signing.rawRepresentation)
    }

    /// The -20 code of an OEM chain failure.
    static func iso20Code(_ reason: ChainValidationFailure) -> ISO20Messages.ResponseCode {
        switch reason {
        case .expired: .warningCertificateExpired
        case .notYetValid: .warningCertificateNotYetValid
        case .revoked: .warningCertificateRevoked
        default: .warningCertificateValidationError
        }
    }

    /// A P-521 scalar from the caller's randomness (a draw outside the curve order is drawn again, bounded).
    static func randomScalar521(using rng: inout some RandomNumberGenerator) throws -> [UInt8] {
        for _ in 0..<16 {
            var bytes = (0..<66).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes[0] &= 0x01
            if (try? P521.Signing.PrivateKey(rawRepresentation: bytes)) != nil { return bytes }
        }
        throw EMSPError.make(.port, "no valid P-521 scalar in 16 draws")
    }

    /// Issues a P-521 contract certificate and encrypts its key for the OEM provisioning key (SECP521 choice).
    func issueISO20(
        _ contract: Contract, recipient: P521.KeyAgreement.PublicKey, now: Date, using rng: inout some RandomNumberGenerator
    ) throws -> Contract {
        let contractKey = try P521.Signing.PrivateKey(rawRepresentation: try Self.randomScalar521(using: &rng))
        let ephemeral = try P521.KeyAgreement.PrivateKey(rawRepresentation: try Self.randomScalar521(using: &rng))
        let iv = (0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let issued = try issuer.issueContractCertificate(
            emaid: contract.emaid, publicKey: Array(contractKey.publicKey.x963Representation),
            validityDays: contractValidityDays, now: now)
        guard let leafDER = issued.chain.first else { throw EMSPError.make(.port, "the issuer returned no certificate") }
        let leaf = try Certificate(derEncoded: leafDER)
        guard let ski = try leaf.extensions.subjectKeyIdentifier else {
            throw EMSPError.make(.port, "the contract certificate has no subjectKeyIdentifier (the -20 AAD needs it)")
        }
        let aad = ISO20ContractKeyEncryption.additionalData(
            pcid: contract.pcid.description, contractSKI: Array(ski.keyIdentifier))
        let package = try ISO20ContractKeyEncryption.encrypt(
            contractKey: contractKey, for: recipient, ephemeralKey: ephemeral, iv: iv, additionalData: aad)
        try supersede(contract, at: now)
        var c = contract
        c.certificateChain = issued.chain
        c.certificateSerial = issued.serial
        c.keyPackage = package
        return c
    }

    func iso20Refusal(_ code: ISO20Messages.ResponseCode, sessionID: [UInt8], timeStamp: UInt64) -> ISO20ProvisioningOutcome {
        let placeholder = cps.chain.first ?? [0x30, 0]
        let bytes = (try? iso20Response(
            code: code, sessionID: sessionID, timeStamp: timeStamp,
            contractChain: ContractCertificateChain(certificate: placeholder, subCertificates: SubCertificates(certificate: [placeholder])),
            package: EncryptedContractKey(
                encryptedPrivateKey: Array(repeating: 0, count: ISO20ContractKeyEncryption.encryptedLength),
                dhPublicKey: [0x04] + Array(repeating: 0, count: 132)),
            remaining: 0)) ?? []
        return ISO20ProvisioningOutcome(responseEXI: bytes, responseCode: code, contract: nil)
    }

    func iso20Response(
        code: ISO20Messages.ResponseCode, sessionID: [UInt8], timeStamp: UInt64, contractChain: ContractCertificateChain,
        package: EncryptedContractKey, remaining: UInt8
    ) throws -> [UInt8] {
        let data = SignedInstallationData(
            id: Self.iso20SignedInstallationDataID, contractCertificateChain: contractChain, ecdhCurve: .secp521,
            dhPublicKey: package.dhPublicKey, choice: .secp521EncryptedPrivateKey(package.encryptedPrivateKey))
        let signature = try ISO20Signature.sign([(data.id, .signedInstallationData(data))], with: cps.key)
        let cpsChain = CertificateChain(
            certificate: cps.chain.first ?? [],
            subCertificates: cps.chain.count > 1 ? SubCertificates(certificate: Array(cps.chain.dropFirst())) : nil)
        let res = CertificateInstallationRes(
            header: MessageHeader(sessionID: sessionID, timeStamp: timeStamp, signature: signature), responseCode: code,
            evseProcessing: .finished, cpsCertificateChain: cpsChain, signedInstallationData: data,
            remainingContractCertificateChains: remaining)
        return try ISO20CommonMessagesDocument.certificateInstallationRes(res).exiEncoded()
    }
}
