import ArgumentParser
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO20Messages
import ISO2Messages
import SAPMessages
import SwiftASN1
import X509
import Logging
import NIOSSL
import V2GPKI
import V2GTransport

/// `pnc bench v2g`: sequential DC sessions of our EV against our SECC over loopback (``V2GSessionBenchmark``),
/// ISO 15118-2 (TCP, TLS 1.2 with --pki, Plug & Charge with --pnc) or ISO 15118-20 (TLS 1.3 mutual with a
/// `--profile iso15118-20` PKI, EIM or Plug & Charge with --pnc), timed from the SDP request (or, with
/// --no-from-sdp, the TCP connect) to the first PowerDeliveryRes and to SessionStopRes: median, p99.
struct V2GBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "v2g",
        abstract: "SDP request → first PowerDeliveryRes and → SessionStopRes of N ISO 15118-2 or -20 DC sessions over loopback (TLS with --pki, Plug & Charge with --pnc): median, p99.")

    @Option(help: "Sessions to run (1 ... 10000).") var sessions = 50
    @Option(name: .customLong("protocol"), help: "iso2 (ISO 15118-2 DC) or iso20 (ISO 15118-20 DC, TLS 1.3 mutual; needs a --profile iso15118-20 --pki).")
    var family: V2GSessionBenchmark.ProtocolFamily = .iso2
    @Option(help: "A `pnc pki init` directory: TLS with its SECC leaf, checked against its roots; TCP without (iso2 only).")
    var pki: String?
    @Option(help: "Password of the PKI's keys.") var pkiPassword: String?
    @Flag(help: "Plug & Charge with the PKI's contract (leaf/contract) instead of EIM; needs --pki.") var pnc = false
    @Flag(inversion: .prefixedNo, help: "Start the clock at the SDP request (unicast SDP on ::1); without, at the TCP connect.")
    var fromSDP = true

    func validate() throws {
        guard (1...10_000).contains(self.sessions) else { throw ValidationError("--sessions must be 1 ... 10000") }
        if self.pnc, self.pki == nil { throw ValidationError("--pnc needs --pki DIR (contract, MO root, TLS)") }
        if self.family == .iso20, self.pki == nil {
            throw ValidationError("--protocol iso20 runs TLS 1.3 mutual: it needs --pki DIR of `pnc pki init --profile iso15118-20`")
        }
    }

    func run() async throws {
        var logger = Logger(label: "pnc.bench.v2g")
        logger.logLevel = .warning
        let setup = try self.setup()
        let security = self.pki == nil ? "TCP" : self.family == .iso20 ? "TLS 1.3" : "TLS 1.2"
        let label = "\(self.family.rawValue) DC \(security) \(self.pnc ? "PnC" : "EIM")"
        do {
            let report = try await V2GSessionBenchmark.run(setup, sessions: self.sessions, label: label, logger: logger)
            print(V2GSessionBenchmark.render(report))
        } catch let error as ISO15118StationError {
            print(error.detail)
            throw ExitCode(1)
        }
    }

    func setup() throws -> V2GSessionBenchmark.Setup {
        guard let pki else {
            return V2GSessionBenchmark.Setup(
                family: .iso2, server: .tcp, client: .tcp, secc: SECCConfiguration(evseID: "DE*PNC*E1"),
                backend: LocalChargingBackend(), fromSDP: self.fromSDP)
        }
        let files = try V2GPKIFiles(path: pki, password: self.pkiPassword)
        let directory = files.directory
        let moRoots = self.pnc ? [try directory.authority(.moRoot).certificate] : []
        switch self.family {
        case .iso2:
            guard directory.profile != .iso15118_20 else {
                throw ValidationError("\(pki) is a --profile iso15118-20 PKI (TLS 1.3): use --protocol iso20")
            }
            let chain = try NIOSSLCertificate.fromPEMFile(files.seccChain)
            let key =
                if let password = self.pkiPassword {
                    try NIOSSLPrivateKey(file: files.seccKey, format: .pem) { $0(Array(password.utf8)) }
                } else {
                    try NIOSSLPrivateKey(file: files.seccKey, format: .pem)
                }
            let secc =
                self.pnc
                ? SECCConfiguration(evseID: "DE*PNC*E1", paymentOptions: [.contract], contractRoots: moRoots, requiresMeteringReceipt: false)
                : SECCConfiguration(evseID: "DE*PNC*E1")
            return V2GSessionBenchmark.Setup(
                family: .iso2,
                server: .tls(try V2GTLSServerProfile.iso15118_2(identity: V2GTLSIdentity(certificateChain: chain, privateKey: key, root: nil))),
                client: .tls(try V2GTLSClientProfile.iso15118_2(v2gRoots: try NIOSSLCertificate.fromPEMFile(files.roots))),
                secc: secc, backend: LocalChargingBackend(contractRoots: moRoots),
                iso2Contract: self.pnc ? try EVCommand.contract(pki: pki, password: self.pkiPassword) : nil, fromSDP: self.fromSDP)
        case .iso20:
            guard directory.profile == .iso15118_20 else {
                throw ValidationError("ISO 15118-20 over TLS needs a `pnc pki init --profile iso15118-20` PKI (P-521); \(pki) is \(directory.profile.rawValue)")
            }
            // As `pnc station --protocols iso20 --tls`: the vehicle's chain must end in the PKI's OEM root; the vehicle
            // presents leaf/oem-prov, as `pnc ev` does.
            let oemRoot = try NIOSSLCertificate(
                bytes: Array(try directory.authority(.oemRoot).certificate.serializeAsPEM().pemString.utf8), format: .pem)
            var secc = SECCConfiguration(
                evseID: "DE*PNC*E1", paymentOptions: self.pnc ? [.contract] : [.externalPayment], protocols: [.iso20DC],
                contractRoots: moRoots)
            if self.pnc { secc.iso20PnC = ISO20PnCConfiguration(moRoots: moRoots, certificateInstallation: false) }
            var contracts: [ISO20EVCCContract] = []
            if self.pnc {
                let stored = try EVCommand.contract(pki: pki, password: self.pkiPassword)
                contracts = [ISO20EVCCContract(eMAID: stored.eMAID, chainDER: stored.chainDER, key: stored.key)]
            }
            return V2GSessionBenchmark.Setup(
                family: .iso20,
                server: .tls(try V2GTLSServerProfile.iso15118_20(identities: [try files.identity(leaf: "secc")], vehicleTrustRoots: [oemRoot])),
                client: .tls(
                    try V2GTLSClientProfile.iso15118_20(
                        v2gRoots: try NIOSSLCertificate.fromPEMFile(files.roots), identity: try files.identity(leaf: "oem-prov"))),
                secc: secc, backend: LocalChargingBackend(contractRoots: moRoots), iso20Contracts: contracts, fromSDP: self.fromSDP)
        }
    }
}

extension V2GSessionBenchmark.ProtocolFamily: ExpressibleByArgument {}
