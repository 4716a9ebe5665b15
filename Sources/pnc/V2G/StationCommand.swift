import ArgumentParser
import ChargingStation
import OCPPTransport
import V2GSecurity
import Synchronization
import SwiftASN1
import Crypto
import PnCCore
import EMSP
import Foundation
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import ISO20Messages
import Logging
import NIOCore
import NIOSSL
import SAPMessages
import V2GPKI
import V2GTP
import V2GTransport
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files of a `pnc pki init` directory the V2G commands use.
struct V2GPKIFiles {
    let directory: PKIDirectory

    init(path: String, password: String?) throws {
        self.directory = try PKIDirectory(root: path, password: password)
    }

    var seccChain: String { self.directory.leafDirectory("secc") + "/chain.pem" }
    var seccKey: String { self.directory.leafDirectory("secc") + "/key.pem" }
    var roots: String { self.directory.root + "/roots.pem" }

    /// A leaf's TLS identity: `leaf/<name>/chain.pem` and its key from the directory's key store.
    func identity(leaf name: String) throws -> V2GTLSIdentity {
        let chain = try NIOSSLCertificate.fromPEMFile(self.directory.leafDirectory(name) + "/chain.pem")
        let key = try NIOSSLPrivateKey(
            bytes: Array(try self.directory.keyStore.signingKey(label: "leaf/\(name)/key").serializeAsPEM().pemString.utf8),
            format: .pem)
        return try V2GTLSIdentity(certificateChain: chain, privateKey: key, root: nil)
    }
}

/// Prints a session timeline: one line per message with milliseconds since the connection started.
func printTimeline(_ timeline: [TimelineEntry]) {
    for entry in timeline {
        let ms = (entry.milliseconds * 10).rounded() / 10
        let code = entry.responseCode.map { "  \($0)" } ?? ""
        print("  \(String(format: "%9.1f", ms)) ms  \(entry.direction.rawValue) \(entry.message)\(code)")
    }
    fflush(nil)
}

