import Crypto
import EXI
import Foundation
import ISO15118SECC
import ISO2Messages
import PnCCore
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

/// A -2 MO chain built in code: MO root → Sub-CA 1 → Sub-CA 2 → contract leaf (CN = eMAID).
struct ContractTestPKI {
    static let now: Double = 1_800_000_000
    static let eMAID = "DEABCC12345678X"
    let moRoot: Certificate
    let chain: CertificateChain
    let contractKey: P256.Signing.PrivateKey

    static func root(_ role: CertificateRole, _ cn: String) throws -> CertificateAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let date = Date(timeIntervalSince1970: now)
        let request = IssuanceRequest(
            role: role, subject: try CertificateIssuer.subject(commonName: cn, role: role), publicKey: key.publicKey,
            serialNumber: Certificate.SerialNumber(bytes: [1]), notBefore: date - 86_400, notAfter: date + 3650 * 86_400)
        let cert = try CertificateIssuer(profile: .iso15118_2).issue(request, issuer: nil, issuerKey: key)
        return CertificateAuthority(
            role: role, certificate: cert, chainBelowRoot: [], key: key, directory: nil, profile: .iso15118_2,
            ocspURL: "http://127.0.0.1/ocsp", crlURL: "http://127.0.0.1/crl")
    }

    static func sub(_ parent: CertificateAuthority, _ role: CertificateRole, _ cn: String) throws -> CertificateAuthority {
        var rng = SystemRandomNumberGenerator()
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let cert = try parent.issue(
            role: role, subject: try CertificateIssuer.subject(commonName: cn, role: role), publicKey: key.publicKey,
            validityDays: 1000, now: Date(timeIntervalSince1970: now), using: &rng)
        return CertificateAuthority(
            role: role, certificate: cert, chainBelowRoot: [cert] + parent.chainBelowRoot, key: key, directory: nil,
            profile: .iso15118_2, ocspURL: "http://127.0.0.1/ocsp", crlURL: "http://127.0.0.1/crl")
    }

    init(eMAID: String = Self.eMAID, validityDays: Int = 365) throws {
        var rng = SystemRandomNumberGenerator()
        let root = try Self.root(.moRoot, "MORootCA")
        let sub2 = try Self.sub(try Self.sub(root, .moSubCA1, "MOSubCA1"), .moSubCA2, "MOSubCA2")
        let key = P256.Signing.PrivateKey()
        let leaf = try sub2.issue(
            role: .contract, subject: try CertificateIssuer.subject(commonName: eMAID, role: .contract),
            publicKey: Certificate.PublicKey(key.publicKey), validityDays: validityDays,
            now: Date(timeIntervalSince1970: Self.now), using: &rng)
        self.moRoot = root.certificate
        self.contractKey = key
        self.chain = CertificateChain(
            certificate: try leaf.derBytes,
            subCertificates: SubCertificates(certificate: try sub2.chainBelowRoot.map { try $0.derBytes }))
    }
}


@Suite struct ISO2SECCContractTests {
    typealias Base = ISO2SECCStateMachineTests
    typealias Machine = ISO2SECCStateMachine
    static let challenge: [UInt8] = Array(1...16)

    static func machine(roots: [Certificate]) -> Machine {
        Machine(
            configuration: .init(
                evseID: "DE*ABC*E1", evseNumber: 1, capabilities: Base.dcCapabilities,
                paymentOptions: [.contract, .externalPayment], contractRoots: roots),
            proposedSessionID: Base.sessionID, traceID: Base.trace, genChallenge: challenge)
    }

    static func paymentDetails(_ pki: ContractTestPKI, eMAID: String = ContractTestPKI.eMAID) -> V2GMessage {
        Base.request(.paymentDetailsReq(PaymentDetailsReq(eMAID: eMAID, contractSignatureCertChain: pki.chain)))
    }

    static func signedAuthorization(
        key: P256.Signing.PrivateKey, challenge: [UInt8] = challenge, id: String = "ID1"
    ) throws -> V2GMessage {
        let req = AuthorizationReq(id: id, genChallenge: challenge)
        let signature = try ISO2Signature.sign([.authorizationReq(req)], with: .p256(key))
        return V2GMessage(
            header: MessageHeader(sessionID: Base.sessionID, signature: signature),
            body: Body(bodyElement: .authorizationReq(req)))
    }

