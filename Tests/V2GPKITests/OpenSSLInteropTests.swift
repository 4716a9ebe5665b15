import Ed448
import Foundation
import PnCTesting
import Testing
import X509
@testable import V2GPKI

/// What OpenSSL and Josev's create_certs.sh make, we read, lint and validate; what we make, OpenSSL accepts.
@Suite(.serialized) struct OpenSSLInteropTests {
    static let skipOpenSSL = "SKIPPED-PEER openssl: apt-get install openssl"
    static let skipJosev = "SKIPPED-PEER Josev iso15118==0.31.2: bash dev/install-test-deps.sh"

    @Test("openssl verify -x509_strict accepts every chain pnc pki init writes (-2 and -20)", .enabled(if: Peers.hasOpenSSL, Comment(rawValue: skipOpenSSL)), arguments: PKIProfile.allCases)
    func opensslVerifiesOurChains(profile: PKIProfile) async throws {
        let root = Peers.temporaryDirectory("ossl")
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try PKIDirectory.create(at: root, configuration: .init(profile: profile, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"), password: "pw", options: .fast)
        for leaf in ["secc", "cps", "contract", "oem-prov"] {
            let (status, output) = try await Peers.runAsync(
                Peers.openssl!, ["verify", "-x509_strict", "-CAfile", "\(root)/roots.pem", "-untrusted", "\(root)/leaf/\(leaf)/chain.pem", "\(root)/leaf/\(leaf)/cert.pem"]
            )
            #expect(status == 0, "\(leaf): \(output)")
        }
        // Our encrypted PKCS#8 opens in OpenSSL with the password, and not without it.
        let ok = try await Peers.runAsync(Peers.openssl!, ["pkey", "-in", "\(root)/leaf/contract/key.pem", "-passin", "pass:pw", "-noout"])
        #expect(ok.status == 0, "\(ok.output)")
        let bad = try await Peers.runAsync(Peers.openssl!, ["pkey", "-in", "\(root)/leaf/contract/key.pem", "-passin", "pass:nope", "-noout"])
        #expect(bad.status != 0)
    }

    @Test("[ISO 15118-20] openssl verify -x509_strict accepts our Ed448 chains; openssl pkey opens our Ed448 PKCS#8 keys with the password only", .enabled(if: Peers.hasOpenSSL, Comment(rawValue: skipOpenSSL)))
    func opensslVerifiesOurEd448Chains() async throws {
        let root = Ed448Fixture.root
        let openssl = Peers.openssl!
        for (leaf, _) in Ed448Fixture.leaves {
            let (status, output) = try await Peers.runAsync(
                openssl, ["verify", "-x509_strict", "-CAfile", "\(root)/roots.pem", "-untrusted", "\(root)/leaf/\(leaf)/chain.pem", "\(root)/leaf/\(leaf)/cert.pem"]
            )
            #expect(status == 0, "\(leaf): \(output)")
        }
        // A certificate whose signature we flipped is refused by OpenSSL too.
        var tampered = try CertificateFile.ed448Certificates(atPath: "\(root)/leaf/secc/cert.der")[0].derBytes
        tampered[tampered.count - 10] ^= 0x01
        let bad = "\(root)/tampered-secc.der"
        try Data(tampered).write(to: URL(fileURLWithPath: bad))
        let refused = try await Peers.runAsync(
            openssl, ["verify", "-CAfile", "\(root)/roots.pem", "-untrusted", "\(root)/leaf/secc/chain.pem", "-inform", "DER", bad]
        )
        #expect(refused.status != 0, "\(refused.output)")
        let key = "\(root)/leaf/contract/key.pem"
        let opened = try await Peers.runAsync(openssl, ["pkey", "-in", key, "-passin", "pass:pw", "-pubout", "-outform", "DER", "-out", "\(root)/contract-pub.der"])
        #expect(opened.status == 0, "\(opened.output)")
        let spki = try Data(contentsOf: URL(fileURLWithPath: "\(root)/contract-pub.der"))
        let certificate = try CertificateFile.ed448Certificates(atPath: "\(root)/leaf/contract/cert.pem")[0]
        #expect(Array(spki.suffix(57)) == certificate.publicKey.rawRepresentation)
        let wrong = try await Peers.runAsync(openssl, ["pkey", "-in", key, "-passin", "pass:nope", "-noout"])
        #expect(wrong.status != 0)
    }

    @Test("[RFC 8410] Ed448 keys and self-signed certificates OpenSSL makes are read, and OpenSSL's Ed448 signatures verify with ours", .enabled(if: Peers.hasOpenSSL, Comment(rawValue: skipOpenSSL)))
    func opensslEd448Peers() async throws {
        let dir = Peers.temporaryDirectory("ossl448")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = Peers.openssl!
        try await Peers.runAsync(openssl, ["genpkey", "-algorithm", "ed448", "-out", "\(dir)/plain.pem"])
        try await Peers.runAsync(openssl, ["pkcs8", "-topk8", "-v2", "aes256", "-in", "\(dir)/plain.pem", "-passout", "pass:12345", "-out", "\(dir)/pkcs8.pem"])
        let made = try await Peers.runAsync(openssl, [
            "req", "-x509", "-new", "-key", "\(dir)/plain.pem", "-subj", "/CN=OpenSSL Ed448 Root/O=Peer/C=DE/DC=V2G", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "\(dir)/root.pem",
        ])
        #expect(made.status == 0, "\(made.output)")
        let plain = try PrivateKeyFile.loadEd448(path: "\(dir)/plain.pem", password: nil)
        let encrypted = try PrivateKeyFile.loadEd448(path: "\(dir)/pkcs8.pem", password: "12345")
        #expect(plain == encrypted)
        do {
            _ = try PrivateKeyFile.loadEd448(path: "\(dir)/pkcs8.pem", password: "54321")
            Issue.record("opened with a wrong password")
        } catch {
            #expect(error.code == .wrongPassword)
        }
        let rootCertificate = try CertificateFile.ed448Certificates(atPath: "\(dir)/root.pem")[0]
        #expect(rootCertificate.publicKey == plain.publicKey)
        #expect(rootCertificate.isSigned(by: plain.publicKey))
        #expect(CertificateLinter.detectRole(rootCertificate) == .v2gRoot)
        // OpenSSL signs a message with the key; our verifier accepts it, and refuses it for another message.
        try Data("ISO 15118-20".utf8).write(to: URL(fileURLWithPath: "\(dir)/msg"))
        let signed = try await Peers.runAsync(openssl, ["pkeyutl", "-sign", "-rawin", "-inkey", "\(dir)/plain.pem", "-in", "\(dir)/msg", "-out", "\(dir)/sig"])
        #expect(signed.status == 0, "\(signed.output)")
        let signature = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/sig"))
        #expect(plain.publicKey.isValidSignature(signature, for: Array("ISO 15118-20".utf8)))
        #expect(!plain.publicKey.isValidSignature(signature, for: Array("ISO 15118-2".utf8)))
    }

    @Test("Keys OpenSSL encrypts (PKCS#8 PBES2 and legacy SEC1 AES-128-CBC) open with the right password only", .enabled(if: Peers.hasOpenSSL, Comment(rawValue: skipOpenSSL)))
    func opensslKeys() async throws {
        let dir = Peers.temporaryDirectory("osslkeys")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = Peers.openssl!
        try await Peers.runAsync(openssl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(dir)/plain.pem"])
        try await Peers.runAsync(openssl, ["pkcs8", "-topk8", "-v2", "aes256", "-in", "\(dir)/plain.pem", "-passout", "pass:12345", "-out", "\(dir)/pkcs8.pem"])
        try await Peers.runAsync(openssl, ["ec", "-aes128", "-in", "\(dir)/plain.pem", "-passout", "pass:12345", "-out", "\(dir)/legacy.pem"])
        let plain = try PrivateKeyFile.load(path: "\(dir)/plain.pem", password: nil)
        for file in ["pkcs8.pem", "legacy.pem"] {
            let key = try PrivateKeyFile.load(path: "\(dir)/\(file)", password: "12345")
            #expect(key.publicKey == plain.publicKey, "\(file)")
            do { _ = try PrivateKeyFile.load(path: "\(dir)/\(file)", password: "54321"); Issue.record("\(file) opened with a wrong password") } catch {
                #expect(error.code == .wrongPassword, "\(file): \(error)")
            }
        }
    }

    @Test("Josev's create_certs.sh PKI is read, linted (its contract eMAID check digit reported) and validated", .enabled(if: Peers.hasOpenSSL && Peers.josevPackage != nil, Comment(rawValue: skipJosev)))
    func josevPKI() async throws {
        let dir = Peers.temporaryDirectory("josev")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pkg = Peers.josevPackage!
        try await Peers.runAsync("/bin/cp", ["-r", "\(pkg)/shared/pki/configs", "\(pkg)/shared/pki/create_certs.sh", dir])
        let made = try await Peers.runAsync("/bin/bash", ["create_certs.sh", "-v", "iso-2", "-p", "12345"], cwd: dir)
        #expect(made.status == 0, "\(made.output.suffix(500))")
        let certs = "\(dir)/iso15118_2/certs"
        func load(_ name: String) throws -> Certificate { try CertificateFile.certificates(atPath: "\(certs)/\(name).der")[0] }
        let roots = try ["v2gRootCACert", "moRootCACert", "oemRootCACert"].map(load)
        let chains: [(CertificateRole, [String])] = [
            (.secc, ["seccLeafCert", "cpoSubCA2Cert", "cpoSubCA1Cert"]),
            (.cps, ["cpsLeafCert", "cpsSubCA2Cert", "cpsSubCA1Cert"]),
            (.contract, ["contractLeafCert", "moSubCA2Cert", "moSubCA1Cert"]),
            (.oemProvisioning, ["oemLeafCert", "oemSubCA2Cert", "oemSubCA1Cert"]),
        ]
        for (role, names) in chains {
            let chain = try names.map(load)
            let validated = await ChainValidator(roots: roots).validate(chain: chain, at: Date(), role: role)
            #expect((try? validated.get()) != nil, "\(role): \(validated)")
            for (index, certificate) in chain.enumerated() {
                let report = CertificateLinter.lint(certificate, issuer: index + 1 < chain.count ? chain[index + 1] : nil)
                #expect(report.role != nil, "\(names[index])")
                if role == .contract && index == 0 {
                    #expect(report.has(.contractEMAID), "Josev's UKSWI123456791A must be reported: \(report.findings)")
                }
            }
        }
        // Josev's keys (legacy encrypted SEC1) open with its password and match the certificates.
        let key = try PrivateKeyFile.load(path: "\(dir)/iso15118_2/private_keys/contractLeaf.key", password: "12345")
        #expect(key.publicKey == (try load("contractLeafCert")).publicKey)
    }

    @Test("--layout josev writes the files Josev reads, loadable with the password file", .enabled(if: Peers.hasOpenSSL, Comment(rawValue: skipOpenSSL)))
    func josevLayout() async throws {
        let root = Peers.temporaryDirectory("layout")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pki = try PKIDirectory.create(at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://x/o", crlBaseURL: "http://x/c"), password: "12345", options: .fast)
        try JosevLayout.write(pki, to: "\(root)/josev", password: "12345")
        let base = "\(root)/josev/iso15118_2"
        for file in ["certs/v2gRootCACert.pem", "certs/cpoCertChain.pem", "certs/oemCertChain.pem", "certs/contractLeafCert.der",
                     "certs/moRootCACert.der", "private_keys/seccLeaf.key", "private_keys/seccLeafPassword.txt", "private_keys/moSubCA2LeafPassword.txt"] {
            #expect(FileManager.default.fileExists(atPath: "\(base)/\(file)"), "\(file)")
        }
        let chain = try await Peers.runAsync(Peers.openssl!, ["verify", "-CAfile", "\(base)/certs/v2gRootCACert.pem", "-untrusted", "\(base)/certs/cpoCertChain.pem", "\(base)/certs/cpoCertChain.pem"])
        #expect(chain.status == 0, "\(chain.output)")
        let key = try await Peers.runAsync(Peers.openssl!, ["pkey", "-in", "\(base)/private_keys/seccLeaf.key", "-passin", "file:\(base)/private_keys/seccLeafPassword.txt", "-noout"])
        #expect(key.status == 0, "\(key.output)")
    }
}