/// `pnc station`: an SECC with SDP, the ISO 15118-2 session machine, a simulated EVSE and the local backend.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Run an SECC (SDP + ISO 15118-2, DIN SPEC 70121 and ISO 15118-20 sessions) with a simulated EVSE, backed locally or by a CSMS over OCPP 2.0.1 (--csms).",
        discussion: """
            Each session prints a per-message timeline and a summary. Implemented today: ISO 15118-2 with external \
            identification (EIM) and Plug & Charge (--auth pnc,eim --pki DIR --tls: contracts chain to the PKI's MO root, \
            AuthorizationReq and MeteringReceiptReq signatures are checked), AC and DC; --protocols din,iso20 also offers \
            DIN SPEC 70121 and ISO 15118-20 (EIM from the command line). With --csms URL the backend is an OCPP 2.0.1 \
            connection to that CSMS instead of the local one: Authorize (EIM and Plug & Charge with C07 hash data), \
            Get15118EVCertificate, TransactionEvents with an offline journal under --data, the roots the CSMS installs, \
            and with --tls but no --pki the SECC certificates the CSMS signs (SignCertificate → CertificateSigned): one \
            per TLS profile offered in --protocols, secp256r1 for ISO 15118-2 (TLS 1.2) and secp521r1 for ISO 15118-20 \
            (TLS 1.3, with the vehicle's OEM roots from --vehicle-roots). The listening socket serves the TLS profile of \
            the most preferred of iso2 and iso20 in --protocols; the other certificate is kept in the store.
            """
    )
    enum EVSEKind: String, ExpressibleByArgument, CaseIterable { case dc, ac }

    @Option(help: "Network interface for multicast SDP (e.g. eth1).") var interface: String?
    @Option(help: "IPv6 address to bind instead of multicast SDP (e.g. ::1).") var listen: String?
    @Option(help: "UDP port of the SDP server.") var sdpPort: Int = 15118
    @Option(help: "TCP port of the V2G server (0: a free one in 49152-65535).") var port: Int = 0
    @Option(help: "Protocols to offer, most preferred first (iso2,din,iso20).") var protocols = "iso2"
    @Option(help: "Authorization means (pnc,eim).") var auth = "eim"
    @Option(help: "A `pnc pki init` directory: the SECC uses leaf/secc for TLS.") var pki: String?
    @Option(help: "Password of the PKI's keys.") var pkiPassword: String?
    @Flag(help: "Serve TLS (ISO 15118-2 profile) with the PKI's SECC leaf.") var tls = false
    @Option(help: "The simulated EVSE.") var evse: EVSEKind = .dc
    @Option(help: "EVSEID sent in SessionSetupRes.") var evseID = "DE*PNC*E1"
    @Option(help: "Local backend: comma-separated EIM tokens (EVCCID hex) to accept; default: every token. With --csms the CSMS decides.") var allow: String?
    @Option(help: "Stop after this many sessions (0: run until interrupted).") var sessions = 0
    @Option(help: "OCPP 2.0.1 CSMS to use as the backend, ws://HOST:PORT/PATH or wss://... (the station id is appended).")
    var csms: String?
    @Option(help: "With --csms: the station id.") var stationID = "OPNC-CS1"
    @Option(help: "With --csms: HTTP Basic password (security profiles 1 and 2).") var csmsPassword: String?
    @Option(help: "With --csms wss://: trust roots (PEM) of the CSMS's server certificate.") var csmsCA: String?
    @Option(help: "With --csms: folder of the offline journal and the certificate store.") var data = "pnc-station-data"
    @Option(help: "With --csms, --tls and iso20 serving TLS: the OEM roots (PEM) the vehicle's TLS 1.3 certificate must chain to (OCPP 2.0.1 InstallCertificate has no type for them).")
    var vehicleRoots: String?
    @Option(
        help: "DIN SPEC 70121 and ISO 15118-20 DC: a PreCharge target above the EVSE's maximum voltage is refused with FAILED_WrongChargeParameter (refuse) or delivered at the maximum and answered OK with the voltage reached (clamp, for vehicles that ask what no EVSE delivers).")
    var prechargeAboveMaximum: PreChargeAboveMaximum = .refuse
    @Option(help: "ISO 15118-2: ask the vehicle once for a renegotiation (EVSENotification=ReNegotiation) after N charge-loop requests.")
    var renegotiateAfter: Int?
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "warning"
    @Flag(help: "ISO 15118-20: the simulated EVSE can discharge (DC: 50 kW / 125 A, AC: 11 kW / 16 A) and offers DC_BPT or AC_BPT.")
    var bpt = false
    @Flag(help: "ISO 15118-20: offer dynamic control mode besides scheduled (parameter set 2).") var dynamic = false
    @Option(help: "ISO 15118-20 power plan from ScheduleExchange on, SECONDS:WATTS,... (negative watts ask a BPT vehicle to discharge; the EVSE maximum after the plan).")
    var powerPlan: String?
    @Option(help: "ISO 15118-20: ask the vehicle once per session to act after N charge-loop requests, N:NOTIFICATION[:SECONDS] (ScheduleRenegotiation, ServiceRenegotiation, Terminate, Pause, ExitStandby; EVSENotification in the charge-loop responses with NotificationMaxDelay SECONDS, default 10).")
    var notifyAfter: String?

    /// `--notify-after N:NOTIFICATION[:SECONDS]`.
    static func notice(_ text: String) throws -> ISO20ScheduledNotice {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let raisable: [EvseNotification] = [.scheduleRenegotiation, .serviceRenegotiation, .terminate, .pause, .exitStandby]
        guard (2...3).contains(parts.count), let loops = Int(parts[0]), (1...100_000).contains(loops),
            let notification = EvseNotification(rawValue: String(parts[1])), raisable.contains(notification)
        else {
            throw ValidationError(
                "--notify-after \(text) is not N:NOTIFICATION[:SECONDS] (N >= 1; \(raisable.map(\.rawValue).joined(separator: ", ")))")
        }
        var seconds: UInt16 = 10
        if parts.count == 3 {
            guard let value = UInt16(parts[2]) else { throw ValidationError("--notify-after: SECONDS \(parts[2]) is not 0 ... 65535") }
            seconds = value
        }
        return ISO20ScheduledNotice(afterChargeLoops: loops, notice: ISO20EVSENotice(notification, maxDelaySeconds: seconds))
    }

    func validate() throws {
        guard (self.interface == nil) != (self.listen == nil) else {
            throw ValidationError("give exactly one of --interface and --listen")
        }
        if self.tls, self.pki == nil, self.csms == nil {
            throw ValidationError("--tls needs --pki DIR (leaf/secc) or --csms URL (an SECC certificate the CSMS signs)")
        }
        if self.auth.split(separator: ",").contains("pnc") {
            if !self.tls { throw ValidationError("--auth pnc needs --tls (Contract is offered over TLS only)") }
            if self.pki == nil, self.csms == nil {
                throw ValidationError("--auth pnc needs --pki DIR (ca/moRoot) or --csms URL (the MO roots the CSMS installs)")
            }
        }
        if let csms { _ = try CSMSEndpoint(url: csms, stationID: self.stationID) }
        if self.tls, let pki, (try? PKIDirectory(root: pki, password: self.pkiPassword))?.profile == .iso15118_20,
            self.protocols.split(separator: ",") != ["iso20"]
        {
            throw ValidationError("a --profile iso15118-20 PKI serves TLS 1.3 for ISO 15118-20 only: use --protocols iso20 (ISO 15118-2 TLS needs a -2 PKI)")
        }
        if self.tls, self.pki == nil, self.csms != nil, self.csmsTLSProfiles.contains(.iso15118_20), self.vehicleRoots == nil {
            throw ValidationError(
                "--csms with --tls serving ISO 15118-20 (TLS 1.3, mutual) needs --vehicle-roots FILE.pem (the OEM roots)")
        }
        for name in self.protocols.split(separator: ",") where !["iso2", "din", "iso20"].contains(name) {
            throw ValidationError("unknown protocol \(name) (iso2, din, iso20)")
        }
        if let notifyAfter { _ = try Self.notice(notifyAfter) }
        for name in self.auth.split(separator: ",") where !["pnc", "eim"].contains(name) {
            throw ValidationError("unknown authorization \(name) (pnc, eim)")
        }
        if let powerPlan { _ = try Self.plan(powerPlan) }
    }

    /// `SECONDS:WATTS,...` as power plan entries (at most 1024, each 1 s ... 24 h).
    static func plan(_ text: String) throws -> [ISO20PowerPlanEntry] {
        let steps = text.split(separator: ",")
        guard !steps.isEmpty, steps.count <= 1024 else { throw ValidationError("--power-plan needs 1 ... 1024 SECONDS:WATTS steps") }
        return try steps.map { step in
            let parts = step.split(separator: ":")
            guard parts.count == 2, let seconds = UInt32(parts[0]), (1...86_400).contains(seconds), let watts = Double(parts[1]),
                watts.isFinite, abs(watts) <= 1_000_000
            else { throw ValidationError("--power-plan step \(step) is not SECONDS:WATTS (1 ... 86400 s, |W| <= 1000000)") }
            return ISO20PowerPlanEntry(durationSeconds: seconds, powerW: watts)
        }
    }

    func run() async throws {
        var logger = Logger(label: "pnc.station")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .warning
        let wanted = self.protocols.split(separator: ",").map(String.init)
        let offered: [ApplicationProtocol] = wanted.flatMap { name -> [ApplicationProtocol] in
            switch name {
            case "din": [.din]
            case "iso20": self.evse == .dc ? [.iso20DC] : [.iso20AC]
            default: [.iso2]
            }
        }
        let capabilities =
            switch (self.evse, self.bpt) {
            case (.dc, false): SimulatedEVSEController.dc
            case (.dc, true): SimulatedEVSEController.dcBPT
            case (.ac, false): SimulatedEVSEController.ac
            case (.ac, true): SimulatedEVSEController.acBPT
            }
        let controller = SimulatedEVSEController(capabilities: capabilities)
        let allowed = self.allow.map { Set($0.split(separator: ",").map { $0.uppercased() }) }
        var logLines: @Sendable () -> [String] = { [] }
        var paymentOptions: [PaymentOption] = []
        var moRoots: [Certificate] = []
        var exchange: LocalChargingBackend.CertificateExchange?
        let wantsPnC = self.auth.split(separator: ",").contains("pnc")
        for means in self.auth.split(separator: ",") {
            if means == "pnc" {
                if self.csms == nil, let pki {
                    let directory = try PKIDirectory(root: pki, password: self.pkiPassword)
                    moRoots = [try directory.authority(.moRoot).certificate]
                    exchange = try LocalContractProvisioning(directory: directory).exchange
                }
                paymentOptions.append(.contract)
            } else if means == "eim" {
                paymentOptions.append(.externalPayment)
            }
        }
        let backend: any ChargingBackend
        var configuration = SECCConfiguration(
            evseID: self.evseID, paymentOptions: paymentOptions, protocols: offered, contractRoots: moRoots,
            requiresMeteringReceipt: wantsPnC)
        configuration.iso20Session = ISO20SessionOptions(
            controlModes: self.dynamic ? [.scheduled, .dynamic] : [.scheduled], powerPlan: try self.powerPlan.map(Self.plan) ?? [])
        configuration.preChargeAboveMaximum = self.prechargeAboveMaximum
        configuration.renegotiateAfterChargeLoops = self.renegotiateAfter
        configuration.iso20NoticeAfterChargeLoops = try self.notifyAfter.map(Self.notice)
        let offersISO20 = offered.contains(where: { $0 == .iso20DC || $0 == .iso20AC })
        if wantsPnC, !moRoots.isEmpty, offersISO20 {
            // CertificateInstallationService is offered when the hosted provisioning can answer (-20 PKI directory).
            configuration.iso20PnC = ISO20PnCConfiguration(moRoots: moRoots, certificateInstallation: exchange != nil)
        } else if wantsPnC, self.csms != nil, offersISO20 {
            // Through the CSMS: MO roots it installed (read at every session), installation via Get15118EVCertificate.
            configuration.iso20PnC = ISO20PnCConfiguration(moRoots: [], certificateInstallation: true)
        }
        var station: OCPPChargingStation?
        if let csms {
            let endpoint = try CSMSEndpoint(url: csms, stationID: self.stationID)
            var ocpp = endpoint.configuration
            ocpp.password = self.csmsPassword
            if endpoint.secure {
                var tls = TLSConfiguration.makeClientConfiguration()
                if let csmsCA { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(csmsCA)) }
                ocpp.tls = tls
            }
            var stationConfiguration = StationConfiguration(ocpp: ocpp, dataDirectory: self.data)
            stationConfiguration.serialNumber = self.stationID
            if self.tls, self.pki == nil { stationConfiguration.seccProfiles = self.csmsTLSProfiles }
            let client = try OCPPChargingStation(configuration: stationConfiguration, logger: logger)
            // Plug & Charge trusts the MO roots the CSMS installed (M05), read at every session (M04 may delete one).
            configuration.contractRootsProvider = {
                ((try? client.certificates.installed(types: ["MORootCertificate"])) ?? [])
                    .compactMap { try? Certificate(pemEncoded: $0.pem) }
            }
            station = client
            backend = client
        } else {
            let local = LocalChargingBackend(allowedTokens: allowed, contractRoots: moRoots, certificateExchange: exchange)
            logLines = { Array(local.transactionLog.suffix(2)) }
            backend = local
        }
        let stationTask = station.map { client in Task { try await client.run() } }
        defer { stationTask?.cancel() }
        if let station, let csms {
            guard await station.wait(timeout: .seconds(60), until: { $0.isOnline }) else {
                throw ValidationError("the CSMS at \(csms) did not accept BootNotification within 60 s")
            }
            print("CSMS \(csms): BootNotification Accepted as \(self.stationID)")
        }
        let service = SECCService(configuration: configuration, backend: backend, controller: controller, logger: logger)

        let announced: IPv6Address
        let mode: SDPServerConfiguration.Mode
        if let interface {
            announced = try SDPNetwork.interface(named: interface).linkLocalAddress
            mode = .multicast(interface: interface)
        } else {
            announced = try IPv6Address(self.listen ?? "::1")
            mode = .unicast(try SDPNetwork.socketAddress(announced, port: self.sdpPort))
        }
        let security: V2GServer.Security
        if self.tls, let pki, try PKIDirectory(root: pki, password: self.pkiPassword).profile == .iso15118_20 {
            // ISO 15118-20: TLS 1.3 with mutual authentication; the vehicle's chain must end in the PKI's OEM root.
            let files = try V2GPKIFiles(path: pki, password: self.pkiPassword)
            let oemRoot = try NIOSSLCertificate(
                bytes: Array(try files.directory.authority(.oemRoot).certificate.serializeAsPEM().pemString.utf8), format: .pem)
            security = .tls(
                try V2GTLSServerProfile.iso15118_20(identities: [try files.identity(leaf: "secc")], vehicleTrustRoots: [oemRoot]))
        } else if self.tls, let pki {
            let files = try V2GPKIFiles(path: pki, password: self.pkiPassword)
            let chain = try NIOSSLCertificate.fromPEMFile(files.seccChain)
            let key =
                if let password = self.pkiPassword {
                    try NIOSSLPrivateKey(file: files.seccKey, format: .pem) { $0(Array(password.utf8)) }
                } else {
                    try NIOSSLPrivateKey(file: files.seccKey, format: .pem)
                }
            security = .tls(
                try V2GTLSServerProfile.iso15118_2(identity: V2GTLSIdentity(certificateChain: chain, privateKey: key, root: nil)))
        } else if self.tls, let station {
            // One CSMS-signed SECC certificate per offered TLS profile; one listening socket serves both: each
            // ClientHello picks TLS 1.3 / ISO 15118-20 (when it offers 1.3) or TLS 1.2 / ISO 15118-2.
            var identities: [PKIProfile: V2GTLSIdentity] = [:]
            for profile in self.csmsTLSProfiles {
                let (chainPEM, keyPEM) = try await Self.csmsSignedIdentity(station, profile: profile)
                identities[profile] = try V2GTLSIdentity(
                    certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)),
                    privateKey: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem), root: nil)
            }
            let iso20 = identities[.iso15118_20].map { [$0] } ?? []
            guard identities[.iso15118_2] != nil || !iso20.isEmpty else {
                throw ValidationError("no SECC certificate for the TLS profile of --protocols \(self.protocols)")
            }
            security = .tlsByClientHello(
                try V2GTLSServerProfileSet(
                    iso15118_2: identities[.iso15118_2].map { [$0] } ?? [], iso15118_20: iso20,
                    vehicleTrustRoots: iso20.isEmpty ? [] : try NIOSSLCertificate.fromPEMFile(self.vehicleRoots ?? "")))
        } else {
            security = .tcp
        }
        let address = try SDPNetwork.socketAddress(announced, port: self.port, interface: self.interface)
        let server =
            self.port == 0
            ? try await V2GServer.bindDynamicPort(on: address, security: security, logger: logger)
            : try await V2GServer.bind(to: address, security: security, logger: logger)
        let offer = SDPOffer(address: announced, port: UInt16(server.localAddress.port ?? 0))
        let sdp = try await SDPServer.bind(
            configuration: SDPServerConfiguration(mode: mode, tls: self.tls ? offer : nil, tcp: self.tls ? nil : offer),
            logger: logger)
        print("SECC \(self.tls ? "TLS" : "TCP") on [\(announced)]:\(offer.port), SDP on \(sdp.localAddress), EVSE \(self.evse.rawValue)")
        fflush(nil)
        let limit = self.sessions
        let backendLines = logLines
        let (ended, continuation) = AsyncStream.makeStream(of: SECCSessionSummary.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sdp.run() }
            group.addTask { try await service.run(server: server) { continuation.yield($0) } }
            group.addTask {
                var count = 0
                for await summary in ended {
                    print("session \(summary.sessionID) trace \(summary.traceID) protocol \(summary.protocolName?.rawValue ?? "-")")
                    printTimeline(summary.timeline)
                    print("  summary: \(summary.timeline.count) messages, ended: \(summary.ending)")
                    for line in backendLines() { print("  backend: \(line)") }
                    fflush(nil)
                    count += 1
                    if limit > 0, count >= limit { return }
                }
            }
            try await group.next()
            group.cancelAll()
            try? await server.close()
        }
        // Stopping after --sessions: the last TransactionEvents reach the CSMS first (bounded; the journal keeps the rest).
        if let station { _ = await station.wait(timeout: .seconds(10)) { $0.journal.pending.isEmpty } }
    }
}

