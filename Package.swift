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
let exiDependencies: [Package.Dependency] = []
let exiTargets: [Target] = []
let exiCLIDependencies: [Target.Dependency] = []

// MARK: - OCPP (L1 messages, L3 transport, L2 CSMS, L3 storage)
let ocppDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
    .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
    .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    // swift-certificates and swift-crypto (used by CSMSServerTests) are declared in the PKI section.
]
let ocppTargets: [Target] = [
    // L1: generated OCPP 2.0.1 and 1.6 message types, strict JSON codec, OCPP-J frames. No dependencies.
    .target(name: "OCPPMessages", swiftSettings: swiftSettings),
    .target(name: "OCPPCodegen", dependencies: ["OCPPMessages"], path: "Sources/Codegen/OCPPCodegen", swiftSettings: swiftSettings),
    .executableTarget(
        name: "ocpp-codegen", dependencies: ["OCPPCodegen"], path: "Sources/Codegen/ocpp-codegen",
        swiftSettings: swiftSettings),
    // L2: CSMS functional blocks over repository and PKI ports (pure).
    .target(name: "CSMS", dependencies: ["OCPPMessages"], swiftSettings: swiftSettings),
    // L3: OCPP-J WebSocket server and client (SwiftNIO), security profiles 1-3.
    .target(
        name: "OCPPTransport",
        dependencies: [
            "OCPPMessages",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        swiftSettings: swiftSettings
    ),
    // L3: CSMS repositories over sql-kit (SQLite by default).
    .target(
        name: "Storage",
        dependencies: [
            "CSMS",
            "OCPPMessages",
            .product(name: "SQLKit", package: "sql-kit"),
            .product(name: "SQLiteKit", package: "sqlite-kit"),
            .product(name: "PostgresKit", package: "postgres-kit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    // L3: REST API of the CSMS (Hummingbird) with its OpenAPI description.
    .target(
        name: "HTTPAPI",
        dependencies: ["CSMS", "OCPPMessages", .product(name: "Hummingbird", package: "hummingbird")],
        swiftSettings: swiftSettings
    ),
    // L4: composition of the CSMS: transport + functional blocks + storage.
    .target(
        name: "CSMSServer",
        dependencies: [
            "CSMS", "OCPPMessages", "OCPPTransport", "Storage", "HTTPAPI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(name: "OCPPMessagesTests", dependencies: ["OCPPMessages", "OCPPCodegen"], swiftSettings: swiftSettings),
    .testTarget(
        name: "CSMSTests", dependencies: ["CSMS", "OCPPMessages", "Storage", .product(name: "Logging", package: "swift-log")],
        swiftSettings: swiftSettings),
    .testTarget(
        name: "OCPPTransportTests",
        dependencies: [
            "OCPPTransport", "OCPPMessages",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "StorageTests",
        dependencies: [
            "Storage", "CSMS", "OCPPMessages", .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresKit", package: "postgres-kit"),
        ],
        swiftSettings: swiftSettings),
    .testTarget(
        name: "CSMSServerTests",
        dependencies: [
            "CSMSServer", "CSMS", "OCPPMessages", "OCPPTransport", "Storage",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        exclude: ["Fixtures"],
        swiftSettings: swiftSettings
    ),
]
let ocppCLIDependencies: [Target.Dependency] = [
    "CSMSServer", "CSMS", "OCPPMessages", "OCPPTransport", "Storage",
    .product(name: "Logging", package: "swift-log"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
]

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
