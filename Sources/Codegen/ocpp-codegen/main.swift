import Foundation
import OCPPCodegen

// ocpp-codegen <schema root holding v201/ and v16/> <output folder>
// Writes <output>/V201/*.swift and <output>/V16/*.swift; removes generated files that no schema produces any more.
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: ocpp-codegen <schemas/ocpp> <Sources/OCPPMessages/Generated>\n".utf8))
    exit(2)
}
let schemaRoot = arguments[1]
let output = arguments[2]
do {
    for version in OCPPCodegen.Version.allCases {
        let files = try OCPPCodegen.generate(schemaRoot: schemaRoot, version: version)
        let folder = output + "/" + (files.first.map { String($0.path.split(separator: "/")[0]) } ?? "")
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            try Data(file.contents.utf8).write(to: URL(fileURLWithPath: output + "/" + file.path))
        }
        print("\(version.rawValue): \(files.count) files")
    }
} catch {
    FileHandle.standardError.write(Data("ocpp-codegen: \(error)\n".utf8))
    exit(1)
}
