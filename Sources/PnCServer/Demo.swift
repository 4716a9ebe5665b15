import CSMS
import CSMSServer
import ChargingStation
import Foundation
import ISO15118SECC
import Logging
import NIOCore
import OCPPMessages
import OCPPTransport
import PKIHTTP
import PnCCore
import Synchronization
import Storage
import SwiftASN1
import Crypto
import EXI
import EMSP
import ISO2Messages
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

/// One line of the demo's timeline: a hop between two actors, what crossed it, how long it took, the trace id of the
/// decision it belongs to and the outcome.
public struct DemoTimelineEntry: Sendable, Hashable {
    public var hop: String
    public var step: String
    public var milliseconds: Double
    public var traceID: String?
    public var outcome: String
}

/// What a demo run did and left behind.
public struct DemoReport: Sendable {
    public var scenario: DemoScenario
    public var timeline: [DemoTimelineEntry] = []
    public var workDirectory: String
    /// The OCPP AuthorizationStatus of the session's authorization and its reason.
    public var authorization: BackendAuthorizationDecision?
    public var transactionID: String?
    /// The transaction as the CSMS stored it.
    public var storedTransaction: TransactionRecord?
    public var storedEnergyWh: [Double] = []
    public var seccCertificateChainPEM: String?
    public var installedRoots: [String] = []
    /// The CSMS's answer to the Plug & Charge Authorize (C07) with the PKI's contract, before any EIM fallback.
    public var contractAuthorization: BackendAuthorizationDecision?
    /// The SECC's check of the contract chain (against the MO roots the CSMS installed, OCSP on loopback); nil when
    /// the chain is valid.
    public var contractRefusal: ContractCheck?
    public var cdr: ChargeDetailRecord?
    public var invoiceNumber: String?
    public var invoicePath: String?
    /// Contract installation through the station and the CSMS to the eMSP/CPS (OCPP Get15118EVCertificate).
    public var contractInstallation: ContractInstallationOutcome?
    /// Parts of the flow this build does not run yet, with the reason.
    public var notRun: [String] = []
    /// Every plug-in of the vehicle, in order: how it ended, the OCPP Authorize answers and the transactions it started.
    public var plugIns: [DemoPlugIn] = []
    /// The Get15118EVCertificate answers the station received, in order.
    public var certificateExchanges: [DemoCertificateExchange] = []
    /// Every transaction the CSMS stored by the end of the run (SQLite).
    public var storedTransactions: [TransactionRecord] = []
    /// transactionId → the eMAID its stored invoice bills, for every invoiced transaction.
    public var invoicedEMAIDs: [String: String] = [:]
}

/// One plug-in of the demo's vehicle.
public struct DemoPlugIn: Sendable {
    public var label: String
    /// The eMAID of the contract the vehicle presented; nil for EIM and for a contract installation.
    public var presentedEMAID: String?
    public var succeeded: Bool
    /// The ISO 15118-2 FAILED response code that ended the session, if one did.
    public var failedResponseCode: String?
    /// The OCPP Authorize answers of the plug-in (idTokenInfo.status, certificateStatus).
    public var authorizations: [BackendAuthorizationDecision]
    /// The transactions the station started during the plug-in.
    public var transactionIDs: [String]
    /// The serial number of the contract certificate installed or updated in this plug-in, if one was.
    public var newContractSerial: String?
}

/// One OCPP Get15118EVCertificate as the station saw it.
public struct DemoCertificateExchange: Sendable, Hashable {
    /// CertificateActionEnumType: Install or Update.
    public var action: String
    /// Iso15118EVCertificateStatusEnumType: Accepted or Failed.
    public var status: String
    public var detail: String?
    public var milliseconds: Double
}

