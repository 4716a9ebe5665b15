import ArgumentParser
import EXIBenchmarks

/// `pnc bench exi`: encode and decode time per message, in ns/op, and allocations per operation.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Micro-benchmarks (build with -c release for meaningful figures).",
        subcommands: [EXIBench.self, PKIBench.self, V2GBench.self, PnCBench.self])
}

struct EXIBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exi",
        abstract: "EXI encode/decode ns/op and allocations/op per message, against libcbv2g and EXICodec.jar.",
        discussion: "dev/bench-exi-libcbv2g.sh runs this beside EVerest's libcbv2g on the same messages and prints ratios.")

    @Option(help: "Minimum measuring time per message and direction, in milliseconds of CPU time.") var milliseconds = 300
    @Option(help: "Only messages whose name contains this text.") var only: String?
    @Flag(help: "Print each message's EXI as hex (name, tab, hex) instead of measuring.") var hex = false
    @Flag(help: "Tab-separated lines: name, bytes, encode ns/op, decode ns/op, encode allocs/op, decode allocs/op.")
    var tsv = false

    func run() throws {
        try EXIBenchmarks.run(milliseconds: milliseconds, only: only, hex: hex, tsv: tsv)
    }
}
