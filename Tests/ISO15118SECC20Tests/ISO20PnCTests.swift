import Crypto
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO20Messages
import PnCCore
import PnCTesting
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

@Suite struct ISO20PnCTests {
    typealias F = ISO20Fixtures
    static let challenge: [UInt8] = Array(0..<16)
    /// The session's time: one day into the PKI's validity.
    static let notBefore = Date(timeIntervalSince1970: Double(F.now) - 86_400)

    static func machine(_ pki: ContractPKI, roots: [Certificate]? = nil, providers: [String] = []) -> ISO20SECCStateMachine {
        var configuration = F.configuration
        configuration.pnc = ISO20PnCConfiguration(moRoots: roots ?? [pki.root], supportedProviders: providers)
        return ISO20SECCStateMachine(
            configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID, genChallenge: Self.challenge)
    }

    /// SessionSetup and AuthorizationSetup; returns the AuthorizationSetupRes.
    static func setUp(_ machine: inout ISO20SECCStateMachine) -> AuthorizationSetupRes? {
        _ = machine.received(F.sessionSetup, now: F.now)
        guard case .send(.authorizationSetup(let res), _) = machine.received(F.authorizationSetup, now: F.now) else { return nil }
        return res
    }

    static func authorize(
        _ pki: ContractPKI, machine: inout ISO20SECCStateMachine, challenge: [UInt8] = challenge,
        signingKey: P521.Signing.PrivateKey? = nil, signed: Bool = true
    ) throws -> ISO20SECCStateMachine.Action {
        _ = Self.setUp(&machine)
        let request = try pki.authorizationRequest(header: F.header(), challenge: challenge, signingKey: signingKey, signed: signed)
        let decoded = try #require(try ISO20Request(payloadType: request.payloadType, exi: request.exiEncoded()))
        return machine.received(decoded, now: F.now)
    }

    static func code(_ action: ISO20SECCStateMachine.Action) -> ResponseCode? { ISO20SECCStateMachineTests.code(action) }

    @Test("[V2G20 AuthorizationSetup PnC] With MO roots and a challenge, EIM and PnC are offered with the GenChallenge and providers")
    func offer() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var machine = Self.machine(pki, providers: ["DEABC"])
        let res = try #require(Self.setUp(&machine))
        #expect(res.authorizationServices == [.eim, .pnC])
        #expect(res.choice == .pnCASResAuthorizationMode(PnC_ASResAuthorizationMode(
            genChallenge: Self.challenge, supportedProviders: SupportedProvidersList(providerID: ["DEABC"]))))
    }

    @Test("[V2G20 AuthorizationSetup] Without a 16-byte challenge PnC is not offered")
    func noChallengeNoOffer() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var configuration = F.configuration
        configuration.pnc = ISO20PnCConfiguration(moRoots: [pki.root])
        var machine = ISO20SECCStateMachine(configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID)
        #expect(Self.setUp(&machine)?.authorizationServices == [.eim])
    }

    @Test("[V2G20 Authorization PnC] A valid signed contract is Ongoing, the backend gets the contract, then Finished")
    func accepted() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var machine = Self.machine(pki)
        let action = try Self.authorize(pki, machine: &machine)
        guard case .sendAndAuthorize(.authorization(let res), _, let request) = action else {
            Issue.record("\(action)"); return
        }
        #expect(res.evseProcessing == .ongoing)
        guard case .contract(let eMAID, let pem, let hashData) = request.identification else {
            Issue.record("\(request.identification)"); return
        }
        #expect(eMAID == "DEABCC00000001")
        #expect(pem.components(separatedBy: "BEGIN CERTIFICATE").count == 4)
        #expect(hashData.count == 3)
        #expect(request.traceID == F.traceID)
        _ = machine.backendAnswered(BackendAuthorizationDecision(status: .accepted))
        let again = try #require(try ISO20Request(
            payloadType: 0x8002, exi: pki.authorizationRequest(header: F.header(), challenge: Self.challenge).exiEncoded()))
        guard case .send(.authorization(let finished), _) = machine.received(again, now: F.now) else {
            Issue.record("not finished"); return
        }
        #expect(finished.evseProcessing == .finished)
    }

    @Test("[V2G20 WARNING_CertificateExpired] An expired contract chain is refused")
    func expired() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore.addingTimeInterval(-40 * 86_400))
        var machine = Self.machine(pki)
        let action = try Self.authorize(pki, machine: &machine)
        #expect(Self.code(action) == .warningCertificateExpired)
        #expect(ISO20SECCStateMachineTests.closes(action))
    }

    @Test("[V2G20 WARNING_CertificateNotYetValid] A contract chain not yet valid is refused")
    func notYetValid() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore.addingTimeInterval(2 * 86_400))
        var machine = Self.machine(pki)
        #expect(Self.code(try Self.authorize(pki, machine: &machine)) == .warningCertificateNotYetValid)
    }

    @Test("[V2G20 WARNING_NoCertificateAvailable] A chain to an unknown MO root is refused")
    func unknownRoot() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        let other = try ContractPKI(notBefore: Self.notBefore)
        var machine = Self.machine(pki, roots: [other.root])
        #expect(Self.code(try Self.authorize(pki, machine: &machine)) == .warningNoCertificateAvailable)
    }

    @Test("[V2G20 WARNING_ChallengeInvalid] Another GenChallenge is refused")
    func challengeInvalid() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var machine = Self.machine(pki)
        #expect(Self.code(try Self.authorize(pki, machine: &machine, challenge: Array(repeating: 7, count: 16))) == .warningChallengeInvalid)
    }

    @Test("[V2G20 FAILED_SignatureError] A signature by another key, or none, is refused")
    func signatureError() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var machine = Self.machine(pki)
        #expect(Self.code(try Self.authorize(pki, machine: &machine, signingKey: P521.Signing.PrivateKey())) == .failedSignatureError)
        var unsigned = Self.machine(pki)
        #expect(Self.code(try Self.authorize(pki, machine: &unsigned, signed: false)) == .failedSignatureError)
    }

    @Test("[V2G20 WARNING_AuthorizationSelectionInvalid] PnC when it was not offered is refused")
    func notOffered() throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var machine = F.secc()
        #expect(Self.code(try Self.authorize(pki, machine: &machine)) == .warningAuthorizationSelectionInvalid)
    }

    @Test("[V2G20 Authorization PnC, OCPP C07] Backend refusals map to -20 codes", arguments: [
        (BackendAuthorizationDecision(status: .unknown), ResponseCode.warningEMSPUnknown),
        (BackendAuthorizationDecision(status: .blocked), .warningGeneralPnCAuthorizationError),
        (BackendAuthorizationDecision(status: .invalid, certificateStatus: .certificateRevoked), .warningCertificateRevoked),
        (BackendAuthorizationDecision(status: .accepted, certificateStatus: .signatureError), .failedSignatureError),
    ])
    func backendRefusal(_ decision: BackendAuthorizationDecision, _ expected: ResponseCode) throws {
        let pki = try ContractPKI(notBefore: Self.notBefore)
        var machine = Self.machine(pki)
        _ = try Self.authorize(pki, machine: &machine)
        _ = machine.backendAnswered(decision)
        let again = try pki.authorizationRequest(header: F.header(), challenge: Self.challenge)
        let action = machine.received(again, now: F.now)
        #expect(Self.code(action) == expected)
        #expect(ISO20SECCStateMachineTests.closes(action))
    }
}

