import Crypto
import EMSP
import EXI
import Foundation
import ISO20Messages
import PnCCore
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

/// A `pnc pki init --profile iso15118-20` directory and the provisioning built on it as the station and the CSMS
/// build theirs: CPS leaf signs, MO Sub-CA 2 issues, the OEM provisioning leaf's PCID is a registered vehicle.
struct ISO20ProvisioningFixture {
    let pki: PKIDirectory
    let provisioning: ContractProvisioning
    let pool: ContractPool
    let oemChain: [Certificate]
    let oemKey: P521.Signing.PrivateKey
    let pcid: PCID

    static var fastKeys: PKIDirectory.InitOptions {
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        return options
    }

    static func key521(_ pki: PKIDirectory, _ label: String) throws -> P521.Signing.PrivateKey {
        try P521.Signing.PrivateKey(pemRepresentation: try pki.keyStore.signingKey(label: label).serializeAsPEM().pemString)
    }

    init() throws {
        let root = NSTemporaryDirectory() + "pnc-emsp20-\(UUID().uuidString.prefix(8))"
        pki = try PKIDirectory.create(
            at: root, configuration: .init(profile: .iso15118_20, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: Self.fastKeys)
        let cpsChain = try CertificateFile.certificates(atPath: pki.leafDirectory("cps") + "/chain.pem")
        provisioning = ContractProvisioning(
            oemRoots: [try pki.authority(.oemRoot).certificate], contractRoots: [try pki.authority(.moRoot).certificate],
            cps: CPSCredentials(key: .p521(try Self.key521(pki, "leaf/cps/key")), chain: try cpsChain.map { try $0.derBytes }),
            issuer: CertificateAuthorityContractIssuer(ca: try pki.authority(.moSubCA2)),
            allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        oemChain = try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/chain.pem")
        oemKey = try Self.key521(pki, "leaf/oem-prov/key")
        let cn = try #require(oemChain.first?.subject.description.split(separator: ",").first { $0.hasPrefix("CN=") })
        pcid = try PCID(String(cn.dropFirst(3)))
        var p = ContractPool()
        p.register(Vehicle(pcid: pcid, customerID: "c1"))
        pool = p
    }

    func request(signedWith key: P521.Signing.PrivateKey? = nil, chain: [Certificate]? = nil, emaids: [String]? = nil) throws -> [UInt8] {
        let ders = try (chain ?? oemChain).map { try $0.derBytes }
        let signed = SignedCertificateChain(
            id: "OEMChain", certificate: ders[0], subCertificates: SubCertificates(certificate: Array(ders.dropFirst())))
        let signature = try ISO20Signature.sign([(signed.id, .oemProvisioningCertificateChain(signed))], with: .p521(key ?? oemKey))
        let req = CertificateInstallationReq(
            header: MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8], timeStamp: 1_800_000_000, signature: signature),
            oemProvisioningCertificateChain: signed,
            listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                X509IssuerSerial(x509IssuerName: "CN=V2G Root", x509SerialNumber: 1)
            ]),
            maximumContractCertificateChains: 1, prioritizedEMAIDs: emaids.map { EMAIDList(emaID: $0) })
        return try ISO20CommonMessagesDocument.certificateInstallationReq(req).exiEncoded()
    }

    /// The EV's reading: CPS chain to the V2G root, signature over SignedInstallationData, decrypted key.
    func open(_ bytes: [UInt8]) throws -> (CertificateInstallationRes, P521.Signing.PrivateKey?) {
        guard case .certificateInstallationRes(let res) = try ISO20CommonMessagesDocument(exi: bytes) else {
            throw EMSPError(code: .notFound, detail: "not a CertificateInstallationRes", location: #fileID)
        }
        let signature = try #require(res.header.signature)
        let data = res.signedInstallationData
        try ISO20Signature.verify(
            signature, fragments: [(data.id, .signedInstallationData(data))],
            key: try V2GVerifyingKey(certificateDER: res.cpsCertificateChain.certificate))
        guard res.responseCode == .ok, case .secp521EncryptedPrivateKey(let encrypted) = data.choice else { return (res, nil) }
        let leaf = try Certificate(derEncoded: data.contractCertificateChain.certificate)
        let ski = try #require(try leaf.extensions.subjectKeyIdentifier)
        let key = try ISO20ContractKeyEncryption.decrypt(
            EncryptedContractKey(encryptedPrivateKey: encrypted, dhPublicKey: data.dhPublicKey),
            with: try P521.KeyAgreement.PrivateKey(rawRepresentation: oemKey.rawRepresentation),
            additionalData: ISO20ContractKeyEncryption.additionalData(pcid: pcid.description, contractSKI: Array(ski.keyIdentifier)))
        return (res, key)
    }
}