/// What the vehicle side finds in the CertificateInstallationRes relayed by the station (OCPP M02 → eMSP/CPS).
public struct ContractInstallationOutcome: Sendable, Hashable {
    /// OCPP Iso15118EVCertificateStatus of Get15118EVCertificate.
    public var ocppStatus: String
    /// ISO 15118-2 ResponseCode of the CertificateInstallationRes.
    public var iso15118ResponseCode: String
    public var eMAID: String?
    /// The CPS signature over the response verified with the CPS certificate the response carries.
    public var cpsSignatureVerified: Bool
    /// The contract private key decrypted with the OEM provisioning key matches the contract certificate.
    public var contractKeyMatches: Bool
    /// The contract certificate was issued by the PKI's MO Sub-CA 2.
    public var issuedByMOSubCA2: Bool
}

public enum DemoScenario: String, Sendable, CaseIterable {
    /// Commissioning, then the EV over ISO 15118-2: contract installation through OCPP, then Plug & Charge with it.
    case happy
    /// The CSMS goes away after the installation, before plug-in 2: the station's offline policy refuses the contract
    /// (no OCSP possible) and accepts the EV's EIM token from its local list; the events are journaled and replayed
    /// when the CSMS is back.
    case csmsOffline = "csms-offline"
    /// The installed contract is revoked at the MO Sub-CA 2: the OCSP responder answers revoked, the EV falls back to EIM.
    case revoked
    /// After the installation the vehicle presents an older certificate of its contract, past its notAfter: the SECC
    /// answers PaymentDetails with FAILED_CertificateExpired, the EV falls back to EIM.
    case expired
    /// The station no longer trusts the MO root (the CSMS deleted it with DeleteCertificate).
    case unknownRoot = "unknown-root"
    /// After the installation one byte of the contract certificate's signature is altered: the SECC's chain check
    /// answers PaymentDetails with FAILED_CertChainError, the EV falls back to EIM.
    case tamperedSignature = "tampered-signature"
    /// The vehicle signs an AuthorizationReq carrying a GenChallenge other than the one the SECC sent in
    /// PaymentDetailsRes: the SECC answers FAILED_ChallengeInvalid before any Authorize, the EV falls back to EIM.
    case wrongChallenge = "wrong-challenge"
    /// One byte of the AuthorizationReq's signature value is altered: the SECC answers FAILED_SignatureError before
    /// any Authorize, the EV falls back to EIM.
    case tamperedAuthorization = "tampered-authorization"
    /// The vehicle presents a valid contract certificate of MO Sub-CA 2 for an eMAID the eMSP does not know: the
    /// CSMS answers Authorize Unknown / NoCertificateAvailable, the SECC FAILED_NoCertificateAvailable.
    case unknownEMAID = "unknown-emaid"
    /// The eMSP's CPS is unreachable when the vehicle asks for CertificateInstallation: the CSMS answers
    /// Get15118EVCertificate Failed when its budget runs out, the SECC CertificateInstallationRes FAILED, the EV falls
    /// back to EIM.
    case cpsDown = "cps-down"
    /// The vehicle holds two contracts under different MO roots and prefers the one of a second MO whose root the
    /// station does not have: PaymentDetailsRes FAILED_NoCertificateAvailable, and at the next plug-in the vehicle
    /// picks its other contract, which is authorized and billed.
    case multiContract = "multi-contract"
    /// At plug-in 2 the installed contract is inside the vehicle's renewal window: CertificateUpdateReq → OCPP
    /// Get15118EVCertificate(Update) → eMSP/CPS → CertificateUpdateRes OK; the vehicle charges with the new
    /// certificate, which the CSMS's C07 compares with the eMSP's record.
    case update
}

/// The SECC's verdict on a contract chain, in ISO 15118-2 and OCPP terms.
public struct ContractCheck: Sendable, Hashable {
    /// ISO 15118-2 ResponseCode the SECC answers (PaymentDetailsRes / AuthorizationRes).
    public var iso15118ResponseCode: String
    /// OCPP 2.0.1 AuthorizeCertificateStatusEnumType.
    public var certificateStatus: BackendAuthorizationDecision.CertificateStatus
    public var reason: String

