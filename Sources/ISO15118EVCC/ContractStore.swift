import Foundation
public import ISO2Messages
import SwiftASN1
public import V2GSecurity
import X509

/// A Plug & Charge contract held by the vehicle: the contract chain (leaf first, DER), its private key and eMAID.
public struct StoredContract: Sendable {
    public var eMAID: String
    /// DER of the contract certificate followed by its Sub-CAs (at most two in ISO 15118-2), without the root.
    public var chainDER: [[UInt8]]
    public var key: V2GSigningKey
    /// Validity of the contract certificate, seconds since 1970-01-01 UTC.
    public var notBefore: Double
    public var notAfter: Double

    /// Reads the validity from the leaf.
    /// - Throws: ``EVCCError`` `.malformedContract` when the chain is empty or the leaf does not parse.
    public init(eMAID: String, chainDER: [[UInt8]], key: V2GSigningKey) throws(EVCCError) {
        guard let leafDER = chainDER.first, let leaf = try? Certificate(derEncoded: leafDER) else {
            throw EVCCError.malformedContract("the contract chain has no readable leaf")
        }
        self.eMAID = eMAID
        self.chainDER = chainDER
        self.key = key
        self.notBefore = leaf.notValidBefore.timeIntervalSince1970
        self.notAfter = leaf.notValidAfter.timeIntervalSince1970
    }

    /// The chain as PaymentDetailsReq carries it (ContractSignatureCertChain).
    public var certificateChain: CertificateChain {
        CertificateChain(
            certificate: self.chainDER.first ?? [],
            subCertificates: self.chainDER.count > 1 ? SubCertificates(certificate: Array(self.chainDER.dropFirst())) : nil)
    }

    var candidate: ContractSelection.Candidate {
        ContractSelection.Candidate(
            eMAID: self.eMAID, rootFingerprints: [], notBefore: self.notBefore, notAfter: self.notAfter)
    }
}

/// The contracts a vehicle holds, in its order of preference. ISO 15118-2 lists no roots in ServiceDiscoveryRes, so
/// the choice is by validity and preference (``ContractSelection``).
public struct ContractStore: Sendable {
    public private(set) var contracts: [StoredContract]

    public init(_ contracts: [StoredContract] = []) {
        self.contracts = contracts
    }

    /// The preferred contract valid at `now`, or nil.
    public func select(now: Double) -> StoredContract? {
        ContractSelection.choose(from: self.contracts.map(\.candidate), offeredRoots: [], now: now).map {
            self.contracts[$0]
        }
    }

    /// Adds a contract (an installed or updated one replaces the contract with the same eMAID) as the most preferred.
    public mutating func store(_ contract: StoredContract) {
        self.contracts.removeAll { $0.eMAID == contract.eMAID }
        self.contracts.insert(contract, at: 0)
    }
}
