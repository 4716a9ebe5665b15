// swift-tools-version: 6.1
// libFuzzer targets for the EXI decoders. Build and run as FuzzTesting/README.md shows.
// The codec targets are the package's own sources (symbolic links into ../Sources), compiled here with the
// fuzzer's coverage instrumentation.
import PackageDescription

let package = Package(
    name: "FuzzTesting",
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "EXI"),
        .target(name: "XMLDSig", dependencies: ["EXI"]),
        .target(name: "SAPMessages", dependencies: ["EXI"]),
        .target(name: "DINMessages", dependencies: ["EXI", "XMLDSig"]),
        .target(name: "ISO2Messages", dependencies: ["EXI", "XMLDSig"]),
        .target(name: "ISO20Messages", dependencies: ["EXI", "XMLDSig"]),
        .executableTarget(name: "FuzzSAP", dependencies: ["CLibFuzzer", "EXI", "SAPMessages"]),
        .executableTarget(name: "FuzzDIN", dependencies: ["CLibFuzzer", "EXI", "DINMessages"]),
        .executableTarget(name: "FuzzISO2", dependencies: ["CLibFuzzer", "EXI", "ISO2Messages"]),
        .executableTarget(name: "FuzzISO20", dependencies: ["CLibFuzzer", "EXI", "ISO20Messages"]),
        .executableTarget(name: "FuzzFragments", dependencies: ["CLibFuzzer", "EXI", "ISO2Messages", "ISO20Messages", "XMLDSig"]),
    ]
)