    /// A machine that has accepted Contract in PaymentServiceSelection.
    static func atPaymentDetails(_ pki: ContractTestPKI, roots: [Certificate]? = nil) -> Machine {
        var machine = machine(roots: roots ?? [pki.moRoot])
        _ = machine.received(Base.sessionSetup, now: ContractTestPKI.now)
        _ = machine.received(Base.serviceDiscovery, now: ContractTestPKI.now)
        _ = machine.received(Base.paymentSelection(.contract), now: ContractTestPKI.now)
        return machine
    }

    @Test("[V2G2-476] [V2G2-475] Contract: PaymentDetails returns the GenChallenge, the signed AuthorizationReq asks the backend with the contract and, decided within the budget, is answered Finished")
    func contractHappyPath() throws {
        let pki = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki)
        let details = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        guard case .paymentDetailsRes(let res)? = Base.body(details) else {
            Issue.record("expected PaymentDetailsRes, got \(details)")
            return
        }
        #expect(res.responseCode == .ok)
        #expect(res.genChallenge == Self.challenge)
        let auth = machine.received(try Self.signedAuthorization(key: pki.contractKey), now: ContractTestPKI.now + 2)
        guard case .authorize(let request, let ongoing, _) = auth else {
            Issue.record("expected a backend authorization, got \(auth)")
            return
        }
        guard case .contract(let eMAID, let pem, let hashData) = request.identification else {
            Issue.record("expected contract identification")
            return
        }
        #expect(eMAID == ContractTestPKI.eMAID)
        #expect(hashData.count == 3)
        #expect(pem.components(separatedBy: "BEGIN CERTIFICATE").count == 4)
        #expect(request.traceID == Base.trace)
        guard case .authorizationRes(let ongoingRes)? = ongoing.body.bodyElement else {
            Issue.record("expected AuthorizationRes")
            return
        }
        #expect(ongoingRes.evseProcessing == .ongoing, "the answer for a backend slower than the budget")
        _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted, certificateStatus: .accepted))
        let doneAction = machine.decidedAuthorization(now: ContractTestPKI.now + 2)
        let done = try #require(doneAction)
        #expect(Base.responseCode(done) == .ok)
        #expect(!Base.isClosing(done))
        guard case .authorizationRes(let finished)? = Base.body(done) else {
            Issue.record("expected AuthorizationRes")
            return
        }
        #expect(finished.evseProcessing == .finished)
    }

    @Test("[V2G2-476] PaymentDetails with a chain to an unknown MO root gets FAILED_NoCertificateAvailable")
    func unknownRoot() throws {
        let pki = try ContractTestPKI()
        let other = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki, roots: [other.moRoot])
        let action = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        #expect(Base.responseCode(action) == .failedNoCertificateAvailable)
        #expect(Base.isClosing(action))
    }

    @Test("[V2G2-476] PaymentDetails with an expired contract gets FAILED_CertificateExpired")
    func expiredContract() throws {
        let pki = try ContractTestPKI(validityDays: 10)
        var machine = Self.atPaymentDetails(pki)
        let action = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 20 * 86_400)
        #expect(Base.responseCode(action) == .failedCertificateExpired)
        #expect(Base.isClosing(action))
    }

    @Test("[V2G2-477] PaymentDetails whose eMAID differs from the contract certificate's CN gets FAILED_CertChainError")
    func eMAIDMismatch() throws {
        let pki = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki)
        let action = machine.received(Self.paymentDetails(pki, eMAID: "DEABCC99999999X"), now: ContractTestPKI.now + 1)
        #expect(Base.responseCode(action) == .failedCertChainError)
    }

    @Test("[V2G2-476] PaymentDetails with a tampered contract certificate gets FAILED_CertChainError")
    func tamperedContract() throws {
        var pki = try ContractTestPKI()
        var der = pki.chain.certificate
        der[der.count - 3] ^= 0x01  // inside the signature value
        pki = ContractTestPKI(copying: pki, leafDER: der)
        var machine = Self.atPaymentDetails(pki)
        let action = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        #expect(Base.responseCode(action) == .failedCertChainError)
    }

    @Test("[V2G2-475] AuthorizationReq signed with another key gets FAILED_SignatureError")
    func wrongSignature() throws {
        let pki = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki)
        _ = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        let action = machine.received(
            try Self.signedAuthorization(key: P256.Signing.PrivateKey()), now: ContractTestPKI.now + 2)
        #expect(Base.responseCode(action) == .failedSignatureError)
        #expect(Base.isClosing(action))
    }

    @Test("[V2G2-475] AuthorizationReq without a signature gets FAILED_SignatureError")
    func missingSignature() throws {
        let pki = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki)
        _ = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        let unsigned = Base.request(.authorizationReq(AuthorizationReq(id: "ID1", genChallenge: Self.challenge)))
        #expect(Base.responseCode(machine.received(unsigned, now: ContractTestPKI.now + 2)) == .failedSignatureError)
    }

    @Test("[V2G2-475] AuthorizationReq with a replayed (other) GenChallenge gets FAILED_ChallengeInvalid")
    func replayedChallenge() throws {
        let pki = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki)
        _ = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        let old = try Self.signedAuthorization(key: pki.contractKey, challenge: Array(repeating: 7, count: 16))
        let action = machine.received(old, now: ContractTestPKI.now + 2)
        #expect(Base.responseCode(action) == .failedChallengeInvalid)
        #expect(Base.isClosing(action))
    }

    @Test("[V2G2 AuthorizationRes] Contract: the backend's refusal within the budget is the first AuthorizationRes (FAILED_CertificateRevoked, FAILED_ContractCanceled, FAILED_NoCertificateAvailable, FAILED), closing", arguments: [
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .certificateRevoked), ResponseCode.failedCertificateRevoked),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .contractCancelled), .failedContractCanceled),
        (BackendAuthorizationDecision(status: .unknown, certificateStatus: .noCertificateAvailable), .failedNoCertificateAvailable),
        (BackendAuthorizationDecision(status: .blocked, certificateStatus: .accepted), .failed),
    ])
    func refusedWithinBudget(decision: BackendAuthorizationDecision, expected: ResponseCode) throws {
        let pki = try ContractTestPKI()
        var machine = Self.atPaymentDetails(pki)
        _ = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        guard case .authorize = machine.received(try Self.signedAuthorization(key: pki.contractKey), now: ContractTestPKI.now + 2)
        else {
            Issue.record("expected a backend authorization")
            return
        }
        _ = machine.backendAuthorized(decision)
        let firstAction = machine.decidedAuthorization(now: ContractTestPKI.now + 2)
        let first = try #require(firstAction)
        guard case .authorizationRes(let res)? = Base.body(first) else {
            Issue.record("expected AuthorizationRes, got \(first)")
            return
        }
        #expect(res.responseCode == expected)
        #expect(res.evseProcessing == .finished)
        #expect(Base.isClosing(first))
        #expect(machine.isClosed)
    }

    @Test("[V2G2-475] While Ongoing (a backend slower than the budget), a bare repeated AuthorizationReq (no Id, GenChallenge, signature) is answered; as the first one it gets FAILED_ChallengeInvalid")
    func bareRepeatAfterVerified() throws {
        let pki = try ContractTestPKI()
        let bare = Base.request(.authorizationReq(AuthorizationReq()))
        var first = Self.atPaymentDetails(pki)
        _ = first.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        let refused = first.received(bare, now: ContractTestPKI.now + 2)
        #expect(Base.responseCode(refused) == .failedChallengeInvalid)
        #expect(Base.isClosing(refused))

        var machine = Self.atPaymentDetails(pki)
        _ = machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        let signed = machine.received(try Self.signedAuthorization(key: pki.contractKey), now: ContractTestPKI.now + 2)
        guard case .authorize = signed else {
            Issue.record("expected a backend authorization, got \(signed)")
            return
        }
        let stillOngoing = machine.received(bare, now: ContractTestPKI.now + 3)
        guard case .authorizationRes(let ongoing)? = Base.body(stillOngoing) else {
            Issue.record("expected AuthorizationRes, got \(stillOngoing)")
            return
        }
        #expect(ongoing.responseCode == .ok)
        #expect(ongoing.evseProcessing == .ongoing)
        _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted, certificateStatus: .accepted))
        let done = machine.received(bare, now: ContractTestPKI.now + 4)
        guard case .authorizationRes(let finished)? = Base.body(done) else {
            Issue.record("expected AuthorizationRes, got \(done)")
            return
        }
        #expect(finished.responseCode == .ok)
        #expect(finished.evseProcessing == .finished)
        // a repeat that carries a GenChallenge is checked again
        var replay = Self.atPaymentDetails(pki)
        _ = replay.received(Self.paymentDetails(pki), now: ContractTestPKI.now + 1)
        _ = replay.received(try Self.signedAuthorization(key: pki.contractKey), now: ContractTestPKI.now + 2)
        let other = try Self.signedAuthorization(key: pki.contractKey, challenge: Array(repeating: 7, count: 16))
        #expect(Base.responseCode(replay.received(other, now: ContractTestPKI.now + 3)) == .failedChallengeInvalid)
    }

    @Test("Contract selected when no MO roots are installed gets FAILED_PaymentSelectionInvalid")
    func contractWithoutRoots() throws {
        var machine = Self.machine(roots: [])
        _ = machine.received(Base.sessionSetup, now: ContractTestPKI.now)
        _ = machine.received(Base.serviceDiscovery, now: ContractTestPKI.now)
        let action = machine.received(Base.paymentSelection(.contract), now: ContractTestPKI.now)
        #expect(Base.responseCode(action) == .failedPaymentSelectionInvalid)
    }

    @Test("PaymentDetailsReq in an EIM session is out of sequence")
    func paymentDetailsInEIM() throws {
        let pki = try ContractTestPKI()
        var machine = Self.machine(roots: [pki.moRoot])
        _ = machine.received(Base.sessionSetup, now: ContractTestPKI.now)
        _ = machine.received(Base.serviceDiscovery, now: ContractTestPKI.now)
        _ = machine.received(Base.paymentSelection(.externalPayment), now: ContractTestPKI.now)
        #expect(Base.responseCode(machine.received(Self.paymentDetails(pki), now: ContractTestPKI.now)) == .failedSequenceError)
    }
}

