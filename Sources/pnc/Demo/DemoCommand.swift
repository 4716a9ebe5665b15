import ArgumentParser
import Foundation
import Logging
import PnCServer

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run PKI, CSMS, a charging station and an EV in one process: commissioning, contract installation and a Plug & Charge session over ISO 15118-2, with a timeline of every hop."
    )

    @Option(help: "happy, csms-offline, revoked, expired, unknown-root, tampered-signature, wrong-challenge, tampered-authorization, unknown-emaid, cps-down, multi-contract or update.") var scenario: String = "happy"
    @Option(help: "Work folder (default: a new temporary folder).") var workDirectory: String?
    @Flag(help: "Log at debug level to stderr.") var verbose = false

    func run() async throws {
        guard let scenario = DemoScenario(rawValue: scenario) else {
            throw ValidationError("--scenario must be one of \(DemoScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let folder = workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("pnc-demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var logger = Logger(label: "pnc.demo")
        logger.logLevel = verbose ? .debug : .error
        let report = try await Demo.run(scenario: scenario, workDirectory: folder, logger: logger)
        print(Demo.render(report))
    }
}
