import Crypto
import EMSP
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO20Messages
import PnCCore
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509

/// A `--profile iso15118-20` PKI directory one day before the session's time, the eMSP provisioning on it and the
/// vehicle's OEM provisioning credentials.
final class ISO20InstallationWorld: @unchecked Sendable {
    typealias F = ISO20Fixtures
    let pki: PKIDirectory
    let provisioning: ContractProvisioning
    var pool = ContractPool()
    let installation: ISO20ContractInstallation
    var sequence: UInt64 = 0

    static func key521(_ pki: PKIDirectory, _ label: String) throws -> P521.Signing.PrivateKey {
        try P521.Signing.PrivateKey(pemRepresentation: try pki.keyStore.signingKey(label: label).serializeAsPEM().pemString)
    }

    init() throws {
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        pki = try PKIDirectory.create(
            at: NSTemporaryDirectory() + "pnc-iso20-install-\(UUID().uuidString.prefix(8))",
            configuration: .init(profile: .iso15118_20, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options, now: Date(timeIntervalSince1970: Double(F.now) - 86_400))
        let cps = try CertificateFile.certificates(atPath: pki.leafDirectory("cps") + "/chain.pem")
        provisioning = ContractProvisioning(
            oemRoots: [try pki.authority(.oemRoot).certificate], contractRoots: [try pki.authority(.moRoot).certificate],
            cps: CPSCredentials(key: .p521(try Self.key521(pki, "leaf/cps/key")), chain: try cps.map { try $0.derBytes }),
            issuer: CertificateAuthorityContractIssuer(ca: try pki.authority(.moSubCA2)),
            allocator: try EMAIDAllocator(countryCode: "DE", providerID: "PNC"))
        let oem = try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/chain.pem")
        installation = ISO20ContractInstallation(
            oemProvisioningChain: try oem.map { try $0.derBytes }, oemKey: try Self.key521(pki, "leaf/oem-prov/key"),
            v2gRoots: [try pki.authority(.v2gRoot).certificate])
        guard let pcid = installation.pcid else { throw V2GPKIError.make(.invalidRequest, "no PCID") }
        pool.register(Vehicle(pcid: try PCID(pcid), customerID: "c1"))
    }

    /// The eMSP answering a relayed request at the session's time.
    func answer(_ request: CertificateExchangeRequest) -> CertificateExchangeResult {
        var rng = SystemRandomNumberGenerator()
        let outcome = provisioning.installISO20(
            requestEXI: request.exiRequest, pool: &pool, nextSequence: { self.sequence += 1; return self.sequence },
            now: Date(timeIntervalSince1970: Double(F.now)), using: &rng)
        return CertificateExchangeResult(status: .accepted, exiResponse: outcome.responseEXI, detail: outcome.responseCode.rawValue)
    }

    func session(installation: ISO20ContractInstallation? = nil) throws -> ISO20InMemorySession {
        var session = ISO20InMemorySession()
        var configuration = F.configuration
        configuration.pnc = ISO20PnCConfiguration(moRoots: [try pki.authority(.moRoot).certificate], certificateInstallation: true)
        session.secc = ISO20SECCStateMachine(
            configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID, genChallenge: Array(0..<16))
        session.evcc = ISO20EVCCStateMachine(
            configuration: ISO20EVCCConfiguration(
                evccID: "WMIV1234567890ABCDEX", maximumVoltageV: 800, minimumVoltageV: 200, maximumCurrentA: 250,
                maximumPowerW: 100_000, targetVoltageV: 400, targetCurrentA: 200),
            installation: installation ?? self.installation)
        session.exchange = { [self] in self.answer($0) }
        return session
    }
}

@Suite struct ISO20InstallationTests {
    typealias F = ISO20Fixtures