    /// The OCPP certificate status matching an SECC refusal made without asking the CSMS.
    static func certificateStatus(iso15118ResponseCode code: String) -> BackendAuthorizationDecision.CertificateStatus {
        switch code {
        case "FAILED_CertificateExpired": .certificateExpired
        case "FAILED_CertificateRevoked": .certificateRevoked
        case "FAILED_NoCertificateAvailable": .noCertificateAvailable
        case "FAILED_SignatureError": .signatureError
        default: .certChainError
        }
    }

    static func from(_ failure: ChainValidationFailure) -> ContractCheck {
        switch failure {
        case .expired, .notYetValid:
            ContractCheck(iso15118ResponseCode: "FAILED_CertificateExpired", certificateStatus: .certificateExpired, reason: failure.description)
        case .revoked:
            ContractCheck(iso15118ResponseCode: "FAILED_CertificateRevoked", certificateStatus: .certificateRevoked, reason: failure.description)
        case .unknownRoot:
            ContractCheck(iso15118ResponseCode: "FAILED_NoCertificateAvailable", certificateStatus: .noCertificateAvailable, reason: failure.description)
        case .badSignature:
            ContractCheck(iso15118ResponseCode: "FAILED_CertChainError", certificateStatus: .signatureError, reason: failure.description)
        default:
            ContractCheck(iso15118ResponseCode: "FAILED_CertChainError", certificateStatus: .certChainError, reason: failure.description)
        }
    }
}

/// Runs the chain in one process: a V2G PKI in a temporary folder, the CSMS (OCPP-J on 127.0.0.1, port 0, SQLite),
/// one charging station (our OCPP 2.0.1 client) through commissioning (roots installed, SECC certificate signed by
/// CPO Sub-CA 2) and one charging session, timing every hop.
public enum Demo {
    public static let stationID = "OPNC-DEMO-CS1"
    public static let demoToken = "DEMO-RFID-0001"
    /// The driver's contract; the RFID card belongs to the same contract, so both are billed to it.
    public static let demoEMAID = "DE8AA001234567"
    /// 0.49 EUR/kWh, 0.60 EUR/h, 0.35 EUR per session, 19 % VAT.
    /// The CSMS's latency budget for Get15118EVCertificate (M02/M03).
    public static let evCertificateBudget: Duration = .seconds(3)
    /// 0.49 EUR/kWh, 0.60 EUR/h, 0.35 EUR per session, 19 % VAT.
    public static let demoTariff = Tariff(
        id: "OPNC-DC-DEMO", currency: "EUR", energyPricePerKWhMicros: 490_000, timePricePerHourMicros: 600_000,
        sessionFeeMicros: 350_000, vatRateBasisPoints: 1900)

    public static func run(scenario: DemoScenario, workDirectory: String, logger: Logger) async throws -> DemoReport {
        var report = DemoReport(scenario: scenario, workDirectory: workDirectory)
        func timed<T>(
            _ hop: String, _ step: String, trace: TraceID? = nil, _ body: () async throws -> T,
            outcome: (T) -> String
        ) async rethrows -> T {
            let start = ContinuousClock.now
            let value = try await body()
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            report.timeline.append(
                DemoTimelineEntry(hop: hop, step: step, milliseconds: ms, traceID: trace?.rawValue, outcome: outcome(value)))
            return value
        }

        // OCSP responder on loopback; it serves the PKI's CAs once they exist. In `revoked` its answers are valid for
        // one second only, so that the CSMS's cached `good` for the contract (nextUpdate) expires after the revocation.
        let ocspValidity: Foundation.TimeInterval = scenario == .revoked ? 1 : 3600
        let folders = Mutex<OCSPResponderFolders?>(nil)
        let ocspServer = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            folders.withLock { $0 }?.respond(to: request, now: Date()) ?? []
        }
        let ocspTask = Task { try await ocspServer.run() }
        defer { ocspTask.cancel() }
        let ocspURL = "http://127.0.0.1:\(ocspServer.port)/ocsp"

