import ArgumentParser
import Foundation
import ISO15118EVCC
import ISO15118Station
import V2GPKI
import ISO2Messages
import Logging
import NIOCore
import NIOSSL
import V2GTransport

/// `pnc bench v2g`: sequential ISO 15118-2 DC sessions of our EV against our SECC over loopback, timed from the
/// TCP connect (and TLS handshake) to the first PowerDeliveryRes: EIM, or Plug & Charge over TLS with `--pnc`
/// (contract chain checked to the MO root, signed AuthorizationReq verified, local backend deciding).
struct V2GBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "v2g",
        abstract: "Connect → first PowerDeliveryRes of N ISO 15118-2 DC sessions over loopback (TLS with --pki, Plug & Charge with --pnc): median, p99.")

    @Option(help: "Sessions to run (1 ... 10000).") var sessions = 50
    @Option(help: "A `pnc pki init` directory: TLS with its SECC leaf, checked against its roots; TCP without.")
    var pki: String?
    @Option(help: "Password of the PKI's keys.") var pkiPassword: String?
    @Flag(help: "Plug & Charge with the PKI's contract (leaf/contract) instead of EIM; needs --pki.") var pnc = false

    func validate() throws {
        guard (1...10_000).contains(self.sessions) else { throw ValidationError("--sessions must be 1 ... 10000") }
        if self.pnc, self.pki == nil { throw ValidationError("--pnc needs --pki DIR (contract, MO root, TLS)") }
    }

    func run() async throws {
        var logger = Logger(label: "pnc.bench.v2g")
        logger.logLevel = .warning
        let serverSecurity: V2GServer.Security
        let clientSecurity: V2GClient.Security
        if let pki {
            let files = try V2GPKIFiles(path: pki, password: self.pkiPassword)
            let chain = try NIOSSLCertificate.fromPEMFile(files.seccChain)
            let key =
                if let password = self.pkiPassword {
                    try NIOSSLPrivateKey(file: files.seccKey, format: .pem) { $0(Array(password.utf8)) }
                } else {
                    try NIOSSLPrivateKey(file: files.seccKey, format: .pem)
                }
            serverSecurity = .tls(
                try V2GTLSServerProfile.iso15118_2(identity: V2GTLSIdentity(certificateChain: chain, privateKey: key, root: nil)))
            clientSecurity = .tls(try V2GTLSClientProfile.iso15118_2(v2gRoots: try NIOSSLCertificate.fromPEMFile(files.roots)))
        } else {
            serverSecurity = .tcp
            clientSecurity = .tcp
        }
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0), security: serverSecurity, logger: logger)
        var seccConfiguration = SECCConfiguration(evseID: "DE*PNC*E1")
        var backend = LocalChargingBackend()
        var contract: StoredContract?
        if self.pnc, let pki {
            let directory = try PKIDirectory(root: pki, password: self.pkiPassword)
            let moRoots = [try directory.authority(.moRoot).certificate]
            seccConfiguration = SECCConfiguration(
                evseID: "DE*PNC*E1", paymentOptions: [.contract], contractRoots: moRoots, requiresMeteringReceipt: false)
            backend = LocalChargingBackend(contractRoots: moRoots)
            contract = try EVCommand.contract(pki: pki, password: self.pkiPassword)
        }
        let service = SECCService(
            configuration: seccConfiguration, backend: backend,
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), logger: logger)
        let battery = EVBattery(
            capacityWh: 60_000, stateOfCharge: 30, maximumCurrentA: 200, maximumVoltageV: 450, nominalVoltageV: 400)
        let count = self.sessions
        let samples: [Double] = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run(server: server) }
            defer { group.cancelAll() }
            var samples: [Double] = []
            for index in 0..<count {
                let start = ContinuousClock.now
                let connection = try await V2GClient.connect(to: server.localAddress, security: clientSecurity, logger: logger)
                let connected = ContinuousClock.now - start
                let summary = try await EVCCSession.run(
                    on: connection,
                    configuration: .init(
                        evccID: [2, 0, 0, 0, UInt8(index >> 8 & 0xFF), UInt8(index & 0xFF)], energyTransfer: .dcExtended,
                        battery: battery, maximumLoopIterations: 1),
                    contract: contract, logger: logger)
                guard summary.succeeded, let firstPower = summary.firstPowerDeliveryMilliseconds else {
                    print("session \(index) failed: \(summary.failure ?? "no PowerDeliveryRes")")
                    throw ExitCode(1)
                }
                let connectMs = Double(connected.components.seconds) * 1000 + Double(connected.components.attoseconds) / 1e15
                samples.append(connectMs + firstPower)
            }
            try await server.close()
            return samples
        }
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))] }
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        print(
            "v2g \(self.pki == nil ? "TCP" : "TLS")\(self.pnc ? " PnC" : " EIM") sessions=\(count) connect→first PowerDeliveryRes: "
                + String(format: "median %.2f ms, p99 %.2f ms, mean %.2f ms, min %.2f ms, max %.2f ms",
                    percentile(0.5), percentile(0.99), mean, sorted[0], sorted[sorted.count - 1]))
    }
}
