import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import Foundation
import ISO20Messages
import ISO2Messages
import V2GSecurity
import Synchronization
import Logging
import NIOCore
import NIOPosix
import SAPMessages
import Testing
import V2GPKI
import X509
import SwiftASN1
import Crypto
import V2GTransport

/// Our ISO 15118-20 EVCC driver against our SECC driver over loopback with TLS 1.3 mutual authentication (the
/// V2GTransport -20 profiles), the simulated EVSE and the local backend.
@Suite struct ISO20StationSessionTests {
    static func ev(ac: Bool) -> ISO20EVCCConfiguration {
        ISO20EVCCConfiguration(
            evccID: "WMIV1234567890ABCDEX", maximumVoltageV: ac ? 400 : 800, minimumVoltageV: 200,
            maximumCurrentA: ac ? 16 : 250, maximumPowerW: ac ? 11_000 : 100_000, targetVoltageV: ac ? 230 : 400,
            targetCurrentA: ac ? 16 : 200, ac: ac)
    }

    /// Runs `body` against a -20 station on ::1 over TLS 1.3 mutual (DC simulator and local backend unless given), with
    /// a function that connects a vehicle and the station's summaries; the server closes when `body` returns.
    static func withStation(
        configuration: SECCConfiguration = SECCConfiguration(evseID: "DE*PNC*E1", protocols: [.iso20DC]),
        controller: any EVSEController = SimulatedEVSEController(capabilities: SimulatedEVSEController.dc),
        backend: any ChargingBackend,
        _ body: (_ service: SECCService, _ connect: () async throws -> V2GConnection, _ summaries: SummaryList, _ logger: Logger)
            async throws -> Void
    ) async throws {
        let cpo = try TestChain(domain: "V2G", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0),
            security: .tls(try V2GTLSServerProfile.iso15118_20(identities: [cpo.identity], vehicleTrustRoots: [oem.root])),
            logger: recorder.logger)
        let service = SECCService(configuration: configuration, backend: backend, controller: controller, logger: recorder.logger)
        let summaries = SummaryList()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) { summaries.append($0) } }
            defer { group.cancelAll() }
            try await body(service, {
                try await V2GClient.connect(
                    to: server.localAddress,
                    security: .tls(try V2GTLSClientProfile.iso15118_20(v2gRoots: [cpo.root], identity: oem.identity)),
                    logger: recorder.logger)
            }, summaries, recorder.logger)
            try await server.close()
        }
    }

    static func session(
        ac: Bool, backend: any ChargingBackend = LocalChargingBackend(), pnc: ISO20PnCConfiguration? = nil,
        contracts: [ISO20EVCCContract] = [], installation: ISO20ContractInstallation? = nil,
        authorizationBudget: Duration? = nil
    ) async throws -> (ISO20EVCCSessionSummary, SECCSessionSummary?) {
        let capabilities = ac ? SimulatedEVSEController.ac : SimulatedEVSEController.dc
        var configuration = SECCConfiguration(
            evseID: "DE*PNC*E1", paymentOptions: pnc == nil ? [.externalPayment] : [.contract, .externalPayment],
            protocols: [.iso20DC, .iso20AC, .iso2])
        configuration.iso20PnC = pnc
        if let authorizationBudget { configuration.authorizationBudget = authorizationBudget }
        var result: (ISO20EVCCSessionSummary, SECCSessionSummary?)?
        try await Self.withStation(
            configuration: configuration, controller: SimulatedEVSEController(capabilities: capabilities), backend: backend
        ) { _, connect, summaries, logger in
            let summary = try await EVCCSession.runISO20(
                on: try await connect(), configuration: Self.ev(ac: ac), contracts: contracts, installation: installation,
                chargeLoops: 4, timers: EVCCResponseTimerTests.loaded, logger: logger)
            await pollWhile { summaries.count == 0 }
            result = (summary, summaries.all.first)
        }
        return try #require(result)
    }

    @Test("iso20-dc over loopback TLS 1.3 mutual: SAP selects -20 DC, EIM, cable check, pre-charge, charge loop, SessionStop")
    func iso20DC() async throws {
        let backend = LocalChargingBackend()
        let (ev, secc) = try await Self.session(ac: false, backend: backend)
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        #expect(ev.protocolName == .iso20DC)
        // PowerDelivery Start opened the backend's transaction and SessionStop ended it.
        let log = backend.transactionLog
        #expect(log.first?.hasPrefix("started local-1") == true, "\(log)")
        #expect(log.last?.hasPrefix("ended local-1") == true, "\(log)")
        #expect(ev.timeline.filter { $0.message == "DC_ChargeLoopReq" }.count == 4)
        #expect(ev.timeline.last?.message == "SessionStopRes")
        #expect(secc?.ending == "session ended: sessionStopped")
        // The backend decided within the budget: the first AuthorizationReq is answered Finished, never repeated.
        #expect(Self.authorizationAnswers(ev) == ["OK/Finished"], "\(Self.authorizationAnswers(ev))")
    }

    /// The response codes and EVSEProcessing of every AuthorizationRes the vehicle received, in order.
    static func authorizationAnswers(_ summary: ISO20EVCCSessionSummary) -> [String] {
        summary.timeline.filter { $0.message == "AuthorizationRes" }.map { $0.responseCode ?? "" }
    }

    static func contract() throws -> (ContractPKI, ISO20EVCCContract) {
        let pki = try ContractPKI(notBefore: Date().addingTimeInterval(-3600))
        let contract = ISO20EVCCContract(
            eMAID: "DEABCC00000001", chainDER: try pki.chain.map { try pki.der($0) }, key: .p521(pki.contractKey))
        return (pki, contract)
    }

    @Test("[V2G20-Authorization EVSEProcessing] iso20-pnc-dc with a backend slower than the SECC's authorization budget: the first AuthorizationRes is Ongoing, the vehicle repeats AuthorizationReq and gets Finished")
    func iso20PnCSlowBackend() async throws {
        let (pki, contract) = try Self.contract()
        let backend = ContractBackend(accepted: ["DEABCC00000001"], delay: .milliseconds(400))
        let (ev, secc) = try await Self.session(
            ac: false, backend: backend, pnc: ISO20PnCConfiguration(moRoots: [pki.root]), contracts: [contract],
            authorizationBudget: .milliseconds(50))
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        let answers = Self.authorizationAnswers(ev)
        #expect(answers.first == "OK/Ongoing", "\(answers)")
        #expect(answers.last == "OK/Finished", "\(answers)")
        #expect(answers.dropLast().allSatisfy { $0 == "OK/Ongoing" }, "\(answers)")
        #expect(backend.authorized == ["DEABCC00000001"])
        #expect(secc?.ending == "session ended: sessionStopped")
    }

    @Test("[V2G20-Authorization ResponseCode] iso20-pnc-dc with an eMAID the backend does not know: the first AuthorizationReq gets the refusal at once (WARNING_eMSPUnknown), no Ongoing, no charging")
    func iso20PnCRefusedAtOnce() async throws {
        let (pki, contract) = try Self.contract()
        let backend = ContractBackend(accepted: [])
        let (ev, secc) = try await Self.session(
            ac: false, backend: backend, pnc: ISO20PnCConfiguration(moRoots: [pki.root]), contracts: [contract])
        #expect(!ev.succeeded)
        let answers = Self.authorizationAnswers(ev)
        #expect(answers.count == 1, "\(answers)")
        #expect(answers.first?.hasPrefix("WARNING_eMSPUnknown") == true, "\(answers)")
        #expect(!ev.timeline.contains { $0.message == "ServiceDiscoveryReq" })
        #expect(secc?.ending.lowercased().contains("emspunknown") == true, "\(String(describing: secc?.ending))")
    }

    @Test("iso20-pnc-dc over loopback TLS 1.3 mutual: the SECC verifies the signed contract and the backend authorizes it")
    func iso20PnC() async throws {
        let pki = try ContractPKI(notBefore: Date().addingTimeInterval(-3600))
        let contract = ISO20EVCCContract(
            eMAID: "DEABCC00000001", chainDER: try pki.chain.map { try pki.der($0) }, key: .p521(pki.contractKey))
        let backend = ContractBackend(accepted: ["DEABCC00000001"])
        let (ev, secc) = try await Self.session(
            ac: false, backend: backend, pnc: ISO20PnCConfiguration(moRoots: [pki.root]), contracts: [contract])
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        #expect(backend.authorized == ["DEABCC00000001"])
        #expect(secc?.ending == "session ended: sessionStopped")
    }

    @Test("[V2G20-CertificateInstallation] iso20-pnc-dc --install over loopback TLS 1.3: no contract, CertificateInstallation through the station's hosted -20 provisioning (LocalContractProvisioning on a --profile iso15118-20 directory), then Plug & Charge with the installed contract")
    func iso20Install() async throws {
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        let directory = try PKIDirectory.create(
            at: NSTemporaryDirectory() + "pnc-iso20-station-\(UUID().uuidString.prefix(8))",
            configuration: .init(profile: .iso15118_20, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options)
        let moRoot = try directory.authority(.moRoot).certificate
        let backend = LocalChargingBackend(
            contractRoots: [moRoot], certificateExchange: try LocalContractProvisioning(directory: directory).exchange)
        let oem = try CertificateFile.certificates(atPath: directory.leafDirectory("oem-prov") + "/chain.pem")
        let oemKey = try P521.Signing.PrivateKey(
            pemRepresentation: try directory.keyStore.signingKey(label: "leaf/oem-prov/key").serializeAsPEM().pemString)
        let installation = ISO20ContractInstallation(
            oemProvisioningChain: try oem.map { try $0.derBytes }, oemKey: oemKey,
            v2gRoots: [try directory.authority(.v2gRoot).certificate])
        let (ev, secc) = try await Self.session(
            ac: false, backend: backend, pnc: ISO20PnCConfiguration(moRoots: [moRoot], certificateInstallation: true),
            installation: installation)
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        let installed = try #require(ev.installedContract)
        #expect(ev.plugAndChargeEMAID == installed.eMAID)
        #expect(installed.eMAID.hasPrefix("DEPNC"))
        let names = ev.timeline.map(\.message)
        #expect(names.contains("CertificateInstallationRes"))
        #expect(ev.timeline.contains { $0.message == "CertificateInstallationRes" && $0.responseCode == "OK/Ongoing" })
        #expect(ev.timeline.contains { $0.message == "CertificateInstallationRes" && $0.responseCode == "OK/Finished" })
        #expect(secc?.ending == "session ended: sessionStopped")
    }

    @Test("iso20-ac over loopback TLS 1.3 mutual: SAP selects -20 AC, charge loop to SessionStop")
    func iso20AC() async throws {
        let (ev, secc) = try await Self.session(ac: true)
        #expect(ev.succeeded, "\(String(describing: ev.outcome))")
        #expect(ev.protocolName == .iso20AC)
        #expect(ev.timeline.filter { $0.message == "AC_ChargeLoopReq" }.count == 4)
        #expect(secc?.ending == "session ended: sessionStopped")
    }

    @Test("iso20-dc over loopback: a refused token ends the session with WARNING_EIMAuthorizationFailure")
    func refused() async throws {
        let (ev, _) = try await Self.session(ac: false, backend: LocalChargingBackend(allowedTokens: ["AABBCCDDEEFF"]))
        #expect(ev.outcome == .failed(.warningEIMAuthorizationFailure, request: "AuthorizationReq"))
    }
}


