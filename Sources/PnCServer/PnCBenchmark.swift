import CSMS
import CSMSServer
import ChargingStation
import Crypto
import EMSP
import EXI
import Foundation
import ISO15118SECC
import ISO2Messages
import NIOCore
import SwiftASN1
import Logging
import OCPPTransport
import PKIHTTP
import PnCCore
import Storage
import Synchronization
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

/// The figures of `pnc bench pnc`: each series is one timed path, run `runs` times one after the other.
public struct PnCBenchmarkReport: Sendable {
    public struct Series: Sendable, Hashable {
        /// Short name: `installation`, `authorization-cached`, `authorization-uncached`.
        public var name: String
        /// What one sample covers, from its first step to its last.
        public var path: String
        /// The p99 the issue sets for this path, in milliseconds.
        public var targetP99Milliseconds: Double
        /// One duration per run, in milliseconds, in run order.
        public var samples: [Double]

        public init(name: String, path: String, targetP99Milliseconds: Double, samples: [Double]) {
            self.name = name
            self.path = path
            self.targetP99Milliseconds = targetP99Milliseconds
            self.samples = samples
        }

        /// Nearest-rank percentile (`p` in 0 ... 1) of the samples.
        public func percentile(_ p: Double) -> Double {
            let sorted = samples.sorted()
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p * Double(sorted.count)).rounded(.up))
            return sorted[min(sorted.count - 1, max(0, rank - 1))]
        }
        public var p50: Double { percentile(0.5) }
        public var p99: Double { percentile(0.99) }
        public var mean: Double { samples.isEmpty ? 0 : samples.reduce(0, +) / Double(samples.count) }
        public var minimum: Double { samples.min() ?? 0 }
        public var maximum: Double { samples.max() ?? 0 }
    }

    public var runs: Int
    public var series: [Series] = []
    /// The CSMS's OCSP client: answers fetched from the responder and answers served from its cache.
    public var ocspFetches = 0
    public var ocspCacheHits = 0
    /// What every run checked besides its duration (outcome of the last run of each series).
    public var checks: [String] = []
}

/// `pnc bench pnc`: the Plug & Charge round trips through the real parts on loopback.
///
/// One V2G PKI (temporary folder), the OCSP responder over HTTP on 127.0.0.1, the CSMS over OCPP-J on 127.0.0.1 with
/// SQLite, the eMSP/CPS answering Get15118EVCertificate from the same database, one OCPP 2.0.1 charging station
/// (our client) commissioned by the CSMS (V2G and MO roots installed). Each run drives a fresh ISO 15118-2 SECC state
/// machine (the one `SECCService` hosts) with the vehicle's messages EXI-encoded and decoded on both sides; the
/// EV↔SECC TCP/TLS transport itself is not in the figures (`pnc bench v2g` measures it).
public enum PnCBenchmark {
    static let pcid = "WMIV1234567890BNCH"
    static let eMAID = "DE8AA001234567"
    static let sessionID: [UInt8] = [0x42, 0x45, 0x4E, 0x43, 0x48, 0, 0, 1]

    /// Runs the three series `runs` times each (1 ... 100 000).
    public static func run(runs: Int, workDirectory: String, logger: Logger) async throws -> PnCBenchmarkReport {
        guard (1...100_000).contains(runs) else { throw PnCServerError(.configuration, "runs must be 1 ... 100000, got \(runs)") }
        var report = PnCBenchmarkReport(runs: runs)

        // OCSP responder on loopback, serving the PKI's CA folders (re-read when a database changes).
        let folders = Mutex<OCSPResponderFolders?>(nil)
        let ocspServer = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            folders.withLock { $0 }?.respond(to: request, now: Date()) ?? []
        }
        let ocspTask = Task { try await ocspServer.run() }
        defer { ocspTask.cancel() }

        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.contractEMAID = try EMAID(eMAID)
        options.pcid = try PCID(pcid)
        let pki = try PKIDirectory.create(
            at: workDirectory + "/pki",
            configuration: .init(
                profile: .iso15118_2, ocspURL: "http://127.0.0.1:\(ocspServer.port)/ocsp",
                crlBaseURL: "http://127.0.0.1:8888/crl"),
            password: nil, options: options)
        let caFolders = CertificateRole.allCases.filter(\.isCA).map { URL(fileURLWithPath: pki.caDirectory($0)) }
            .filter { FileManager.default.fileExists(atPath: $0.path + "/database.json") }
        try folders.withLock { $0 = try OCSPResponderFolders(directories: caFolders, validity: 3_600) }
        let v2gRoot = try pki.authority(.v2gRoot).certificate
        let moRoot = try pki.authority(.moRoot).certificate

