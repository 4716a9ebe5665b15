// swift-tools-version: 6.1
// libFuzzer targets for the revocation parsers of V2GPKI (OCSP request, OCSP response, CRL). See ../README.md.
// Sources/V2GPKI and Sources/PnCCore are links to the package's own sources, so that the whole module is built with
// the fuzzer's coverage instrumentation.
import PackageDescription

let package = Package(
    name: "PKIRevocationFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .target(name: "PnCCore"),
        .target(
            name: "V2GPKI",
            dependencies: [
                "PnCCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ]
        + [.target(name: "FuzzDriver")]
        + ["FuzzOCSPRequest", "FuzzOCSPResponse", "FuzzCRL"].map {
            .executableTarget(name: $0, dependencies: [
                "FuzzDriver",
                "V2GPKI", .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ])
        }
)
