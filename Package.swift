// swift-tools-version: 6.1
// OpenPnC — one SwiftPM package; layers and targets as in docs/ARCHITECTURE.md.
// Each area keeps its own section below (dependencies, targets, CLI dependencies) so that areas grow independently.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// MARK: - Core (L0): identifiers and units
let coreDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
]
let coreTargets: [Target] = [
    .target(name: "PnCCore", swiftSettings: swiftSettings),
    .testTarget(name: "PnCCoreTests", dependencies: ["PnCCore"], swiftSettings: swiftSettings),
]
let coreCLIDependencies: [Target.Dependency] = [
    "PnCCore",
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
]

// MARK: - PKI (L1 V2GPKI, L3 HTTP responder)
let pkiDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
]
let pkiTargets: [Target] = [
    .target(
        name: "V2GPKI",
        dependencies: [
            "PnCCore",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(name: "V2GPKITests", dependencies: ["V2GPKI"], swiftSettings: swiftSettings),
]
let pkiCLIDependencies: [Target.Dependency] = ["V2GPKI"]

// MARK: - EXI (L0 runtime, L1 generated codecs, Codegen)
// swift-crypto (for exi-codegen's schema digests) is declared in the PKI section.
let exiDependencies: [Package.Dependency] = []
let exiTargets: [Target] = [
    .target(name: "EXI", swiftSettings: swiftSettings),
    .target(name: "XMLDSig", dependencies: ["EXI"], swiftSettings: swiftSettings),
    .target(name: "SAPMessages", dependencies: ["EXI"], swiftSettings: swiftSettings),
    .target(name: "DINMessages", dependencies: ["EXI", "XMLDSig"], swiftSettings: swiftSettings),
    .target(name: "ISO2Messages", dependencies: ["EXI", "XMLDSig"], swiftSettings: swiftSettings),
    .target(name: "ISO20Messages", dependencies: ["EXI", "XMLDSig"], swiftSettings: swiftSettings),
    .target(
        name: "EXICodegenKit",
        dependencies: [.product(name: "Crypto", package: "swift-crypto")],
        path: "Sources/Codegen/EXICodegenKit",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "exi-codegen",
        dependencies: ["EXICodegenKit"],
        path: "Sources/Codegen/exi-codegen",
        swiftSettings: swiftSettings
    ),
    .testTarget(name: "EXICodegenTests", dependencies: ["EXICodegenKit"], swiftSettings: swiftSettings),
    .testTarget(name: "EXITests", dependencies: ["EXI"], swiftSettings: swiftSettings),
    .testTarget(
        name: "EXICodecTests",
        dependencies: ["EXI", "XMLDSig", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages"],
        exclude: ["Oracle"],
        swiftSettings: swiftSettings
    ),
]
let exiCLIDependencies: [Target.Dependency] = [
    "EXI", "XMLDSig", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages",
]

// MARK: - OCPP (L1 messages, L3 transport, L2 CSMS, L3 storage)
let ocppDependencies: [Package.Dependency] = []
let ocppTargets: [Target] = []
let ocppCLIDependencies: [Target.Dependency] = []

// MARK: - ISO 15118 (L2 state machines, L3 transport)
let v2gDependencies: [Package.Dependency] = []
let v2gTargets: [Target] = []
let v2gCLIDependencies: [Target.Dependency] = []

// MARK: - Composition
let cliTarget: Target = .executableTarget(
    name: "pnc",
    dependencies: coreCLIDependencies + pkiCLIDependencies + exiCLIDependencies + ocppCLIDependencies
        + v2gCLIDependencies,
    swiftSettings: swiftSettings
)

let package = Package(
    name: "OpenPnC",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pnc", targets: ["pnc"]),
    ],
    dependencies: coreDependencies + pkiDependencies + exiDependencies + ocppDependencies + v2gDependencies,
    targets: coreTargets + pkiTargets + exiTargets + ocppTargets + v2gTargets + [cliTarget]
)