        // PKI.
        let pkiFolder = workDirectory + "/pki"
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.contractEMAID = try EMAID(demoEMAID)
        options.pcid = try PCID(demoPCID)
        let pki = try await timed("PKI", "pnc pki init (V2G, MO, OEM roots, Sub-CAs, leaves)", {
            try PKIDirectory.create(
                at: pkiFolder,
                configuration: .init(profile: .iso15118_2, ocspURL: ocspURL, crlBaseURL: "http://127.0.0.1:8888/crl"),
                password: nil, options: options)
        }, outcome: { _ in "created in \(pkiFolder)" })
        let caFolders = CertificateRole.allCases.filter(\.isCA).map { URL(fileURLWithPath: pki.caDirectory($0)) }
            .filter { FileManager.default.fileExists(atPath: $0.path + "/database.json") }
        folders.withLock { $0 = try? OCSPResponderFolders(directories: caFolders, validity: ocspValidity) }
        let v2gRoot = try pki.authority(.v2gRoot).certificate.serializeAsPEM().pemString
        let moRoot = try pki.authority(.moRoot).certificate.serializeAsPEM().pemString

        // CSMS.
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(10)
        configuration.databasePath = workDirectory + "/csms.sqlite"
        configuration.evCertificateBudget = evCertificateBudget
        configuration.csms.rootCertificatesToInstall = [("V2GRootCertificate", v2gRoot), ("MORootCertificate", moRoot)]
        let authority = try PKICertificateAuthority(pki: pki, validityDays: 365)
        let provisioning = try ContractProvisioning.fromPKIDirectory(
            pki, allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        let cps = CPSReachability()
        let csmsOCSP = OCSPClient(transport: OCSPHTTPTransport(), now: { Date() }, makeNonce: nil, hashAlgorithm: .sha256)
        let csms = DemoCSMS(
            configuration: configuration, authority: authority, logger: logger,
            billing: (demoTariff, workDirectory + "/outbox")
        ) { store in
            // The CSMS's Plug & Charge ports: OCSP (cached) and chain validation from the PKI, contracts and contract
            // certificates from the eMSP (same database).
            var services = try PlugAndChargeServices.pki(
                pki, client: csmsOCSP, transport: OCSPHTTPTransport(),
                contracts: EMSPContractDirectory(repository: store), now: { Date() })
            services.evCertificates = CPSLink(
                provider: EMSPEVCertificateProvider(repository: store, provisioning: provisioning), reachability: cps)
            return services
        }
        var running = try await timed("CSMS", "start (OCPP-J on 127.0.0.1, SQLite)", { try await csms.start(port: 0) },
            outcome: { "listening on 127.0.0.1:\($0.port)" })
        try await running.application.store.saveToken(
            IdTokenRecord(idToken: demoToken, type: "ISO14443", status: "Accepted", groupIdToken: demoEMAID))
        // eMSP: the driver's contract, bound to the vehicle's PCID, with the PKI's contract certificate.
        try await timed("EMSP", "customer, vehicle \(demoPCID), contract \(demoEMAID) (active)", {
            let store = running.application.store
            let chain = try CertificateFile.certificates(atPath: pki.leafDirectory("contract") + "/chain.pem")
            try await store.save(Customer(id: "demo", name: "Demo driver", email: "driver@example.org"))
            try await store.save(Vehicle(pcid: try PCID(demoPCID), customerID: "demo", label: "demo EV"))
            try await store.save(Contract(
                emaid: try EMAID(demoEMAID), pcid: try PCID(demoPCID), customerID: "demo",
                validFrom: chain.first?.notValidBefore ?? Date(), validTo: chain.first?.notValidAfter ?? Date(),
                certificateChain: try chain.map { try $0.derBytes }, certificateSerial: chain.first.map { Array($0.serialNumber.bytes) }))
        }, outcome: { "stored in the CSMS database (eMSP tables)" })
        let port = running.port

        // Station.
        var ocpp = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: stationID)
        ocpp.callTimeout = .seconds(10)
        ocpp.connectTimeout = .seconds(2)
        var stationConfiguration = StationConfiguration(ocpp: ocpp, dataDirectory: workDirectory + "/station")
        stationConfiguration.minimumBackOff = .milliseconds(200)
        stationConfiguration.serialNumber = "DEMO-0001"
        var policy = OfflineAuthorizationPolicy()
        policy.localAuthList = [demoToken: .accepted, DemoVehicleLeg.eimToken: .accepted]
        stationConfiguration.offlinePolicy = policy
        let station = try OCPPChargingStation(configuration: stationConfiguration, logger: logger)
        let stationTask = Task { try await station.run() }
        defer { stationTask.cancel() }

