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
    /// cannot keep the caller waiting. The program is terminated after `timeout` (SIGTERM, then SIGKILL after 5 s).
    /// The wait is `Task.sleep`, never a blocked thread: the cooperative pool has as many threads as cores, and one
    /// test blocked on a peer would stall every server under test in the same run.
    @discardableResult
    public static func runAsync(
        _ executable: String, _ arguments: [String], cwd: String? = nil, timeout: Duration = .seconds(300)
    ) async throws -> (status: Int32, output: String) {
        let run = try PeerRun(executable, arguments, cwd: cwd, timeout: timeout)
        while run.waiting { try? await Task.sleep(for: .milliseconds(20)) }
        return run.result()
    }

    public static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "pnc-\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// One started peer program: output in a temporary file, a deadline, and the escalation from SIGTERM to SIGKILL.
/// The caller polls ``waiting`` with whatever sleep suits its context.
final class PeerRun {
    private let process = Process()
    private let outputPath = NSTemporaryDirectory() + "pnc-run-\(UUID().uuidString).log"
    private let timeout: Duration
    private let deadline: ContinuousClock.Instant
    private var terminatedAt: ContinuousClock.Instant?

    init(_ executable: String, _ arguments: [String], cwd: String?, timeout: Duration) throws {
        self.timeout = timeout
        _ = FileManager.default.createFile(atPath: self.outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: self.outputPath))
        defer { try? output.close() }
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        if let cwd { self.process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        self.process.standardOutput = output
        self.process.standardError = output
        self.process.standardInput = FileHandle.nullDevice
        do { try self.process.run() } catch {
            try? FileManager.default.removeItem(atPath: self.outputPath)
            throw error
        }
        self.deadline = ContinuousClock.now + timeout
    }

    /// True while the program runs; past the deadline it is terminated, and killed 5 s later.
    var waiting: Bool {
        guard self.process.isRunning else { return false }
        let now = ContinuousClock.now
        if let terminatedAt = self.terminatedAt {
            if now > terminatedAt + .seconds(5) { kill(self.process.processIdentifier, SIGKILL) }
        } else if now > self.deadline {
            self.terminatedAt = now
            self.process.terminate()
        }
        return true
    }

    /// Exit status and output, once ``waiting`` is false; removes the output file.
    func result() -> (status: Int32, output: String) {
        self.process.waitUntilExit()
        var text = (try? String(contentsOfFile: self.outputPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: self.outputPath)
        if self.terminatedAt != nil { text += "\n[terminated after \(self.timeout)]" }
        return (self.process.terminationStatus, text)
    }
}
