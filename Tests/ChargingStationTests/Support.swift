import CSMS
import CSMSServer
import ChargingStation
import Crypto
import Foundation
import Logging
import OCPPMessages
import OCPPTransport
import Storage
import NIOCore
import SwiftASN1
import X509

let testLogger = Logger(label: "test.station")

func temporaryFolder(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Our CSMS on 127.0.0.1 with SQLite in a folder; can be stopped and started again on the same port.
final class TestCSMS: Sendable {
    let databasePath: String
    let csms: CSMSConfiguration

    init(databasePath: String, configure: (inout CSMSConfiguration) -> Void = { _ in }) {
        self.databasePath = databasePath
        var csms = CSMSConfiguration()
        configure(&csms)
        self.csms = csms
    }

    struct Running: Sendable {
        let application: CSMSApplication
        let port: Int
        let task: Task<Void, any Error>

        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    func start(port: Int = 0) async throws -> Running {
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = port
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(5)
        configuration.csms = csms
        configuration.databasePath = databasePath
        let store = try await SQLStore.openSQLite(path: databasePath, logger: testLogger)
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: nil, logger: testLogger,
            now: { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = configuration.server
        let task = Task {
            try await application.run(server: server) { _, port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw CancellationError() }
        return Running(application: application, port: bound, task: task)
    }
}

func stationConfiguration(port: Int, id: String = "CS-PNC-1", folder: String) -> StationConfiguration {
    var ocpp = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: id)
    ocpp.callTimeout = .seconds(5)
    ocpp.connectTimeout = .seconds(2)
    var configuration = StationConfiguration(ocpp: ocpp, dataDirectory: folder)
    configuration.minimumBackOff = .milliseconds(200)
    configuration.serialNumber = "SN-\(id)"
    return configuration
}

/// A self-signed P-256 CA certificate (a V2G or MO root stand-in for the certificate store).
func selfSignedRoot(_ name: String) throws -> String {
    let key = P256.Signing.PrivateKey()
    let subject = try DistinguishedName { CommonName(name); OrganizationName("OpenPnC Test") }
    let certificate = try Certificate(
        version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
        notValidBefore: Date() - 60, notValidAfter: Date() + 86_400, issuer: subject, subject: subject,
        signatureAlgorithm: .ecdsaWithSHA256,
        extensions: try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
        }, issuerPrivateKey: .init(key))
    return try certificate.serializeAsPEM().pemString
}

/// Runs the station until `body` returns.
func withStation(
    _ station: OCPPChargingStation, _ body: @Sendable (OCPPChargingStation) async throws -> Void
) async throws {
    let task = Task { try await station.run() }
    defer { task.cancel() }
    try await body(station)
    task.cancel()
    _ = await task.result
}
