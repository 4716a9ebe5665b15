import ArgumentParser
import CSMS
import CSMSServer
import Foundation
import V2GPKI
import Logging
import NIOCore
import NIOSSL
import OCPPMessages
import OCPPTransport
import EMSP
import PKIHTTP
import PnCServer
import Storage

/// `pnc csms`: runs the OCPP 2.0.1 / 1.6J CSMS.
struct CSMSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csms",
        abstract: "Run the CSMS: OCPP 2.0.1 and 1.6J over WebSocket (security profiles 1-3), SQLite storage."
    )

    @Option(help: "Address and port to listen on (ws://HOST:PORT/<any path>/<stationId>).") var listen = "127.0.0.1:9000"
    @Option(help: "Database: a SQLite file path (WAL mode) or postgres://user:password@host:port/database.")
    var database = "pnc-csms.sqlite"
    @Option(help: "Serve the REST API (OpenAPI at /api/v1/openapi.json) on HOST:PORT.") var http: String?
    @Option(help: "Security profile: 0 (none, loopback testing only), 1 (Basic), 2 (TLS + Basic), 3 (mutual TLS).")
    var securityProfile = 1
    @Option(help: "Server certificate chain (PEM) for profiles 2 and 3.") var tlsCertificate: String?
    @Option(help: "Server private key (PEM) for profiles 2 and 3.") var tlsKey: String?
    @Option(help: "Trust roots (PEM) for station certificates (profile 3).") var tlsClientCA: String?
    @Option(help: "Provision a station password, ID=PASSWORD (stored as a salted hash); repeatable.")
    var stationPassword: [String] = []
    @Option(help: "Provision a token, ID=STATUS (Accepted, Blocked, ...); repeatable.") var token: [String] = []
    @Flag(help: "Accept tokens the CSMS does not know (free vend).") var acceptUnknownTokens = false
    @Option(help: "Boot policy: acceptAll, pendingUnknown, rejectUnknown.") var bootPolicy = "acceptAll"
    @Option(help: "Heartbeat interval in seconds sent in BootNotificationResponse.") var heartbeatInterval = 300
    @Option(help: "Install a root certificate on each 2.0.1 station after boot, TYPE=FILE.pem (TYPE: V2GRootCertificate, MORootCertificate, CSMSRootCertificate, ManufacturerRootCertificate); repeatable.")
    var installRoot: [String] = []
    @Option(help: "Largest accepted WebSocket message in bytes.") var maxMessageSize = 65_536
    @Option(help: "Messages per second a station may send (burst twice that).") var rateLimit = 100
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"
    @Option(help: "V2G PKI made by `pnc pki init` (ISO 15118-2 profile): SignCertificate(V2GCertificate) with a secp256r1 CSR is signed by its CPO Sub-CA 2; its V2G and MO roots are installed on stations.")
    var pki: String?
    @Option(help: "V2G PKI made by `pnc pki init --profile iso15118-20`: SignCertificate(V2GCertificate) with a secp521r1 CSR (the SECC certificate of the -20 TLS 1.3 profile) is signed by its CPO Sub-CA 2; its V2G and MO roots are installed on stations too; with --emsp it answers -20 Get15118EVCertificate; Authorize checks -20 contract chains and their revocation.")
    var pkiIso20: String?
    @Option(help: "Validity in days of SECC certificates signed for stations.") var seccValidityDays = 365
    @Option(help: "Plug & Charge with --pki: seconds an OCSP responder may take before a certificate's status counts as unavailable.")
    var ocspTimeout = 2
    @Option(help: "Plug & Charge: latency budget of Get15118EVCertificate in milliseconds (Failed after it).")
    var evCertificateBudgetMs = 3_000
    @Option(help: "Plug & Charge with --pki: the eMSP database of `pnc emsp` (SQLite path or postgres:// URL). Get15118EVCertificate is answered by its contract provisioning (CPS leaf and MO Sub-CA 2 of the PKI) and Authorize checks its contracts.")
    var emsp: String?
    @Option(help: "With --emsp: eMAID country code and provider id of new contracts, CC-PPP.") var emspProvider = "DE-8AA"
    @Option(help: "Billing: a tariff JSON file (see README, Billing). Every transaction ended (TransactionEvent Ended, 1.6 StopTransaction) is priced once into a CDR and an invoice, stored in the database.")
    var tariff: String?
    @Option(help: "With --tariff: the outbox folder the HTML invoices are written to, <outbox>/<eMAID>/<invoice-number>.html.")
    var outbox = "pnc-invoices"
    @Option(help: "With --tariff: the issuer named on the invoices.") var invoiceIssuer = "OpenPnC Mobility"
    @Flag(help: "SO_REUSEPORT on the listening socket: several `pnc csms` processes on one machine share one --listen address (the kernel spreads connections over them). Implies --cluster.")
    var reusePort = false
    @Flag(help: "Scale-out: this node shares its --database with other nodes (PostgreSQL; SQLite in WAL mode on one machine), records which stations it holds (lease renewed every 5 s, expires after 15 s) and routes REST commands for stations held by another node to that node (PostgreSQL LISTEN/NOTIFY; polling every 100 ms on SQLite).")
    var cluster = false
    @Option(help: "Scale-out: this node's id in the station registry (default: host name and process id).") var nodeID: String?
    @OptionGroup var pkiPassword: PasswordOptions

    func run() async throws {
        var logger = Logger(label: "pnc.csms")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        var configuration = CSMSApplicationConfiguration()
        let parts = listen.split(separator: ":")
        guard parts.count >= 2, let port = parts.last.flatMap({ Int($0) }) else { throw ValidationError("--listen HOST:PORT") }
        configuration.server.host = parts.dropLast().joined(separator: ":")
        configuration.server.port = port
        guard let profile = SecurityProfile(rawValue: securityProfile) else { throw ValidationError("--security-profile 0...3") }
        configuration.server.securityProfile = profile
        configuration.server.maximumMessageSize = maxMessageSize
        configuration.server.messagesPerSecond = rateLimit
        configuration.server.reusePort = reusePort
        if cluster || reusePort || nodeID != nil {
            let id = nodeID ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
            guard !id.isEmpty, id.count <= 100, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
                throw ValidationError("--node-id: 1 to 100 characters among A-Z a-z 0-9 . _ -")
            }
            configuration.cluster = CSMSClusterConfiguration(nodeID: id)
        }
        if profile == .tlsWithBasicAuthentication || profile == .tlsWithClientCertificate {
            guard let tlsCertificate, let tlsKey else { throw ValidationError("profiles 2 and 3 need --tls-certificate and --tls-key") }
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            if profile == .tlsWithClientCertificate {
                guard let tlsClientCA else { throw ValidationError("profile 3 needs --tls-client-ca") }
                tls.certificateVerification = .noHostnameVerification
                tls.trustRoots = .file(tlsClientCA)
            }
            configuration.server.tls = tls
        }
        configuration.databasePath = database
        if let http {
            let parts = http.split(separator: ":")
            guard parts.count >= 2, let port = parts.last.flatMap({ Int($0) }) else { throw ValidationError("--http HOST:PORT") }
            configuration.httpAddress = (parts.dropLast().joined(separator: ":"), port)
        }
        guard let policy = CSMSConfiguration.BootPolicy(rawValue: bootPolicy) else { throw ValidationError("--boot-policy") }
        configuration.csms.bootPolicy = policy
        configuration.csms.heartbeatInterval = heartbeatInterval
        configuration.csms.acceptUnknownTokens = acceptUnknownTokens
        for item in installRoot {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw ValidationError("--install-root TYPE=FILE") }
            let pem = try String(contentsOfFile: String(pair[1]), encoding: .utf8)
            configuration.csms.rootCertificatesToInstall.append((String(pair[0]), pem))
        }
        let passwords = try stationPassword.map(Self.pair)
        let tokens = try token.map(Self.pair)
        let host = configuration.server.host
        let finalLogger = logger
        // One PKI per profile: --pki (ISO 15118-2) and --pki-iso20 (ISO 15118-20); a CSR's curve picks the one that signs.
        let password = pki == nil && pkiIso20 == nil ? nil : try pkiPassword.resolve()
        var directories: [PKIDirectory] = []
        if let pki {
            let directory = try PKIDirectory(root: pki, password: password)
            guard directory.profile == .iso15118_2 else {
                throw ValidationError("--pki \(pki) is an \(directory.profile.rawValue) PKI: give it as --pki-iso20")
            }
            directories.append(directory)
        }
        if let pkiIso20 {
            let directory = try PKIDirectory(root: pkiIso20, password: password)
            guard directory.profile == .iso15118_20 else {
                throw ValidationError(
                    "--pki-iso20 \(pkiIso20) is an \(directory.profile.rawValue) PKI (make one with pnc pki init --profile iso15118-20)")
            }
            directories.append(directory)
        }
        let certificateAuthority: PKICertificateAuthority? =  // fails at start, not at the first CSR
            directories.isEmpty ? nil : try PKICertificateAuthority(pkis: directories, validityDays: seccValidityDays)
        // Plug & Charge (C07, M06): revocation through an OCSP client whose cache keeps answers until nextUpdate, contract
        // chains validated to the PKIs' roots; M01: the V2G and MO roots of each PKI are installed on every station after
        // boot (unless --install-root names that type).
        var plugAndCharge = PlugAndChargeServices()
        if !directories.isEmpty {
            let client = OCSPClient(
                transport: OCSPHTTPTransport(timeout: .seconds(Int64(ocspTimeout))), now: { Date() }, makeNonce: nil,
                hashAlgorithm: .sha256)
            plugAndCharge = try PlugAndChargeServices.pkis(
                directories, client: client, transport: OCSPHTTPTransport(timeout: .seconds(Int64(ocspTimeout))),
                now: { Date() })
            let explicit = Set(configuration.csms.rootCertificatesToInstall.map(\.type))
            for directory in directories {
                for (type, role) in [("V2GRootCertificate", CertificateRole.v2gRoot), ("MORootCertificate", .moRoot)]
                where !explicit.contains(type) {
                    let pem = try String(contentsOfFile: "\(directory.caDirectory(role))/cert.pem", encoding: .utf8)
                    configuration.csms.rootCertificatesToInstall.append((type, pem))
                }
            }
        }
        // M02/M03 and the C07 contract check answered by the eMSP: -2 requests by the --pki provisioning, -20 ones by
        // the --pki-iso20 provisioning.
        var emspStore: SQLStore?
        if let emsp {
            guard let first = directories.first else { throw ValidationError("--emsp needs --pki or --pki-iso20") }
            let parts = emspProvider.split(separator: "-")
            guard parts.count == 2 else { throw ValidationError("--emsp-provider: expected CC-PPP, got \(emspProvider)") }
            let allocator = try EMAIDAllocator(countryCode: String(parts[0]), providerID: String(parts[1]))
            let provisioning = try ContractProvisioning.fromPKIDirectory(first, allocator: allocator)
            let iso20 = try directories.first { $0.profile == .iso15118_20 }.map {
                try ContractProvisioning.fromPKIDirectory($0, allocator: allocator)
            }
            let store = try await SQLStore.open(emsp, logger: Logger(label: "pnc.csms.emsp"))
            plugAndCharge.contracts = EMSPContractDirectory(repository: store)
            plugAndCharge.evCertificates = EMSPEVCertificateProvider(
                repository: store, provisioning: provisioning, iso20Provisioning: iso20)
            emspStore = store
        }
        // M05: when every root's id is known, commissioning reads the installed ids and installs only what is missing.
        for root in configuration.csms.rootCertificatesToInstall {
            if let id = try? CertificateHashData.rootID(pem: root.pem) { configuration.csms.rootCertificateIDs[root.pem] = id }
        }
        configuration.evCertificateBudget = .milliseconds(evCertificateBudgetMs)
        let emspTask = emspStore.map { store in Task { await store.run() } }
        defer { emspTask?.cancel() }
        // Billing on the transaction path: the CDRs and invoices are kept in the CSMS's database.
        var settlement: (@Sendable (SQLStore) throws -> any TransactionSettlement)?
        if let tariff {
            let loaded = try Tariff.load(json: try Data(contentsOf: URL(fileURLWithPath: tariff)))
            let outbox = InvoiceOutbox(folder: self.outbox)
            let issuer = invoiceIssuer
            try FileManager.default.createDirectory(atPath: self.outbox, withIntermediateDirectories: true)
            settlement = { store in EMSPTransactionBilling(store: store, tariff: loaded, outbox: outbox, issuer: issuer) }
        }
        let nodeField = configuration.cluster.map { ",\"node\":\"\($0.nodeID)\"" } ?? ""
        let finalConfiguration = configuration
        let node = Task {
            try await CSMSApplication.run(
                configuration: finalConfiguration, certificateAuthority: certificateAuthority, plugAndCharge: plugAndCharge,
                settlement: settlement, logger: finalLogger
            ) { application, port in
                await Self.provision(application: application, passwords: passwords, tokens: tokens, logger: finalLogger)
                FileHandle.standardOutput.write(Data("{\"event\":\"listening\",\"url\":\"ws://\(host):\(port)/ocpp/<stationId>\",\"pid\":\(getpid())\(nodeField)}\n".utf8))
            }
        }
        // A cluster node stops in order on SIGTERM or SIGINT: it disconnects its stations and leaves the station
        // registry at once (other nodes answer 409 for its stations instead of waiting for its lease to expire).
        var signalSources: [any DispatchSourceSignal] = []
        if configuration.cluster != nil {
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { node.cancel() }
                source.resume()
                signalSources.append(source)
            }
        }
        do {
            try await node.value
        } catch is CancellationError {
            // stopped by a signal
        }
        withExtendedLifetime(signalSources) {}
    }

    static func provision(application: CSMSApplication, passwords: [(String, String)], tokens: [(String, String)], logger: Logger) async {
        do {
            for (id, password) in passwords {
                try await application.store.setPasswordHash(stationID: id, hash: PasswordHash.make(password: password))
            }
            for (id, status) in tokens {
                try await application.store.saveToken(IdTokenRecord(idToken: id, type: "Central", status: status))
            }
        } catch {
            logger.error("provisioning failed: \(error)")
        }
    }

    static func pair(_ text: String) throws -> (String, String) {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { throw ValidationError("expected KEY=VALUE: \(text)") }
        return (String(parts[0]), String(parts[1]))
    }
}
