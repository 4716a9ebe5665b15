import CSMS
import CSMSServer
import Foundation
import Logging
import NIOCore
import NIOSSL
import OCPPMessages
import OCPPTransport
import PnCTesting
import Storage
import Synchronization

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()
let harnessFolder = repositoryRoot + "/../shared/interop/ocpp"
let venvPython = repositoryRoot + "/.build/ocpp-venv/bin/python"
let pythonPeerPresent =
    FileManager.default.isExecutableFile(atPath: venvPython)
    && FileManager.default.fileExists(atPath: harnessFolder + "/conformance_client.py")
let pythonPeerMissing =
    "SKIPPED-PEER ocpp==2.1.0 harness: run dev/install-test-deps.sh (venv in .build/ocpp-venv, needs ../shared/interop/ocpp)"

let testLogger = Logger(label: "test.csms")

func temporaryDatabase() -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-csms-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent("csms.sqlite").path
}

func wallClock() -> OCPPDateTime { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) }

/// Runs a CSMS node on 127.0.0.1 (port 0) with a fresh SQLite file for the duration of `body`.
func withCSMS(
    profile: SecurityProfile = .unsecured, tls: TLSConfiguration? = nil, databasePath: String = temporaryDatabase(),
    configure: (inout CSMSConfiguration) -> Void = { _ in }, certificateAuthority: (any CertificateAuthority)? = nil,
    plugAndCharge: PlugAndChargeServices = PlugAndChargeServices(), http: Bool = false,
    _ body: @Sendable (CSMSApplication, Int) async throws -> Void
) async throws {
    try await withCSMSAndHTTP(
        profile: profile, tls: tls, databasePath: databasePath, configure: configure,
        certificateAuthority: certificateAuthority, plugAndCharge: plugAndCharge, http: http
    ) { app, port, _ in
        try await body(app, port)
    }
}

/// As ``withCSMS``, also serving the REST API on a free port (passed as the third argument) when `http` is true.
func withCSMSAndHTTP(
    profile: SecurityProfile = .unsecured, tls: TLSConfiguration? = nil, databasePath: String = temporaryDatabase(),
    configure: (inout CSMSConfiguration) -> Void = { _ in }, certificateAuthority: (any CertificateAuthority)? = nil,
    plugAndCharge: PlugAndChargeServices = PlugAndChargeServices(), http: Bool = true,
    application configureApplication: (inout CSMSApplicationConfiguration) -> Void = { _ in },
    _ body: @Sendable (CSMSApplication, Int, Int) async throws -> Void
) async throws {
    var configuration = CSMSApplicationConfiguration()
    configuration.server.port = 0
    configuration.server.securityProfile = profile
    configuration.server.tls = tls
    configuration.server.callTimeout = .seconds(5)
    configure(&configuration.csms)
    configureApplication(&configuration)
    configuration.databasePath = databasePath
    let store = try await SQLStore.openSQLite(path: databasePath, logger: testLogger)
    let application = CSMSApplication(
        configuration: configuration, store: store, certificateAuthority: certificateAuthority,
        plugAndCharge: plugAndCharge, logger: testLogger, now: wallClock)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let (httpPorts, httpContinuation) = AsyncStream.makeStream(of: Int.self)
    try await withThrowingTaskGroup(of: Void.self) { group in
        let server = configuration.server
        group.addTask {
            try await application.run(
                server: server, http: http ? ("127.0.0.1", 0) : nil, onHTTPListening: { httpContinuation.yield($0) }
            ) { _, port in continuation.yield(port) }
        }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        var httpPort = 0
        if http {
            var httpIterator = httpPorts.makeAsyncIterator()
            httpPort = await httpIterator.next() ?? 0
        }
        try await body(application, port, httpPort)
    }
}

/// A charging station's answers to CSMS-initiated CALLs, recording each one.
final class RecordingStation: OCPPCallHandler {
    let calls = Mutex<[(String, JSONValue)]>([])
    init() {}

    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        calls.withLock { $0.append((action, payload)) }
        switch action {
        case "InstallCertificate": return .result(V201.InstallCertificateResponse(status: .accepted))
        case "GetInstalledCertificateIds": return .result(V201.GetInstalledCertificateIdsResponse(status: .notFound))
        case "CertificateSigned": return .result(V201.CertificateSignedResponse(status: .accepted))
        case "RequestStartTransaction": return .result(V201.RequestStartTransactionResponse(status: .accepted, transactionId: "R-1"))
        default: return .error(.notImplemented, action)
        }
    }

    /// Waits until `actions` have all arrived (bounded by `timeout`, long enough for a loaded machine), polling every 20 ms.
    func waitFor(_ actions: Set<String>, timeout: Duration = .seconds(60)) async -> Set<String> {
        func seen() -> Set<String> { Set(self.calls.withLock { $0.map(\.0) }).intersection(actions) }
        await pollWhile(timeout: timeout, every: .milliseconds(20)) { seen() != actions }
        return seen()
    }
}

func station(port: Int, id: String = "CS-1", password: String? = nil, versions: [OCPPVersion] = [.v201], tls: TLSConfiguration? = nil)
    -> OCPPClientConfiguration
{
    var configuration = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: id)
    configuration.password = password
    configuration.versions = versions
    configuration.tls = tls
    configuration.callTimeout = .seconds(10)
    return configuration
}

let bootRequest = V201.BootNotificationRequest(
    chargingStation: .init(serialNumber: "SN-1", model: "PnC-CS", vendorName: "OpenPnC"), reason: .powerUp)

