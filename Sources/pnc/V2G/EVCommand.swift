import ArgumentParser
import SwiftASN1
import XMLDSig
import EXI
import Crypto
import V2GPKI
import X509
import V2GSecurity
import Foundation
import ISO15118EVCC
import ISO15118Station
import ISO2Messages
import ISO20Messages
import SAPMessages
import Logging
import NIOSSL
import V2GTP
import V2GTransport

/// `pnc ev`: an EV simulator that finds an SECC with SDP and runs an ISO 15118-2, -20 or DIN SPEC 70121 session.
struct EVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ev",
        abstract: "Run a simulated EV: SDP, TLS or TCP, SupportedAppProtocol and an ISO 15118-2, DIN SPEC 70121 or ISO 15118-20 session.",
        discussion: "Prints a per-message timeline with milliseconds and a summary; exit status 1 when the session fails."
    )
    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case iso2EIMDC = "iso2-eim-dc", iso2EIMAC = "iso2-eim-ac", iso2PnCDC = "iso2-pnc-dc", iso2PnCAC = "iso2-pnc-ac"
        case dinDC = "din-dc", iso20DC = "iso20-dc", iso20AC = "iso20-ac", iso20PnCDC = "iso20-pnc-dc"
        case iso20BPTDC = "iso20-bpt-dc", iso20BPTAC = "iso20-bpt-ac", iso20DynamicDC = "iso20-dynamic-dc"
        case iso20DynamicAC = "iso20-dynamic-ac"
    }

    @Option(help: "Network interface for multicast SDP (e.g. eth1).") var interface: String?
    @Option(help: "IPv6 address of the SECC's SDP server instead of multicast (e.g. ::1).") var to: String?
    @Option(help: "UDP port of the SDP server.") var sdpPort: Int = 15118
    @Option(help: "The session to run.") var scenario: Scenario = .iso2EIMDC
    @Option(help: "A `pnc pki init` directory: ask for TLS and check the SECC against its roots.") var pki: String?
    @Option(help: "Password of the PKI's keys.") var pkiPassword: String?
    @Flag(help: "PnC scenarios: start without a contract and install one (CertificateInstallation with leaf/oem-prov).")
    var install = false
    @Option(help: "PnC scenarios: the vehicle's contract folder. An installed contract is written there (<eMAID>/chain.pem, key.pem, mode 0600); without --install the preferred valid contract there is used (else leaf/contract of --pki).")
    var contracts: String?
    @Option(help: "PnC scenarios: ask for a CertificateUpdate when the contract expires within this many days (ISO 15118-2 §8.4.3.11).")
    var renewalDays: Int?
    @Option(help: "Charge loop requests before the EV stops.") var loops = 10
    @Option(help: "State of charge at the start, percent.") var soc: Double = 30
    @Option(help: "DC: battery voltage, the PreCharge target.") var batteryVoltage: Double = 400
    @Option(
        help: "DC: volts within which the EVSE's present voltage must reach the battery voltage in PreCharge (larger for EVSE simulators that report no real voltage).")
    var prechargeTolerance: Double = ISO2EVCCStateMachine.preChargeTolerance
    @Option(
        help: "ISO 15118-2: pause after N charge-loop requests (PowerDelivery Stop, SessionStop Pause), then plug in again (SDP, connection) and resume the session with its SessionID.")
    var pauseAfter: Int?
    @Option(help: "ISO 15118-2: renegotiate once after N charge-loop requests (PowerDelivery Renegotiate, ChargeParameterDiscovery, PowerDelivery Start).")
    var renegotiateAfter: Int?
    @Option(
        help: "Milliseconds every V2G_EVCC_Msg_Timeout window lasts at least (lenient, for SECC simulators slower than the standard's 0.25 s for CurrentDemandRes and 2 s for most responses).")
    var responseWindowFloor: Int?
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel = "warning"
    @Flag(help: "ISO 15118-20: prefer dynamic control mode (scheduled when the SECC offers only that).") var dynamic = false
    @Option(help: "ISO 15118-20: PowerDelivery Standby after this many charge-loop exchanges.") var standbyAfter: Int?
    @Option(help: "ISO 15118-20: charge-loop exchanges in standby before PowerDelivery Start.") var standbyLoops = 2
    @Flag(help: "ISO 15118-20: end with SessionStop Pause (prints the SessionID to join with --resume).") var pause = false
    @Option(help: "ISO 15118-20: join the paused session with this SessionID (16 hex digits).") var resume: String?
    @Flag(help: "ISO 15118-20: SessionStop ServiceRenegotiation after the first energy transfer, then a second one.")
    var renegotiate = false
    @Option(help: "ISO 15118-20 BPT: state of charge below which the vehicle gives no energy back, percent.") var minimumSoc: Double = 20
    @Option(help: "ISO 15118-20: the EVCCID, 12 hex digits (a paused session is joined only by the same EVCCID); random by default.")
    var evccID: String?
    @Option(help: "ISO 15118-20: milliseconds between charge-loop requests (0: back to back).") var loopInterval = 0

    func validate() throws {
        guard (self.interface == nil) != (self.to == nil) else {
            throw ValidationError("give exactly one of --interface and --to")
        }
        guard self.loops > 0, self.loops <= 100_000 else { throw ValidationError("--loops must be 1 ... 100000") }
        guard self.prechargeTolerance >= 0, self.prechargeTolerance <= 1_000 else {
            throw ValidationError("--precharge-tolerance must be 0 ... 1000 V")
        }
        if let evccID, evccID.count != 12 || UInt64(evccID, radix: 16) == nil {
            throw ValidationError("--evcc-id needs 12 hex digits")
        }
        guard (0...60_000).contains(self.loopInterval) else { throw ValidationError("--loop-interval must be 0 ... 60000 ms") }
        if let resume = self.resume, Self.sessionID(resume) == nil {
            throw ValidationError("--resume needs a SessionID of 16 hex digits")
        }
        guard !(self.pause && self.renegotiate) else { throw ValidationError("give at most one of --pause and --renegotiate") }
        if let after = self.standbyAfter, after < 1 { throw ValidationError("--standby-after must be at least 1") }
        guard (1...1_000).contains(self.standbyLoops) else { throw ValidationError("--standby-loops must be 1 ... 1000") }
        guard (0...100).contains(self.soc), (0...100).contains(self.minimumSoc) else {
            throw ValidationError("--soc and --minimum-soc must be 0 ... 100")
        }
        if let floor = self.responseWindowFloor, floor <= 0 || floor > 60_000 {
            throw ValidationError("--response-window-floor must be 1 ... 60000 ms")
        }
        for (name, value) in [("--pause-after", self.pauseAfter), ("--renegotiate-after", self.renegotiateAfter)] {
            guard let value else { continue }
            guard value > 0, value <= 100_000 else { throw ValidationError("\(name) must be 1 ... 100000") }
            guard self.scenario.rawValue.hasPrefix("iso2-") else {
                throw ValidationError("\(name) is for the ISO 15118-2 scenarios (iso2-eim-dc, iso2-eim-ac, iso2-pnc-dc, iso2-pnc-ac)")
            }
        }
    }

    /// 8 bytes from 16 hex digits.
    static func sessionID(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 16 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 16, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    func run() async throws {
        var logger = Logger(label: "pnc.ev")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .warning
        let mode: EnergyTransferMode
        var contract: StoredContract?
        var installation: ContractInstallation?
        var renewal: ContractRenewal?
        switch self.scenario {
        case .iso2EIMDC: mode = .dcExtended
        case .iso2EIMAC: mode = .acThreePhaseCore
        case .iso20PnCDC:
            guard self.pki != nil else {
                print("scenario \(self.scenario.rawValue) needs --pki DIR of `pnc pki init --profile iso15118-20` (TLS 1.3 with the vehicle's OEM chain, leaf/contract)")
                throw ExitCode(2)
            }
            mode = .dcExtended
        case .dinDC, .iso20DC, .iso20BPTDC, .iso20DynamicDC: mode = .dcExtended
        case .iso20AC, .iso20BPTAC, .iso20DynamicAC: mode = .acThreePhaseCore
        case .iso2PnCDC, .iso2PnCAC:
            mode = self.scenario == .iso2PnCDC ? .dcExtended : .acThreePhaseCore
            guard let pki else {
                print("scenario \(self.scenario.rawValue) needs --pki DIR (leaf/contract, TLS roots)")
                throw ExitCode(2)
            }
            if self.install {
                installation = try Self.installation(pki: pki, password: self.pkiPassword)
            } else if let folder = self.contracts, let stored = try VehicleContractFolder(path: folder).preferred(now: Date()) {
                print("contract \(stored.eMAID) from \(folder)")
                contract = stored
            } else {
                contract = try Self.contract(pki: pki, password: self.pkiPassword)
            }
            if let days = self.renewalDays, contract != nil {
                let credentials = try Self.installation(pki: pki, password: self.pkiPassword)
                renewal = ContractRenewal(
                    v2gRoots: credentials.v2gRoots, rootCertificateIDs: credentials.rootCertificateIDs, window: Double(days) * 86_400)
            }
        }
        let destination: SDPClientConfiguration.Destination =
            if let interface { .multicast(interface: interface) } else {
                .unicast(try SDPNetwork.socketAddress(try IPv6Address(self.to ?? "::1"), port: self.sdpPort))
            }
        // DIN SPEC 70121 has no TLS. ISO 15118-20 runs TLS 1.3 with mutual authentication: the vehicle presents its OEM
        // chain (leaf/oem-prov, as Josev's EVCC does) from a `--profile iso15118-20` PKI.
        let iso20 = self.scenario.rawValue.hasPrefix("iso20")
        let wantTLS = self.pki != nil && !self.scenario.rawValue.hasPrefix("din")
        let sdpStart = ContinuousClock.now
        let found = try await SDPClient.discover(
            configuration: SDPClientConfiguration(
                destination: destination, request: SDPRequest(security: wantTLS ? .tls : .none),
                requiredSecurity: wantTLS ? .tls : nil),
            logger: logger)
        let security: V2GClient.Security
        var iso20Contracts: [ISO20EVCCContract] = []
        var iso20Installation: ISO20ContractInstallation?
        if wantTLS, iso20, let pki {
            let files = try V2GPKIFiles(path: pki, password: self.pkiPassword)
            guard files.directory.profile == .iso15118_20 else {
                throw ValidationError("ISO 15118-20 over TLS needs a `pnc pki init --profile iso15118-20` PKI (P-521); \(pki) is \(files.directory.profile.rawValue)")
            }
            security = .tls(
                try V2GTLSClientProfile.iso15118_20(
                    v2gRoots: try NIOSSLCertificate.fromPEMFile(files.roots), identity: try files.identity(leaf: "oem-prov")))
            if self.scenario == .iso20PnCDC {
                if self.install {
                    iso20Installation = try Self.iso20Installation(pki: pki, password: self.pkiPassword)
                } else {
                    let stored: StoredContract
                    if let folder = self.contracts, let saved = try VehicleContractFolder(path: folder).preferred(now: Date()) {
                        print("contract \(saved.eMAID) from \(folder)")
                        stored = saved
                    } else {
                        stored = try Self.contract(pki: pki, password: self.pkiPassword)
                    }
                    iso20Contracts = [ISO20EVCCContract(eMAID: stored.eMAID, chainDER: stored.chainDER, key: stored.key)]
                }
            }
        } else if wantTLS, let pki {
            let files = try V2GPKIFiles(path: pki, password: self.pkiPassword)
            security = .tls(try V2GTLSClientProfile.iso15118_2(v2gRoots: try NIOSSLCertificate.fromPEMFile(files.roots)))
        } else {
            security = .tcp
        }
        let sdpTime = ContinuousClock.now - sdpStart
        let sdpMs = Double(sdpTime.components.seconds) * 1000 + Double(sdpTime.components.attoseconds) / 1e15
        print("SECC at \(found.seccAddress) (\(found.response.security)), SDP answered in \(String(format: "%.1f", sdpMs)) ms")
        let connectStart = ContinuousClock.now
        let connection = try await V2GClient.connect(to: found.seccAddress, security: security, logger: logger)
        let connectTime = ContinuousClock.now - connectStart
        let connectMs = Double(connectTime.components.seconds) * 1000 + Double(connectTime.components.attoseconds) / 1e15
        print("connected in \(String(format: "%.1f", connectMs)) ms (\(wantTLS ? "TCP + TLS handshake" : "TCP"))")
        let timers = EVCCResponseTimers(floor: self.responseWindowFloor.map { .milliseconds($0) })
        var random = SystemRandomNumberGenerator()
        let evccID: [UInt8] = [0x02] + (0..<5).map { _ in UInt8.random(in: 0...255, using: &random) }
        switch self.scenario {
        case .dinDC:
            let din = try await EVCCSession.runDIN(
                on: connection,
                configuration: DINEVCCConfiguration(
                    evccID: evccID, maximumVoltageV: 450, maximumCurrentA: 200, maximumPowerW: 90_000,
                    targetVoltageV: self.batteryVoltage, targetCurrentA: 100, stateOfCharge: Int(self.soc),
                    preChargeToleranceV: self.prechargeTolerance),
                chargeLoops: self.loops, timers: timers, logger: logger)
            print("protocol \(din.protocolName?.rawValue ?? "-") scenario \(self.scenario.rawValue)")
            printTimeline(din.timeline)
            print("  summary: \(din.succeeded ? "completed" : "failed: \(String(describing: din.outcome))"), \(din.timeline.count) messages")
            if !din.succeeded { throw ExitCode(1) }
            return
        case .iso20DC, .iso20AC, .iso20PnCDC, .iso20BPTDC, .iso20BPTAC, .iso20DynamicDC, .iso20DynamicAC:
            let ac = [.iso20AC, .iso20BPTAC, .iso20DynamicAC].contains(self.scenario)
            var configuration = ISO20EVCCConfiguration(
                evccID: self.evccID?.uppercased() ?? evccID.map { String(format: "%02X", $0) }.joined(), maximumVoltageV: ac ? 400 : 800,
                minimumVoltageV: 200, maximumCurrentA: ac ? 16 : 250, maximumPowerW: ac ? 11_000 : 100_000,
                targetVoltageV: ac ? 230 : self.batteryVoltage, targetCurrentA: ac ? 16 : 200,
                preChargeToleranceV: self.prechargeTolerance, ac: ac)
            configuration.bpt = self.scenario == .iso20BPTDC || self.scenario == .iso20BPTAC
            configuration.maximumDischargePowerW = ac ? 7_000 : 30_000
            configuration.maximumDischargeCurrentA = ac ? 10 : 60
            let dynamic = self.dynamic || self.scenario == .iso20DynamicDC || self.scenario == .iso20DynamicAC
            configuration.controlModes = dynamic ? [.dynamic, .scheduled] : [.scheduled]
            configuration.stateOfCharge = self.soc
            configuration.minimumStateOfCharge = self.minimumSoc
            configuration.standbyAfterLoops = self.standbyAfter
            configuration.standbyLoops = self.standbyLoops
            configuration.sessionEnd = self.pause ? .pause : self.renegotiate ? .serviceRenegotiation : .terminate
            configuration.resumeSessionID = self.resume.flatMap(Self.sessionID)
            let iso20 = try await EVCCSession.runISO20(
                on: connection, configuration: configuration, contracts: iso20Contracts, installation: iso20Installation,
                chargeLoops: self.loops, loopInterval: .milliseconds(self.loopInterval), timers: timers, logger: logger)
            if let installed = iso20.installedContract {
                print("installed contract \(installed.eMAID)")
                if let folder = self.contracts {
                    try VehicleContractFolder(path: folder).save(
                        try StoredContract(eMAID: installed.eMAID, chainDER: installed.chainDER, key: installed.key))
                    print("contract saved in \(folder)/\(installed.eMAID)")
                }
            }
            print("protocol \(iso20.protocolName?.rawValue ?? "-") scenario \(self.scenario.rawValue)")
            printTimeline(iso20.timeline)
            let authorization = iso20.plugAndChargeEMAID.map { "Plug & Charge with contract \($0)" } ?? "EIM"
            let session = iso20.sessionID.map { String(format: "%02X", $0) }.joined()
            let ending: String
            switch iso20.outcome {
            case .completed?: ending = "completed"
            case .paused?: ending = "paused (join with --resume \(session) --evcc-id \(configuration.evccID))"
            default: ending = "failed: \(String(describing: iso20.outcome))"
            }
            print("  summary: \(ending), \(iso20.timeline.count) messages, \(authorization), session \(session)\(iso20.joinedOldSession ? " (joined)" : "")")
            if let battery = iso20.battery {
                print("  battery: SoC \(String(format: "%.2f", battery.stateOfCharge)) %, charged \(String(format: "%.1f", iso20.chargedWh)) Wh, discharged \(String(format: "%.1f", iso20.dischargedWh)) Wh, renegotiations \(iso20.renegotiations)")
            }
            for reaction in iso20.noticeReactions {
                print("  EVSENotification \(reaction.notification.rawValue) (NotificationMaxDelay \(reaction.maxDelaySeconds) s): reacted with \(reaction.reaction)")
            }
            if !iso20.noticeReactions.isEmpty {
                print("  notifications: \(iso20.noticeReactions.count) reacted to, \(iso20.lateReactions) late, schedule renegotiations \(iso20.scheduleRenegotiations)")
            }
            if !iso20.succeeded { throw ExitCode(1) }
            return
        default:
            break
        }
        let battery = EVBattery(
            capacityWh: 60_000, stateOfCharge: self.soc, maximumCurrentA: mode == .dcExtended ? 200 : 32,
            maximumVoltageV: mode == .dcExtended ? 450 : 400, nominalVoltageV: self.batteryVoltage, targetStateOfCharge: 100)
        var configuration = ISO2EVCCStateMachine.Configuration(
            evccID: evccID, energyTransfer: mode, battery: battery, maximumLoopIterations: self.loops,
            preChargeToleranceV: self.prechargeTolerance, pauseAfterLoops: self.pauseAfter,
            renegotiateAfterLoops: self.renegotiateAfter)
        var summary = try await EVCCSession.run(
            on: connection, configuration: configuration, contract: contract, installation: installation, renewal: renewal,
            timers: timers, logger: logger)
        if summary.paused {
            // Plugged in again: SDP, a new connection, and SessionSetupReq with the paused session's SessionID.
            print("session \(summary.sessionID) paused after \(self.pauseAfter ?? 0) charge-loop requests")
            printTimeline(summary.timeline)
            let again = try await SDPClient.discover(
                configuration: SDPClientConfiguration(
                    destination: destination, request: SDPRequest(security: wantTLS ? .tls : .none),
                    requiredSecurity: wantTLS ? .tls : nil),
                logger: logger)
            let resumedConnection = try await V2GClient.connect(to: again.seccAddress, security: security, logger: logger)
            configuration.pauseAfterLoops = nil
            configuration.battery = summary.battery
            summary = try await EVCCSession.run(
                on: resumedConnection, configuration: configuration, contract: summary.installedContract ?? contract,
                resuming: Self.bytes(hex: summary.sessionID), timers: timers, logger: logger)
            print(summary.resumed ? "resumed session \(summary.sessionID) (OK_OldSessionJoined)" : "the SECC started a new session \(summary.sessionID)")
        }
        if summary.renegotiations > 0 {
            print("renegotiations: \(summary.renegotiations) (\(summary.seccRenegotiations) asked by the SECC)")
        }
        if let reason = summary.updateFailure { print("contract update not installed: \(reason); charged with the current contract") }
        if let installed = summary.installedContract {
            print("\(renewal != nil && installation == nil ? "updated" : "installed") contract \(installed.eMAID.prefix(5))… valid until \(Date(timeIntervalSince1970: installed.notAfter))")
            if let folder = self.contracts {
                try VehicleContractFolder(path: folder).save(installed)
                print("contract saved in \(folder)/\(installed.eMAID)")
            }
        }
        print("session \(summary.sessionID) protocol \(summary.protocolName?.rawValue ?? "-") scenario \(self.scenario.rawValue)")
        printTimeline(summary.timeline)
        let firstPower = summary.firstPowerDeliveryMilliseconds.map { String(format: "%.1f ms", $0) } ?? "-"
        print(
            "  summary: \(summary.succeeded ? "completed" : "failed: \(summary.failure ?? "")"), \(summary.timeline.count) messages, "
                + "first PowerDeliveryRes after \(firstPower), SoC \(String(format: "%.1f", summary.battery.stateOfCharge)) %, "
                + "meter \(summary.meterWh.map { "\($0) Wh" } ?? "-")")
        if !summary.succeeded { throw ExitCode(1) }
    }
}

