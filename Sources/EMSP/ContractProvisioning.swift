import Crypto
public import Foundation
public import ISO2Messages
public import PnCCore
import SwiftASN1
import V2GPKI
public import V2GSecurity
public import X509
import XMLDSig

/// The certificate provisioning service's signing identity: the CPS leaf key and the chain sent as
/// SAProvisioningCertificateChain (CPS leaf, CPS Sub-CA 2, CPS Sub-CA 1; DER).
public struct CPSCredentials: Sendable {
    public var key: V2GSigningKey
    public var chain: [[UInt8]]
    public init(key: V2GSigningKey, chain: [[UInt8]]) {
        self.key = key
        self.chain = chain
    }
}

/// What a provisioning request produced: the complete response V2G message and the contract it delivered.
public struct ProvisioningOutcome: Sendable {
    public var responseEXI: [UInt8]
    public var responseCode: ResponseCode
    /// The contract with its new certificate and key package (nil when the request was refused).
    public var contract: Contract?
}

/// Contract provisioning for ISO 15118-2 CertificateInstallationReq / CertificateUpdateReq ([V2G2-897] .. [V2G2-928]).
///
/// Pure: the clock (`now`) and randomness (contract key, ephemeral ECDH key, IV) are parameters; certificates are
/// issued through the ``ContractCertificateIssuer`` port. A refused request still gets a complete, signed response
/// message carrying the proper ResponseCode.
public struct ContractProvisioning: Sendable {
    public var oemRoots: [Certificate]
    /// OEM sub-CA certificates (the -2 request carries only the provisioning leaf).
    public var oemIntermediates: [Certificate]
    /// MO (or V2G) roots that contract chains of CertificateUpdateReq must chain to.
    public var contractRoots: [Certificate]
    public var cps: CPSCredentials
    public var issuer: any ContractCertificateIssuer
    public var allocator: EMAIDAllocator
    public var contractValidityDays: Int

    public init(
        oemRoots: [Certificate], oemIntermediates: [Certificate] = [], contractRoots: [Certificate],
        cps: CPSCredentials, issuer: any ContractCertificateIssuer, allocator: EMAIDAllocator,
        contractValidityDays: Int = 730
    ) {
        self.oemRoots = oemRoots
        self.oemIntermediates = oemIntermediates
        self.contractRoots = contractRoots
        self.cps = cps
        self.issuer = issuer
        self.allocator = allocator
        self.contractValidityDays = contractValidityDays
    }

    /// Answers a complete CertificateInstallationReq V2G message (EXI).
    ///
    /// - Parameter nextSequence: the next eMAID sequence number, asked only when a new contract is created.
    public func install(
        requestEXI: [UInt8], pool: inout ContractPool, nextSequence: () throws -> UInt64, now: Date,
        using rng: inout some RandomNumberGenerator
    ) -> ProvisioningOutcome {
        var sessionID: [UInt8] = Array(repeating: 0, count: 8)
        do throws(any Error) {
            guard case .v2gMessage(let message) = try ISO2Document(exi: requestEXI),
                case .certificateInstallationReq(let req)? = message.body.bodyElement
            else { return refusal(.failedSequenceError, sessionID: sessionID, update: false) }
            sessionID = message.header.sessionID
            guard let signature = message.header.signature else {
                return refusal(.failedSignatureError, sessionID: sessionID, update: false)
            }
            guard let oemCert = try? Certificate(derEncoded: req.oemProvisioningCert),
                let oemKey = Self.agreementKey(oemCert.publicKey),
                let verifyKey = try? V2GVerifyingKey(oemCert.publicKey)
            else { return refusal(.failedCertChainError, sessionID: sessionID, update: false) }
            do {
                try ISO2Signature.verify(signature, fragments: [.certificateInstallationReq(req)], key: verifyKey)
            } catch {
                return refusal(.failedSignatureError, sessionID: sessionID, update: false)
            }
            let validator = ChainValidator(roots: oemRoots)
            guard case .success = validator.validateOffline(chain: [oemCert] + oemIntermediates, at: now, role: .oemProvisioning)
            else { return refusal(.failedCertChainError, sessionID: sessionID, update: false) }
            guard let pcid = Self.registeredPCID(oemCert, in: pool) else {
                return refusal(.failedNoCertificateAvailable, sessionID: sessionID, update: false)
            }
            guard var contract = try contractToDeliver(pcid: pcid, pool: pool, nextSequence: nextSequence, now: now) else {
                return refusal(.failedNoCertificateAvailable, sessionID: sessionID, update: false)
            }
            contract = try issue(contract, recipient: oemKey, now: now, using: &rng)
            try pool.upsert(contract)
            return try response(contract, code: .ok, sessionID: sessionID, update: false)
        } catch {
            return refusal(.failed, sessionID: sessionID, update: false)
        }
    }

