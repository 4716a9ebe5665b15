public import CSMS
public import EMSP
public import Foundation
import ISO2Messages
import PnCCore
import Crypto
public import V2GPKI
import V2GSecurity
import X509
import SwiftASN1

extension ContractProvisioning {
    /// Contract provisioning from a PKI directory made by `pnc pki init`: OEM roots and MO/V2G roots from its CAs,
    /// the CPS leaf (`leaf/cps`) signs the answers, MO Sub-CA 2 issues the contract certificates.
    public static func fromPKIDirectory(
        _ pki: PKIDirectory, allocator: EMAIDAllocator, contractValidityDays: Int = 730
    ) throws -> ContractProvisioning {
        func cert(_ path: String) throws -> Certificate {
            guard let c = try CertificateFile.certificates(atPath: path).first else {
                throw PnCServerError(.configuration, "no certificate in \(path)")
            }
            return c
        }
        let oemRoot = try cert(pki.caDirectory(.oemRoot) + "/cert.pem")
        let oemSub = try [CertificateRole.oemSubCA2, .oemSubCA1].map { try cert(pki.caDirectory($0) + "/cert.pem") }
        let contractRoots = try [CertificateRole.moRoot, .v2gRoot].map { try cert(pki.caDirectory($0) + "/cert.pem") }
        let cpsChain = try CertificateFile.certificates(atPath: pki.leafDirectory("cps") + "/chain.pem")
        let cpsKey = try pki.keyStore.signingKey(label: "leaf/cps/key")
        let key: V2GSigningKey
        do {
            let pem = try cpsKey.serializeAsPEM().pemString
            // A `--profile iso15118-20` directory signs with P-521 (SignedInstallationData), a -2 one with P-256.
            key = pki.profile == .iso15118_20
                ? .p521(try P521.Signing.PrivateKey(pemRepresentation: pem)) : .p256(try P256.Signing.PrivateKey(pemRepresentation: pem))
        } catch {
            throw PnCServerError(.configuration, "the CPS key of \(pki.root) does not fit its \(pki.profile.rawValue) profile", cause: error)
        }
        return ContractProvisioning(
            oemRoots: [oemRoot], oemIntermediates: oemSub, contractRoots: contractRoots,
            cps: CPSCredentials(key: key, chain: try cpsChain.map { try $0.derBytes }),
            issuer: CertificateAuthorityContractIssuer(ca: try pki.authority(.moSubCA2)), allocator: allocator,
            contractValidityDays: contractValidityDays)
    }
}

/// The CSMS's ``CSMS/EVCertificateProvider`` (OCPP 2.0.1 M02/M03 Get15118EVCertificate) answered by the eMSP:
/// the vehicle's contract pool is loaded from the eMSP repository, ``EMSP/ContractProvisioning`` issues (or reissues)
/// the contract certificate, encrypts its key for the OEM provisioning certificate and has the CPS sign the
/// CertificateInstallationRes / CertificateUpdateRes; the new contract is stored before the answer leaves.
public struct EMSPEVCertificateProvider: EVCertificateProvider {
    public static let iso2Namespace = "urn:iso:15118:2:2013:MsgDef"
    /// OCPP iso15118SchemaVersion of ISO 15118-20 requests.
    public static let iso20Namespace = "urn:iso:std:iso:15118:-20:CommonMessages"
    public let repository: any EMSPRepository
    public let provisioning: ContractProvisioning
    /// The provisioning of ISO 15118-20 requests (CPS and MO Sub-CA 2 of a `--profile iso15118-20` PKI); nil:
    /// ``provisioning`` answers them too (a CSMS with a single -20 PKI).
    public let iso20Provisioning: ContractProvisioning?
    public let now: @Sendable () -> Date

    public init(
        repository: any EMSPRepository, provisioning: ContractProvisioning, iso20Provisioning: ContractProvisioning? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.repository = repository
        self.provisioning = provisioning
        self.iso20Provisioning = iso20Provisioning
        self.now = now
    }

    public func certificate(for request: EVCertificateRequest) async throws -> EVCertificateResponse {
        if request.iso15118SchemaVersion == Self.iso20Namespace { return try await self.certificateISO20(for: request) }
        guard request.iso15118SchemaVersion == Self.iso2Namespace else {
            return EVCertificateResponse(status: .failed, exiResponse: [], reason: "schema \(request.iso15118SchemaVersion) is not supported by the eMSP (ISO 15118-2 and -20 CommonMessages)")
        }
        let time = now()
        var rng = SystemRandomNumberGenerator()
        var pool = ContractPool()
        if let pcid = try await Self.vehicle(of: request, repository: repository) {
            pool = try await repository.loadPool(pcid: pcid)
        }
        let outcome: ProvisioningOutcome
        switch request.action {
        case .install:
            // The sequence is consumed only when a new contract is created; the repository is async, so one is
            // reserved ahead when the vehicle has no usable contract.
            let reserved = try await self.reserveSequence(pool, at: time)
            outcome = provisioning.install(
                requestEXI: request.exiRequest, pool: &pool,
                nextSequence: {
                    guard let reserved else { throw PnCServerError(.configuration, "no eMAID sequence reserved") }
                    return reserved
                }, now: time, using: &rng)
        case .update:
            outcome = provisioning.update(requestEXI: request.exiRequest, pool: &pool, now: time, using: &rng)
        }
        if let contract = outcome.contract { try await repository.save(contract) }
        guard !outcome.responseEXI.isEmpty else {
            return EVCertificateResponse(status: .failed, exiResponse: [], reason: "the -2 answer could not be signed (CPS key of another profile?)")
        }
        // The EXI answer is complete and signed even when it refuses: it goes to the EV with its ResponseCode.
        return EVCertificateResponse(
            status: .accepted, exiResponse: outcome.responseEXI,
            reason: outcome.responseCode == .ok ? nil : "ISO 15118 ResponseCode \(outcome.responseCode.rawValue)")
    }

