import ChargingStation
import CSMS
import SAPMessages
import SwiftASN1
import XMLDSig
import Storage
import EXI
import Crypto
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import Logging
import NIOCore
import NIOSSL
import PnCCore
import Synchronization
import V2GPKI
import V2GSecurity
import V2GTransport
import X509

/// The vehicle leg of the demo: a real EVCC against a real SECC over loopback TLS, the SECC's backend being the
/// OCPP charging station.
struct DemoVehicleLeg {
    /// The vehicle's EVCCID (MAC); its hex form is the EIM token the SECC sends for External Payment.
    static let evccID: [UInt8] = [0x02, 0x00, 0x00, 0xDE, 0x40, 0x01]
    static var eimToken: String { evccID.map { String(format: "%02X", $0) }.joined() }
    static let battery = EVBattery(
        capacityWh: 60_000, stateOfCharge: 30, maximumCurrentA: 200, maximumVoltageV: 450, nominalVoltageV: 400,
        targetStateOfCharge: 80)

    let pki: PKIDirectory
    let backend: any ChargingBackend
    var contractRoots: [Certificate]
    let logger: Logger

    /// One plug-in: SECCService on 127.0.0.1 (port 0, TLS with the PKI's SECC leaf) and the EVCC.
    func plugIn(
        contract: StoredContract?, installation: ContractInstallation?,
        misbehaviour: ISO2EVCCStateMachine.Misbehaviour? = nil, renewal: ContractRenewal? = nil
    ) async throws
        -> (EVCCSessionSummary, SECCSessionSummary?)
    {
        let seccFolder = pki.leafDirectory("secc")
        let chain = try NIOSSLCertificate.fromPEMFile(seccFolder + "/chain.pem")
        let key = try NIOSSLPrivateKey(
            bytes: Array(try pki.keyStore.signingKey(label: "leaf/secc/key").serializeAsPEM().pemString.utf8), format: .pem)
        let v2gRoot = try NIOSSLCertificate(
            bytes: Array(try pki.authority(.v2gRoot).certificate.serializeAsPEM().pemString.utf8), format: .pem)
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
            security: .tls(try V2GTLSServerProfile.iso15118_2(identity: V2GTLSIdentity(certificateChain: chain, privateKey: key, root: nil))),
            logger: logger)
        let service = SECCService(
            configuration: SECCConfiguration(
                evseID: "DE*OPN*E\(Demo.stationID)*1", evseNumber: 1, paymentOptions: [.contract, .externalPayment],
                protocols: [.iso2], contractRoots: contractRoots, requiresMeteringReceipt: true),
            backend: backend, controller: TimeLapseEVSEController(stepSeconds: 120), logger: logger)
        let seccSummary = SummaryBox()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) { summary in seccSummary.value.withLock { $0 = summary } } }
            defer { group.cancelAll() }
            let summary: EVCCSessionSummary
            do {
                let connection = try await V2GClient.connect(
                    to: server.localAddress, security: .tls(try V2GTLSClientProfile.iso15118_2(v2gRoots: [v2gRoot])), logger: logger)
                var configuration = ISO2EVCCStateMachine.Configuration(
                    evccID: Self.evccID, energyTransfer: .dcExtended, battery: Self.battery, maximumLoopIterations: 5)
                configuration.misbehaviour = misbehaviour
                summary = try await EVCCSession.run(
                    on: connection, configuration: configuration,
                    contract: contract, installation: installation, renewal: renewal, logger: logger)
            } catch {
                // The SECC's accept loop ends only when its server closes.
                try? await server.close()
                throw error
            }
            // The SECC's summary follows the EV's SessionStop; a loaded machine may take seconds to produce it.
            let deadline = ContinuousClock.now + .seconds(60)
            while seccSummary.value.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await server.close()
            return (summary, seccSummary.value.withLock { $0 })
        }
    }

    /// The OEM provisioning credentials of the PKI (leaf/oem-prov) and its V2G root.
    func installation() throws -> ContractInstallation {
        let oem = try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/cert.pem")
        guard let certificate = oem.first else { throw ChargingStationErrorBridge.failed("the PKI has no OEM provisioning certificate") }
        let key = try P256.Signing.PrivateKey(
            pemRepresentation: try pki.keyStore.signingKey(label: "leaf/oem-prov/key").serializeAsPEM().pemString)
        let root = try pki.authority(.v2gRoot).certificate
        let rootID = X509IssuerSerial(
            x509IssuerName: root.subject.description,
            x509SerialNumber: EXIInteger(isNegative: false, magnitude: Array(root.serialNumber.bytes)))
        return ContractInstallation(
            oemProvisioningCertificate: try certificate.derBytes, oemKey: key, v2gRoots: [root],
            rootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [rootID]))
    }

    /// Timeline lines of one V2G session: each response with the time since the request that asked for it.
    static func entries(_ label: String, ev: EVCCSessionSummary, secc: SECCSessionSummary?) -> [DemoTimelineEntry] {
        var lines: [DemoTimelineEntry] = []
        var sentAt: [String: Double] = [:]
        var loops: [String: (count: Int, ms: Double)] = [:]
        // Response codes the EV's timeline leaves out are taken from the SECC's (n-th answer of the same name).
        var seccCodes: [String: [String]] = [:]
        for entry in secc?.timeline ?? [] where entry.direction == .sent {
            seccCodes[entry.message, default: []].append(entry.responseCode ?? "-")
        }
        var seen: [String: Int] = [:]
        for entry in ev.timeline {
            if entry.direction == .sent {
                sentAt[entry.message] = entry.milliseconds
                continue
            }
            let request = entry.message.hasSuffix("Res") ? String(entry.message.dropLast(3)) + "Req" : entry.message
            let ms = entry.milliseconds - (sentAt[request] ?? entry.milliseconds)
            let n = seen[entry.message, default: 0]
            seen[entry.message] = n + 1
            let code = entry.responseCode ?? seccCodes[entry.message].flatMap { n < $0.count ? $0[n] : nil } ?? "-"
            if request == "CurrentDemandReq" || request == "ChargingStatusReq" {
                let previous = loops[request] ?? (0, 0)
                loops[request] = (previous.count + 1, previous.ms + ms)
                continue
            }
            lines.append(DemoTimelineEntry(
                hop: "EV↔SECC", step: "\(label) \(request) → \(entry.message)", milliseconds: ms,
                traceID: secc?.traceID.rawValue, outcome: code))
            if entry.message == "PowerDeliveryRes", let loop = loops.removeValue(forKey: "CurrentDemandReq") {
                lines.insert(DemoTimelineEntry(
                    hop: "EV↔SECC", step: "\(label) CurrentDemandReq ×\(loop.count) → CurrentDemandRes", milliseconds: loop.ms,
                    traceID: secc?.traceID.rawValue, outcome: "OK"), at: lines.count - 1)
            }
        }
        lines.append(DemoTimelineEntry(
            hop: "EV↔SECC", step: "\(label) session \(ev.sessionID)", milliseconds: ev.timeline.last?.milliseconds ?? 0,
            traceID: secc?.traceID.rawValue,
            outcome: ev.succeeded ? "succeeded, SECC: \(secc?.ending ?? "-")" : "failed: \(ev.failure ?? "-"), SECC: \(secc?.ending ?? "-")"))
        return lines
    }
}

