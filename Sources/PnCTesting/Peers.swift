import Foundation

/// External programs the tests compare against, found at test time, and how to run them.
public enum Peers {
    /// The package root, from this file's path.
    public static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)  // <root>/Sources/PnCTesting/Peers.swift
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    public static let openssl: String? = which("openssl")
    public static var hasOpenSSL: Bool { openssl != nil }

    /// Josev's package folder (iso15118 0.31.2) as dev/install-test-deps.sh installs it.
    public static let josevPackage: String? = {
        if let env = ProcessInfo.processInfo.environment["PNC_JOSEV_PKG"] { return env }
        let lib = "\(repoRoot)/.build/peers/venv/lib"
        guard let pythons = try? FileManager.default.contentsOfDirectory(atPath: lib) else { return nil }
        for python in pythons.sorted() {
            let path = "\(lib)/\(python)/site-packages/iso15118"
            if FileManager.default.fileExists(atPath: "\(path)/shared/pki/create_certs.sh") { return path }
        }
        return nil
    }()

    /// Runs a program with stdin closed; returns exit status and combined output.
    ///
    /// Output goes to a temporary file, not a pipe: a background child that inherits it (a server a script started)
    /// cannot keep the caller waiting. The program is terminated after `timeout` (SIGTERM, then SIGKILL), so a test
    /// never blocks its thread for longer than that.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], cwd: String? = nil, timeout: Duration = .seconds(300)
    ) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "pnc-run-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
            let grace = ContinuousClock.now + .seconds(5)
            while process.isRunning, ContinuousClock.now < grace { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        var text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if timedOut { text += "\n[terminated after \(timeout)]" }
        return (process.terminationStatus, text)
    }

    /// ``run(_:_:cwd:timeout:)`` for async tests: waits with `Task.sleep`, so a long peer (Josev, openssl against an
    /// in-process server) never holds one of the few cooperative threads the servers under test need.
    @discardableResult
    public static func runAsync(
        _ executable: String, _ arguments: [String], cwd: String? = nil, timeout: Duration = .seconds(300)
    ) async throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "pnc-run-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
            let grace = ContinuousClock.now + .seconds(5)
            while process.isRunning, ContinuousClock.now < grace { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        var text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if timedOut { text += "\n[terminated after \(timeout)]" }
        return (process.terminationStatus, text)
    }

    public static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "pnc-\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
