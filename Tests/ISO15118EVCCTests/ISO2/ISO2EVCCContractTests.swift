import Crypto
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO2Messages
import PnCCore
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509

/// Plug & Charge between our EVCC and our SECC machines over the EXI codec, with an MO chain built in code.
@Suite struct ISO2EVCCContractTests {
    typealias Session = ISO2EVCCStateMachineTests
    static let now: Double = 1_800_000_000

    /// A CA in memory, or with its OCSP/CRL database in `directory` (for revocations).
    static func authority(
        _ role: CertificateRole, _ cn: String, parent: CertificateAuthority?, directory: String? = nil
    ) throws -> CertificateAuthority {
        var rng = SystemRandomNumberGenerator()
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try CertificateIssuer.subject(commonName: cn, role: role)
        let cert: Certificate
        if let parent {
            cert = try parent.issue(
                role: role, subject: subject, publicKey: key.publicKey, validityDays: 1000, now: Date(timeIntervalSince1970: now),
                using: &rng)
        } else {
            let date = Date(timeIntervalSince1970: now)
            cert = try CertificateIssuer(profile: .iso15118_2).issue(
                IssuanceRequest(
                    role: role, subject: subject, publicKey: key.publicKey, serialNumber: Certificate.SerialNumber(bytes: [1]),
                    notBefore: date - 86_400, notAfter: date + 3650 * 86_400),
                issuer: nil, issuerKey: key)
        }
        return CertificateAuthority(
            role: role, certificate: cert, chainBelowRoot: parent.map { [cert] + $0.chainBelowRoot } ?? [], key: key,
            directory: directory, profile: .iso15118_2, ocspURL: "http://127.0.0.1/ocsp", crlURL: "http://127.0.0.1/crl")
    }

    /// An MO root and a contract for `eMAID` valid for `days` from ``now``.
    static func contract(eMAID: String = "DEABCC12345678X", days: Int = 365) throws -> (Certificate, StoredContract) {
        var rng = SystemRandomNumberGenerator()
        let root = try authority(.moRoot, "MORootCA", parent: nil)
        let sub2 = try authority(.moSubCA2, "MOSubCA2", parent: try authority(.moSubCA1, "MOSubCA1", parent: root))
        let key = P256.Signing.PrivateKey()
        let leaf = try sub2.issue(
            role: .contract, subject: try CertificateIssuer.subject(commonName: eMAID, role: .contract),
            publicKey: Certificate.PublicKey(key.publicKey), validityDays: days, now: Date(timeIntervalSince1970: now), using: &rng)
        let chain = try ([leaf] + sub2.chainBelowRoot).map { try $0.derBytes }
        return (root.certificate, try StoredContract(eMAID: eMAID, chainDER: chain, key: .p256(key)))
    }

    @Test("[V2G2-476] [V2G2-475] [V2G2-798] Contract DC: PaymentDetails, signed AuthorizationReq, signed MeteringReceipt, SessionStop")
    func contractDC() throws {
        let (root, contract) = try Self.contract()
        let transcript = try Session.run(Session.dc, mode: .dcExtended, contract: contract, contractRoots: [root], start: Self.now)
        #expect(transcript.outcome == .finished)
        #expect(transcript.evcc.selectedPayment == .contract)
        #expect(transcript.requests.prefix(6) == [
            "sessionSetupReq", "serviceDiscoveryReq", "paymentServiceSelectionReq", "paymentDetailsReq", "authorizationReq",
            "chargeParameterDiscoveryReq",
        ])
        #expect(transcript.requests.filter { $0 == "meteringReceiptReq" }.count == 1)
        #expect(transcript.transactionStarted && transcript.transactionEnded)
    }

    @Test("[V2G2-475] a vehicle signing a GenChallenge other than the SECC's is refused FAILED_ChallengeInvalid; one whose AuthorizationReq signature is altered FAILED_SignatureError; no transaction starts")
    func misbehavingVehicle() throws {
        let (root, contract) = try Self.contract()
        let foreign = try Session.run(
            Session.dc, mode: .dcExtended, contract: contract, contractRoots: [root], start: Self.now,
            misbehaviour: .foreignGenChallenge(Array(100..<116)))
        #expect(foreign.outcome == .fail(.responseCode(.failedChallengeInvalid, answering: "AuthorizationRes")))
        #expect(!foreign.transactionStarted)
        let tampered = try Session.run(
            Session.dc, mode: .dcExtended, contract: contract, contractRoots: [root], start: Self.now,
            misbehaviour: .tamperedAuthorizationSignature)
        #expect(tampered.outcome == .fail(.responseCode(.failedSignatureError, answering: "AuthorizationRes")))
        #expect(!tampered.transactionStarted)
    }

    @Test("Contract AC: ChargingStatus loop with one signed MeteringReceipt")
    func contractAC() throws {
        let (root, contract) = try Self.contract()
        let transcript = try Session.run(Session.ac, mode: .acThreePhaseCore, contract: contract, contractRoots: [root], start: Self.now)
        #expect(transcript.outcome == .finished)
        #expect(transcript.requests.contains("meteringReceiptReq"))
    }

    @Test("[V2G2-476] A contract to a root the SECC does not hold ends with FAILED_NoCertificateAvailable")
    func unknownRoot() throws {
        let (_, contract) = try Self.contract()
        let (otherRoot, _) = try Self.contract()
        let transcript = try Session.run(Session.dc, mode: .dcExtended, contract: contract, contractRoots: [otherRoot], start: Self.now)
        #expect(transcript.outcome == .fail(.responseCode(.failedNoCertificateAvailable, answering: "PaymentDetailsRes")))
    }

    @Test("The contract store picks the preferred valid contract and skips expired ones")
    func storeSelection() throws {
        let (_, expired) = try Self.contract(eMAID: "DEABCC00000001X", days: 1)
        let (_, valid) = try Self.contract(eMAID: "DEABCC00000002X", days: 365)
        var store = ContractStore([expired, valid])
        #expect(store.select(now: Self.now + 10 * 86_400)?.eMAID == "DEABCC00000002X")
        #expect(store.select(now: Self.now + 400 * 86_400) == nil)
        store.store(expired)
        #expect(store.contracts.first?.eMAID == "DEABCC00000001X")
        #expect(store.contracts.count == 2)
        #expect(throws: EVCCError.self) { try StoredContract(eMAID: "X", chainDER: [], key: valid.key) }
    }
}