        // CSMS with the eMSP's Plug & Charge ports, as `pnc demo` composes it.
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(10)
        // One station sends its calls back to back, faster than the default flood limit (100 messages/s, burst 200,
        // then close 1008) allows a real charger.
        configuration.server.messagesPerSecond = 10_000
        configuration.databasePath = workDirectory + "/csms.sqlite"
        configuration.csms.rootCertificatesToInstall = [
            ("V2GRootCertificate", try v2gRoot.serializeAsPEM().pemString),
            ("MORootCertificate", try moRoot.serializeAsPEM().pemString),
        ]
        let provisioning = try ContractProvisioning.fromPKIDirectory(
            pki, allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        let csmsOCSP = OCSPClient(transport: OCSPHTTPTransport(), now: { Date() }, makeNonce: nil, hashAlgorithm: .sha256)
        let csms = DemoCSMS(
            configuration: configuration, authority: try PKICertificateAuthority(pki: pki, validityDays: 365), logger: logger
        ) { store in
            var services = try PlugAndChargeServices.pki(
                pki, client: csmsOCSP, transport: OCSPHTTPTransport(), contracts: EMSPContractDirectory(repository: store),
                now: { Date() })
            services.evCertificates = EMSPEVCertificateProvider(repository: store, provisioning: provisioning)
            return services
        }
        let running = try await csms.start(port: 0)
        let store = running.application.store
        let contractChain = try CertificateFile.certificates(atPath: pki.leafDirectory("contract") + "/chain.pem")
        try await store.save(Customer(id: "bench", name: "Benchmark driver", email: nil))
        try await store.save(Vehicle(pcid: try PCID(pcid), customerID: "bench", label: "benchmark EV"))
        try await store.save(Contract(
            emaid: try EMAID(eMAID), pcid: try PCID(pcid), customerID: "bench",
            validFrom: contractChain.first?.notValidBefore ?? Date(), validTo: contractChain.first?.notValidAfter ?? Date(),
            certificateChain: try contractChain.map { try $0.derBytes },
            certificateSerial: contractChain.first.map { Array($0.serialNumber.bytes) }))

        // The charging station, commissioned by the CSMS.
        var ocpp = OCPPClientConfiguration(host: "127.0.0.1", port: running.port, stationID: "OPNC-BENCH-CS1")
        ocpp.callTimeout = .seconds(10)
        ocpp.connectTimeout = .seconds(5)
        var stationConfiguration = StationConfiguration(ocpp: ocpp, dataDirectory: workDirectory + "/station")
        stationConfiguration.minimumBackOff = .milliseconds(200)
        stationConfiguration.serialNumber = "BENCH-0001"
        let station = try OCPPChargingStation(configuration: stationConfiguration, logger: logger)
        let stationTask = Task { try await station.run() }
        defer { stationTask.cancel() }
        let commissioned = await station.wait(timeout: .seconds(60)) {
            $0.isOnline && ((try? $0.certificates.installed(types: ["MORootCertificate"]).count) ?? 0) >= 1
        }
        guard commissioned else {
            await running.stop()
            throw PnCServerError(.configuration, "the station was not commissioned (boot, MO root) within 60 s")
        }
        let contractRoots = try station.certificates.installed(types: ["MORootCertificate"]).map {
            try Certificate(pemEncoded: $0.pem)
        }
        let oemCertificate = try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/cert.pem")
        guard let oem = oemCertificate.first else { throw PnCServerError(.configuration, "the PKI has no OEM provisioning certificate") }
        let oemKey = try P256.Signing.PrivateKey(
            pemRepresentation: try pki.keyStore.signingKey(label: "leaf/oem-prov/key").serializeAsPEM().pemString)
        let vehicle = BenchVehicle(
            oemCertificate: try oem.derBytes, oemKey: oemKey, v2gRoot: v2gRoot, moSubCA2: try pki.authority(.moSubCA2).certificate)
        let secc = ISO2SECCStateMachine.Configuration(
            evseID: "DE*OPN*EBENCH*1", evseNumber: 1, capabilities: EVSECapabilities(
                energyTransfers: [.dcExtended, .dcCore], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
                maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "BENCH-1"),
            paymentOptions: [.contract, .externalPayment], contractRoots: contractRoots)

        do {
            // (a) Contract installation.
            var installation = PnCBenchmarkReport.Series(
                name: "installation",
                path: "EV signs CertificateInstallationReq (OEM key, EXI) → SECC → OCPP Get15118EVCertificate → CSMS → eMSP/CPS (contract issued by MO Sub-CA 2, stored) → CertificateInstallationRes (EXI) → EV validates the CPS chain, verifies the signature, decrypts the contract key",
                targetP99Milliseconds: 100, samples: [])
            var contract: BenchContract?
            for run in 0..<runs {
                var machine = try await machineAtPaymentDetails(secc, run: run)
                let start = ContinuousClock.now
                let installed = try await installOnce(machine: &machine, vehicle: vehicle, station: station, run: run)
                installation.samples.append(milliseconds(ContinuousClock.now - start))
                contract = installed
            }
            report.series.append(installation)
            guard let contract else { throw PnCServerError(.configuration, "no contract installed") }
            report.checks.append(
                "installation: every CertificateInstallationRes OK, CPS chain valid to the V2G root, signature verified, key matches the certificate; last eMAID \(contract.eMAID)")

            // (b) Plug & Charge authorization, the CSMS's OCSP answers cached (nextUpdate 1 h), then uncached.
            for cached in [true, false] {
                var series = PnCBenchmarkReport.Series(
                    name: cached ? "authorization-cached" : "authorization-uncached",
                    path: "PaymentDetailsReq (EXI) → SECC chain check to the MO root, GenChallenge → AuthorizationReq signed with the contract key → SECC signature check → OCPP Authorize (eMAID, iso15118CertificateHashData) → CSMS: contract status, OCSP "
                        + (cached ? "from the cache (nextUpdate honoured)" : "over HTTP on loopback (cache cleared before each run)")
                        + " → Accepted → AuthorizationRes Finished (EXI)",
                    targetP99Milliseconds: 20, samples: [])
                if cached {
                    // Warm the cache once outside the figures.
                    var machine = try await machineAtPaymentDetails(secc, run: runs)
                    try await authorizeOnce(machine: &machine, contract: contract, station: station, run: runs)
                }
                for run in 0..<runs {
                    if !cached { await csmsOCSP.clearCache() }
                    var machine = try await machineAtPaymentDetails(secc, run: run)
                    let start = ContinuousClock.now
                    try await authorizeOnce(machine: &machine, contract: contract, station: station, run: run)
                    series.samples.append(milliseconds(ContinuousClock.now - start))
                }
                report.series.append(series)
            }
            report.checks.append("authorization: every AuthorizationRes OK/Finished after OCPP Authorize Accepted (certificateStatus Accepted)")
            report.ocspFetches = await csmsOCSP.fetchCount
            report.ocspCacheHits = await csmsOCSP.cacheHitCount
        } catch {
            stationTask.cancel()
            await Demo.awaitBounded(stationTask, seconds: 5)
            await running.stop()
            throw error
        }
        stationTask.cancel()
        await Demo.awaitBounded(stationTask, seconds: 5)
        await running.stop()
        return report
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func message(_ body: BodyElement, signature: Signature? = nil) -> V2GMessage {
        V2GMessage(header: MessageHeader(sessionID: sessionID, signature: signature), body: Body(bodyElement: body))
    }

    /// The EV's message as the SECC receives it: EXI-encoded by the EV, decoded by the SECC.
    static func overTheWire(_ message: V2GMessage) throws -> (V2GMessage, [UInt8]) {
        let exi = try ISO2Document.v2gMessage(message).exiEncoded()
        guard case .v2gMessage(let decoded) = try ISO2Document(exi: exi) else {
            throw PnCServerError(.configuration, "EXI round trip did not give a V2G message")
        }
        return (decoded, exi)
    }

    /// The SECC's answer as the EV receives it.
    static func answer(_ action: ISO2SECCStateMachine.Action) throws -> V2GMessage {
        let message: V2GMessage
        switch action {
        case .send(let m, _), .sendAndClose(let m), .authorize(_, let m, _), .startTransaction(_, let m, _),
            .sendAndUpdateTransaction(let m, _, _), .endTransaction(_, let m):
            message = m
        case .controller, .exchangeCertificate, .close, .none:
            throw PnCServerError(.configuration, "the SECC did not answer (\(action))")
        }
        return try overTheWire(message).0
    }

    /// A fresh SECC machine that accepted SessionSetup, ServiceDiscovery and PaymentServiceSelection(Contract); not
    /// timed.
    static func machineAtPaymentDetails(_ configuration: ISO2SECCStateMachine.Configuration, run: Int) async throws
        -> ISO2SECCStateMachine
    {
        var generator = SystemRandomNumberGenerator()
        let challenge = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var machine = ISO2SECCStateMachine(
            configuration: configuration, proposedSessionID: sessionID, traceID: TraceID.random(using: &generator),
            genChallenge: challenge)
        let now = Date().timeIntervalSince1970
        let evccID: [UInt8] = [2, 0, 0, 0xBE, UInt8(run >> 8 & 0xFF), UInt8(run & 0xFF)]
        let setup = V2GMessage(
            header: MessageHeader(sessionID: [0]), body: Body(bodyElement: .sessionSetupReq(SessionSetupReq(evccID: evccID))))
        for request in [
            setup, message(.serviceDiscoveryReq(ServiceDiscoveryReq())),
            message(.paymentServiceSelectionReq(PaymentServiceSelectionReq(
                selectedPaymentOption: .contract,
                selectedServiceList: SelectedServiceList(selectedService: [SelectedService(serviceID: 1)])))),
        ] {
            let reply = try answer(machine.received(try overTheWire(request).0, now: now))
            if let code = responseCode(reply), !code.rawValue.hasPrefix("OK") {
                throw PnCServerError(.configuration, "the SECC answered \(code.rawValue) before PaymentDetails")
            }
        }
        return machine
    }

    static func responseCode(_ message: V2GMessage) -> ResponseCode? {
        switch message.body.bodyElement {
        case .sessionSetupRes(let r)?: r.responseCode
        case .serviceDiscoveryRes(let r)?: r.responseCode
        case .paymentServiceSelectionRes(let r)?: r.responseCode
        case .paymentDetailsRes(let r)?: r.responseCode
        case .authorizationRes(let r)?: r.responseCode
        case .certificateInstallationRes(let r)?: r.responseCode
        default: nil
        }
    }

    /// One installation: the EV's signed request through the SECC machine and the station's backend call, the
    /// relayed answer checked and opened by the EV.
    static func installOnce(
        machine: inout ISO2SECCStateMachine, vehicle: BenchVehicle, station: OCPPChargingStation, run: Int
    ) async throws -> BenchContract {
        let (request, exi) = try overTheWire(try vehicle.installationRequest())
        guard case .exchangeCertificate(var exchange) = machine.received(request, now: Date().timeIntervalSince1970) else {
            throw PnCServerError(.configuration, "run \(run): the SECC did not relay the CertificateInstallationReq")
        }
        exchange.exiRequest = exi  // the driver relays the bytes it received
        let result = try await station.exchangeCertificate(exchange)
        let reply = try answer(machine.certificateExchanged(result))
        return try vehicle.open(reply, run: run)
    }

    /// One authorization: PaymentDetails, the signed AuthorizationReq, the station's OCPP Authorize, the EV's
    /// AuthorizationReq answered Finished.
    static func authorizeOnce(
        machine: inout ISO2SECCStateMachine, contract: BenchContract, station: OCPPChargingStation, run: Int
    ) async throws {
        let now = Date().timeIntervalSince1970
        let details = try answer(machine.received(
            try overTheWire(message(.paymentDetailsReq(PaymentDetailsReq(
                eMAID: contract.eMAID,
                contractSignatureCertChain: CertificateChain(
                    certificate: contract.chainDER[0],
                    subCertificates: SubCertificates(certificate: Array(contract.chainDER.dropFirst()))))))).0,
            now: now))
        guard case .paymentDetailsRes(let detailsRes)? = details.body.bodyElement, detailsRes.responseCode == .ok else {
            throw PnCServerError(.configuration, "run \(run): PaymentDetailsRes \(responseCode(details)?.rawValue ?? "missing")")
        }
        let req = AuthorizationReq(id: "ID1", genChallenge: detailsRes.genChallenge)
        let signed = message(.authorizationReq(req), signature: try ISO2Signature.sign([.authorizationReq(req)], with: .p256(contract.key)))
        let (authorization, _) = try overTheWire(signed)
        guard case .authorize(let backendRequest, _, _) = machine.received(authorization, now: now) else {
            throw PnCServerError(.configuration, "run \(run): the SECC did not ask the backend")
        }
        let decision = try await station.authorize(backendRequest)
        guard decision.status == .accepted else {
            throw PnCServerError(
                .configuration,
                "run \(run): Authorize \(decision.status.rawValue), certificate \(decision.certificateStatus?.rawValue ?? "-"): \(decision.detail ?? "")")
        }
        _ = machine.backendAuthorized(decision)
        // The backend decided within the SECC's authorization budget: the AuthorizationReq is answered Finished.
        guard let decided = machine.decidedAuthorization(now: now) else {
            throw PnCServerError(.configuration, "run \(run): the SECC has no answer after the backend's decision")
        }
        let finished = try answer(decided)
        guard case .authorizationRes(let res)? = finished.body.bodyElement, res.responseCode == .ok, res.evseProcessing == .finished
        else { throw PnCServerError(.configuration, "run \(run): AuthorizationRes \(responseCode(finished)?.rawValue ?? "missing")") }
    }
}

/// The contract the EV holds after an installation.
struct BenchContract: Sendable {
    var eMAID: String
    var chainDER: [[UInt8]]
    var key: P256.Signing.PrivateKey
}

/// The vehicle side of the benchmark: the OEM provisioning credentials and the checks an EV makes on the answer.
struct BenchVehicle: Sendable {
    let oemCertificate: [UInt8]
    let oemKey: P256.Signing.PrivateKey
    let v2gRoot: Certificate
    let moSubCA2: Certificate

