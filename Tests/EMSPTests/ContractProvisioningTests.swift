import Crypto
import EMSP
import EXI
import Foundation
import ISO2Messages
import PnCCore
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

/// A complete -2 PKI: V2G root → CPS Sub-CA 1/2 → CPS leaf; MO root → Sub-CA 1/2 (on disk, for revocation);
/// OEM root → Sub-CA 1/2 → provisioning certificate of one vehicle.
struct ProvisioningPKI {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let rootIDs = ListOfRootCertificateIDs(rootCertificateID: [
        X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 1),
    ])
    let v2gRoot: Certificate
    let cpsChain: [Certificate]
    let cpsKey: P256.Signing.PrivateKey
    let moRoot: Certificate
    let moSub2: CertificateAuthority
    let oemRoot: Certificate
    let oemSubs: [Certificate]
    let oemProv: Certificate
    let oemKey: P256.Signing.PrivateKey
    let directory: String

    static func root(_ role: CertificateRole, _ cn: String) throws -> (Certificate, Certificate.PrivateKey) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let request = IssuanceRequest(
            role: role, subject: try CertificateIssuer.subject(commonName: cn, role: role), publicKey: key.publicKey,
            serialNumber: Certificate.SerialNumber(bytes: [1]), notBefore: now - 86_400, notAfter: now + 3650 * 86_400)
        return (try CertificateIssuer(profile: .iso15118_2).issue(request, issuer: nil, issuerKey: key), key)
    }

    static func ca(_ role: CertificateRole, _ cert: Certificate, _ key: Certificate.PrivateKey, below: [Certificate], dir: String? = nil) -> CertificateAuthority {
        CertificateAuthority(role: role, certificate: cert, chainBelowRoot: below, key: key, directory: dir, profile: .iso15118_2,
                             ocspURL: "http://127.0.0.1/ocsp", crlURL: "http://127.0.0.1/crl")
    }

    static func sub(_ parent: CertificateAuthority, _ role: CertificateRole, _ cn: String, dir: String? = nil) throws -> CertificateAuthority {
        var rng = SystemRandomNumberGenerator()
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let cert = try parent.issue(role: role, subject: try CertificateIssuer.subject(commonName: cn, role: role),
                                    publicKey: key.publicKey, validityDays: 1000, now: now, using: &rng)
        return ca(role, cert, key, below: [cert] + parent.chainBelowRoot, dir: dir)
    }

    init(pcid: String) throws {
        var rng = SystemRandomNumberGenerator()
        directory = NSTemporaryDirectory() + "pnc-emsp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (v2g, v2gKey) = try Self.root(.v2gRoot, "V2GRootCA")
        let cps2 = try Self.sub(try Self.sub(Self.ca(.v2gRoot, v2g, v2gKey, below: []), .cpsSubCA1, "CPSSubCA1"), .cpsSubCA2, "CPSSubCA2")
        let cpsLeafKey = P256.Signing.PrivateKey()
        let cpsLeaf = try cps2.issue(role: .cps, subject: try CertificateIssuer.subject(commonName: "CPS", role: .cps),
                                     publicKey: Certificate.PublicKey(cpsLeafKey.publicKey), validityDays: 100, now: Self.now, using: &rng)
        let (mo, moKey) = try Self.root(.moRoot, "MORootCA")
        let mo1 = try Self.sub(Self.ca(.moRoot, mo, moKey, below: []), .moSubCA1, "MOSubCA1")
        let mo2 = try Self.sub(mo1, .moSubCA2, "MOSubCA2", dir: directory)
        let (oem, oemRootKey) = try Self.root(.oemRoot, "OEMRootCA")
        let oem2 = try Self.sub(try Self.sub(Self.ca(.oemRoot, oem, oemRootKey, below: []), .oemSubCA1, "OEMSubCA1"), .oemSubCA2, "OEMSubCA2")
        let provKey = P256.Signing.PrivateKey()
        let prov = try oem2.issue(role: .oemProvisioning, subject: try CertificateIssuer.subject(commonName: pcid, role: .oemProvisioning),
                                  publicKey: Certificate.PublicKey(provKey.publicKey), validityDays: 100, now: Self.now, using: &rng)
        v2gRoot = v2g
        cpsChain = [cpsLeaf] + cps2.chainBelowRoot
        cpsKey = cpsLeafKey
        moRoot = mo
        moSub2 = mo2
        oemRoot = oem
        oemSubs = oem2.chainBelowRoot
        oemProv = prov
        oemKey = provKey
    }

    func provisioning() throws -> ContractProvisioning {
        ContractProvisioning(
            oemRoots: [oemRoot], oemIntermediates: oemSubs, contractRoots: [moRoot],
            cps: CPSCredentials(key: .p256(cpsKey), chain: try cpsChain.map { try $0.derBytes }),
            issuer: CertificateAuthorityContractIssuer(ca: moSub2), allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
    }

    /// The EV's CertificateInstallationReq, signed with `key` (the OEM provisioning key unless a test swaps it).
    func installationRequest(signedWith key: P256.Signing.PrivateKey? = nil, cert: Certificate? = nil) throws -> [UInt8] {
        let req = CertificateInstallationReq(
            id: "ID1", oemProvisioningCert: try (cert ?? oemProv).derBytes,
            listOfRootCertificateIDs: ProvisioningPKI.rootIDs)
        let signature = try ISO2Signature.sign([.certificateInstallationReq(req)], with: .p256(key ?? oemKey))
        return try ISO2Document.v2gMessage(V2GMessage(
            header: MessageHeader(sessionID: [9, 8, 7, 6, 5, 4, 3, 2], signature: signature),
            body: Body(bodyElement: .certificateInstallationReq(req)))).exiEncoded()
    }
}

struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Decodes a provisioning response as the EV does: CPS signature, decryption with `recipientKey`.
func evSide(_ bytes: [UInt8], recipientKey: P256.Signing.PrivateKey, update: Bool) throws -> (ResponseCode, P256.Signing.PrivateKey?, Certificate?, String) {
    guard case .v2gMessage(let m) = try ISO2Document(exi: bytes), let signature = m.header.signature else {
        Issue.record("not a signed V2G message")
        return (.failed, nil, nil, "")
    }
    let code: ResponseCode
    let sa: CertificateChain, chain: CertificateChain, key: ContractSignatureEncryptedPrivateKey, dh: DiffieHellmanPublickey, emaid: ISO2Messages.EMAID
    let fragments: [ISO2Fragment]
    switch m.body.bodyElement {
    case .certificateInstallationRes(let r)? where !update:
        (code, sa, chain, key, dh, emaid) = (r.responseCode, r.saProvisioningCertificateChain, r.contractSignatureCertChain, r.contractSignatureEncryptedPrivateKey, r.dHpublickey, r.eMAID)
        fragments = ISO2Signature.fragments(of: r)
    case .certificateUpdateRes(let r)? where update:
        (code, sa, chain, key, dh, emaid) = (r.responseCode, r.saProvisioningCertificateChain, r.contractSignatureCertChain, r.contractSignatureEncryptedPrivateKey, r.dHpublickey, r.eMAID)
        fragments = ISO2Signature.fragments(of: r)
    default:
        Issue.record("unexpected body")
        return (.failed, nil, nil, "")
    }
    #expect(signature.signedInfo.reference.map { $0.uri } == ["#id1", "#id2", "#id3", "#id4"])
    try ISO2Signature.verify(signature, fragments: fragments, key: try V2GVerifyingKey(certificateDER: sa.certificate))
    guard code == .ok else { return (code, nil, nil, emaid.value) }
    let decrypted = try ISO2ContractKeyEncryption.decrypt(
        EncryptedContractKey(encryptedPrivateKey: key.value, dhPublicKey: dh.value),
        with: try P256.KeyAgreement.PrivateKey(rawRepresentation: recipientKey.rawRepresentation))
    return (code, decrypted, try Certificate(derEncoded: chain.certificate), emaid.value)
}

@Suite("Contract provisioning (CertificateInstallation / CertificateUpdate, ISO 15118-2)")
struct ContractProvisioningTests {
    static let pcid = "WMIV1234567890ABCD"

    @Test("[V2G2-897][V2G2-818] installation: verified request → contract from MO Sub-CA 2, key decryptable by the EV, CPS-signed response")
    func install() throws {
        let pki = try ProvisioningPKI(pcid: Self.pcid)
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        var pool = ContractPool()
        pool.register(Vehicle(pcid: try PCID(Self.pcid), customerID: "c1"))
        var rng = SeededRNG(state: 1)
        var sequence: UInt64 = 41
        let outcome = try pki.provisioning().install(
            requestEXI: try pki.installationRequest(), pool: &pool, nextSequence: { sequence += 1; return sequence },
            now: ProvisioningPKI.now, using: &rng)
        #expect(outcome.responseCode == .ok)
        let (code, key, cert, emaid) = try evSide(outcome.responseEXI, recipientKey: pki.oemKey, update: false)
        #expect(code == .ok)
        let contractKey = try #require(key)
        let contractCert = try #require(cert)
        #expect(Certificate.PublicKey(contractKey.publicKey) == contractCert.publicKey)
        #expect(emaid == "DE8AA000000016" + String(try EMAID("DE8AA000000016").checkDigit))
        #expect(contractCert.issuer == pki.moSub2.certificate.subject)
        let contract = try #require(pool.contracts(for: try PCID(Self.pcid)).first)
        #expect(contract.emaid.normalized == emaid && contract.status == .active)
        #expect(contract.certificateChain.count == 3)
        // The contract chain validates to the MO root as a contract certificate.
        let chain = try contract.certificateChain.map { try Certificate(derEncoded: $0) }
        guard case .success = ChainValidator(roots: [pki.moRoot]).validateOffline(chain: chain, at: ProvisioningPKI.now, role: .contract) else {
            Issue.record("contract chain does not validate")
            return
        }
    }