final class SummaryBox: Sendable {
    let value = Mutex<SECCSessionSummary?>(nil)
}

/// The station's OCPP calls as the SECC makes them: forwards every call to the charging station unchanged and
/// records the hop (OCPP action, duration, trace id, answer) for the demo's timeline.
final class TimedStationBackend: ChargingBackend, Sendable {
    let station: OCPPChargingStation
    private let recorded = Mutex<[DemoTimelineEntry]>([])
    private let started = Mutex<[String]>([])
    private let decisions = Mutex<[(BackendAuthorizationRequest.Identification, BackendAuthorizationDecision)]>([])
    private let allDecisions = Mutex<[BackendAuthorizationDecision]>([])
    private let exchanges = Mutex<[DemoCertificateExchange]>([])

    init(station: OCPPChargingStation) { self.station = station }

    /// Hops recorded so far; clears them.
    func drain() -> [DemoTimelineEntry] { recorded.withLock { entries in defer { entries = [] }; return entries } }
    /// Transaction ids the station returned, oldest first.
    func startedTransactions() -> [String] { started.withLock { $0 } }
    /// Every authorization answer so far (not cleared).
    func authorizations() -> [BackendAuthorizationDecision] { allDecisions.withLock { $0 } }
    /// Every Get15118EVCertificate answer so far.
    func certificateExchanges() -> [DemoCertificateExchange] { exchanges.withLock { $0 } }
    /// Authorization answers recorded so far; clears them.
    func drainDecisions() -> [(BackendAuthorizationRequest.Identification, BackendAuthorizationDecision)] {
        decisions.withLock { entries in defer { entries = [] }; return entries }
    }