        let online = await timed("SECC↔CSMS", "BootNotification → Accepted, StatusNotification", {
            await station.wait(timeout: .seconds(60)) { $0.isOnline }
        }, outcome: { $0 ? "Accepted" : "not accepted within 60 s" })
        guard online else { throw ChargingStationErrorBridge.failed("the station did not boot") }
        report.installedRoots = await timed("CSMS→SECC", "InstallCertificate ×2 (V2G, MO roots), GetInstalledCertificateIds", {
            _ = await station.wait(timeout: .seconds(60)) { (try? $0.certificates.installed().count) == 2 }
            return ((try? station.certificates.installed()) ?? []).map(\.type)
        }, outcome: { "installed: \($0.joined(separator: ", "))" })
        report.seccCertificateChainPEM = try await timed(
            "CSMS↔PKI", "TriggerMessage(SignV2GCertificate) → SignCertificate(CSR) → CPO Sub-CA 2 → CertificateSigned", {
                _ = try await sendToStation(
                    CSMSCall(V201.TriggerMessageRequest(requestedMessage: .signV2GCertificate)), via: running.application,
                    station: station)
                _ = await station.wait(timeout: .seconds(60)) { $0.certificates.seccChainPEM() != nil }
                return station.certificates.seccChainPEM()
            }, outcome: { $0 == nil ? "no certificate" : "SECC chain stored (leaf + CPO Sub-CA 2 + Sub-CA 1)" })

