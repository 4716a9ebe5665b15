import Foundation
import Testing

/// `dev/bench-exi-decode-floor.sh` measures the decoders with a patch applied to a copy of the tree; the figures in
/// README can only be reproduced while that patch still applies to the reader's sources.
@Suite struct DecodeFloorPatchTests {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    @Test("dev/patches/exi-decode-floor.patch applies to the EXI reader's current sources")
    func patchApplies() throws {
        let patch = Self.repository.appendingPathComponent("dev/patches/exi-decode-floor.patch")
        let text = try String(contentsOf: patch, encoding: .utf8)
        // Every file the patch touches, copied to the same place in a scratch repository of its own.
        let paths = text.split(separator: "\n").filter { $0.hasPrefix("+++ b/") }.map { String($0.dropFirst(6)) }
        #expect(paths.count == 2, "files in the patch: \(paths)")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("exi-decode-floor-\(UUID())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for path in paths {
            let target = scratch.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.repository.appendingPathComponent(path), to: target)
        }
        #expect(try Self.git(["init", "--quiet", "."], in: scratch).status == 0)
        let check = try Self.git(["apply", "--check", patch.path], in: scratch)
        #expect(check.status == 0, "git apply --check: \(check.output)")
    }

    static func git(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