    private func timed<T>(_ step: String, trace: TraceID, _ body: () async throws -> T, outcome: (T) -> String) async throws -> T {
        let start = ContinuousClock.now
        do {
            let value = try await body()
            record(step, trace: trace, since: start, outcome: outcome(value))
            return value
        } catch {
            record(step, trace: trace, since: start, outcome: "error: \(error)")
            throw error
        }
    }

    private func record(_ step: String, trace: TraceID, since start: ContinuousClock.Instant, outcome: String) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        recorded.withLock {
            $0.append(DemoTimelineEntry(hop: "SECC↔CSMS", step: step, milliseconds: ms, traceID: trace.rawValue, outcome: outcome))
        }
    }

    func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision {
        let what: String
        switch request.identification {
        case .contract(let eMAID, _, _): what = "Authorize (Plug & Charge, eMAID \(eMAID), C07 hash data → CSMS OCSP)"
        case .external(let token, let type): what = "Authorize (EIM, \(type) \(token))"
        @unknown default: what = "Authorize"
        }
        let decision = try await timed(what, trace: request.traceID, { try await station.authorize(request) }, outcome: {
            "\($0.status.rawValue), certificate \($0.certificateStatus?.rawValue ?? "-")\($0.detail.map { " — \($0)" } ?? "")"
        })
        decisions.withLock { $0.append((request.identification, decision)) }
        allDecisions.withLock { $0.append(decision) }
        return decision
    }

    func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        let start = ContinuousClock.now
        let result = try await timed(
            "Get15118EVCertificate(\(request.action.rawValue)) → CSMS → eMSP/CPS", trace: request.traceID,
            { try await station.exchangeCertificate(request) },
            outcome: { "\($0.status.rawValue), \($0.exiResponse.count) bytes EXI\($0.detail.map { " — \($0)" } ?? "")" })
        let elapsed = ContinuousClock.now - start
        exchanges.withLock {
            $0.append(DemoCertificateExchange(
                action: request.action.rawValue, status: result.status.rawValue, detail: result.detail,
                milliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15))
        }
        return result
    }

    func certificateStatus(_ request: CertificateStatusRequest) async throws -> CertificateStatusResult {
        try await timed("GetCertificateStatus", trace: request.traceID, { try await station.certificateStatus(request) },
            outcome: { "\($0)" })
    }

    func transactionStarted(_ event: TransactionStart) async throws -> String {
        let id = try await timed(
            "TransactionEvent Started (journaled)", trace: event.traceID, { try await station.transactionStarted(event) },
            outcome: { "transactionId \($0)" })
        started.withLock { $0.append(id) }
        return id
    }

    func transactionUpdated(_ event: TransactionUpdate) async throws {
        try await station.transactionUpdated(event)
    }

    func transactionEnded(_ event: TransactionEnd) async throws {
        try await timed("TransactionEvent Ended (journaled)", trace: event.traceID, { try await station.transactionEnded(event) },
            outcome: { _ in "meter stop \(Int(event.meterStopWh)) Wh" })
    }
}

