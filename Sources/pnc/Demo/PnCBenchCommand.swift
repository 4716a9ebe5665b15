import ArgumentParser
import Foundation
import Logging
import PnCServer

/// `pnc bench pnc`: contract installation and Plug & Charge authorization round trips through the PKI, the OCSP
/// responder, the CSMS, the eMSP/CPS and the charging station on loopback.
struct PnCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnc",
        abstract: "Contract installation (p99 target 100 ms) and Plug & Charge authorization (OCSP cached and uncached, p99 target 20 ms) over loopback: p50, p99.")

    @Option(help: "Runs per series (1 ... 100000).") var runs = 1_000
    @Option(help: "Work folder for the PKI, the databases and the station (default: a new temporary folder, removed afterwards).")
    var workDirectory: String?
    @Flag(help: "Log at debug level to stderr.") var verbose = false

    func validate() throws {
        guard (1...100_000).contains(runs) else { throw ValidationError("--runs must be 1 ... 100000") }
    }

    func run() async throws {
        let folder = workDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("pnc-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if workDirectory == nil { try? FileManager.default.removeItem(atPath: folder) } }
        var logger = Logger(label: "pnc.bench.pnc")
        logger.logLevel = verbose ? .debug : .error
        let report = try await PnCBenchmark.run(runs: runs, workDirectory: folder, logger: logger)
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        print(PnCBenchmark.render(report, build: build))
    }
}
