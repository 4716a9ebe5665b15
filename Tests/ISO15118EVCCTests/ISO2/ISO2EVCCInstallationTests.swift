import Crypto
import EMSP
import EXI
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
import XMLDSig

/// Contract installation in the -2 session: our EVCC without a contract, our SECC relaying to an eMSP's
/// ContractProvisioning, then PaymentDetails and a signed Authorization with the installed contract.
@Suite struct ISO2EVCCInstallationTests {
    typealias Contracts = ISO2EVCCContractTests
    static let pcid = "WMIV1234567890ABCD"
    static let now = ISO2EVCCContractTests.now

    struct Setup {
        var provisioning: ContractProvisioning
        var installation: ContractInstallation
        var moRoot: Certificate
        var pool: ContractPool
        /// MO Sub-CA 2, whose database records revocations.
        var moSubCA2: CertificateAuthority
    }

    static func setup(trustedV2GRoot: Bool = true) throws -> Setup {
        var rng = SystemRandomNumberGenerator()
        let date = Date(timeIntervalSince1970: now)
        let v2g = try Contracts.authority(.v2gRoot, "V2GRootCA", parent: nil)
        let cps2 = try Contracts.authority(.cpsSubCA2, "CPSSubCA2", parent: try Contracts.authority(.cpsSubCA1, "CPSSubCA1", parent: v2g))
        let cpsKey = P256.Signing.PrivateKey()
        let cps = try cps2.issue(
            role: .cps, subject: try CertificateIssuer.subject(commonName: "CPS", role: .cps),
            publicKey: Certificate.PublicKey(cpsKey.publicKey), validityDays: 100, now: date, using: &rng)
        let mo = try Contracts.authority(.moRoot, "MORootCA", parent: nil)
        // MO Sub-CA 2 keeps its database in a folder: an update revokes the replaced certificate there.
        let moFolder = NSTemporaryDirectory() + "pnc-evcc-mo2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: moFolder, withIntermediateDirectories: true)
        let mo2 = try Contracts.authority(
            .moSubCA2, "MOSubCA2", parent: try Contracts.authority(.moSubCA1, "MOSubCA1", parent: mo), directory: moFolder)
        let oem = try Contracts.authority(.oemRoot, "OEMRootCA", parent: nil)
        let oem2 = try Contracts.authority(.oemSubCA2, "OEMSubCA2", parent: try Contracts.authority(.oemSubCA1, "OEMSubCA1", parent: oem))
        let oemKey = P256.Signing.PrivateKey()
        let prov = try oem2.issue(
            role: .oemProvisioning, subject: try CertificateIssuer.subject(commonName: pcid, role: .oemProvisioning),
            publicKey: Certificate.PublicKey(oemKey.publicKey), validityDays: 100, now: date, using: &rng)
        let provisioning = ContractProvisioning(
            oemRoots: [oem.certificate], oemIntermediates: oem2.chainBelowRoot, contractRoots: [mo.certificate],
            cps: CPSCredentials(key: .p256(cpsKey), chain: try ([cps] + cps2.chainBelowRoot).map { try $0.derBytes }),
            issuer: CertificateAuthorityContractIssuer(ca: mo2), allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        var pool = ContractPool()
        pool.register(Vehicle(pcid: try PCID(pcid), customerID: "c1"))
        let otherRoot = try Contracts.authority(.v2gRoot, "V2GRootCA", parent: nil).certificate
        let installation = ContractInstallation(
            oemProvisioningCertificate: try prov.derBytes, oemKey: oemKey, v2gRoots: [trustedV2GRoot ? v2g.certificate : otherRoot],
            rootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 1)
            ]))
        return Setup(provisioning: provisioning, installation: installation, moRoot: mo.certificate, pool: pool, moSubCA2: mo2)
    }

    /// Drives both machines; the SECC's certificate exchange goes to the eMSP's ContractProvisioning.
    static func run(_ setup: Setup) throws -> (ISO2EVCCStateMachine.Action, ISO2EVCCStateMachine, [String]) {
        var pool = setup.pool
        return try Self.run(setup, pool: &pool)
    }

    /// One session; the eMSP's contract pool carries over in `pool`; `tamper` changes the eMSP's answer on its way.
    static func run(
        _ setup: Setup, contract: StoredContract? = nil, renewal: ContractRenewal? = nil, pool: inout ContractPool,
        tamper: (([UInt8]) -> [UInt8])? = nil
    ) throws -> (ISO2EVCCStateMachine.Action, ISO2EVCCStateMachine, [String]) {
        var secc = ISO2SECCStateMachine(
            configuration: .init(
                evseID: "DE*ABC*E1", evseNumber: 1, capabilities: ISO2EVCCStateMachineTests.dc,
                paymentOptions: [.contract, .externalPayment], contractRoots: [setup.moRoot]),
            proposedSessionID: [9, 8, 7, 6, 5, 4, 3, 2], traceID: TraceID(high: 7, low: 7), genChallenge: Array(40..<56))
        var evcc = ISO2EVCCStateMachine(
            configuration: .init(
                evccID: [2, 0, 0, 0, 0, 1], energyTransfer: .dcExtended, battery: ISO2EVCCStateMachineTests.battery,
                maximumLoopIterations: 2),
            contract: contract, installation: contract == nil ? setup.installation : nil, renewal: renewal)
        var requests: [String] = []
        var evAction = evcc.start()
        var now = Self.now
        var sequence: UInt64 = 40
        var rng = SystemRandomNumberGenerator()
        var steps = 0
        while case .send(let request) = evAction, steps < 200 {
            steps += 1
            now += 1
            requests.append(ISO2EVCCStateMachineTests.name(request))
            var seccAction = secc.received(try ISO2EVCCStateMachineTests.wire(request), now: now)
            var response: V2GMessage?
            while response == nil {
                switch seccAction {
                case .send(let m, _), .sendAndClose(let m), .sendAndUpdateTransaction(let m, _, _), .endTransaction(_, let m),
                    .startTransaction(_, let m, _):
                    response = m
                case .authorize(_, let ongoing, let window):
                    _ = secc.backendAuthorized(.init(status: .accepted, certificateStatus: .accepted))
                    seccAction = secc.decidedAuthorization(now: now) ?? .send(ongoing, expectNextWithin: window)
                case .exchangeCertificate(let exchange):
                    let outcome =
                        exchange.action == .update
                        ? setup.provisioning.update(
                            requestEXI: exchange.exiRequest, pool: &pool, now: Date(timeIntervalSince1970: now), using: &rng)
                        : setup.provisioning.install(
                            requestEXI: exchange.exiRequest, pool: &pool, nextSequence: { sequence += 1; return sequence },
                            now: Date(timeIntervalSince1970: now), using: &rng)
                    let answer = tamper.map { $0(outcome.responseEXI) } ?? outcome.responseEXI
                    seccAction = secc.certificateExchanged(CertificateExchangeResult(status: .accepted, exiResponse: answer))
                case .controller(.cableCheck):
                    seccAction = secc.controllerAnswered(.isolation(.valid), now: now)
                case .controller(.deliver(let target)):
                    seccAction = secc.controllerAnswered(
                        .output(OutputMeasurement(voltageV: target.voltageV, currentA: target.currentA), MeterReading(energyWh: 0, powerW: 0)),
                        now: now)
                case .controller(.setContactors):
                    seccAction = secc.controllerAnswered(.contactorsSet(MeterReading(energyWh: 0, powerW: 0)), now: now)
                case .close, .none:
                    return (.fail(.unexpectedMessage("SECC closed")), evcc, requests)
                }
            }
            evAction = evcc.received(try ISO2EVCCStateMachineTests.wire(try #require(response)), now: now)
        }
        return (evAction, evcc, requests)
    }

    @Test("[V2G2-905] [V2G2-818] Without a contract the EV installs one (CPS signature, key decryption), then PaymentDetails and signed Authorization in the same session")
    func installThenCharge() throws {
        let (outcome, evcc, requests) = try Self.run(try Self.setup())
        #expect(outcome == .finished)
        #expect(requests.prefix(5) == [
            "sessionSetupReq", "serviceDiscoveryReq", "paymentServiceSelectionReq", "certificateInstallationReq", "paymentDetailsReq",
        ])
        let installed = try #require(evcc.installedContract)
        #expect(installed.eMAID.hasPrefix("DE8AA"))
        #expect(installed.chainDER.count == 3)
    }

    @Test("[V2G2-905] A CertificateInstallationRes whose CPS chain does not reach a trusted V2G root is rejected")
    func untrustedCPS() throws {
        let (outcome, evcc, _) = try Self.run(try Self.setup(trustedV2GRoot: false))
        guard case .fail(.installationRejected(let reason)) = outcome else {
            Issue.record("expected a rejected installation, got \(outcome)")
            return
        }
        #expect(reason.contains("CPS chain"))
        #expect(evcc.installedContract == nil)
    }

    /// Installs a contract in a first session; returns it with the pool that now holds it.
    static func installed(_ setup: Setup) throws -> (StoredContract, ContractPool) {
        var pool = setup.pool
        let (action, evcc, _) = try Self.run(setup, pool: &pool)
        #expect(action == .finished)
        return (try #require(evcc.installedContract), pool)
    }

    static func renewal(_ setup: Setup, window: Double) -> ContractRenewal {
        ContractRenewal(
            v2gRoots: setup.installation.v2gRoots, rootCertificateIDs: setup.installation.rootCertificateIDs, window: window)
    }

    @Test("[ISO15118-2 §8.4.3.11] A contract inside its renewal window is updated (CertificateUpdateReq signed with the contract key, new key decrypted with the old one) before PaymentDetails")
    func updateThenCharge() throws {
        let setup = try Self.setup()
        var (contract, pool) = try Self.installed(setup)
        let window = contract.notAfter - Self.now + 86_400  // already inside the window
        let (outcome, evcc, requests) = try Self.run(setup, contract: contract, renewal: Self.renewal(setup, window: window), pool: &pool)
        #expect(outcome == .finished)
        #expect(requests.prefix(5) == [
            "sessionSetupReq", "serviceDiscoveryReq", "paymentServiceSelectionReq", "certificateUpdateReq", "paymentDetailsReq",
        ])
        let updated = try #require(evcc.installedContract)
        #expect(updated.eMAID == contract.eMAID)
        #expect(updated.chainDER.first != contract.chainDER.first)
        #expect(evcc.contract?.chainDER.first == updated.chainDER.first)
        #expect(evcc.updateFailure == nil)
        // The replaced certificate is revoked as superseded; the delivered one is not.
        let replaced = try Certificate(derEncoded: try #require(contract.chainDER.first))
        let delivered = try Certificate(derEncoded: try #require(updated.chainDER.first))
        let database = try #require(setup.moSubCA2.database).load()
        guard case .revoked(_, let reason) = database.status(serial: replaced.serialNumber) else {
            Issue.record("the replaced certificate is not revoked")
            return
        }
        #expect(reason == .superseded)
        #expect(database.status(serial: delivered.serialNumber) == .good)
    }

    @Test("[V2G2-905] Installing again replaces the certificate: the previous one is superseded, or keeps an earlier keyCompromise revocation")
    func reinstallSupersedes() throws {
        let setup = try Self.setup()
        let (first, installedPool) = try Self.installed(setup)
        var pool = installedPool
        var (action, evcc, _) = try Self.run(setup, pool: &pool)
        #expect(action == .finished)
        let second = try #require(evcc.installedContract)
        #expect(second.eMAID == first.eMAID)
        let database = try #require(setup.moSubCA2.database)
        let firstSerial = try Certificate(derEncoded: try #require(first.chainDER.first)).serialNumber
        guard case .revoked(_, .superseded) = try database.load().status(serial: firstSerial) else {
            Issue.record("the first certificate is not superseded")
            return
        }
        // A certificate revoked for key compromise keeps that reason when the vehicle installs again.
        let secondSerial = try Certificate(derEncoded: try #require(second.chainDER.first)).serialNumber
        try setup.moSubCA2.revoke(serial: secondSerial, reason: .keyCompromise, at: Date(timeIntervalSince1970: Self.now))
        (action, evcc, _) = try Self.run(setup, pool: &pool)
        #expect(action == .finished)
        #expect(evcc.installedContract != nil)
        guard case .revoked(_, .keyCompromise) = try database.load().status(serial: secondSerial) else {
            Issue.record("the key-compromise revocation was overwritten")
            return
        }
    }

    @Test("[ISO15118-2 §8.4.3.11] Outside the renewal window no CertificateUpdateReq is sent")
    func noUpdateOutsideWindow() throws {
        let setup = try Self.setup()
        var (contract, pool) = try Self.installed(setup)
        let (outcome, evcc, requests) = try Self.run(setup, contract: contract, renewal: Self.renewal(setup, window: 3_600), pool: &pool)
        #expect(outcome == .finished)
        #expect(!requests.contains("certificateUpdateReq"))
        #expect(evcc.installedContract == nil)
    }

    @Test("[ISO15118-2 §8.4.3.11] A FAILED CertificateUpdateRes (contract unknown to the eMSP) ends the session; the current contract is kept")
    func failedUpdateKeepsContract() throws {
        let setup = try Self.setup()
        let (contract, _) = try Self.installed(setup)
        // A pool without the contract: the eMSP answers FAILED_NoCertificateAvailable.
        var empty = setup.pool
        let (outcome, evcc, requests) = try Self.run(
            setup, contract: contract, renewal: Self.renewal(setup, window: .greatestFiniteMagnitude / 4), pool: &empty)
        #expect(outcome == .fail(.responseCode(.failedNoCertificateAvailable, answering: "CertificateUpdateRes")))
        #expect(requests.last == "certificateUpdateReq")
        #expect(evcc.updateFailure == "CertificateUpdateRes FAILED_NoCertificateAvailable")
        #expect(evcc.installedContract == nil)
        #expect(evcc.contract?.chainDER.first == contract.chainDER.first)
    }

    @Test("[V2G2-905] A CertificateUpdateRes whose signature does not verify is not installed; the current contract charges")
    func tamperedUpdateRejected() throws {
        let setup = try Self.setup()
        var (contract, pool) = try Self.installed(setup)
        let flipLast: ([UInt8]) -> [UInt8] = { bytes in
            // One byte of the DH public key changed: its digest no longer matches the signed Reference.
            guard case .v2gMessage(var message) = try? ISO2Document(exi: bytes), case .certificateUpdateRes(var res)? = message.body.bodyElement
            else { return bytes }
            res.dHpublickey.value[res.dHpublickey.value.count - 1] ^= 0x01
            message.body = Body(bodyElement: .certificateUpdateRes(res))
            return (try? ISO2Document.v2gMessage(message).exiEncoded()) ?? bytes
        }
        let (outcome, evcc, _) = try Self.run(
            setup, contract: contract, renewal: Self.renewal(setup, window: .greatestFiniteMagnitude / 4), pool: &pool, tamper: flipLast)
        #expect(outcome == .finished)
        #expect(evcc.installedContract == nil)
        #expect(evcc.updateFailure?.contains("digest") == true || evcc.updateFailure?.contains("ignature") == true)
    }
}