extension Demo {
    /// The real vehicle leg: plug-in 1 installs the contract (CertificateInstallationReq → SECC → OCPP
    /// Get15118EVCertificate → CSMS → eMSP/CPS), plug-in 2 charges with it (PaymentDetails, GenChallenge, signed
    /// AuthorizationReq → OCPP Authorize with OCSP, charge loop, MeteringReceipt, SessionStop). In `revoked` the
    /// installed contract is revoked at MO Sub-CA 2 before plug-in 2, and plug-in 3 falls back to EIM.
    /// - Returns: the transaction id, the CDR's auth method and the trace id of the charging session; nil when no
    ///   session charged.
    static func vehicleLeg(
        scenario: DemoScenario, pki: PKIDirectory, station: OCPPChargingStation, contractRoots: [Certificate],
        beforeSecondPlugIn: () async throws -> ([Certificate], [DemoTimelineEntry]), store: SQLStore,
        report: inout DemoReport, refreshOCSP: () -> Void, logger: Logger
    ) async throws -> (String, String, TraceID)? {
        // The EV's MAC as the EIM token of External Payment (the fallback).
        try await store.saveToken(
            IdTokenRecord(idToken: DemoVehicleLeg.eimToken, type: "MacAddress", status: "Accepted", groupIdToken: Demo.demoEMAID))
        let backend = TimedStationBackend(station: station)
        report.notRun = []
        var leg = DemoVehicleLeg(
            pki: pki, backend: backend, contractRoots: contractRoots, logger: logger)
        report.timeline.append(DemoTimelineEntry(
            hop: "SECC", step: "SECCService on 127.0.0.1 (TLS 1.2, ISO 15118-2, Contract + ExternalPayment)", milliseconds: 0,
            traceID: nil, outcome: "TLS identity: the PKI's leaf/secc chain (the CSMS-signed certificate's key stays in the station)"))

        func plugIn(
            _ label: String, contract: StoredContract?, installation: ContractInstallation?,
            misbehaviour: ISO2EVCCStateMachine.Misbehaviour? = nil, renewal: ContractRenewal? = nil
        ) async throws -> (EVCCSessionSummary, SECCSessionSummary?) {
            let decisionsBefore = backend.authorizations().count
            let transactionsBefore = backend.startedTransactions().count
            let (ev, secc) = try await leg.plugIn(
                contract: contract, installation: installation, misbehaviour: misbehaviour, renewal: renewal)
            let failed = ev.timeline.first { $0.direction == .received && $0.responseCode?.hasPrefix("FAILED") == true }
            report.plugIns.append(DemoPlugIn(
                label: label, presentedEMAID: contract?.eMAID, succeeded: ev.succeeded,
                failedResponseCode: failed?.responseCode.flatMap { $0.split(separator: "/").first.map(String.init) },
                authorizations: Array(backend.authorizations().dropFirst(decisionsBefore)),
                transactionIDs: Array(backend.startedTransactions().dropFirst(transactionsBefore)),
                newContractSerial: ev.installedContract?.chainDER.first.flatMap { try? Certificate(derEncoded: $0) }
                    .map { $0.serialNumber.description }))
            report.certificateExchanges = backend.certificateExchanges()
            // EV↔SECC lines interleaved with the OCPP hops the SECC made, in time order of the EV's timeline.
            var lines = DemoVehicleLeg.entries(label, ev: ev, secc: secc)
            let hops = backend.drain()
            let anchor = lines.firstIndex { $0.step.contains("PaymentDetails") || $0.step.contains("CertificateInstallation") }
            for hop in hops.reversed() {
                let after: Int? =
                    if hop.step.hasPrefix("Get15118") {
                        lines.firstIndex { $0.step.contains("CertificateInstallation") || $0.step.contains("CertificateUpdate") }
                    }
                    else if hop.step.hasPrefix("Authorize") { lines.lastIndex { $0.step.contains("AuthorizationReq") } }
                    else if hop.step.contains("Started") { lines.firstIndex { $0.step.contains("PowerDeliveryReq") } }
                    else if hop.step.contains("Ended") { lines.lastIndex { $0.step.contains("PowerDeliveryReq") } }
                    else { anchor }
                lines.insert(hop, at: min(lines.count, (after ?? lines.count - 1) + 1))
            }
            report.timeline += lines
            return (ev, secc)
        }

        // Plug-in 1: no contract, the OEM provisioning certificate.
        let (install, _) = try await plugIn("plug-in 1", contract: nil, installation: try leg.installation())
        // Plug-in 1 goes on to charge with the new contract; its Authorize is not the one the scenario is about.
        _ = backend.drainDecisions()
        let installRes = install.timeline.first { $0.message == "CertificateInstallationRes" }
        let installStatus = backend.certificateExchanges().last?.status ?? "-"
        guard let installed = install.installedContract else {
            report.contractInstallation = ContractInstallationOutcome(
                ocppStatus: installStatus, iso15118ResponseCode: installRes?.responseCode ?? "-", eMAID: nil,
                cpsSignatureVerified: false, contractKeyMatches: false, issuedByMOSubCA2: false)
            // No contract: plug-in 2 identifies externally (EIM, the EV's MAC).
            let (eim, eimSECC) = try await plugIn("plug-in 2 (EIM fallback)", contract: nil, installation: nil)
            report.authorization = backend.drainDecisions().last?.1
            guard eim.succeeded, let trace = eimSECC?.traceID, let transactionID = report.plugIns.last?.transactionIDs.last
            else { return nil }
            return (transactionID, "WHITELIST", trace)
        }
        let leaf = try installed.chainDER.first.map { try Certificate(derEncoded: $0) }
        let moSubCA2 = try pki.authority(.moSubCA2).certificate
        // The EVCC stores a contract only after it verified the CPS signature ([V2G2-811]) and decrypted the key
        // with its OEM provisioning key; the SECC answers OK only for an Accepted Get15118EVCertificate.
        report.contractInstallation = ContractInstallationOutcome(
            ocppStatus: installStatus, iso15118ResponseCode: installRes?.responseCode ?? "-",
            eMAID: installed.eMAID, cpsSignatureVerified: true, contractKeyMatches: true,
            issuedByMOSubCA2: leaf?.issuer == moSubCA2.subject)
        report.timeline.append(DemoTimelineEntry(
            hop: "EV", step: "contract stored", milliseconds: 0, traceID: nil,
            outcome: "eMAID \(installed.eMAID), leaf issued by \(leaf?.issuer.description ?? "-")"))

        if scenario == .revoked, let leaf {
            try pki.authority(.moSubCA2).revoke(serial: leaf.serialNumber, reason: .keyCompromise, at: Date())
            refreshOCSP()
            // The CSMS caches OCSP answers until their nextUpdate (1 s in this scenario).
            try await Task.sleep(for: .milliseconds(1_100))
            report.timeline.append(DemoTimelineEntry(
                hop: "PKI", step: "MO Sub-CA 2 revokes the installed contract (keyCompromise)", milliseconds: 0, traceID: nil,
                outcome: "after the CSMS's cached answer (nextUpdate 1 s) expires, the OCSP responder answers revoked for serial \(leaf.serialNumber)"))
        }

        // Plug-in 2: with the installed contract.
        let (roots, entries) = try await beforeSecondPlugIn()
        leg.contractRoots = roots
        report.timeline += entries
        // The scenario's contract is presented as is (in `expired` an expired one, which a vehicle's own selection
        // would skip); in `multi-contract` the vehicle chooses from the two it holds.
        var presented = try presentedContract(scenario: scenario, installed: installed, leaf: leaf, pki: pki, report: &report)
        var wallet = ContractStore([presented])
        if scenario == .unknownEMAID { refreshOCSP() }  // the responder serves the certificate just issued
        if scenario == .multiContract {
            // A contract of a second MO, preferred by the vehicle, next to the installed one.
            let foreign = try foreignContract(pki: pki)
            wallet = ContractStore([foreign, installed])
            report.timeline.append(DemoTimelineEntry(
                hop: "EV", step: "holds two contracts", milliseconds: 0, traceID: nil,
                outcome: "\(foreign.eMAID) (a second MO, its own root; preferred), \(installed.eMAID) (installed)"))
        }
        let now = Date().timeIntervalSince1970
        if scenario == .multiContract {
            guard let chosen = wallet.select(now: now) else { return nil }
            presented = chosen
        }
        let misbehaviour: ISO2EVCCStateMachine.Misbehaviour? =
            switch scenario {
            case .wrongChallenge: .foreignGenChallenge((0..<16).map { _ in UInt8.random(in: 0...255) })
            case .tamperedAuthorization: .tamperedAuthorizationSignature
            default: nil
            }
        if let misbehaviour {
            report.timeline.append(DemoTimelineEntry(
                hop: "EV", step: "misbehaves in AuthorizationReq", milliseconds: 0, traceID: nil, outcome: "\(misbehaviour)"))
        }
        // In `update` the contract is inside the vehicle's renewal window (here: always): CertificateUpdate first.
        let renewal = scenario == .update
            ? ContractRenewal(
                v2gRoots: try leg.installation().v2gRoots, rootCertificateIDs: try leg.installation().rootCertificateIDs,
                window: 100_000 * 86_400)
            : nil
        let (charge, chargeSECC) = try await plugIn(
            "plug-in 2", contract: presented, installation: nil, misbehaviour: misbehaviour, renewal: renewal)
        let decisions = backend.drainDecisions()
        report.contractAuthorization = decisions.first { if case .contract = $0.0 { true } else { false } }?.1
        if let refused = charge.timeline.first(where: {
            ["PaymentServiceSelectionRes", "PaymentDetailsRes", "AuthorizationRes"].contains($0.message) && $0.responseCode != nil
                && $0.responseCode?.hasPrefix("FAILED") == true
        }) {
            let code = (refused.responseCode ?? "-").split(separator: "/").first.map(String.init) ?? "-"
            report.contractRefusal = ContractCheck(
                iso15118ResponseCode: code,
                certificateStatus: report.contractAuthorization?.certificateStatus ?? ContractCheck.certificateStatus(iso15118ResponseCode: code),
                reason: "\(refused.message): \(report.contractAuthorization?.detail ?? charge.failure ?? "refused by the SECC's chain check, no Authorize sent")")
        }
        var session = (charge, chargeSECC, "AUTH_REQUEST")
        // ISO 15118-2 lists no MO roots: a vehicle learns from FAILED_NoCertificateAvailable that the station cannot
        // verify the contract it presented and picks the next one it holds at the next plug-in.
        let others = wallet.contracts.filter { $0.eMAID != presented.eMAID }
        if !charge.succeeded, report.plugIns.last?.failedResponseCode == "FAILED_NoCertificateAvailable",
            let next = ContractStore(others).select(now: now)
        {
            _ = backend.drainDecisions()
            let (second, secondSECC) = try await plugIn("plug-in 3 (next contract)", contract: next, installation: nil)
            session = (second, secondSECC, "AUTH_REQUEST")
            report.authorization = backend.drainDecisions().last?.1
        } else if !charge.succeeded {
            // Plug-in 3: External Payment (EIM) with the EV's MAC as token.
            let (eim, eimSECC) = try await plugIn("plug-in 3 (EIM fallback)", contract: nil, installation: nil)
            session = (eim, eimSECC, "WHITELIST")
            report.authorization = backend.drainDecisions().last?.1
        } else {
            report.authorization = report.contractAuthorization
        }
        guard session.0.succeeded, let trace = session.1?.traceID else { return nil }
        guard let transactionID = backend.startedTransactions().last else { return nil }
        return (transactionID, session.2, trace)
    }
}

extension Demo {
    /// The contract the vehicle presents at plug-in 2: the installed one; in `expired` the same eMAID and key in a
    /// certificate MO Sub-CA 2 issued three days ago for one day (an old contract the vehicle kept); in
    /// `tampered-signature` the installed certificate with one byte of its signature altered.
    static func presentedContract(
        scenario: DemoScenario, installed: StoredContract, leaf: Certificate?, pki: PKIDirectory, report: inout DemoReport
    ) throws -> StoredContract {
        guard let leaf, let leafDER = installed.chainDER.first else { return installed }
        switch scenario {
        case .expired:
            var generator = SystemRandomNumberGenerator()
            let old = try pki.authority(.moSubCA2).issue(
                role: .contract, subject: leaf.subject, publicKey: leaf.publicKey, validityDays: 1,
                now: Date().addingTimeInterval(-3 * 86_400), using: &generator)
            report.timeline.append(DemoTimelineEntry(
                hop: "EV", step: "presents an older contract certificate (same eMAID and key)", milliseconds: 0, traceID: nil,
                outcome: "issued by MO Sub-CA 2, notAfter \(old.notValidAfter) (expired)"))
            return try StoredContract(
                eMAID: installed.eMAID, chainDER: [try old.derBytes] + installed.chainDER.dropFirst(), key: installed.key)
        case .tamperedSignature:
            var tampered = leafDER
            tampered[tampered.count - 1] ^= 0x01  // last byte of the signature value
            report.timeline.append(DemoTimelineEntry(
                hop: "EV", step: "presents the installed contract certificate with one signature byte altered", milliseconds: 0,
                traceID: nil, outcome: "serial \(leaf.serialNumber)"))
            return try StoredContract(eMAID: installed.eMAID, chainDER: [tampered] + installed.chainDER.dropFirst(), key: installed.key)
        case .unknownEMAID:
            // A certificate of the same MO Sub-CA 2 for an eMAID no contract of the eMSP has, with its own key.
            let eMAID = "DE8AA999999990"
            let key = P256.Signing.PrivateKey()
            var generator = SystemRandomNumberGenerator()
            let subject = DistinguishedName(leaf.subject.map { rdn in
                RelativeDistinguishedName(rdn.map { attribute in
                    attribute.type == .RDNAttributeType.commonName
                        ? RelativeDistinguishedName.Attribute(type: .RDNAttributeType.commonName, utf8String: eMAID) : attribute
                })
            })
            let unknown = try pki.authority(.moSubCA2).issue(
                role: .contract, subject: subject, publicKey: Certificate.PublicKey(key.publicKey), validityDays: 30, now: Date(),
                using: &generator)
            report.timeline.append(DemoTimelineEntry(
                hop: "EV", step: "presents a contract of MO Sub-CA 2 the eMSP does not know", milliseconds: 0, traceID: nil,
                outcome: "eMAID \(eMAID), serial \(unknown.serialNumber)"))
            return try StoredContract(eMAID: eMAID, chainDER: [try unknown.derBytes] + installed.chainDER.dropFirst(), key: .p256(key))
        case .happy, .csmsOffline, .revoked, .unknownRoot, .wrongChallenge, .tamperedAuthorization, .cpsDown, .multiContract,
            .update:
            return installed
        }
    }
}

extension Demo {
    /// The contract of a second mobility operator: a PKI of its own next to the demo's (its MO root has another key,
    /// and the station does not trust it), contract leaf and key.
    static func foreignContract(pki: PKIDirectory) throws -> StoredContract {
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.contractEMAID = try EMAID(foreignEMAID)
        let foreign = try PKIDirectory.create(
            at: pki.root + "-second-mo",
            configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:9/ocsp", crlBaseURL: "http://127.0.0.1:9/crl"),
            password: nil, options: options)
        let chain = try CertificateFile.certificates(atPath: foreign.leafDirectory("contract") + "/chain.pem")
        let key = try P256.Signing.PrivateKey(
            pemRepresentation: try foreign.keyStore.signingKey(label: "leaf/contract/key").serializeAsPEM().pemString)
        return try StoredContract(eMAID: foreignEMAID, chainDER: try chain.map { try $0.derBytes }, key: .p256(key))
    }