@Suite struct ISO20PnCSessionTests {
    typealias F = ISO20Fixtures

    static func contract(_ pki: ContractPKI) throws -> ISO20EVCCContract {
        ISO20EVCCContract(eMAID: "DEABCC00000001", chainDER: try pki.chain.map { try pki.der($0) }, key: .p521(pki.contractKey))
    }

    static func session(_ pki: ContractPKI, contracts: [ISO20EVCCContract], providers: [String] = []) -> ISO20InMemorySession {
        var session = ISO20InMemorySession()
        session.secc = ISO20PnCTests.machine(pki, providers: providers)
        session.evcc = ISO20EVCCStateMachine(
            configuration: ISO20EVCCConfiguration(
                evccID: "WMIV1234567890ABCDEX", maximumVoltageV: 800, minimumVoltageV: 200, maximumCurrentA: 250,
                maximumPowerW: 100_000, targetVoltageV: 400, targetCurrentA: 200),
            contracts: contracts)
        return session
    }

    @Test("[V2G20 DC PnC] SECC and EVCC complete a DC Plug & Charge session in memory: signed contract, backend contract authorization")
    func completePnC() throws {
        let pki = try ContractPKI(notBefore: ISO20PnCTests.notBefore)
        var session = Self.session(pki, contracts: [try Self.contract(pki)], providers: ["DEABC"])
        #expect(try session.run() == .completed)
        #expect(Array(session.transcript.prefix(5)) == ["sessionSetup", "authorizationSetup", "authorization", "authorization", "serviceDiscovery"])
        #expect(session.transcript.last == "sessionStop")
        guard case .contract(let eMAID, _, let hashData) = session.authorizations.first?.identification else {
            Issue.record("no contract authorization: \(session.authorizations)"); return
        }
        #expect(eMAID == "DEABCC00000001")
        #expect(hashData.count == 3)
        #expect(session.secc.isClosed)
    }

    @Test("[V2G20 AuthorizationSetup SupportedProviders] A vehicle without a contract of a supported provider uses EIM")
    func providerNotSupported() throws {
        let pki = try ContractPKI(notBefore: ISO20PnCTests.notBefore)
        var session = Self.session(pki, contracts: [try Self.contract(pki)], providers: ["FRXYZ"])
        #expect(try session.run() == .completed)
        guard case .external = session.authorizations.first?.identification else {
            Issue.record("not EIM: \(session.authorizations)"); return
        }
    }

    @Test("[V2G20 DC PnC] The backend refusing the contract ends the session with its -20 code")
    func refusedContract() throws {
        let pki = try ContractPKI(notBefore: ISO20PnCTests.notBefore)
        var session = Self.session(pki, contracts: [try Self.contract(pki)])
        session.decision = BackendAuthorizationDecision(status: .invalid, certificateStatus: .contractCancelled)
        #expect(try session.run() == ISO20EVCCStateMachine.Outcome.failed(.warningCertificateRevoked, request: "AuthorizationReq"))
    }
}