    @Test("[V2G2-919] update: signed with the current contract key → fresh contract certificate encrypted for the old key; cancel revokes")
    func updateAndCancel() throws {
        let pki = try ProvisioningPKI(pcid: Self.pcid)
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        let provisioning = try pki.provisioning()
        var pool = ContractPool()
        pool.register(Vehicle(pcid: try PCID(Self.pcid), customerID: "c1"))
        var rng = SeededRNG(state: 2)
        let installed = provisioning.install(requestEXI: try pki.installationRequest(), pool: &pool, nextSequence: { 7 }, now: ProvisioningPKI.now, using: &rng)
        let (_, oldKeyOpt, _, emaidText) = try evSide(installed.responseEXI, recipientKey: pki.oemKey, update: false)
        let oldKey = try #require(oldKeyOpt)
        let contract = try #require(installed.contract)
        let req = CertificateUpdateReq(
            id: "ID1", contractSignatureCertChain: CertificateChain(
                certificate: contract.certificateChain[0], subCertificates: SubCertificates(certificate: Array(contract.certificateChain.dropFirst()))),
            eMAID: emaidText, listOfRootCertificateIDs: ProvisioningPKI.rootIDs)
        func message(_ key: P256.Signing.PrivateKey) throws -> [UInt8] {
            let signature = try ISO2Signature.sign([.certificateUpdateReq(req)], with: .p256(key))
            return try ISO2Document.v2gMessage(V2GMessage(header: MessageHeader(sessionID: [1, 1, 1, 1, 1, 1, 1, 1], signature: signature),
                                                          body: Body(bodyElement: .certificateUpdateReq(req)))).exiEncoded()
        }
        let wrong = provisioning.update(requestEXI: try message(pki.oemKey), pool: &pool, now: ProvisioningPKI.now, using: &rng)
        #expect(wrong.responseCode == .failedSignatureError)
        let updated = provisioning.update(requestEXI: try message(oldKey), pool: &pool, now: ProvisioningPKI.now, using: &rng)
        #expect(updated.responseCode == .ok)
        let (code, newKey, newCert, emaid2) = try evSide(updated.responseEXI, recipientKey: oldKey, update: true)
        #expect(code == .ok && emaid2 == emaidText)
        #expect(Certificate.PublicKey(try #require(newKey).publicKey) == (try #require(newCert)).publicKey)
        #expect(newKey?.rawRepresentation != oldKey.rawRepresentation)
        // Cancelling revokes the current certificate in MO Sub-CA 2's database; a later update is refused.
        let cancelled = try provisioning.cancel(emaid: try EMAID(emaidText), pool: &pool, at: ProvisioningPKI.now)
        #expect(cancelled.status == .cancelled)
        let serial = try #require(cancelled.certificateSerial)
        guard case .revoked = try pki.moSub2.status(of: Certificate.SerialNumber(bytes: serial)) else {
            Issue.record("certificate not revoked")
            return
        }
        let after = provisioning.update(requestEXI: try message(oldKey), pool: &pool, now: ProvisioningPKI.now, using: &rng)
        #expect(after.responseCode == .failedContractCanceled)
        #expect { try provisioning.cancel(emaid: try EMAID(emaidText), pool: &pool, at: ProvisioningPKI.now) } throws: {
            ($0 as? EMSPError)?.code == .invalidState
        }
    }

    @Test("[V2G2-897] refusals carry FAILED_NoCertificateAvailable / FAILED_SignatureError / FAILED_CertChainError in a signed response")
    func refusals() throws {
        let pki = try ProvisioningPKI(pcid: Self.pcid)
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        let provisioning = try pki.provisioning()
        var rng = SeededRNG(state: 3)
        var empty = ContractPool()
        let unknown = provisioning.install(requestEXI: try pki.installationRequest(), pool: &empty, nextSequence: { 1 }, now: ProvisioningPKI.now, using: &rng)
        #expect(unknown.responseCode == .failedNoCertificateAvailable && unknown.contract == nil)
        #expect(try evSide(unknown.responseEXI, recipientKey: pki.oemKey, update: false).0 == .failedNoCertificateAvailable)

        var pool = ContractPool()
        pool.register(Vehicle(pcid: try PCID(Self.pcid), customerID: "c1"))
        let badSig = provisioning.install(requestEXI: try pki.installationRequest(signedWith: P256.Signing.PrivateKey()), pool: &pool, nextSequence: { 1 }, now: ProvisioningPKI.now, using: &rng)
        #expect(badSig.responseCode == .failedSignatureError)

        // A provisioning certificate from a root that is not configured.
        let other = try ProvisioningPKI(pcid: Self.pcid)
        defer { try? FileManager.default.removeItem(atPath: other.directory) }
        let foreign = provisioning.install(
            requestEXI: try pki.installationRequest(signedWith: other.oemKey, cert: other.oemProv), pool: &pool, nextSequence: { 1 },
            now: ProvisioningPKI.now, using: &rng)
        #expect(foreign.responseCode == .failedCertChainError)
        #expect(try evSide(foreign.responseEXI, recipientKey: pki.oemKey, update: false).0 == .failedCertChainError)

        let garbage = provisioning.install(requestEXI: [0x80, 0x98, 0x02], pool: &pool, nextSequence: { 1 }, now: ProvisioningPKI.now, using: &rng)
        #expect(garbage.responseCode == .failed || garbage.responseCode == .failedSequenceError)
        #expect(pool.contracts(for: try PCID(Self.pcid)).isEmpty)
    }

    @Test("[EMSP] the contract pool holds several contracts per vehicle and refuses unknown vehicles")
    func pool() throws {
        var pool = ContractPool()
        let pcid = try PCID(Self.pcid)
        let now = ProvisioningPKI.now
        #expect { try pool.upsert(Contract(emaid: try EMAID("DE8AA0012345670"), pcid: pcid, customerID: "c", validFrom: now, validTo: now + 10)) } throws: {
            ($0 as? EMSPError)?.code == .notFound
        }
        pool.register(Vehicle(pcid: pcid, customerID: "c"))
        try pool.upsert(Contract(emaid: try EMAID("DE8AA0012345670"), pcid: pcid, customerID: "c", validFrom: now, validTo: now + 10))
        try pool.upsert(Contract(emaid: try EMAID("FRXYZ123456789"), pcid: pcid, customerID: "fleet", validFrom: now, validTo: now + 10))
        #expect(pool.contracts(for: pcid).count == 2)
        #expect(pool.contract(emaid: try EMAID("FRXYZ123456789"))?.customerID == "fleet")
        #expect(pool.contracts(for: pcid).allSatisfy { $0.isUsable(at: now + 5) && !$0.isUsable(at: now + 10) })
    }
}