extension StationCommand {
    /// The SECC certificate profiles of the TLS protocols in --protocols, most preferred first: iso2 → ISO 15118-2
    /// (secp256r1, TLS 1.2), iso20 → ISO 15118-20 (secp521r1, TLS 1.3); DIN SPEC 70121 has no TLS.
    var csmsTLSProfiles: [PKIProfile] {
        var profiles: [PKIProfile] = []
        for name in self.protocols.split(separator: ",") {
            let profile: PKIProfile? = name == "iso2" ? .iso15118_2 : name == "iso20" ? .iso15118_20 : nil
            if let profile, !profiles.contains(profile) { profiles.append(profile) }
        }
        return profiles.isEmpty ? [.iso15118_2] : profiles
    }

    /// The most preferred TLS profile of --protocols (the socket serves every profile in ``csmsTLSProfiles``, chosen
    /// per connection from the ClientHello).
    var csmsTLSProfile: PKIProfile { self.csmsTLSProfiles[0] }

    /// The SECC chain and key of `profile` the CSMS signed for this station: the stored ones, or a fresh
    /// SignCertificate (OCPP 2.0.1 A03, a secp256r1 or secp521r1 CSR) answered by CertificateSigned within 60 s.
    static func csmsSignedIdentity(
        _ station: OCPPChargingStation, profile: PKIProfile
    ) async throws -> (chain: String, key: String) {
        let store = station.certificates
        if let chain = store.seccChainPEM(profile: profile), let key = store.seccKeyPEM(profile: profile) { return (chain, key) }
        try await station.requestV2GCertificate(profile: profile)
        guard await station.wait(timeout: .seconds(60), until: { $0.certificates.seccChainPEM(profile: profile) != nil }),
            let chain = store.seccChainPEM(profile: profile), let key = store.seccKeyPEM(profile: profile)
        else {
            throw ValidationError(
                "the CSMS accepted SignCertificate (\(profile.rawValue)) but sent no CertificateSigned within 60 s"
                    + " (does it run with --pki / --pki-iso20?)")
        }
        print("SECC certificate (\(profile.rawValue)) signed by the CSMS (SignCertificate → CertificateSigned)")
        return (chain, key)
    }
}

/// A CSMS URL split into what the OCPP client needs: ws:// or wss://, host, port, path.
struct CSMSEndpoint {
    var configuration: OCPPClientConfiguration
    var secure: Bool

    init(url: String, stationID: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "ws" || scheme == "wss", let host = components.host, !host.isEmpty
        else {
            throw ValidationError("--csms must be ws://HOST:PORT/PATH or wss://HOST:PORT/PATH, got \(url)")
        }
        self.secure = scheme == "wss"
        let port = components.port ?? (self.secure ? 443 : 80)
        guard (1...65_535).contains(port) else { throw ValidationError("--csms port \(port) is out of range") }
        let trimmedHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.configuration = OCPPClientConfiguration(host: trimmedHost, port: port, stationID: stationID)
        self.configuration.path = components.path.isEmpty ? "/" : components.path
    }
}

extension PreChargeAboveMaximum: ExpressibleByArgument {}