@Suite("Contract provisioning, ISO 15118-20 (CertificateInstallation, SignedInstallationData)")
struct ISO20ContractProvisioningTests {
    @Test("[V2G20-CertificateInstallation] installation: OEM chain signature verified, P-521 contract from MO Sub-CA 2, key encrypted for the OEM key, SignedInstallationData CPS-signed")
    func install() throws {
        let f = try ISO20ProvisioningFixture()
        var pool = f.pool
        var rng = SeededRNG(state: 20)
        var sequence: UInt64 = 0
        let outcome = f.provisioning.installISO20(
            requestEXI: try f.request(), pool: &pool, nextSequence: { sequence += 1; return sequence }, now: Date(), using: &rng)
        #expect(outcome.responseCode == .ok)
        let contract = try #require(outcome.contract)
        #expect(contract.pcid == f.pcid)
        #expect(pool.contracts(for: f.pcid).count == 1)
        let (res, key) = try f.open(outcome.responseEXI)
        #expect(res.header.sessionID == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(res.evseProcessing == .finished)
        #expect(res.signedInstallationData.ecdhCurve == .secp521)
        #expect(res.signedInstallationData.dhPublicKey.count == 133)
        let leaf = try Certificate(derEncoded: res.signedInstallationData.contractCertificateChain.certificate)
        #expect(leaf.publicKey == Certificate.PublicKey(try #require(key).publicKey))
        #expect(leaf.subject.description.contains(contract.emaid.normalized))
        // The contract chain validates to the MO root, with -20 (P-521) certificates.
        let subs = try res.signedInstallationData.contractCertificateChain.subCertificates.certificate.map { try Certificate(derEncoded: $0) }
        let validation = ChainValidator(roots: [try f.pki.authority(.moRoot).certificate])
            .validateOffline(chain: [leaf] + subs, at: Date(), role: .contract)
        guard case .success = validation else { Issue.record("contract chain: \(validation)"); return }
        #expect(P521.Signing.PublicKey(leaf.publicKey) != nil)

        // A second installation delivers the same contract (eMAID) with a fresh certificate.
        let again = f.provisioning.installISO20(
            requestEXI: try f.request(), pool: &pool, nextSequence: { sequence += 1; return sequence }, now: Date(), using: &rng)
        #expect(again.contract?.emaid == contract.emaid)
        #expect(again.contract?.certificateSerial != contract.certificateSerial)
        #expect(sequence == 1)
    }

    @Test("[V2G20-CertificateInstallation] refusals inside a CPS-signed response: FAILED_SignatureError, WARNING_CertificateValidationError, WARNING_NoContractMatchingPCIDFound, FAILED_SequenceError")
    func refusals() throws {
        let f = try ISO20ProvisioningFixture()
        var rng = SeededRNG(state: 21)
        func answer(_ bytes: [UInt8], pool: ContractPool? = nil) throws -> ISO20ProvisioningOutcome {
            var p = pool ?? f.pool
            let outcome = f.provisioning.installISO20(requestEXI: bytes, pool: &p, nextSequence: { 1 }, now: Date(), using: &rng)
            #expect(outcome.contract == nil)
            let (res, key) = try f.open(outcome.responseEXI)
            #expect(res.responseCode == outcome.responseCode)
            #expect(key == nil)
            return outcome
        }
        #expect(try answer(try f.request(signedWith: P521.Signing.PrivateKey())).responseCode == .failedSignatureError)
        // A chain under a root the eMSP does not trust (the MO chain presented as OEM chain).
        let moChain = try CertificateFile.certificates(atPath: f.pki.leafDirectory("contract") + "/chain.pem")
        let moKey = try ISO20ProvisioningFixture.key521(f.pki, "leaf/contract/key")
        #expect(try answer(try f.request(signedWith: moKey, chain: moChain)).responseCode == .warningCertificateValidationError)
        #expect(try answer(try f.request(), pool: ContractPool()).responseCode == .warningNoContractMatchingPCIDFound)
        let notInstallation = try ISO20CommonMessagesDocument.sessionSetupReq(
            SessionSetupReq(header: MessageHeader(sessionID: [0, 0, 0, 0, 0, 0, 0, 0], timeStamp: 1), evccID: "WMI")).exiEncoded()
        #expect(try answer(notInstallation).responseCode == .failedSequenceError)
    }

    @Test("[V2G20-CertificateInstallation] PrioritizedEMAIDs choose among the vehicle's contracts; RemainingContractCertificateChains counts the others")
    func prioritized() throws {
        let f = try ISO20ProvisioningFixture()
        var pool = f.pool
        var rng = SeededRNG(state: 22)
        let allocator = try EMAIDAllocator(countryCode: "DE", providerID: "8AA")
        for n in 1...2 as ClosedRange<UInt64> {
            try pool.upsert(Contract(
                emaid: try allocator.emaid(sequence: n), pcid: f.pcid, customerID: "c1", validFrom: Date() - 60, validTo: Date() + 86_400))
        }
        let second = try allocator.emaid(sequence: 2).normalized
        let outcome = f.provisioning.installISO20(
            requestEXI: try f.request(emaids: [second]), pool: &pool, nextSequence: { 9 }, now: Date(), using: &rng)
        #expect(outcome.contract?.emaid.normalized == second)
        let (res, _) = try f.open(outcome.responseEXI)
        #expect(res.remainingContractCertificateChains == 1)
    }

    @Test("[V2G20-CertificateInstallation] seeded mutation: flipped or truncated requests get a response code, never a crash or a contract")
    func mutation() throws {
        let f = try ISO20ProvisioningFixture()
        let valid = try f.request()
        var rng = SeededRNG(state: 15118)
        var pool = f.pool
        for i in 0..<120 {
            var bytes = valid
            if i % 3 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            } else {
                let bit = Int.random(in: 0..<(bytes.count * 8), using: &rng)
                bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            let outcome = f.provisioning.installISO20(requestEXI: bytes, pool: &pool, nextSequence: { 1 }, now: Date(), using: &rng)
            if outcome.responseCode == .ok {
                // A flip inside an unsigned part (timestamp, root ids) may still be a valid request.
                #expect(outcome.contract != nil)
            } else {
                #expect(outcome.contract == nil)
            }
        }
    }
}