extension EVCommand {
    /// The bytes of a hex string (a SessionID printed by the session summary).
    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index < hex.endIndex {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    /// The contract of a `pnc pki init` directory: leaf/contract/chain.pem, its key in the directory's key store, and
    /// the eMAID from the certificate's CN.
    static func contract(pki: String, password: String?) throws -> StoredContract {
        let directory = try PKIDirectory(root: pki, password: password)
        let chain = try CertificateFile.certificates(atPath: directory.leafDirectory("contract") + "/chain.pem")
        guard let leaf = chain.first else { throw ValidationError("\(pki)/leaf/contract/chain.pem holds no certificate") }
        var eMAID: String?
        for rdn in leaf.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                eMAID = eMAID ?? String(describing: attribute.value)
            }
        }
        guard let eMAID else { throw ValidationError("the contract certificate has no CN (eMAID)") }
        let key = try V2GSigningKey.keyStore(directory.keyStore, label: "leaf/contract/key")
        return try StoredContract(eMAID: eMAID, chainDER: try chain.map { try $0.derBytes }, key: key)
    }
}

extension EVCommand {
    /// OEM provisioning credentials of a `pnc pki init` directory (leaf/oem-prov) and its V2G root.
    static func installation(pki: String, password: String?) throws -> ContractInstallation {
        let directory = try PKIDirectory(root: pki, password: password)
        let oem = try CertificateFile.certificates(atPath: directory.leafDirectory("oem-prov") + "/cert.pem")
        guard let certificate = oem.first else { throw ValidationError("\(pki)/leaf/oem-prov/cert.pem holds no certificate") }
        let handle = try PrivateKeyFile.load(path: directory.leafDirectory("oem-prov") + "/key.pem", password: password)
        let key = try P256.Signing.PrivateKey(pemRepresentation: try handle.serializeAsPEM().pemString)
        let root = try directory.authority(.v2gRoot).certificate
        let rootID = X509IssuerSerial(
            x509IssuerName: root.subject.description,
            x509SerialNumber: EXIInteger(isNegative: false, magnitude: Array(root.serialNumber.bytes)))
        return ContractInstallation(
            oemProvisioningCertificate: try certificate.derBytes, oemKey: key, v2gRoots: [root],
            rootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [rootID]))
    }
}

