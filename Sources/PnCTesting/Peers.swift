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

    /// Runs a program; returns exit status and combined output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], cwd: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    public static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "pnc-\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