    /// The eMAID of the second mobility operator's contract.
    public static let foreignEMAID = "DE8BB000000042"
}

/// The demo's charger: the simulated 150 kW DC EVSE, in time-lapse: each control-loop step (CurrentDemand) counts as
/// `stepSeconds` of charging at the power it delivers, so that a demo session of a few milliseconds meters kWh.
final class TimeLapseEVSEController: EVSEController {
    private let simulated = SimulatedEVSEController(capabilities: SimulatedEVSEController.dc)
    private let energy = Mutex<(wh: Double, powerW: Double)>((0, 0))
    let stepSeconds: Double

    init(stepSeconds: Double) { self.stepSeconds = stepSeconds }

    func capabilities() async -> EVSECapabilities { await simulated.capabilities() }
    func cableCheck(voltage: Double) async throws -> ISO15118SECC.IsolationLevel { try await simulated.cableCheck(voltage: voltage) }
    func setContactors(closed: Bool) async throws {
        try await simulated.setContactors(closed: closed)
        if !closed { energy.withLock { $0.powerW = 0 } }
    }
    func deliver(_ target: OutputTarget) async throws -> OutputMeasurement {
        let measured = try await simulated.deliver(target)
        let power = measured.voltageV * measured.currentA
        energy.withLock { state in
            state.wh += state.powerW * stepSeconds / 3600
            state.powerW = power
        }
        return measured
    }
    func meterReading() async throws -> MeterReading {
        energy.withLock { MeterReading(energyWh: $0.wh, powerW: $0.powerW) }
    }
}
