import EXICodegenKit
import Foundation

// exi-codegen: generates the EXI codecs of ISO 15118 (SupportedAppProtocol, DIN SPEC 70121, ISO 15118-2,
// ISO 15118-20, xmldsig) from their XML schemas. Usage: exi-codegen <schemas/iso15118> <Sources>

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: exi-codegen <schemas/iso15118> <Sources>\n".utf8))
    exit(2)
}
do {
    try generateEXICodecs(schemaRoot: arguments[1], outputRoot: arguments[2])
} catch {
    FileHandle.standardError.write(Data("exi-codegen: \(error)\n".utf8))
    exit(1)
}
