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
    // Ed448 (RFC 8032) and SHAKE256 (FIPS 202) in Swift: swift-crypto and BoringSSL have neither.
    .target(name: "Ed448", swiftSettings: swiftSettings),
    .testTarget(name: "Ed448Tests", dependencies: ["Ed448"], swiftSettings: swiftSettings),
    .target(
        name: "V2GPKI",
        dependencies: [
            "PnCCore", "Ed448",
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
    // Test fixtures shared by the PKI test targets (a code-built V2G chain, openssl runner, temporary folders).
    .target(
        name: "PnCTesting",
        dependencies: [
            "V2GPKI", "V2GSecurity", "ISO20Messages",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "V2GPKITests",
        dependencies: [
            "V2GPKI", "PnCTesting",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "PKIHTTPTests",
        dependencies: [
            "PKIHTTP", "PnCTesting",
            "V2GPKI", "Ed448",
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
    .product(name: "SwiftASN1", package: "swift-asn1"),
]

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
    // Per-thread malloc counts for the EXI benchmark (allocations/op); C, glibc only.
    .target(name: "MallocCounter"),
    // The EXI benchmark of `pnc bench exi`, also as the small `exi-bench` executable (a release build of it needs
    // only the EXI targets; dev/bench-exi-libcbv2g.sh runs either beside libcbv2g).
    .target(
        name: "EXIBenchmarks",
        dependencies: ["EXI", "XMLDSig", "SAPMessages", "ISO2Messages", "ISO20Messages", "MallocCounter"],
        swiftSettings: swiftSettings
    ),
    .executableTarget(name: "exi-bench", dependencies: ["EXIBenchmarks"], swiftSettings: swiftSettings),
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
    .testTarget(name: "EXICodegenTests", dependencies: ["EXICodegenKit", "EXI"], swiftSettings: swiftSettings),
    .testTarget(name: "EXITests", dependencies: ["EXI"], swiftSettings: swiftSettings),
    .testTarget(
        name: "EXICodecTests",
        dependencies: ["EXI", "XMLDSig", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages", "PnCTesting"],
        exclude: ["Oracle"],
        swiftSettings: swiftSettings
    ),
]
let exiCLIDependencies: [Target.Dependency] = [
    "EXI", "XMLDSig", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages", "EXIBenchmarks",
]

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
    .target(name: "CSMS", dependencies: ["OCPPMessages", "ISO2Messages", "ISO20Messages"], swiftSettings: swiftSettings),
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
            "CSMS", "EMSP",
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
            "CSMS", "OCPPMessages", "OCPPTransport", "Storage", "HTTPAPI", "V2GPKI", "PKIHTTP",
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
            "Storage", "CSMS", "OCPPMessages", "EMSP", "PnCCore", "V2GSecurity",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresKit", package: "postgres-kit"),
        ],
        swiftSettings: swiftSettings),
    .testTarget(
        name: "CSMSServerTests",
        dependencies: [
            "CSMSServer", "CSMS", "OCPPMessages", "OCPPTransport", "Storage", "V2GPKI", "PKIHTTP", "PnCTesting",
            "ISO2Messages", "ISO20Messages", "XMLDSig", "EXI", "EMSP", "PnCServer",
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
let v2gDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
]
let v2gTargets: [Target] = [
    // L1, pure: V2GTP header, payload types, SDP messages (ISO 15118-2 §7.8, §7.10). No dependencies, so the
    // libFuzzer targets under FuzzTesting/ compile its sources directly.
    .target(name: "V2GTP", swiftSettings: swiftSettings),
    .testTarget(name: "V2GTPTests", dependencies: ["V2GTP"], swiftSettings: swiftSettings),
    // L3: SwiftNIO framing, SDP over UDP/IPv6, TCP and TLS (ISO 15118-2 and -20 profiles).
    .target(
        name: "V2GTransport",
        dependencies: [
            "V2GTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    // L2, pure: SECC and EVCC session state machines and their ports (ChargingBackend, EVSEController).
    .target(
        name: "ISO15118SECC",
        dependencies: [
            "PnCCore", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages", "V2GPKI", "V2GSecurity", "XMLDSig",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        swiftSettings: swiftSettings
    ),
    .target(
        name: "ISO15118EVCC",
        dependencies: [
            "PnCCore", "SAPMessages", "DINMessages", "ISO2Messages", "ISO20Messages", "V2GPKI", "V2GSecurity", "XMLDSig", "EXI",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ISO15118SECCTests",
        dependencies: [
            "ISO15118SECC", "V2GPKI", "PnCTesting", "SAPMessages", "ISO2Messages", "V2GSecurity", "XMLDSig", "EXI",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ISO15118EVCCTests",
        dependencies: [
            "ISO15118EVCC", "ISO15118SECC", "SAPMessages", "ISO2Messages", "PnCCore", "V2GPKI", "V2GSecurity", "EMSP",
            "XMLDSig", "EXI",
            .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings),
    // L3: drivers for the session machines (SECCService, EVCCSession) and simulators.
    .target(
        name: "ISO15118Station",
        dependencies: [
            "ISO15118SECC", "ISO15118EVCC", "V2GTransport", "V2GTP", "SAPMessages", "ISO2Messages", "DINMessages",
            "ISO20Messages", "EXI", "PnCCore", "V2GPKI", "V2GSecurity", "EMSP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "V2GTransportTests",
        dependencies: [
            "PnCTesting", "V2GTransport", "ISO15118Station", "ISO15118SECC", "ISO15118EVCC", "ISO2Messages", "SAPMessages",
            "V2GTP", "DINMessages", "ISO20Messages", "V2GPKI", "V2GSecurity", "EXI", "XMLDSig",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
]
let v2gCLIDependencies: [Target.Dependency] = [
    "V2GTransport",
    "V2GTP",
    "ISO15118Station",
    "ISO15118SECC",
    "ISO15118EVCC",
    "V2GSecurity",
    "ISO2Messages",
    "SAPMessages",
    "V2GPKI",
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
    .product(name: "Logging", package: "swift-log"),
]

// MARK: - ISO 15118-20 and DIN SPEC 70121 sessions (targets and tests beside the -2 ones above)
let v2g20Targets: [Target] = [
    .testTarget(
        name: "ISO15118SECC20Tests",
        dependencies: [
            "ISO15118SECC", "ISO15118EVCC", "ISO20Messages", "PnCCore", "V2GPKI", "V2GSecurity", "XMLDSig", "PnCTesting", "EMSP",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ISO15118DINTests",
        dependencies: ["ISO15118SECC", "ISO15118EVCC", "DINMessages", "PnCCore"],
        swiftSettings: swiftSettings
    ),
]
let v2g20CLIDependencies: [Target.Dependency] = []

// MARK: - Security and eMSP (L2 V2GSecurity, L2 EMSP)
// swift-crypto, swift-certificates and swift-asn1 are declared in the PKI section.
let emspDependencies: [Package.Dependency] = []
let emspTargets: [Target] = [
    // L2, pure: XML signatures over EXI fragments and contract-key encryption (ISO 15118-2 §7.9.2, -20 §8.x).
    .target(
        name: "V2GSecurity",
        dependencies: [
            "EXI", "XMLDSig", "ISO2Messages", "ISO20Messages", "V2GPKI", "Ed448",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "V2GSecurityTests",
        dependencies: [
            "V2GSecurity", "EXI", "XMLDSig", "ISO2Messages", "ISO20Messages", "V2GPKI", "PnCTesting", "Ed448",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        exclude: ["Fixtures", "Peers"],
        swiftSettings: swiftSettings
    ),
    // L2, pure: eMSP domain (customers, vehicles, contracts, eMAID allocation, contract provisioning) + ports.
    .target(
        name: "EMSP",
        dependencies: [
            "PnCCore", "V2GSecurity", "ISO2Messages", "ISO20Messages", "XMLDSig", "V2GPKI",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "EMSPTests",
        dependencies: [
            "EMSP", "PnCCore", "V2GSecurity", "EXI", "ISO2Messages", "ISO20Messages", "XMLDSig", "V2GPKI", "PnCTesting",
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
        ],
        swiftSettings: swiftSettings
    ),
]
let emspCLIDependencies: [Target.Dependency] = [
    "V2GSecurity", "EMSP", "Storage", "PnCCore", "V2GPKI",
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Crypto", package: "swift-crypto"),
    .product(name: "X509", package: "swift-certificates"),
]

// MARK: - Charging station and composition (L3 ChargingStation, L4 PnCServer)
let stationDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
]
let stationTargets: [Target] = [
    // L3: the charging station's OCPP 2.0.1 client implementing the SECC's ChargingBackend port, with a durable
    // offline queue of transaction events and a station certificate store.
    .target(
        name: "ChargingStation",
        dependencies: [
            "PnCCore", "ISO15118SECC", "OCPPMessages", "OCPPTransport", "V2GPKI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ChargingStationTests",
        dependencies: [
            "ChargingStation", "CSMSServer", "CSMS", "Storage", "OCPPMessages", "OCPPTransport", "ISO15118SECC",
            "PnCCore", "V2GPKI", "PnCTesting",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    // L4: composition root of the whole chain in one process (`pnc demo`).
    .target(
        name: "PnCServer",
        dependencies: [
            "ChargingStation", "CSMSServer", "CSMS", "Storage", "OCPPMessages", "OCPPTransport", "ISO15118SECC",
            "PnCCore", "V2GPKI", "PnCTesting", "EMSP", "PKIHTTP", "V2GSecurity", "ISO2Messages", "ISO20Messages", "XMLDSig", "EXI",
            "ISO15118Station", "ISO15118EVCC", "V2GTransport", "SAPMessages",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "PnCServerTests",
        dependencies: [
            "PnCServer", "ChargingStation", "CSMS", "CSMSServer", "ISO15118SECC", "OCPPMessages", "OCPPTransport", "EMSP", "Storage",
            "PnCCore", "V2GPKI", "V2GSecurity", "ISO2Messages", "ISO20Messages", "ISO15118EVCC", "XMLDSig", "EXI", "PnCTesting", "PKIHTTP",
            "ISO15118Station", "V2GTransport", "SAPMessages",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
]
let stationCLIDependencies: [Target.Dependency] = ["ChargingStation", "PnCServer"]

// MARK: - Composition
/// Areas declare what they use; a package two areas share is declared once (the first declaration wins).
func unique(_ dependencies: [Package.Dependency]) -> [Package.Dependency] {
    var seen: Set<String> = []
    return dependencies.filter { dependency in
        guard case .sourceControl(_, let location, _) = dependency.kind else { return true }
        let lowered = location.lowercased()
        let key = lowered.hasSuffix(".git") ? String(lowered.dropLast(4)) : lowered
        return seen.insert(key).inserted
    }
}

/// The CLI depends on every area; a product two areas list is listed once.
func uniqueTargetDependencies(_ dependencies: [Target.Dependency]) -> [Target.Dependency] {
    var seen: Set<String> = []
    return dependencies.filter { seen.insert(String(describing: $0)).inserted }
}

let cliTarget: Target = .executableTarget(
    name: "pnc",
    dependencies: uniqueTargetDependencies(
        coreCLIDependencies + pkiCLIDependencies + exiCLIDependencies + ocppCLIDependencies + v2gCLIDependencies
            + v2g20CLIDependencies + emspCLIDependencies + stationCLIDependencies
    ),
    swiftSettings: swiftSettings
)

let allTargets =
    coreTargets + pkiTargets + exiTargets + ocppTargets + v2gTargets + v2g20Targets + emspTargets + stationTargets
    + [cliTarget]

let package = Package(
    name: "OpenPnC",
    platforms: [.macOS(.v15)],
    // Every library target is a product, so FuzzTesting/ and Benchmarks/ (own packages) can depend on it.
    products: [.executable(name: "pnc", targets: ["pnc"])]
        + allTargets.filter { $0.type == .regular }.map { .library(name: $0.name, targets: [$0.name]) },
    dependencies: unique(
        coreDependencies + pkiDependencies + exiDependencies + ocppDependencies + v2gDependencies + emspDependencies
            + stationDependencies),
    targets: allTargets
)