@Suite("Contract provisioning under mutated requests")
struct ContractProvisioningMutationTests {
    @Test("[V2G2-897] seeded mutation: flipped or truncated CertificateInstallationReq messages are refused with a response code, never a crash or a contract")
    func mutation() throws {
        let pki = try ProvisioningPKI(pcid: ContractProvisioningTests.pcid)
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        let provisioning = try pki.provisioning()
        let request = try pki.installationRequest()
        var rng = SeededRNG(state: 0x15118)
        var refused = 0
        for round in 0..<150 {
            var m = request
            if round % 3 == 2 {
                m = Array(m.prefix(Int(rng.next() % UInt64(m.count))))
            } else {
                let bit = Int(rng.next() % UInt64(m.count * 8))
                m[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            var pool = ContractPool()
            pool.register(Vehicle(pcid: try PCID(ContractProvisioningTests.pcid), customerID: "c1"))
            let outcome = provisioning.install(requestEXI: m, pool: &pool, nextSequence: { 1 }, now: ProvisioningPKI.now, using: &rng)
            if outcome.responseCode == .ok {
                // Only a flip outside the signed content (e.g. the session id or padding) may still succeed.
                #expect(outcome.contract != nil)
            } else {
                refused += 1
                let pcid = try PCID(ContractProvisioningTests.pcid)
                #expect(outcome.contract == nil && pool.contracts(for: pcid).isEmpty)
                #expect(!outcome.responseEXI.isEmpty)
            }
        }
        #expect(refused > 100)
    }
}
