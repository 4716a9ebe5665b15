// swift-tools-version: 6.1
// libFuzzer targets for every decoder of OpenPnC. Build and run: see README.md in this folder.
import PackageDescription

let fuzzFlags: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])]
let fuzzLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]

/// Each fuzzer defines `<Name>_main` (the entry SwiftPM links as `main`) and hands over to libFuzzer's driver.
func fuzzer(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: dependencies + ["FuzzDriver"], swiftSettings: fuzzFlags, linkerSettings: fuzzLink
    )
}

let package = Package(
    name: "OpenPnCFuzzing",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        .target(name: "FuzzDriver"),
        fuzzer("FuzzPKI", [.product(name: "V2GPKI", package: "main")]),
    ]
)
