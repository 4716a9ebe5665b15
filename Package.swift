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
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
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
    .target(
        name: "PKIHTTP",
        dependencies: [
            "V2GPKI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "V2GPKITests",
        dependencies: [
            "V2GPKI",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "PKIHTTPTests",
        dependencies: [
            "PKIHTTP",
            "V2GPKI",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ],
        swiftSettings: swiftSettings
    ),
]
let pkiCLIDependencies: [Target.Dependency] = [
    "V2GPKI", "PKIHTTP", .product(name: "X509", package: "swift-certificates"),
    .product(name: "SwiftASN1", package: "swift-asn1"),
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
]

// MARK: - EXI (L0 runtime, L1 generated codecs, Codegen)
let exiDependencies: [Package.Dependency] = []
let exiTargets: [Target] = []
let exiCLIDependencies: [Target.Dependency] = []

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