    /// Answers a complete CertificateUpdateReq V2G message (EXI), signed with the current contract key.
    public func update(
        requestEXI: [UInt8], pool: inout ContractPool, now: Date, using rng: inout some RandomNumberGenerator
    ) -> ProvisioningOutcome {
        var sessionID: [UInt8] = Array(repeating: 0, count: 8)
        do throws(any Error) {
            guard case .v2gMessage(let message) = try ISO2Document(exi: requestEXI),
                case .certificateUpdateReq(let req)? = message.body.bodyElement
            else { return refusal(.failedSequenceError, sessionID: sessionID, update: true) }
            sessionID = message.header.sessionID
            guard let signature = message.header.signature else {
                return refusal(.failedSignatureError, sessionID: sessionID, update: true)
            }
            let chain = req.contractSignatureCertChain
            guard let leaf = try? Certificate(derEncoded: chain.certificate),
                let oldKey = Self.agreementKey(leaf.publicKey),
                let verifyKey = try? V2GVerifyingKey(leaf.publicKey)
            else { return refusal(.failedCertChainError, sessionID: sessionID, update: true) }
            do {
                try ISO2Signature.verify(signature, fragments: [.certificateUpdateReq(req)], key: verifyKey)
            } catch {
                return refusal(.failedSignatureError, sessionID: sessionID, update: true)
            }
            var subs: [Certificate] = []
            for der in chain.subCertificates?.certificate ?? [] {
                guard let c = try? Certificate(derEncoded: der) else {
                    return refusal(.failedCertChainError, sessionID: sessionID, update: true)
                }
                subs.append(c)
            }
            guard case .success = ChainValidator(roots: contractRoots).validateOffline(chain: [leaf] + subs, at: now, role: .contract)
            else { return refusal(.failedCertChainError, sessionID: sessionID, update: true) }
            guard let emaid = try? PnCCore.EMAID(req.eMAID), var contract = pool.contract(emaid: emaid) else {
                return refusal(.failedNoCertificateAvailable, sessionID: sessionID, update: true)
            }
            guard contract.status == .active else {
                return refusal(.failedContractCanceled, sessionID: sessionID, update: true)
            }
            guard contract.isUsable(at: now) else {
                return refusal(.failedNoCertificateAvailable, sessionID: sessionID, update: true)
            }
            contract = try issue(contract, recipient: oldKey, now: now, using: &rng)
            try pool.upsert(contract)
            return try response(contract, code: .ok, sessionID: sessionID, update: true)
        } catch {
            return refusal(.failed, sessionID: sessionID, update: true)
        }
    }

    /// Cancels a contract and revokes its certificate through the issuer port.
    public func cancel(emaid: PnCCore.EMAID, pool: inout ContractPool, at time: Date) throws(EMSPError) -> Contract {
        let c = try pool.cancel(emaid: emaid)
        if let serial = c.certificateSerial {
            do { try issuer.revokeContractCertificate(serial: serial, reason: .cessationOfOperation, at: time) } catch {
                throw .make(.port, "revoking the certificate of \(emaid) failed", cause: error)
            }
        }
        return c
    }

    // MARK: - Parts

    /// The contract a vehicle's installation request delivers (-2 and -20): the first usable contract of the PCID
    /// (the first of `preferred` eMAIDs that is usable when the vehicle lists some), or a new one with an eMAID from
    /// the allocator; nil when the vehicle is not registered.
    func contractToDeliver(
        pcid: PCID, pool: ContractPool, preferred: [String] = [], nextSequence: () throws -> UInt64, now: Date
    ) throws -> Contract? {
        guard let vehicle = pool.vehicles[pcid] else { return nil }
        let usable = pool.contracts(for: pcid).filter { $0.isUsable(at: now) }
        for wanted in preferred {
            if let e = try? PnCCore.EMAID(wanted), let c = usable.first(where: { $0.emaid == e }) { return c }
        }
        if let existing = usable.first { return existing }
        let emaid = try allocator.emaid(sequence: try nextSequence())
        return Contract(
            emaid: emaid, pcid: pcid, customerID: vehicle.customerID, validFrom: now,
            validTo: now.addingTimeInterval(Double(contractValidityDays) * 86_400))
    }

    /// Whether an OEM provisioning certificate belongs to a registered vehicle: its PCID (CN).
    static func registeredPCID(_ oemCert: Certificate, in pool: ContractPool) -> PCID? {
        guard let cn = oemCert.subject.commonNameString, let pcid = try? PCID(cn), pool.vehicles[pcid] != nil else { return nil }
        return pcid
    }

    static func agreementKey(_ key: Certificate.PublicKey) -> P256.KeyAgreement.PublicKey? {
        guard let signing = P256.Signing.PublicKey(key) else { return nil }
        return try? P256.KeyAgreement.PublicKey(rawRepresentation: signing.rawRepresentation)
    }

