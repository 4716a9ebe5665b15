import ArgumentParser
import Crypto
import Foundation
import PnCCore
import V2GPKI
import X509

/// `pnc bench pki`: PKI throughput, side by side with OpenSSL on the same machine in the same run.
///
/// Ours: chain validations per second (3-deep ISO 15118-2 contract chain; offline, and with every certificate's OCSP
/// answer cached until nextUpdate), OCSP responses signed per second, contract certificates issued per second (key
/// generation + signing). OpenSSL: `openssl speed ecdsap256` (raw signature work) and one `openssl verify` call over
/// a batch of the same number of chains.
struct PKIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Chain validations/s, OCSP responses signed/s, contract certificates issued/s, next to OpenSSL."
    )

    @Option(help: "Chains, OCSP responses and certificates per measurement.") var count = 1000
    @Option(help: "Where the temporary PKI is written (removed afterwards).") var workDirectory = NSTemporaryDirectory()
    @Option(help: "`openssl speed ecdsap256` sign/s and verify/s measured just before (dev/bench-pki.sh passes them), \"SIGN VERIFY\".")
    var opensslSpeed: String?

    /// Answers OCSP requests with the in-process responder, as a local transport would.
    struct InProcessTransport: OCSPTransport {
        let responder: OCSPResponder
        func send(request: [UInt8], to responderURL: String) async throws -> [UInt8] {
            responder.respond(to: request, now: Date())
        }
    }

    func run() async throws {
        guard (10...100_000).contains(count) else { throw ValidationError("--count must be 10...100000") }
        let root = "\(workDirectory)/pnc-bench-pki-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        let pki = try PKIDirectory.create(
            at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options
        )
        let moSub2 = try pki.authority(.moSubCA2)
        let roots = try pki.roots()
        var rng = SystemRandomNumberGenerator()

        // Contract certificates issued per second (fresh P-256 key + ecdsa-with-SHA256 signature each).
        let memoryCA = CertificateAuthority(
            role: .moSubCA2, certificate: moSub2.certificate, chainBelowRoot: moSub2.chainBelowRoot,
            key: try PrivateKeyFile.load(path: "\(moSub2.directory!)/key.pem", password: nil), directory: nil,
            profile: .iso15118_2, ocspURL: moSub2.ocspURL, crlURL: moSub2.crlURL
        )
        var leaves: [Certificate] = []
        leaves.reserveCapacity(count)
        let issueStart = ContinuousClock.now
        for i in 0..<count {
            let emaid = try EMAIDFactory.make(i)
            leaves.append(
                try memoryCA.issue(
                    role: .contract, subject: try CertificateIssuer.subject(commonName: emaid, role: .contract),
                    publicKey: Certificate.PrivateKey(P256.Signing.PrivateKey()).publicKey, validityDays: 365,
                    now: Date(), using: &rng
                )
            )
        }
        let issuePerSecond = Double(count) / (ContinuousClock.now - issueStart).seconds

        // Chain validations per second, offline.
        let validator = ChainValidator(roots: roots)
        let chains = leaves.map { [$0] + moSub2.chainBelowRoot }
        let now = Date()
        var failures = 0
        let offlineStart = ContinuousClock.now
        for chain in chains {
            if case .failure = validator.validateOffline(chain: chain, at: now, role: .contract) { failures += 1 }
        }
        let offlinePerSecond = Double(count) / (ContinuousClock.now - offlineStart).seconds

        // OCSP responses signed per second, by the MO Sub-CA 2's delegated responder.
        let folders = try [CertificateRole.moSubCA2, .moSubCA1, .moRoot].map {
            try RevocationCAFolder(directory: URL(fileURLWithPath: pki.caDirectory($0)))
        }
        let responder = OCSPResponder(
            authorities: try folders.map { try $0.ocspAuthority(database: try $0.databaseFile.load()) }, validity: 3600
        )
        // The contract chain `pnc pki init` issued (recorded in the CA databases, so every answer is `good`).
        let recorded = try CertificateFile.certificates(atPath: "\(pki.leafDirectory("contract"))/chain.pem")
        let request = try OCSPRequest(
            requests: [OCSPSingleRequest(certID: try OCSPCertID(certificate: recorded[0], issuer: moSub2.certificate, hashAlgorithm: .sha1))]
        ).derBytes()
        let signStart = ContinuousClock.now
        for _ in 0..<count { _ = responder.respond(to: request, now: now) }
        let ocspPerSecond = Double(count) / (ContinuousClock.now - signStart).seconds

        // Chain validations per second with OCSP for every certificate below the root, answers cached.
        let client = OCSPClient(transport: InProcessTransport(responder: responder), now: { Date() }, makeNonce: nil)
        let checker = OCSPRevocationChecker(client: client)
        let sample = recorded
        let warm = await validator.validate(chain: sample, at: now, role: .contract, revocation: .required(checker))
        if case .failure(let failure) = warm { print("OCSP-checked validation failed: \(failure)"); throw ExitCode(1) }
        let cachedStart = ContinuousClock.now
        for _ in 0..<count {
            if case .failure = await validator.validate(chain: sample, at: now, role: .contract, revocation: .required(checker)) {
                failures += 1
            }
        }
        let cachedPerSecond = Double(count) / (ContinuousClock.now - cachedStart).seconds

        print("OpenPnC (figures mean something in a release build):")
        print(String(format: "  contract certificates issued/s      %10.0f", issuePerSecond))
        print(String(format: "  chain validations/s (offline)       %10.0f", offlinePerSecond))
        print(String(format: "  chain validations/s (OCSP cached)   %10.0f", cachedPerSecond))
        print(String(format: "  OCSP responses signed/s             %10.0f", ocspPerSecond))
        if failures > 0 { print("  \(failures) validations failed"); throw ExitCode(1) }

        // OpenSSL on the same machine.
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            print("openssl not found: no side-by-side figures")
            return
        }
        // `openssl speed` times itself with SIGALRM, which a child of this process does not receive reliably, so the
        // figures come in from dev/bench-pki.sh, which runs it from the shell first.
        let speed = opensslSpeed?.split(separator: " ").compactMap { Double($0) } ?? []
        let opensslSign: Double? = speed.count == 2 ? speed[0] : nil
        let opensslVerify: Double? = speed.count == 2 ? speed[1] : nil
        let batch = "\(root)/batch"
        try FileManager.default.createDirectory(atPath: batch, withIntermediateDirectories: true)
        var files: [String] = []
        for (i, leaf) in leaves.enumerated() {
            let file = "\(batch)/\(i).pem"
            try CertificateFile.pem(leaf).write(toFile: file, atomically: false, encoding: .utf8)
            files.append(file)
        }
        let verifyStart = ContinuousClock.now
        let verified = try Self.run(
            openssl, ["verify", "-CAfile", "\(root)/roots.pem", "-untrusted", "\(pki.caDirectory(.moSubCA2))/chain.pem"] + files
        )
        let opensslChains = Double(count) / (ContinuousClock.now - verifyStart).seconds
        let okCount = verified.split(separator: "\n").filter { $0.hasSuffix(": OK") }.count
        print("OpenSSL \(try Self.run(openssl, ["version"]).trimmingCharacters(in: .whitespacesAndNewlines)):")
        if let opensslSign, let opensslVerify {
            print(String(format: "  ecdsap256 sign/s, verify/s          %10.0f %10.0f   (openssl speed ecdsap256)", opensslSign, opensslVerify))
            print(String(format: "  ratio OCSP responses signed / openssl sign      %6.2f", ocspPerSecond / opensslSign))
            print(String(format: "  ratio certificates issued / openssl sign        %6.2f", issuePerSecond / opensslSign))
        }
        print(String(format: "  chain validations/s                 %10.0f   (one openssl verify over %d chains, %d OK)", opensslChains, count, okCount))
        print(String(format: "  ratio chain validations offline / openssl verify %6.2f", offlinePerSecond / opensslChains))
        print(String(format: "  ratio chain validations OCSP-cached / openssl    %6.2f", cachedPerSecond / opensslChains))
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// eMAIDs for benchmark contracts: DE-OPC-<9-digit counter> with its check digit.
enum EMAIDFactory {
    static func make(_ i: Int) throws -> String {
        let instance = String(i % 1_000_000_000)
        return try EMAID(countryCode: "DE", providerID: "OPC", instance: String(repeating: "0", count: 9 - instance.count) + instance).normalized
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

