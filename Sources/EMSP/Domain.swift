public import Foundation
public import PnCCore
public import V2GSecurity
public import V2GPKI
import X509

/// A driver or fleet that holds contracts.
public struct Customer: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var email: String?
    public init(id: String, name: String, email: String? = nil) {
        self.id = id
        self.name = name
        self.email = email
    }
}

/// A vehicle known by its provisioning certificate id (PCID = CN of the OEM provisioning certificate).
public struct Vehicle: Sendable, Hashable, Codable {
    public var pcid: PCID
    public var customerID: String
    public var label: String?
    public init(pcid: PCID, customerID: String, label: String? = nil) {
        self.pcid = pcid
        self.customerID = customerID
        self.label = label
    }
}

/// The life of a contract: active until cancelled (cancelling revokes its certificate).
public enum ContractStatus: String, Sendable, Hashable, Codable {
    case active
    case cancelled
}

/// A charging contract: eMAID bound to a vehicle, its certificate chain and the encrypted key package last issued.
public struct Contract: Sendable, Hashable {
    public var emaid: EMAID
    public var pcid: PCID
    public var customerID: String
    public var status: ContractStatus
    public var validFrom: Date
    public var validTo: Date
    /// Contract certificate, MO Sub-CA 2, MO Sub-CA 1 (DER), empty until the first issuance.
    public var certificateChain: [[UInt8]]
    /// Serial number of the current contract certificate (big-endian bytes).
    public var certificateSerial: [UInt8]?
    /// The encrypted private key and DHpublickey delivered with the current certificate.
    public var keyPackage: EncryptedContractKey?

    public init(
        emaid: EMAID, pcid: PCID, customerID: String, status: ContractStatus = .active, validFrom: Date, validTo: Date,
        certificateChain: [[UInt8]] = [], certificateSerial: [UInt8]? = nil, keyPackage: EncryptedContractKey? = nil
    ) {
        self.emaid = emaid
        self.pcid = pcid
        self.customerID = customerID
        self.status = status
        self.validFrom = validFrom
        self.validTo = validTo
        self.certificateChain = certificateChain
        self.certificateSerial = certificateSerial
        self.keyPackage = keyPackage
    }

    public func isUsable(at time: Date) -> Bool { status == .active && validFrom <= time && time < validTo }
}

/// Contracts by vehicle: several contracts per PCID (e.g. a private and a fleet contract).
public struct ContractPool: Sendable, Hashable {
    public private(set) var vehicles: [PCID: Vehicle] = [:]
    public private(set) var contracts: [PCID: [Contract]] = [:]

    public init() {}

    public mutating func register(_ vehicle: Vehicle) { vehicles[vehicle.pcid] = vehicle }

    public func contracts(for pcid: PCID) -> [Contract] { contracts[pcid] ?? [] }

    public func contract(emaid: EMAID) -> Contract? {
        for list in contracts.values { if let c = list.first(where: { $0.emaid == emaid }) { return c } }
        return nil
    }

    /// Adds or replaces (same eMAID) a contract; its vehicle must be registered.
    public mutating func upsert(_ contract: Contract) throws(EMSPError) {
        guard vehicles[contract.pcid] != nil else { throw .make(.notFound, "vehicle \(contract.pcid) is not registered") }
        var list = contracts[contract.pcid] ?? []
        if let i = list.firstIndex(where: { $0.emaid == contract.emaid }) { list[i] = contract } else { list.append(contract) }
        contracts[contract.pcid] = list
    }

    /// Marks a contract cancelled and returns it.
    @discardableResult
    public mutating func cancel(emaid: EMAID) throws(EMSPError) -> Contract {
        guard var c = contract(emaid: emaid) else { throw .make(.notFound, "no contract \(emaid)") }
        guard c.status == .active else { throw .make(.invalidState, "contract \(emaid) is already cancelled") }
        c.status = .cancelled
        try upsert(c)
        return c
    }
}

/// Port: the MO Sub-CA 2 that issues and revokes contract certificates (composition: V2GPKI's CertificateAuthority).
public protocol ContractCertificateIssuer: Sendable {
    /// Issues a contract certificate (CN = eMAID) for `publicKey` and returns contract certificate, MO Sub-CA 2 and
    /// MO Sub-CA 1 certificates, DER, and the serial number.
    func issueContractCertificate(
        emaid: EMAID, publicKey: [UInt8], validityDays: Int, now: Date
    ) throws -> (chain: [[UInt8]], serial: [UInt8])
    /// Revokes a contract certificate: cessationOfOperation when the contract is cancelled, superseded when a
    /// CertificateUpdate replaced it.
    func revokeContractCertificate(serial: [UInt8], reason: CRLReason, at time: Date) throws
}

/// The ``ContractCertificateIssuer`` port on a V2G PKI MO Sub-CA 2 (e.g. of a `pnc pki init` directory): contract
/// certificates (P-256 or P-521 keys) issued by the sub-CA, revocations recorded in its OCSP/CRL database.
public struct CertificateAuthorityContractIssuer: ContractCertificateIssuer {
    public let ca: CertificateAuthority

    public init(ca: CertificateAuthority) { self.ca = ca }

    public func issueContractCertificate(
        emaid: EMAID, publicKey: [UInt8], validityDays: Int, now: Date
    ) throws -> (chain: [[UInt8]], serial: [UInt8]) {
        var rng = SystemRandomNumberGenerator()
        let key = try ContractProvisioning.contractPublicKey(x963: publicKey)
        let subject = try CertificateIssuer.subject(commonName: emaid.normalized, role: .contract)
        let cert = try ca.issue(role: .contract, subject: subject, publicKey: key, validityDays: validityDays, now: now, using: &rng)
        return ([try cert.derBytes] + (try ca.chainBelowRoot.map { try $0.derBytes }), Array(cert.serialNumber.bytes))
    }

    public func revokeContractCertificate(serial: [UInt8], reason: CRLReason, at time: Date) throws {
        try ca.revoke(serial: Certificate.SerialNumber(bytes: serial), reason: reason, at: time)
    }
}

/// Port: where customers, vehicles and contracts are kept (Storage implements it over SQLite and PostgreSQL).
public protocol EMSPRepository: Sendable {
    func save(_ customer: Customer) async throws
    func customer(id: String) async throws -> Customer?
    func save(_ vehicle: Vehicle) async throws
    func vehicle(pcid: PCID) async throws -> Vehicle?
    func save(_ contract: Contract) async throws
    func contracts(pcid: PCID) async throws -> [Contract]
    func contract(emaid: EMAID) async throws -> Contract?
    func allContracts() async throws -> [Contract]
    /// The next eMAID sequence number of a provider (starting at 1), consumed atomically.
    func nextEMAIDSequence(countryCode: String, providerID: String) async throws -> UInt64
}

extension EMSPRepository {
    /// The pool of every registered vehicle and its contracts.
    public func loadPool(pcid: PCID) async throws -> ContractPool {
        var pool = ContractPool()
        guard let v = try await vehicle(pcid: pcid) else { return pool }
        pool.register(v)
        for c in try await contracts(pcid: pcid) { try pool.upsert(c) }
        return pool
    }
}
