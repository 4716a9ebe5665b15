public import Crypto
import EXI
import Foundation
public import ISO20Messages
import SwiftASN1
import V2GPKI
public import V2GSecurity
public import X509
import XMLDSig

/// What the vehicle needs to install a contract with an ISO 15118-20 CertificateInstallationReq: its OEM
/// provisioning chain and key (P-521), and the V2G roots the CPS chain of the answer must validate to.
public struct ISO20ContractInstallation: Sendable {
    /// OEMProvisioningCertificateChain: the provisioning leaf first, then its Sub-CAs (DER).
    public var oemProvisioningChain: [[UInt8]]
    /// The OEM provisioning key: signs the chain element and, by ECDH, decrypts the delivered contract key.
    public var oemKey: P521.Signing.PrivateKey
    public var v2gRoots: [Certificate]
    /// ListOfRootCertificateIDs sent to the SECC (1..20).
    public var rootCertificateIDs: ListOfRootCertificateIDs
    /// MaximumContractCertificateChains asked for.
    public var maximumContractCertificateChains: UInt8
    /// The Id of the signed OEMProvisioningCertificateChain element.
    public static let chainID = "OEMProvChain"

    public init(
        oemProvisioningChain: [[UInt8]], oemKey: P521.Signing.PrivateKey, v2gRoots: [Certificate],
        rootCertificateIDs: ListOfRootCertificateIDs? = nil, maximumContractCertificateChains: UInt8 = 1
    ) {
        self.oemProvisioningChain = oemProvisioningChain
        self.oemKey = oemKey
        self.v2gRoots = v2gRoots
        self.rootCertificateIDs = rootCertificateIDs ?? Self.rootIDs(v2gRoots)
        self.maximumContractCertificateChains = maximumContractCertificateChains
    }

    /// RootCertificateIDs (issuer name and serial) of the trusted roots, at most 20.
    public static func rootIDs(_ roots: [Certificate]) -> ListOfRootCertificateIDs {
        ListOfRootCertificateIDs(rootCertificateID: roots.prefix(20).map { root in
            X509IssuerSerial(
                x509IssuerName: root.issuer.description,
                x509SerialNumber: EXIInteger(isNegative: false, magnitude: Array(root.serialNumber.bytes)))
        })
    }

    /// The PCID: the CN of the provisioning certificate (the -20 AAD of the delivered key).
    public var pcid: String? {
        guard let der = self.oemProvisioningChain.first, let cert = try? Certificate(derEncoded: der) else { return nil }
        return Self.commonName(cert)
    }

    static func commonName(_ cert: Certificate) -> String? {
        for rdn in cert.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }

    /// The signed CertificateInstallationReq.
    public func request(header: MessageHeader) throws(V2GSecurityError) -> CertificateInstallationReq {
        let chain = SignedCertificateChain(
            id: Self.chainID, certificate: self.oemProvisioningChain.first ?? [],
            subCertificates: self.oemProvisioningChain.count > 1
                ? SubCertificates(certificate: Array(self.oemProvisioningChain.dropFirst())) : nil)
        var h = header
        h.signature = try ISO20Signature.sign([(chain.id, .oemProvisioningCertificateChain(chain))], with: .p521(self.oemKey))
        return CertificateInstallationReq(
            header: h, oemProvisioningCertificateChain: chain, listOfRootCertificateIDs: self.rootCertificateIDs,
            maximumContractCertificateChains: self.maximumContractCertificateChains)
    }

    /// Checks a CertificateInstallationRes and opens the contract it delivers: the CPS chain validates to a V2G root
    /// at `now`, the header signature over SignedInstallationData verifies with the CPS leaf key, the SECP521 key
    /// decrypts (AAD = PCID ‖ contract SKI) and matches the contract certificate.
    public func open(_ res: CertificateInstallationRes, now: Double) -> Result<ISO20EVCCContract, ISO20InstallationFailure> {
        guard let signature = res.header.signature else { return .failure(.init("CertificateInstallationRes is not signed")) }
        let cpsDER = [res.cpsCertificateChain.certificate] + (res.cpsCertificateChain.subCertificates?.certificate ?? [])
        guard let cps = try? cpsDER.map({ try Certificate(derEncoded: $0) }) else {
            return .failure(.init("unreadable CPS chain"))
        }
        if case .failure(let reason) = ChainValidator(roots: self.v2gRoots).validateOffline(
            chain: cps, at: Date(timeIntervalSince1970: now))
        {
            return .failure(.init("CPS chain: \(reason)"))
        }
        let data = res.signedInstallationData
        guard data.ecdhCurve == .secp521, case .secp521EncryptedPrivateKey(let encrypted) = data.choice else {
            return .failure(.init("only the SECP521 key delivery is supported, got \(data.ecdhCurve.rawValue)"))
        }
        do {
            let key = try V2GVerifyingKey(certificateDER: res.cpsCertificateChain.certificate)
            try ISO20Signature.verify(signature, fragments: [(data.id, .signedInstallationData(data))], key: key)
            let leafDER = data.contractCertificateChain.certificate
            let leaf = try Certificate(derEncoded: leafDER)
            guard let ski = try leaf.extensions.subjectKeyIdentifier, let pcid = self.pcid, let emaid = Self.commonName(leaf) else {
                return .failure(.init("the contract certificate lacks its SKI or CN, or the provisioning certificate its PCID"))
            }
            let contractKey = try ISO20ContractKeyEncryption.decrypt(
                EncryptedContractKey(encryptedPrivateKey: encrypted, dhPublicKey: data.dhPublicKey),
                with: try P521.KeyAgreement.PrivateKey(rawRepresentation: self.oemKey.rawRepresentation),
                additionalData: ISO20ContractKeyEncryption.additionalData(pcid: pcid, contractSKI: Array(ski.keyIdentifier)))
            guard Certificate.PublicKey(contractKey.publicKey) == leaf.publicKey else {
                return .failure(.init("the delivered key does not match the contract certificate"))
            }
            return .success(ISO20EVCCContract(
                eMAID: emaid, chainDER: [leafDER] + data.contractCertificateChain.subCertificates.certificate,
                key: .p521(contractKey)))
        } catch {
            return .failure(.init("\(error)"))
        }
    }
}

/// Why a delivered -20 contract was rejected.
public struct ISO20InstallationFailure: Error, Hashable, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}
