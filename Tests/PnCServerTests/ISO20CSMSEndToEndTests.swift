import PnCTesting
import CSMS
import CSMSServer
import ChargingStation
import Crypto
import EMSP
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import Logging
import NIOCore
import NIOSSL
import OCPPMessages
import OCPPTransport
import PKIHTTP
import PnCCore
import PnCServer
import SAPMessages
import Storage
import SwiftASN1
import Synchronization
import Testing
import V2GPKI
import V2GTransport
import X509

/// ISO 15118-20 Plug & Charge with the station's backend being the CSMS, every hop over real loopback sockets: the
/// OCSP responder (HTTP), the CSMS (OCPP 2.0.1 WebSocket), the station's SECC (TLS 1.3 mutual) and the vehicle.
@Suite("ISO 15118-20 Plug & Charge through the CSMS", .serialized, .timeLimit(.minutes(5)))
struct ISO20CSMSEndToEndTests {
    static let pcid = "WMIOPNPC000000021"
    static let stationID = "CS-ISO20-1"

    @Test("[OCPP2.0.1 A03 M05 M02 C07 E01-E06, ISO15118-20 CertificateInstallation PnC_AReqAuthorizationMode] the station's secp521r1 SECC certificate is signed by the -20 CPO Sub-CA 2 at the CSMS, the vehicle installs a contract through Get15118EVCertificate over TLS 1.3, charges by Plug & Charge (Authorize Accepted, certificate Accepted after OCSP), plugs in again with the kept contract; the CSMS stores both transactions and bills both to the contract's eMAID (CDR, invoice, HTML in the outbox)")
    func plugAndChargeThroughCSMS() async throws {
        let folder = demoFolder()
        let logger = { var logger = Logger(label: "test.iso20-csms"); logger.logLevel = .warning; return logger }()
        // The OCSP responder binds first: its URL goes into the PKI's AIA extensions.
        let responders = ResponderBox()
        let ocsp = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            responders.folders.withLock { $0 }?.respond(to: request, now: Date()) ?? []
        }
        let ocspTask = Task { try await ocsp.run() }
        defer { ocspTask.cancel() }
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.pcid = try PCID(Self.pcid)
        let ocspURL = "http://127.0.0.1:\(ocsp.port)/ocsp"
        let pki = try await offCooperativePool { [options] in
            try PKIDirectory.create(
                at: folder + "/pki20",
                configuration: .init(profile: .iso15118_20, ocspURL: ocspURL, crlBaseURL: "http://127.0.0.1:1/crl"),
                password: nil, options: options)
        }
        let folders = try OCSPResponderFolders(
            directories: [CertificateRole.moRoot, .moSubCA1, .moSubCA2].map { URL(fileURLWithPath: pki.caDirectory($0)) },
            validity: 3_600)
        responders.folders.withLock { $0 = folders }