    /// The eMAID sequence for a new contract: reserved only when the vehicle has no usable contract (the repository is
    /// async, the provisioning asks synchronously).
    func reserveSequence(_ pool: ContractPool, at time: Date, allocator: EMAIDAllocator? = nil) async throws -> UInt64? {
        guard let pcid = pool.vehicles.keys.first, !pool.contracts(for: pcid).contains(where: { $0.isUsable(at: time) }) else {
            return nil
        }
        let allocator = allocator ?? provisioning.allocator
        return try await repository.nextEMAIDSequence(countryCode: allocator.countryCode, providerID: allocator.providerID)
    }

    static func commonName(_ name: DistinguishedName) -> String? {
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }

    /// The vehicle a request is about: the PCID of the OEM provisioning certificate (install) or the vehicle of the
    /// contract named by the eMAID (update); nil when the request names none the eMSP knows.
    static func vehicle(of request: EVCertificateRequest, repository: any EMSPRepository) async throws -> PCID? {
        guard case .v2gMessage(let message)? = try? ISO2Document(exi: request.exiRequest) else { return nil }
        switch message.body.bodyElement {
        case .certificateInstallationReq(let req)?:
            guard let cert = try? Certificate(derEncoded: req.oemProvisioningCert), let cn = Self.commonName(cert.subject)
            else { return nil }
            return try? PCID(cn)
        case .certificateUpdateReq(let req)?:
            guard let emaid = try? PnCCore.EMAID(req.eMAID) else { return nil }
            return try await repository.contract(emaid: emaid)?.pcid
        default:
            return nil
        }
    }
}

/// The CSMS's ``CSMS/ContractDirectory`` (C07 contract check) answered from the eMSP's contracts: an active contract
/// within its validity is active, a cancelled one cancelled, one past its validity expired, an unknown eMAID unknown.
public struct EMSPContractDirectory: ContractDirectory {
    public let repository: any EMSPRepository
    public let now: @Sendable () -> Date

    public init(repository: any EMSPRepository, now: @escaping @Sendable () -> Date = { Date() }) {
        self.repository = repository
        self.now = now
    }

    public func contractStatus(eMAID: String, traceID: String) async throws -> CSMS.ContractStatus {
        guard let emaid = try? PnCCore.EMAID(eMAID), let contract = try await repository.contract(emaid: emaid) else {
            return .unknown
        }
        switch contract.status {
        case .cancelled: return .cancelled
        case .active:
            let time = now()
            if time >= contract.validTo { return .expired }
            if time < contract.validFrom { return .blocked }
            return .active
        }
    }

    /// The contract's current certificate (the first of its stored chain, issued by the second) as C07 names it. SHA256
    /// only: the hash algorithm of the contract chains' OCSP checks; another algorithm, and a stored chain that
    /// swift-certificates cannot read (Ed448 contracts of -20) or that lacks its issuer, are not compared (`notKept`).
    public func contractCertificate(
        eMAID: String, hashAlgorithm: String, traceID: String
    ) async throws -> ContractCertificateOnRecord {
        guard let emaid = try? PnCCore.EMAID(eMAID), let contract = try await repository.contract(emaid: emaid) else {
            return .unknownContract
        }
        guard let leafDER = contract.certificateChain.first else { return .noCertificate }
        guard hashAlgorithm.uppercased() == "SHA256" else { return .notKept }
        guard contract.certificateChain.count >= 2,
            let leaf = try? Certificate(derEncoded: leafDER),
            let issuer = try? Certificate(derEncoded: contract.certificateChain[1]),
            let certID = try? OCSPCertID(certificate: leaf, issuer: issuer, hashAlgorithm: .sha256)
        else { return .notKept }
        return .certificate(CSMS.CertificateHashData(
            hashAlgorithm: "SHA256", issuerNameHash: Self.hex(certID.issuerNameHash), issuerKeyHash: Self.hex(certID.issuerKeyHash),
            serialNumber: Self.hex(Array(leaf.serialNumber.bytes)), responderURL: ""))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
