import EXI
@testable import EXICodegenKit
import Foundation
import Testing

@Suite struct RegenerationTests {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()
    static let schemas = repository.deletingLastPathComponent().appendingPathComponent("shared/schemas/iso15118")
    static let modules = ["XMLDSig", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages"]

    @Test(
        "exi-codegen regenerates exactly the committed Generated/ folders",
        .enabled(
            if: FileManager.default.fileExists(atPath: schemas.path),
            "SKIPPED-PEER ../shared/schemas/iso15118: check out the shared folder next to the repo"))
    func regenerateAndDiff() throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("exi-codegen-\(UUID())")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try generateEXICodecs(schemaRoot: Self.schemas.path, outputRoot: temporary.path)
        for module in Self.modules {
            let fresh = temporary.appendingPathComponent("\(module)/Generated")
            let committed = Self.repository.appendingPathComponent("Sources/\(module)/Generated")
            let freshFiles = try FileManager.default.contentsOfDirectory(atPath: fresh.path).sorted()
            let committedFiles = try FileManager.default.contentsOfDirectory(atPath: committed.path).sorted()
            #expect(freshFiles == committedFiles, "\(module)")
            for name in freshFiles where committedFiles.contains(name) {
                let a = try Data(contentsOf: fresh.appendingPathComponent(name))
                let b = try Data(contentsOf: committed.appendingPathComponent(name))
                #expect(a == b, "\(module)/Generated/\(name) differs from a fresh generation: run dev/regenerate.sh")
                #expect(b.count < 5_000_000, "\(module)/Generated/\(name) exceeds 5 MB")
            }
        }
    }

    @Test("The generator's window paths take at most the bits an EXIWindow holds at any offset")
    func windowCapacity() {
        #expect(Generator.windowBits == EXIWindow.capacity)
    }

    @Test(
        "Generation is deterministic: two runs give identical bytes",
        .enabled(
            if: FileManager.default.fileExists(atPath: schemas.path),
            "SKIPPED-PEER ../shared/schemas/iso15118: check out the shared folder next to the repo"))
    func deterministic() throws {
        let a = FileManager.default.temporaryDirectory.appendingPathComponent("exi-codegen-a-\(UUID())")
        let b = FileManager.default.temporaryDirectory.appendingPathComponent("exi-codegen-b-\(UUID())")
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        try generateEXICodecs(schemaRoot: Self.schemas.path, outputRoot: a.path)
        try generateEXICodecs(schemaRoot: Self.schemas.path, outputRoot: b.path)
        let file = "SAPMessages/Generated/V2G_CI_AppProtocol.swift"
        #expect(try Data(contentsOf: a.appendingPathComponent(file)) == Data(contentsOf: b.appendingPathComponent(file)))
        let iso2 = "ISO2Messages/Generated/ISO2Messages+Roots.swift"
        #expect(try Data(contentsOf: a.appendingPathComponent(iso2)) == Data(contentsOf: b.appendingPathComponent(iso2)))
    }
}