extension EVCommand {
    /// ISO 15118-20 OEM provisioning credentials of a `--profile iso15118-20` directory: leaf/oem-prov/chain.pem,
    /// its P-521 key, and the V2G root the CPS chain must validate to.
    static func iso20Installation(pki: String, password: String?) throws -> ISO20ContractInstallation {
        let directory = try PKIDirectory(root: pki, password: password)
        let chain = try CertificateFile.certificates(atPath: directory.leafDirectory("oem-prov") + "/chain.pem")
        guard !chain.isEmpty else { throw ValidationError("\(pki)/leaf/oem-prov/chain.pem holds no certificate") }
        let handle = try PrivateKeyFile.load(path: directory.leafDirectory("oem-prov") + "/key.pem", password: password)
        let key = try P521.Signing.PrivateKey(pemRepresentation: try handle.serializeAsPEM().pemString)
        return ISO20ContractInstallation(
            oemProvisioningChain: try chain.map { try $0.derBytes }, oemKey: key,
            v2gRoots: [try directory.authority(.v2gRoot).certificate])
    }
}

/// The contracts a simulated vehicle keeps between plug-ins: `<folder>/<eMAID>/chain.pem` (leaf first) and `key.pem`
/// (PKCS#8 PEM, owner-only). A real vehicle keeps the key in its secure element; this folder is for test vehicles.
struct VehicleContractFolder {
    let path: String