    /// CertificateInstallationReq signed with the OEM provisioning key ([V2G2-897]).
    func installationRequest() throws -> V2GMessage {
        let rootID = X509IssuerSerial(
            x509IssuerName: v2gRoot.subject.description,
            x509SerialNumber: EXIInteger(isNegative: false, magnitude: Array(v2gRoot.serialNumber.bytes)))
        let req = CertificateInstallationReq(
            id: "ID1", oemProvisioningCert: oemCertificate,
            listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [rootID]))
        let signature = try ISO2Signature.sign([.certificateInstallationReq(req)], with: .p256(oemKey))
        return PnCBenchmark.message(.certificateInstallationReq(req), signature: signature)
    }

    /// What the EV does with the CertificateInstallationRes ([V2G2-905], [V2G2-818]): CPS chain to a V2G root,
    /// signature over the four elements, contract key decrypted with the OEM key and matching the certificate.
    func open(_ message: V2GMessage, run: Int) throws -> BenchContract {
        guard case .certificateInstallationRes(let res)? = message.body.bodyElement, res.responseCode == .ok else {
            throw PnCServerError(.configuration, "run \(run): CertificateInstallationRes \(PnCBenchmark.responseCode(message)?.rawValue ?? "missing")")
        }
        let cps = try ([res.saProvisioningCertificateChain.certificate] + (res.saProvisioningCertificateChain.subCertificates?.certificate ?? []))
            .map { try Certificate(derEncoded: $0) }
        if case .failure(let reason) = ChainValidator(roots: [v2gRoot]).validateOffline(chain: cps, at: Date()) {
            throw PnCServerError(.configuration, "run \(run): CPS chain: \(reason)")
        }
        guard let signature = message.header.signature else { throw PnCServerError(.configuration, "run \(run): unsigned answer") }
        try ISO2Signature.verify(
            signature, fragments: ISO2Signature.fragments(of: res),
            key: try V2GVerifyingKey(certificateDER: res.saProvisioningCertificateChain.certificate))
        let contractKey = try ISO2ContractKeyEncryption.decrypt(
            EncryptedContractKey(encryptedPrivateKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value),
            with: try P256.KeyAgreement.PrivateKey(rawRepresentation: oemKey.rawRepresentation))
        let leaf = try Certificate(derEncoded: res.contractSignatureCertChain.certificate)
        guard leaf.publicKey == Certificate.PublicKey(contractKey.publicKey), leaf.issuer == moSubCA2.subject else {
            throw PnCServerError(.configuration, "run \(run): the delivered key or issuer does not match the contract certificate")
        }
        return BenchContract(
            eMAID: res.eMAID.value,
            chainDER: [res.contractSignatureCertChain.certificate] + (res.contractSignatureCertChain.subCertificates?.certificate ?? []),
            key: contractKey)
    }
}

extension PnCBenchmark {
    /// The report as text: one line per series with p50/p99 against the target, then the checks.
    public static func render(_ report: PnCBenchmarkReport, build: String) -> String {
        var lines = ["pnc bench pnc — \(report.runs) runs per series, \(build) build, everything on 127.0.0.1"]
        for series in report.series {
            let verdict = series.p99 <= series.targetP99Milliseconds ? "within" : "above"
            func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
            lines.append(
                "\(series.name): p50 \(ms(series.p50)), p99 \(ms(series.p99)) (target p99 ≤ \(Int(series.targetP99Milliseconds)) ms: \(verdict)), mean \(ms(series.mean)), min \(ms(series.minimum)), max \(ms(series.maximum))")
            lines.append("  path: \(series.path)")
        }
        lines.append("CSMS OCSP client: \(report.ocspFetches) responder fetches, \(report.ocspCacheHits) cache hits")
        lines += report.checks.map { "check: \($0)" }
        return lines.joined(separator: "\n")
    }
}