    func issue(
        _ contract: Contract, recipient: P256.KeyAgreement.PublicKey, now: Date, using rng: inout some RandomNumberGenerator
    ) throws -> Contract {
        let contractKey = try Self.randomKey(using: &rng)
        let ephemeral = try P256.KeyAgreement.PrivateKey(rawRepresentation: try Self.randomKey(using: &rng).rawRepresentation)
        let iv = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let issued = try issuer.issueContractCertificate(
            emaid: contract.emaid, publicKey: Array(contractKey.publicKey.x963Representation),
            validityDays: contractValidityDays, now: now)
        let package = try ISO2ContractKeyEncryption.encrypt(
            contractKey: contractKey, for: recipient, ephemeralKey: ephemeral, iv: iv)
        try supersede(contract, at: now)
        var c = contract
        c.certificateChain = issued.chain
        c.certificateSerial = issued.serial
        c.keyPackage = package
        return c
    }

    /// A contract that gets a new certificate (installation again, CertificateUpdate) has its previous one revoked as
    /// superseded (RFC 5280), so that only the delivered certificate authorizes; when that fails, nothing is delivered.
    /// A certificate revoked before (e.g. keyCompromise) stays revoked with its first reason.
    func supersede(_ contract: Contract, at now: Date) throws {
        guard let previous = contract.certificateSerial else { return }
        do {
            try issuer.revokeContractCertificate(serial: previous, reason: .superseded, at: now)
        } catch let error as V2GPKIError where error.code == .alreadyRevoked {
            return
        }
    }

    /// A P-256 private key from the caller's randomness (a draw outside the curve order is drawn again, bounded).
    static func randomKey(using rng: inout some RandomNumberGenerator) throws -> P256.Signing.PrivateKey {
        for _ in 0..<16 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let k = try? P256.Signing.PrivateKey(rawRepresentation: bytes) { return k }
        }
        throw EMSPError.make(.port, "no valid P-256 scalar in 16 draws")
    }

    static func chain(_ ders: [[UInt8]], id: String?) -> CertificateChain {
        CertificateChain(
            id: id, certificate: ders.first ?? [],
            subCertificates: ders.count > 1 ? SubCertificates(certificate: Array(ders.dropFirst())) : nil)
    }

    func response(_ contract: Contract, code: ResponseCode, sessionID: [UInt8], update: Bool) throws -> ProvisioningOutcome {
        guard let package = contract.keyPackage else { throw EMSPError.make(.invalidState, "contract has no key package") }
        let bytes = try signedResponse(
            code: code, sessionID: sessionID, update: update, contractChain: contract.certificateChain,
            encryptedKey: package.encryptedPrivateKey, dh: package.dhPublicKey, emaid: contract.emaid.normalized)
        return ProvisioningOutcome(responseEXI: bytes, responseCode: code, contract: contract)
    }

    /// The eMAID element of a refusal: the schema requires 14..15 characters and no contract exists.
    public static let placeholderEMAID = "00000000000000"

    /// A refusal: a complete, signed response whose contract fields are placeholders of the schema's shape.
    func refusal(_ code: ResponseCode, sessionID: [UInt8], update: Bool) -> ProvisioningOutcome {
        let bytes = (try? signedResponse(
            code: code, sessionID: sessionID, update: update, contractChain: [cps.chain.first ?? [0x30, 0]],
            encryptedKey: Array(repeating: 0, count: 48), dh: [0x04] + Array(repeating: 0, count: 64),
            emaid: Self.placeholderEMAID)) ?? []
        return ProvisioningOutcome(responseEXI: bytes, responseCode: code, contract: nil)
    }

    func signedResponse(
        code: ResponseCode, sessionID: [UInt8], update: Bool, contractChain: [[UInt8]], encryptedKey: [UInt8],
        dh: [UInt8], emaid: String
    ) throws -> [UInt8] {
        let contractChainElement = Self.chain(contractChain, id: "id1")
        let key = ContractSignatureEncryptedPrivateKey(id: "id2", value: encryptedKey)
        let dhElement = DiffieHellmanPublickey(id: "id3", value: dh)
        let emaidElement = ISO2Messages.EMAID(id: "id4", value: emaid)
        let fragments: [ISO2Fragment] = [
            .contractSignatureCertChain(contractChainElement), .contractSignatureEncryptedPrivateKey(key),
            .dHpublickey(dhElement), .eMAID(ISO2Fragment.ElementFragment(id: "id4", value: emaid)),
        ]
        let signature = try ISO2Signature.sign(fragments, with: cps.key)
        let saChain = Self.chain(cps.chain, id: nil)
        let body: BodyElement =
            update
            ? .certificateUpdateRes(CertificateUpdateRes(
                responseCode: code, saProvisioningCertificateChain: saChain, contractSignatureCertChain: contractChainElement,
                contractSignatureEncryptedPrivateKey: key, dHpublickey: dhElement, eMAID: emaidElement))
            : .certificateInstallationRes(CertificateInstallationRes(
                responseCode: code, saProvisioningCertificateChain: saChain, contractSignatureCertChain: contractChainElement,
                contractSignatureEncryptedPrivateKey: key, dHpublickey: dhElement, eMAID: emaidElement))
        let message = V2GMessage(header: MessageHeader(sessionID: sessionID, signature: signature), body: Body(bodyElement: body))
        return try ISO2Document.v2gMessage(message).exiEncoded()
    }
}

extension DistinguishedName {
    /// The first CN attribute as a string.
    var commonNameString: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