    func save(_ contract: StoredContract) throws {
        let folder = self.path + "/" + contract.eMAID
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let chain = try contract.chainDER.map { try Certificate(derEncoded: $0).serializeAsPEM().pemString }
        try Data((chain.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/chain.pem"), options: .atomic)
        let keyPEM: String
        switch contract.key {
        case .p256(let key): keyPEM = key.pemRepresentation
        case .p521(let key): keyPEM = key.pemRepresentation
        case .ed448(let key): keyPEM = try PrivateKeyFile.pem(for: key, password: nil, salt: [], iv: [])
        case .certificateKey(let key): keyPEM = try key.serializeAsPEM().pemString
        }
        let keyPath = folder + "/key.pem"
        guard FileManager.default.createFile(atPath: keyPath, contents: Data(keyPEM.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(keyPath)")
        }
    }

    /// The preferred contract valid at `now` among the saved ones (``ContractStore``), nil when there is none.
    func preferred(now: Date) throws -> StoredContract? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: self.path) else { return nil }
        var store = ContractStore()
        for name in names.sorted() {
            let folder = self.path + "/" + name
            guard FileManager.default.fileExists(atPath: folder + "/chain.pem") else { continue }
            let chain = try CertificateFile.certificates(atPath: folder + "/chain.pem")
            let keyPEM = try String(contentsOfFile: folder + "/key.pem", encoding: .utf8)
            let key: V2GSigningKey =
                if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM) { .p256(p256) } else {
                    .p521(try P521.Signing.PrivateKey(pemRepresentation: keyPEM))
                }
            store.store(try StoredContract(eMAID: name, chainDER: try chain.map { try $0.derBytes }, key: key))
        }
        return store.select(now: now.timeIntervalSince1970)
    }
}