extension ContractTestPKI {
    init(copying other: ContractTestPKI, leafDER: [UInt8]) {
        self.moRoot = other.moRoot
        self.contractKey = other.contractKey
        self.chain = CertificateChain(certificate: leafDER, subCertificates: other.chain.subCertificates)
    }
}

@Suite struct ISO2SECCContractExchangeTests {
    typealias Base = ISO2SECCStateMachineTests
    typealias Contract = ISO2SECCContractTests
    typealias Loop = ISO2SECCChargeLoopTests

    static let installation = Base.request(
        .certificateInstallationReq(
            CertificateInstallationReq(
                id: "ID1", oemProvisioningCert: [0x30, 0x00],
                listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                    X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 1)
                ]))))

    static func installationResponse(code: ResponseCode = .ok) throws -> [UInt8] {
        let chain = CertificateChain(id: "ID2", certificate: [0x30, 0x00])
        let res = CertificateInstallationRes(
            responseCode: code, saProvisioningCertificateChain: CertificateChain(certificate: [0x30, 0x00]),
            contractSignatureCertChain: chain,
            contractSignatureEncryptedPrivateKey: ContractSignatureEncryptedPrivateKey(id: "ID3", value: Array(repeating: 1, count: 48)),
            dHpublickey: DiffieHellmanPublickey(id: "ID4", value: [4] + Array(repeating: 2, count: 64)),
            eMAID: EMAID(id: "ID5", value: ContractTestPKI.eMAID))
        let message = V2GMessage(header: MessageHeader(sessionID: [9, 9, 9, 9, 9, 9, 9, 9]), body: Body(bodyElement: .certificateInstallationRes(res)))
        return try ISO2Document.v2gMessage(message).exiEncoded()
    }

    @Test("[V2G2-544] CertificateInstallationReq is relayed as EXI and the backend's body is forwarded under the session's header")
    func installationRelayed() throws {
        let pki = try ContractTestPKI()
        var machine = Contract.atPaymentDetails(pki)
        let action = machine.received(Self.installation, now: ContractTestPKI.now + 1)
        guard case .exchangeCertificate(let request) = action else {
            Issue.record("expected a certificate exchange, got \(action)")
            return
        }
        #expect(request.action == .install)
        #expect(request.schemaVersion == "urn:iso:15118:2:2013:MsgDef")
        #expect(request.traceID == Base.trace)
        #expect(try ISO2Document(exi: request.exiRequest) == .v2gMessage(Self.installation))
        let forwarded = machine.certificateExchanged(
            CertificateExchangeResult(status: .accepted, exiResponse: try Self.installationResponse()))
        guard case .send(let message, _) = forwarded, case .certificateInstallationRes(let res)? = message.body.bodyElement else {
            Issue.record("expected CertificateInstallationRes, got \(forwarded)")
            return
        }
        #expect(res.responseCode == .ok)
        #expect(message.header.sessionID == Base.sessionID)
        // The session continues with PaymentDetails.
        #expect(Base.responseCode(machine.received(Contract.paymentDetails(pki), now: ContractTestPKI.now + 2)) == .ok)
    }

    /// The CertificateInstallationRes or CertificateUpdateRes of a closing action, encoded and decoded again.
    static func refusal(_ action: ISO2SECCStateMachine.Action) throws -> (ResponseCode, BodyElement)? {
        guard case .sendAndClose(let message) = action else { return nil }
        guard case .v2gMessage(let decoded) = try ISO2Document(exi: try ISO2Document.v2gMessage(message).exiEncoded()),
            let body = decoded.body.bodyElement
        else { return nil }
        #expect(decoded.header.sessionID == Base.sessionID)
        switch body {
        case .certificateInstallationRes(let res): return (res.responseCode, body)
        case .certificateUpdateRes(let res): return (res.responseCode, body)
        default: return nil
        }
    }

    static let update = Base.request(
        .certificateUpdateReq(
            CertificateUpdateReq(
                id: "ID1", contractSignatureCertChain: CertificateChain(id: "ID2", certificate: [0x30, 0x00]),
                eMAID: ContractTestPKI.eMAID,
                listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                    X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 1)
                ]))))

    @Test("[V2G2-544] A failed or timed-out certificate exchange is answered with ResponseCode FAILED (schema-valid CertificateInstallationRes / CertificateUpdateRes), then the session ends")
    func exchangeFailure() throws {
        let pki = try ContractTestPKI()
        var failed = Contract.atPaymentDetails(pki)
        _ = failed.received(Self.installation, now: ContractTestPKI.now + 1)
        let refused = failed.certificateExchanged(CertificateExchangeResult(status: .failed, exiResponse: []))
        let installRefusal = try #require(try Self.refusal(refused), "\(refused)")
        #expect(installRefusal.0 == .failed)
        guard case .certificateInstallationRes = installRefusal.1 else {
            Issue.record("expected CertificateInstallationRes, got \(installRefusal.1)")
            return
        }
        #expect(failed.isClosed)

        var timedOut = Contract.atPaymentDetails(pki)
        _ = timedOut.received(Self.installation, now: ContractTestPKI.now + 1)
        #expect(try Self.refusal(timedOut.certificateExchangeFailed())?.0 == .failed)
        #expect(timedOut.isClosed)

        var updateFailed = Contract.atPaymentDetails(pki)
        let relayed = updateFailed.received(Self.update, now: ContractTestPKI.now + 1)
        guard case .exchangeCertificate(let request) = relayed else {
            Issue.record("expected a certificate exchange, got \(relayed)")
            return
        }
        #expect(request.action == .update)
        let updateRefusal = try #require(try Self.refusal(updateFailed.certificateExchangeFailed()))
        #expect(updateRefusal.0 == .failed)
        guard case .certificateUpdateRes = updateRefusal.1 else {
            Issue.record("expected CertificateUpdateRes, got \(updateRefusal.1)")
            return
        }

        // The backend's own FAILED inside a valid response is forwarded and ends the session.
        var backendFailed = Contract.atPaymentDetails(pki)
        _ = backendFailed.received(Self.installation, now: ContractTestPKI.now + 1)
        let forwarded = backendFailed.certificateExchanged(
            CertificateExchangeResult(status: .accepted, exiResponse: try Self.installationResponse(code: .failed)))
        #expect(try Self.refusal(forwarded)?.0 == .failed)
        #expect(backendFailed.isClosed)
        // A specific refusal is forwarded with its code and, like every FAILED response, ends the session.
        var backendRefused = Contract.atPaymentDetails(pki)
        _ = backendRefused.received(Self.installation, now: ContractTestPKI.now + 1)
        let refusedAnswer = backendRefused.certificateExchanged(
            CertificateExchangeResult(
                status: .accepted, exiResponse: try Self.installationResponse(code: .failedNoCertificateAvailable)))
        guard case .sendAndClose(let message) = refusedAnswer, case .certificateInstallationRes(let res)? = message.body.bodyElement
        else {
            Issue.record("expected CertificateInstallationRes and the end of the session, got \(refusedAnswer)")
            return
        }
        #expect(res.responseCode == .failedNoCertificateAvailable)
        #expect(backendRefused.isClosed)
        // A late answer after the timeout is ignored.
        #expect(timedOut.certificateExchanged(CertificateExchangeResult(status: .accepted, exiResponse: try Self.installationResponse())) == .none)

        var garbage = Contract.atPaymentDetails(pki)
        _ = garbage.received(Self.installation, now: ContractTestPKI.now + 1)
        _ = garbage.certificateExchanged(CertificateExchangeResult(status: .accepted, exiResponse: [0x80, 0x98, 0xFF]))
        #expect(garbage.isClosed)
    }

    /// A Contract DC session in the charge loop, with ReceiptRequired asked once.
    static func charging(_ pki: ContractTestPKI) throws -> (ISO2SECCStateMachine, Bool) {
        var machine = ISO2SECCStateMachine(
            configuration: .init(
                evseID: "DE*ABC*E1", evseNumber: 1, capabilities: Base.dcCapabilities,
                paymentOptions: [.contract], contractRoots: [pki.moRoot], requiresMeteringReceipt: true),
            proposedSessionID: Base.sessionID, traceID: Base.trace, genChallenge: Contract.challenge)
        let t = ContractTestPKI.now
        _ = machine.received(Base.sessionSetup, now: t)
        _ = machine.received(Base.serviceDiscovery, now: t)
        _ = machine.received(Base.paymentSelection(.contract), now: t)
        _ = machine.received(Contract.paymentDetails(pki), now: t)
        _ = machine.received(try Contract.signedAuthorization(key: pki.contractKey), now: t)
        _ = machine.backendAuthorized(BackendAuthorizationDecision(status: .accepted, certificateStatus: .accepted))
        _ = machine.decidedAuthorization(now: t)
        _ = machine.received(Base.dcParameters, now: t + 2)
        _ = machine.received(Loop.cableCheck, now: t + 3)
        _ = machine.controllerAnswered(.isolation(.valid), now: t + 3)
        _ = machine.received(Loop.preCharge, now: t + 4)
        _ = machine.controllerAnswered(.output(OutputMeasurement(voltageV: 400, currentA: 2), Loop.meter), now: t + 4)
        _ = machine.received(Loop.powerDelivery(.start), now: t + 5)
        _ = machine.controllerAnswered(.contactorsSet(Loop.meter), now: t + 5)
        _ = machine.transactionStarted(id: "tx")
        _ = machine.received(Loop.currentDemand, now: t + 6)
        let demand = machine.controllerAnswered(.output(OutputMeasurement(voltageV: 400, currentA: 100), Loop.meter), now: t + 6)
        guard case .currentDemandRes(let res)? = Base.body(demand) else { return (machine, false) }
        return (machine, res.receiptRequired == true)
    }

    static func meteringReceipt(key: P256.Signing.PrivateKey) throws -> V2GMessage {
        let req = MeteringReceiptReq(id: "ID1", sessionID: Base.sessionID, saScheduleTupleID: 1, meterInfo: MeterInfo(meterID: "M1", meterReading: 1000))
        let signature = try ISO2Signature.sign([.meteringReceiptReq(req)], with: .p256(key))
        return V2GMessage(header: MessageHeader(sessionID: Base.sessionID, signature: signature), body: Body(bodyElement: .meteringReceiptReq(req)))
    }

    @Test("[V2G2-691] [V2G2-798] ReceiptRequired in a Contract session; a MeteringReceiptReq signed with the contract key is accepted")
    func meteringReceiptAccepted() throws {
        let pki = try ContractTestPKI()
        var (machine, asked) = try Self.charging(pki)
        #expect(asked)
        let action = machine.received(try Self.meteringReceipt(key: pki.contractKey), now: ContractTestPKI.now + 7)
        #expect(Base.responseCode(action) == .ok)
        #expect(!Base.isClosing(action))
    }

    @Test("[V2G2-798] A MeteringReceiptReq with a bad signature gets FAILED_MeteringSignatureNotValid")
    func meteringReceiptBadSignature() throws {
        let pki = try ContractTestPKI()
        var (machine, _) = try Self.charging(pki)
        let action = machine.received(try Self.meteringReceipt(key: P256.Signing.PrivateKey()), now: ContractTestPKI.now + 7)
        #expect(Base.responseCode(action) == .failedMeteringSignatureNotValid)
        #expect(Base.isClosing(action))
    }
}