        // Session.
        var generator = SystemRandomNumberGenerator()
        var trace = TraceID.random(using: &generator)
        var transactionID = ""
        do {
            // The SECC trusts the MO roots the CSMS installed in the station (M05); in `unknown-root` the CSMS deletes
            // the MO root (M04) after the contract installation, before the vehicle plugs in again.
            let installedMORoots: @Sendable () throws -> [Certificate] = {
                try station.certificates.installed(types: ["MORootCertificate"]).compactMap { try? Certificate(pemEncoded: $0.pem) }
            }
            let beforeSecondPlugIn: () async throws -> ([Certificate], [DemoTimelineEntry]) = {
                var entries: [DemoTimelineEntry] = []
                if scenario == .csmsOffline {
                    // The CSMS goes away after the installation session's events reached it (none in flight): the
                    // station then decides from its local list and journals.
                    _ = await station.wait(timeout: .seconds(120)) { $0.isOnline && $0.journal.pending.isEmpty }
                    let start = ContinuousClock.now
                    await running.stop()
                    let elapsed = ContinuousClock.now - start
                    // A call on the closed connection fails at once and the station decides offline.
                    entries.append(DemoTimelineEntry(
                        hop: "CSMS", step: "stopped (unreachable) before plug-in 2",
                        milliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
                        traceID: nil, outcome: "down"))
                }
                if scenario == .unknownRoot, let installed = try station.certificates.installed(types: ["MORootCertificate"]).first {
                    let hash = installed.hashData
                    let start = ContinuousClock.now
                    let answer = try await sendToStation(
                            CSMSCall(
                                V201.DeleteCertificateRequest(
                                    certificateHashData: .init(
                                        hashAlgorithm: .sha256, issuerNameHash: hash.issuerNameHash,
                                        issuerKeyHash: hash.issuerKeyHash, serialNumber: hash.serialNumber))),
                            via: running.application, station: station)
                    let elapsed = ContinuousClock.now - start
                    entries.append(DemoTimelineEntry(
                        hop: "CSMS→SECC", step: "DeleteCertificate (MO root)",
                        milliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
                        traceID: nil, outcome: "\(answer["status"]?.stringValue ?? "-"): the station no longer trusts the MO root"))
                }
                return (try installedMORoots(), entries)
            }
            if scenario == .cpsDown {
                cps.reachable.withLock { $0 = false }
                report.timeline.append(DemoTimelineEntry(
                    hop: "CSMS↔CPS", step: "the eMSP's CPS becomes unreachable", milliseconds: 0, traceID: nil,
                    outcome: "requests get no answer; the CSMS's budget is \(evCertificateBudget)"))
            }
            guard let real = try await vehicleLeg(
                scenario: scenario, pki: pki, station: station, contractRoots: try installedMORoots(),
                beforeSecondPlugIn: beforeSecondPlugIn, store: running.application.store,
                report: &report,
                refreshOCSP: { folders.withLock { $0 = try? OCSPResponderFolders(directories: caFolders, validity: ocspValidity) } },
                logger: logger)
            else { return report }
            (transactionID, _, trace) = real
            if scenario == .csmsOffline {
                report.timeline.append(
                    DemoTimelineEntry(
                        hop: "SECC", step: "offline journal", milliseconds: 0, traceID: trace.rawValue,
                        outcome: "\(station.journal.pending.count) TransactionEvents queued (fsync'd)"))
                running = try await timed("CSMS", "started again on the same port", { try await csms.start(port: port) },
                    outcome: { "listening on 127.0.0.1:\($0.port)" })
            }
        }
        let delivered = await timed("SECC→CSMS", "journaled TransactionEvents delivered", trace: trace, {
            // Reconnection back-off after the CSMS's absence: allow a loaded machine a generous bound.
            await station.wait(timeout: .seconds(120)) { $0.isOnline && $0.journal.pending.isEmpty }
        }, outcome: { $0 ? "stored by the CSMS (idempotent by transactionId+seqNo)" : "still queued" })
        if delivered {
            report.storedTransaction = try await running.application.store.transaction(
                stationID: stationID, transactionID: transactionID)
            report.storedEnergyWh = try await running.application.store.meterSamples(
                stationID: stationID, transactionID: transactionID, limit: 100
            ).filter { $0.measurand == "Energy.Active.Import.Register" }.map(\.value).sorted()
        }
        report.storedTransactions = try await running.application.store.transactions(stationID: stationID, limit: 100, offset: 0)
        for record in report.storedTransactions {
            if let billed = try await running.application.store.invoice(stationID: stationID, transactionID: record.transactionID) {
                report.invoicedEMAIDs[record.transactionID] = billed.invoice.cdr.session.eMAID
            }
        }
        // The CSMS billed the transaction when it stored its Ended event (EMSPTransactionBilling, once per transaction).
        if report.storedTransaction != nil,
            let billed = try await running.application.store.invoice(stationID: stationID, transactionID: transactionID)
        {
            let settled = running.billing?.settled.first { $0.transactionID == transactionID }
            report.timeline.append(DemoTimelineEntry(
                hop: "CSMS→EMSP", step: "at TransactionEvent Ended: CDR priced, invoice written and stored",
                milliseconds: settled?.milliseconds ?? 0, traceID: trace.rawValue,
                outcome: "\(billed.invoice.number): \(billed.invoice.cdr.session.eMAID), \(billed.invoice.cdr.totalEnergyKWh) kWh, \(billed.invoice.cdr.totalExclVAT) + VAT \(billed.invoice.cdr.vat) = \(billed.invoice.cdr.totalInclVAT)"))
            report.cdr = billed.invoice.cdr
            report.invoiceNumber = billed.invoice.number
            report.invoicePath = billed.htmlPath
        }
        stationTask.cancel()
        await awaitBounded(stationTask, seconds: 5)
        await running.stop()
        return report
    }

    /// Waits for `task` to finish, `seconds` at most.
    static func awaitBounded<T: Sendable>(_ task: Task<T, any Error>, seconds: Int) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await task.result }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Sends a CSMS-initiated call; when the station's connection dropped in between (it reconnects by itself), waits
    /// for it to be back and tries again, three times at most.
    static let demoPCID = "WMIV1234567890ABCD"

    /// The vehicle's CertificateInstallationReq signed with its OEM provisioning key ([V2G2-897]).
    static func installationRequest(oemCert: Certificate?, oemKey: P256.Signing.PrivateKey) throws -> [UInt8] {
        guard let oemCert else { throw ChargingStationErrorBridge.failed("the PKI has no OEM provisioning certificate") }
        let req = CertificateInstallationReq(
            id: "ID1", oemProvisioningCert: try oemCert.derBytes,
            listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 1)
            ]))
        let signature = try ISO2Signature.sign([.certificateInstallationReq(req)], with: .p256(oemKey))
        return try ISO2Document.v2gMessage(V2GMessage(
            header: MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8], signature: signature),
            body: Body(bodyElement: .certificateInstallationReq(req)))).exiEncoded()
    }

    /// What an EV checks in the relayed CertificateInstallationRes.
    static func checkInstallation(
        _ result: CertificateExchangeResult, oemKey: P256.Signing.PrivateKey, moSubCA2: Certificate
    ) -> ContractInstallationOutcome {
        var outcome = ContractInstallationOutcome(
            ocppStatus: result.status.rawValue, iso15118ResponseCode: "-", eMAID: nil, cpsSignatureVerified: false,
            contractKeyMatches: false, issuedByMOSubCA2: false)
        guard case .v2gMessage(let message)? = try? ISO2Document(exi: result.exiResponse),
            case .certificateInstallationRes(let res)? = message.body.bodyElement
        else { return outcome }
        outcome.iso15118ResponseCode = res.responseCode.rawValue
        outcome.eMAID = res.eMAID.value
        if let signature = message.header.signature,
            let key = try? V2GVerifyingKey(certificateDER: res.saProvisioningCertificateChain.certificate)
        {
            outcome.cpsSignatureVerified = (try? ISO2Signature.verify(signature, fragments: ISO2Signature.fragments(of: res), key: key)) != nil
        }
        if let agreement = try? P256.KeyAgreement.PrivateKey(rawRepresentation: oemKey.rawRepresentation),
            let contractKey = try? ISO2ContractKeyEncryption.decrypt(
                EncryptedContractKey(encryptedPrivateKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value),
                with: agreement),
            let certificate = try? Certificate(derEncoded: res.contractSignatureCertChain.certificate)
        {
            outcome.contractKeyMatches = certificate.publicKey == Certificate.PublicKey(contractKey.publicKey)
            outcome.issuedByMOSubCA2 = certificate.issuer == moSubCA2.subject
        }
        return outcome
    }

    static func sendToStation(_ call: CSMSCall, via application: CSMSApplication, station: OCPPChargingStation)
        async throws -> JSONValue
    {
        var attempt = 0
        while true {
            do {
                return try await application.send(call, to: stationID)
            } catch {
                attempt += 1
                if attempt >= 3 { throw error }
                try await Task.sleep(for: .milliseconds(200))
                _ = await station.wait(timeout: .seconds(60)) { $0.isOnline }
            }
        }
    }

    /// The report as text: the timeline, then what the CSMS stored and what was not run.
    public static func render(_ report: DemoReport) -> String {
        var lines = ["OpenPnC demo — scenario \(report.scenario.rawValue) (work folder \(report.workDirectory))", ""]
        for entry in report.timeline {
            let ms = String(format: "%8.1f ms", entry.milliseconds)
            let trace = entry.traceID.map { " trace=\($0)" } ?? ""
            lines.append("\(ms)  \(entry.hop.padding(toLength: 10, withPad: " ", startingAt: 0))  \(entry.step): \(entry.outcome)\(trace)")
        }
        lines.append("")
        if let record = report.storedTransaction {
            lines.append(
                "CSMS transaction \(record.transactionID): \(record.eventCount) events, last seqNo \(record.lastSeqNo), stopped \(record.stoppedReason ?? "-"), energy register \(report.storedEnergyWh.map { String(Int($0)) }.joined(separator: " → ")) Wh")
        }
        if let path = report.invoicePath { lines.append("Invoice: \(path)") }
        if !report.notRun.isEmpty {
            lines.append("Not run in this build:")
            lines += report.notRun.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

enum ChargingStationErrorBridge: Error {
    case failed(String)
}

/// The CSMS of the demo: can be stopped and started again on the same port and database.
struct DemoCSMS: Sendable {
    let configuration: CSMSApplicationConfiguration
    let authority: PKICertificateAuthority
    let logger: Logger
    /// The tariff and outbox folder of the CSMS's billing; nil: no billing.
    var billing: (tariff: Tariff, outbox: String)? = nil
    let plugAndCharge: @Sendable (SQLStore) throws -> PlugAndChargeServices

    struct Running: Sendable {
        let application: CSMSApplication
        let port: Int
        let task: Task<Void, any Error>
        let billing: EMSPTransactionBilling?
        /// Cancels the CSMS and waits for it, 5 s at most (a shutdown stuck on a connection must not hang the demo).
        func stop() async {
            task.cancel()
            await Demo.awaitBounded(task, seconds: 5)
        }
    }

    func start(port: Int) async throws -> Running {
        var server = configuration.server
        server.port = port
        let store = try await SQLStore.openSQLite(path: configuration.databasePath, logger: logger)
        let settlement = billing.map { EMSPTransactionBilling(store: store, tariff: $0.tariff, outbox: InvoiceOutbox(folder: $0.outbox)) }
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: authority,
            plugAndCharge: try plugAndCharge(store), settlement: settlement, logger: logger,
            now: { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        // When the server ends before it listens (e.g. the port was taken meanwhile), the stream ends too, so that
        // start throws instead of waiting forever.
        let task = Task {
            defer { continuation.finish() }
            try await application.run(server: server) { _, port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            if case .failure(let error) = await task.result { throw error }
            throw CancellationError()
        }
        return Running(application: application, port: bound, task: task, billing: settlement)
    }
}

/// Whether the CSMS reaches the eMSP's contract certificate service (CPS).
final class CPSReachability: Sendable {
    let reachable = Mutex(true)
}

/// The CSMS's link to the eMSP's CPS: relays every request to the eMSP while it is reachable; while it is not, a
/// request gets no answer (as across a partitioned network) until the caller gives up, so the CSMS's
/// Get15118EVCertificate budget decides.
struct CPSLink: EVCertificateProvider {
    let provider: any EVCertificateProvider
    let reachability: CPSReachability

    func certificate(for request: EVCertificateRequest) async throws -> EVCertificateResponse {
        if reachability.reachable.withLock({ $0 }) { return try await provider.certificate(for: request) }
        // No answer: waits until cancelled (the CSMS's budget), ten minutes at most.
        try await Task.sleep(for: .seconds(600))
        throw PnCServerError(.configuration, "the CPS did not answer")
    }
}