        try await EMSPFixture.withStore { emsp in
            try await emsp.save(Customer(id: "driver", name: "Driver"))
            try await emsp.save(Vehicle(pcid: try PCID(Self.pcid), customerID: "driver"))
            let csms = try await Self.startCSMS(pki: pki, emsp: emsp, folder: folder, logger: logger)
            defer { csms.task.cancel() }

            // The station boots, gets the -20 V2G and MO roots installed, and asks for its -20 SECC certificate.
            var ocpp = OCPPClientConfiguration(host: "127.0.0.1", port: csms.port, stationID: Self.stationID)
            ocpp.callTimeout = .seconds(10)
            var stationConfiguration = StationConfiguration(ocpp: ocpp, dataDirectory: folder + "/station")
            stationConfiguration.seccProfiles = [.iso15118_20]
            stationConfiguration.minimumBackOff = .milliseconds(200)
            let station = try OCPPChargingStation(configuration: stationConfiguration, logger: logger)
            let stationTask = Task { try await station.run() }
            defer { stationTask.cancel() }
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            #expect(await station.wait(timeout: .seconds(60)) {
                ((try? $0.certificates.installed(types: ["MORootCertificate", "V2GRootCertificate"])) ?? []).count == 2
            })
            try await station.requestV2GCertificate(profile: .iso15118_20)
            #expect(await station.wait(timeout: .seconds(60)) { $0.certificates.seccChainPEM(profile: .iso15118_20) != nil })
            let chainPEM = try #require(station.certificates.seccChainPEM(profile: .iso15118_20))
            let keyPEM = try #require(station.certificates.seccKeyPEM(profile: .iso15118_20))
            let chain = try CertificateFile.certificates(from: Array(chainPEM.utf8))
            let leaf = try #require(chain.first)
            #expect(P521.Signing.PublicKey(leaf.publicKey) != nil)
            #expect(leaf.signatureAlgorithm == .ecdsaWithSHA512)
            #expect(leaf.issuer == (try pki.authority(.cpoSubCA2)).certificate.subject)
            #expect(chain.count == 3)
            #expect(station.certificates.seccChainPEM(profile: .iso15118_2) == nil)  // only the -20 one was asked for

            // The SECC serves TLS 1.3 with the CSMS-signed chain; Plug & Charge trusts the MO roots the CSMS installed.
            let identity = try V2GTLSIdentity(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)),
                privateKey: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem), root: nil)
            let oemRoot = try NIOSSLCertificate(
                bytes: Array(try pki.authority(.oemRoot).certificate.serializeAsPEM().pemString.utf8), format: .pem)
            let server = try await V2GServer.bind(
                to: try SocketAddress(ipAddress: "::1", port: 0),
                security: .tls(try V2GTLSServerProfile.iso15118_20(identities: [identity], vehicleTrustRoots: [oemRoot])),
                logger: logger)
            var secc = SECCConfiguration(
                evseID: "DE*PNC*E1", paymentOptions: [.contract, .externalPayment], protocols: [.iso20DC],
                requiresMeteringReceipt: true)
            secc.iso20PnC = ISO20PnCConfiguration(moRoots: [], certificateInstallation: true)
            secc.contractRootsProvider = {
                ((try? station.certificates.installed(types: ["MORootCertificate"])) ?? [])
                    .compactMap { try? Certificate(pemEncoded: $0.pem) }
            }
            let backend = RecordingBackend(station)
            let service = SECCService(
                configuration: secc, backend: backend, controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc),
                logger: logger)
            let endings = Mutex<[String]>([])
            let seccTask = Task { try await service.run(server: server) { summary in endings.withLock { $0.append(summary.ending) } } }
            defer { seccTask.cancel() }

            // Plug-in 1: no contract; CertificateInstallation through the CSMS, then Plug & Charge with it.
            let oemChain = try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/chain.pem")
            let oemKey = try P521.Signing.PrivateKey(
                pemRepresentation: try pki.keyStore.signingKey(label: "leaf/oem-prov/key").serializeAsPEM().pemString)
            let v2gRoot = try pki.authority(.v2gRoot).certificate
            let installation = ISO20ContractInstallation(
                oemProvisioningChain: try oemChain.map { try $0.derBytes }, oemKey: oemKey, v2gRoots: [v2gRoot])
            let first = try await Self.plugIn(server: server, pki: pki, installation: installation, logger: logger)
            #expect(first.succeeded, "\(String(describing: first.outcome))")
            #expect(first.timeline.contains { $0.message == "CertificateInstallationRes" && $0.responseCode == "OK/Finished" })
            #expect(first.timeline.contains { $0.message == "AuthorizationRes" && $0.responseCode == "OK/Finished" })
            let installed = try #require(first.installedContract)
            #expect(first.plugAndChargeEMAID == installed.eMAID)
            let stored = try #require(try await emsp.contract(emaid: try PnCCore.EMAID(installed.eMAID)))
            #expect(stored.certificateChain.first == installed.chainDER.first)  // issued by the eMSP behind the CSMS
            let contractLeaf = try Certificate(derEncoded: try #require(installed.chainDER.first))
            #expect(contractLeaf.issuer == (try pki.authority(.moSubCA2)).certificate.subject)

            // Plug-in 2 with the kept contract.
            let second = try await Self.plugIn(server: server, pki: pki, contracts: [installed], logger: logger)
            #expect(second.succeeded, "\(String(describing: second.outcome))")
            #expect(second.plugAndChargeEMAID == installed.eMAID)
            #expect(second.timeline.contains { $0.message == "AuthorizationRes" && $0.responseCode == "OK/Finished" })
            #expect(!second.timeline.contains { $0.message == "CertificateInstallationRes" })

            // What the CSMS answered over OCPP: Get15118EVCertificate Accepted, Authorize Accepted with the
            // certificate checked (chain hash data, OCSP) for both plug-ins.
            #expect(backend.exchanges.withLock { $0.map(\.status) } == [.accepted])
            let decisions = backend.decisions.withLock { $0 }
            #expect(decisions.count == 2)
            for decision in decisions {
                #expect(decision.status == .accepted, "\(decision.detail ?? "")")
                #expect(decision.certificateStatus == .accepted)
            }

            // Both transactions reach the CSMS and are stored as ended.
            #expect(await station.wait(timeout: .seconds(60)) { $0.journal.pending.isEmpty && $0.activeTransactionIDs.isEmpty })
            var ended: [TransactionRecord] = []
            try await pollWhile(every: .milliseconds(100)) {
                ended = try await csms.application.store.transactions(stationID: Self.stationID, limit: 10, offset: 0)
                    .filter { $0.endedAt != nil }
                return ended.count < 2
            }
            #expect(ended.count == 2)
            #expect(Set(ended.compactMap(\.idToken)) == [installed.eMAID])
            #expect(ended.allSatisfy { $0.eventCount >= 2 && $0.stoppedReason != nil })
            // Both -20 PnC sessions are billed at TransactionEvent Ended: a CDR and an invoice to the contract's eMAID,
            // written to the outbox under the eMAID.
            var invoices: [(invoice: Invoice, htmlPath: String?)] = []
            try await pollWhile(every: .milliseconds(100)) {
                invoices = try await csms.application.store.invoices(eMAID: installed.eMAID)
                return invoices.count < 2
            }
            #expect(invoices.count == 2)
            #expect(Set(invoices.map(\.invoice.cdr.session.transactionID)) == Set(ended.map(\.transactionID)))
            for (invoice, htmlPath) in invoices {
                #expect(invoice.cdr.session.eMAID == installed.eMAID)
                #expect(invoice.cdr.session.authMethod == "AUTH_REQUEST")
                #expect(invoice.cdr.totalInclVAT.cents > 0)
                let path = try #require(htmlPath)
                #expect(path.hasPrefix(folder + "/outbox/\(installed.eMAID)/"))
                #expect(try String(contentsOfFile: path, encoding: .utf8).contains(installed.eMAID))
            }
            await pollWhile(every: .milliseconds(20)) { endings.withLock({ $0.count }) < 2 }
            #expect(endings.withLock { $0 } == ["session ended: sessionStopped", "session ended: sessionStopped"])
            try await server.close()
            stationTask.cancel()
            _ = await stationTask.result
            await csms.stop()
        }
    }

    /// One vehicle session over TLS 1.3 with the OEM provisioning chain as client identity.
    static func plugIn(
        server: V2GServer, pki: PKIDirectory, contracts: [ISO20EVCCContract] = [],
        installation: ISO20ContractInstallation? = nil, logger: Logger
    ) async throws -> ISO20EVCCSessionSummary {
        let oemChain = try NIOSSLCertificate.fromPEMFile(pki.leafDirectory("oem-prov") + "/chain.pem")
        let oemKey = try NIOSSLPrivateKey(
            bytes: Array(try pki.keyStore.signingKey(label: "leaf/oem-prov/key").serializeAsPEM().pemString.utf8), format: .pem)
        let v2gRoot = try NIOSSLCertificate(
            bytes: Array(try pki.authority(.v2gRoot).certificate.serializeAsPEM().pemString.utf8), format: .pem)
        let connection = try await V2GClient.connect(
            to: server.localAddress,
            security: .tls(
                try V2GTLSClientProfile.iso15118_20(
                    v2gRoots: [v2gRoot], identity: V2GTLSIdentity(certificateChain: oemChain, privateKey: oemKey, root: nil))),
            logger: logger)
        return try await EVCCSession.runISO20(
            on: connection,
            configuration: ISO20EVCCConfiguration(
                evccID: "WMIV1234567890ABCDEX", maximumVoltageV: 800, minimumVoltageV: 200, maximumCurrentA: 250,
                maximumPowerW: 100_000, targetVoltageV: 400, targetCurrentA: 200, ac: false),
            contracts: contracts, installation: installation, chargeLoops: 3, logger: logger)
    }

    struct RunningCSMS: Sendable {
        let application: CSMSApplication
        let port: Int
        let task: Task<Void, any Error>

        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    /// The CSMS as `pnc csms --pki-iso20 DIR --emsp DB` wires it: the -20 PKI signs secp521r1 CSRs, its V2G and MO
    /// roots are installed at boot, Authorize checks contract chains and revocation (OCSP client with its cache),
    /// Get15118EVCertificate is answered by the eMSP's -20 provisioning.
    static func startCSMS(pki: PKIDirectory, emsp: SQLStore, folder: String, logger: Logger) async throws -> RunningCSMS {
        var configuration = CSMSApplicationConfiguration()
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.databasePath = folder + "/csms.sqlite"
        for (type, role) in [("V2GRootCertificate", CertificateRole.v2gRoot), ("MORootCertificate", .moRoot)] {
            configuration.csms.rootCertificatesToInstall.append(
                (type, try String(contentsOfFile: pki.caDirectory(role) + "/cert.pem", encoding: .utf8)))
        }
        let transport = OCSPHTTPTransport(timeout: .seconds(5))
        var plugAndCharge = try PlugAndChargeServices.pkis(
            [pki], client: OCSPClient(transport: transport, now: { Date() }, makeNonce: nil, hashAlgorithm: .sha256),
            transport: transport, contracts: EMSPContractDirectory(repository: emsp), now: { Date() })
        plugAndCharge.evCertificates = EMSPEVCertificateProvider(
            repository: emsp,
            provisioning: try ContractProvisioning.fromPKIDirectory(
                pki, allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA")))
        let store = try await SQLStore.openSQLite(path: configuration.databasePath, logger: logger)
        // Billing as `pnc csms --tariff FILE --outbox DIR` wires it: priced when TransactionEvent Ended is stored.
        let billing = EMSPTransactionBilling(
            store: store, tariff: try Tariff.load(json: Data(TransactionBillingTests.tariffJSON.utf8)),
            outbox: InvoiceOutbox(folder: folder + "/outbox"))
        let application = CSMSApplication(
            configuration: configuration, store: store,
            certificateAuthority: try PKICertificateAuthority(pkis: [pki], validityDays: 30), plugAndCharge: plugAndCharge,
            settlement: billing, logger: logger, now: { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = configuration.server
        let task = Task {
            defer { continuation.finish() }
            try await application.run(server: server) { _, port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            if case .failure(let error) = await task.result { throw error }
            throw CancellationError()
        }
        return RunningCSMS(application: application, port: port, task: task)
    }
}

/// The OCSP responder's CA folders, set once the PKI exists.
final class ResponderBox: Sendable {
    let folders = Mutex<OCSPResponderFolders?>(nil)
}

/// The station's backend as the SECC uses it, with the OCPP answers it passed on kept for the test to read.
final class RecordingBackend: ChargingBackend {
    let station: OCPPChargingStation
    let decisions = Mutex<[BackendAuthorizationDecision]>([])
    let exchanges = Mutex<[CertificateExchangeResult]>([])

    init(_ station: OCPPChargingStation) { self.station = station }

    func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision {
        let decision = try await station.authorize(request)
        decisions.withLock { $0.append(decision) }
        return decision
    }

    func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        let result = try await station.exchangeCertificate(request)
        exchanges.withLock { $0.append(result) }
        return result
    }

    func certificateStatus(_ request: CertificateStatusRequest) async throws -> CertificateStatusResult {
        try await station.certificateStatus(request)
    }

    func transactionStarted(_ event: TransactionStart) async throws -> String { try await station.transactionStarted(event) }
    func transactionUpdated(_ event: TransactionUpdate) async throws { try await station.transactionUpdated(event) }
    func transactionEnded(_ event: TransactionEnd) async throws { try await station.transactionEnded(event) }
}