    @Test("[V2G20-CertificateInstallation] no contract: CertificateInstallationReq relayed to the eMSP (Ongoing, then its answer), contract opened and used for PnC in the same session")
    func installThenPnC() throws {
        let world = try ISO20InstallationWorld()
        var session = try world.session()
        #expect(try session.run() == .completed)
        #expect(Array(session.transcript.prefix(6)) == [
            "sessionSetup", "authorizationSetup", "certificateInstallation", "certificateInstallation", "authorization", "authorization",
        ])
        let relay = try #require(session.exchanges.first)
        #expect(session.exchanges.count == 1)
        #expect(relay.schemaVersion == "urn:iso:std:iso:15118:-20:CommonMessages")
        #expect(relay.action == .install)
        #expect(relay.maximumContractCertificateChains == 1)
        #expect(relay.traceID == F.traceID)
        let installed = try #require(session.evcc.installedContract)
        let pcid = try PCID(try #require(world.installation.pcid))
        let contract = try #require(world.pool.contracts(for: pcid).first)
        #expect(installed.eMAID == contract.emaid.normalized)
        #expect(session.evcc.plugAndChargeEMAID == installed.eMAID)
        guard case .contract(let eMAID, _, _) = session.authorizations.first?.identification else {
            Issue.record("no contract authorization: \(session.authorizations)"); return
        }
        #expect(eMAID == installed.eMAID)
    }

    @Test("[V2G20-CertificateInstallation] the backend failing the exchange: FAILED CertificateInstallationRes, the session ends")
    func backendFailure() throws {
        let world = try ISO20InstallationWorld()
        var session = try world.session()
        session.exchange = nil
        #expect(try session.run() == .failed(.failed, request: "CertificateInstallationReq"))
        #expect(session.secc.isClosed)
        #expect(session.authorizations.isEmpty)
    }

    @Test("[V2G20-CertificateInstallation] a CPS chain the vehicle does not trust is rejected, no contract kept")
    func untrustedCPS() throws {
        let world = try ISO20InstallationWorld()
        var installation = world.installation
        installation.v2gRoots = [try world.pki.authority(.moRoot).certificate]
        var session = try world.session(installation: installation)
        guard case .installationRejected(let reason) = try session.run() else { Issue.record("not rejected"); return }
        #expect(reason.contains("CPS chain"))
        #expect(session.evcc.installedContract == nil)
    }

    @Test("[V2G20-CertificateInstallation] the eMSP's refusal (unknown PCID) reaches the vehicle with its code")
    func unknownVehicle() throws {
        let world = try ISO20InstallationWorld()
        world.pool = ContractPool()
        var session = try world.session()
        #expect(try session.run() == .failed(.warningNoContractMatchingPCIDFound, request: "CertificateInstallationReq"))
    }

    @Test("[V2G20-AuthorizationSetup] CertificateInstallationService is offered only when configured; an unoffered installation is FAILED_SequenceError")
    func offer() throws {
        var machine = F.secc()
        _ = machine.received(F.sessionSetup, now: F.now)
        var configuration = F.configuration
        configuration.pnc = ISO20PnCConfiguration(moRoots: [], certificateInstallation: true)
        var offering = ISO20SECCStateMachine(
            configuration: configuration, proposedSessionID: F.sessionID, traceID: F.traceID, genChallenge: Array(0..<16))
        _ = offering.received(F.sessionSetup, now: F.now)
        guard case .send(.authorizationSetup(let offered), _) = offering.received(F.authorizationSetup, now: F.now),
            case .send(.authorizationSetup(let plain), _) = machine.received(F.authorizationSetup, now: F.now)
        else { Issue.record("no AuthorizationSetupRes"); return }
        #expect(offered.certificateInstallationService)
        #expect(!plain.certificateInstallationService)
        let world = try ISO20InstallationWorld()
        let request = ISO20Request.certificateInstallation(try world.installation.request(header: F.header()))
        guard case .sendAndClose(.certificateInstallation(let res), _) = machine.received(request, now: F.now) else {
            Issue.record("not refused"); return
        }
        #expect(res.responseCode == .failedSequenceError)
    }
}