/// A backend that authorizes contracts by eMAID and keeps transactions in the local backend.
final class ContractBackend: ChargingBackend {
    let accepted: Set<String>
    /// How long each contract authorization takes (a slow CSMS or eMSP).
    let delay: Duration
    private let local = LocalChargingBackend()
    private let log = Mutex<[String]>([])

    init(accepted: Set<String>, delay: Duration = .zero) {
        self.accepted = accepted
        self.delay = delay
    }

    var authorized: [String] { self.log.withLock { $0 } }

    func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision {
        guard case .contract(let eMAID, _, _) = request.identification else { return try await self.local.authorize(request) }
        if self.delay > .zero { try await Task.sleep(for: self.delay) }
        guard self.accepted.contains(eMAID) else { return BackendAuthorizationDecision(status: .unknown) }
        self.log.withLock { $0.append(eMAID) }
        return BackendAuthorizationDecision(status: .accepted, certificateStatus: .accepted)
    }

    func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        try await self.local.exchangeCertificate(request)
    }

    func certificateStatus(_ request: CertificateStatusRequest) async throws -> CertificateStatusResult {
        try await self.local.certificateStatus(request)
    }

    func transactionStarted(_ event: TransactionStart) async throws -> String { try await self.local.transactionStarted(event) }
    func transactionUpdated(_ event: TransactionUpdate) async throws { try await self.local.transactionUpdated(event) }
    func transactionEnded(_ event: TransactionEnd) async throws { try await self.local.transactionEnded(event) }
}
