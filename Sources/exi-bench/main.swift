import EXIBenchmarks
import Foundation

// exi-bench [--milliseconds N] [--only TEXT] [--hex] [--tsv]: the benchmark of `pnc bench exi` without the rest of
// the CLI, so a release build needs only the EXI targets.
var milliseconds = 300
var only: String?
var hex = false
var tsv = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--hex": hex = true
    case "--tsv": tsv = true
    case "--milliseconds":
        guard let value = arguments.popFirst().flatMap({ Int($0) }), value > 0 else {
            print("--milliseconds needs a positive number")
            exit(2)
        }
        milliseconds = value
    case "--only":
        guard let value = arguments.popFirst() else {
            print("--only needs a text")
            exit(2)
        }
        only = value
    default:
        print("usage: exi-bench [--milliseconds N] [--only TEXT] [--hex] [--tsv]")
        exit(argument == "--help" || argument == "-h" ? 0 : 2)
    }
}
do {
    try EXIBenchmarks.run(milliseconds: milliseconds, only: only, hex: hex, tsv: tsv)
} catch {
    print("error: \(error)")
    exit(1)
}
