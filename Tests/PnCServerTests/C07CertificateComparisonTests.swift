import CSMS
import CSMSServer
import Crypto
import EMSP
import Foundation
import Logging
import NIOCore
import OCPPMessages
import OCPPTransport
import PKIHTTP
import PnCCore
@testable import PnCServer
import Storage
import Synchronization
import Testing
import V2GPKI
import X509

/// C07 over a real OCPP 2.0.1 WebSocket: a CSMS on 127.0.0.1 (SQLite) whose contract directory is the eMSP's, OCSP from
/// the PKI's responder on 127.0.0.1. The station presents the PKI's contract certificate; what the eMSP holds for the
/// eMAID varies.
@Suite("C07: the presented contract certificate against the one the eMSP holds", .serialized, .timeLimit(.minutes(3)))
struct C07CertificateComparisonTests {
    /// The PKI, its OCSP responder and a running CSMS whose eMSP tables are set up by `prepare`.
    struct Setup: Sendable {
        let pki: PKIDirectory
        let port: Int
        let store: SQLStore
        let leafChain: [Certificate]
        let eMAID: String
        let hashData: [V201.OCSPRequestData]
    }

    static func with(_ body: @Sendable (Setup) async throws -> Void) async throws {
        let folder = demoFolder()
        let folders = Mutex<OCSPResponderFolders?>(nil)
        let ocsp = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            folders.withLock { $0 }?.respond(to: request, now: Date()) ?? []
        }
        let ocspTask = Task { try await ocsp.run() }
        defer { ocspTask.cancel() }
        let ocspURL = "http://127.0.0.1:\(ocsp.port)/ocsp"
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.contractEMAID = try EMAID("DE8AA000000777")
        let pki = try PKIDirectory.create(
            at: folder + "/pki", configuration: .init(profile: .iso15118_2, ocspURL: ocspURL, crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options)
        let caFolders = CertificateRole.allCases.filter(\.isCA).map { URL(fileURLWithPath: pki.caDirectory($0)) }
            .filter { FileManager.default.fileExists(atPath: $0.path + "/database.json") }
        folders.withLock { $0 = try? OCSPResponderFolders(directories: caFolders, validity: 3600) }

        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(10)
        configuration.databasePath = folder + "/csms.sqlite"
        let client = OCSPClient(transport: OCSPHTTPTransport(), now: { Date() }, makeNonce: nil, hashAlgorithm: .sha256)
        let csms = DemoCSMS(
            configuration: configuration, authority: try PKICertificateAuthority(pki: pki, validityDays: 30),
            logger: Logger(label: "test.c07")
        ) { store in
            try PlugAndChargeServices.pki(
                pki, client: client, transport: OCSPHTTPTransport(), contracts: EMSPContractDirectory(repository: store),
                now: { Date() })
        }
        let running = try await csms.start(port: 0)
        let chain = try CertificateFile.certificates(atPath: pki.leafDirectory("contract") + "/chain.pem")
        let leaf = try #require(chain.first)
        let eMAID = try #require(leaf.subject.description.split(separator: ",").first { $0.hasPrefix("CN=") }).dropFirst(3)
        var hashData: [V201.OCSPRequestData] = []
        let roots = try pki.roots()
        for (index, certificate) in chain.enumerated() {
            let issuer = try index + 1 < chain.count ? chain[index + 1] : #require(roots.first { $0.subject == certificate.issuer })
            let id = try OCSPCertID(certificate: certificate, issuer: issuer, hashAlgorithm: .sha256)
            hashData.append(V201.OCSPRequestData(
                hashAlgorithm: .sha256, issuerNameHash: EMSPContractDirectory.hex(id.issuerNameHash),
                issuerKeyHash: EMSPContractDirectory.hex(id.issuerKeyHash),
                serialNumber: EMSPContractDirectory.hex(Array(certificate.serialNumber.bytes)), responderURL: ocspURL))
        }
        do {
            try await body(Setup(
                pki: pki, port: running.port, store: running.application.store, leafChain: chain, eMAID: String(eMAID),
                hashData: hashData))
        } catch {
            await running.stop()
            throw error
        }
        await running.stop()
    }

    /// Stores the contract `eMAID` at the eMSP with `chain` as its certificate chain (empty: none issued yet).
    static func storeContract(_ setup: Setup, chain: [Certificate]) async throws {
        let pcid = try PCID("WMIV1234567890C07A")
        try await setup.store.save(Customer(id: "c07", name: "C07 driver", email: "c07@example.org"))
        try await setup.store.save(Vehicle(pcid: pcid, customerID: "c07", label: "C07 EV"))
        try await setup.store.save(Contract(
            emaid: try EMAID(setup.eMAID), pcid: pcid, customerID: "c07", validFrom: Date().addingTimeInterval(-3600),
            validTo: Date().addingTimeInterval(86_400), certificateChain: try chain.map { try $0.derBytes },
            certificateSerial: chain.first.map { Array($0.serialNumber.bytes) }))
    }

    /// Authorize with the PKI's contract certificate (hash data of its chain) as a station over OCPP 2.0.1.
    static func authorize(_ setup: Setup) async throws -> V201.AuthorizeResponse {
        var configuration = OCPPClientConfiguration(host: "127.0.0.1", port: setup.port, stationID: "C07-CS1")
        configuration.callTimeout = .seconds(10)
        return try await OCPPClient.withConnection(configuration: configuration, handler: SilentStation()) { connection in
            _ = try await connection.call(V201.BootNotificationRequest(
                chargingStation: .init(serialNumber: "C07-1", model: "PnC-CS", vendorName: "OpenPnC"), reason: .powerUp))
            return try await connection.call(V201.AuthorizeRequest(
                idToken: .init(idToken: setup.eMAID, type: .eMAID), iso15118CertificateHashData: setup.hashData))
        }
    }

    @Test("[OCPP2.0.1 C07] the presented certificate is the one the eMSP holds for the eMAID → Accepted / Accepted")
    func matches() async throws {
        try await Self.with { setup in
            try await Self.storeContract(setup, chain: setup.leafChain)
            let answer = try await Self.authorize(setup)
            #expect(answer.idTokenInfo.status == .accepted)
            #expect(answer.certificateStatus == .accepted)
        }
    }

    @Test("[OCPP2.0.1 C07] serial mismatch: the eMSP holds another certificate of MO Sub-CA 2 for the eMAID (OCSP good for both) → Invalid / CertChainError")
    func serialMismatch() async throws {
        try await Self.with { setup in
            let leaf = try #require(setup.leafChain.first)
            var generator = SystemRandomNumberGenerator()
            let other = try setup.pki.authority(.moSubCA2).issue(
                role: .contract, subject: leaf.subject, publicKey: leaf.publicKey, validityDays: 30, now: Date(), using: &generator)
            #expect(other.serialNumber != leaf.serialNumber)
            try await Self.storeContract(setup, chain: [other] + setup.leafChain.dropFirst())
            let answer = try await Self.authorize(setup)
            #expect(answer.idTokenInfo.status == .invalid)
            #expect(answer.certificateStatus == .certChainError)
        }
    }

    @Test("[OCPP2.0.1 C07] issuer mismatch: the eMSP's certificate for the eMAID has the same serial but another issuer (name and key hash differ) → Invalid / CertChainError")
    func issuerMismatch() async throws {
        try await Self.with { setup in
            let leaf = try #require(setup.leafChain.first)
            // Another CA (its own key and name) issues a certificate with the presented serial for the same subject.
            let key = P256.Signing.PrivateKey()
            let issuer = CertificateIssuer(profile: .iso15118_2)
            let now = Date()
            let root = try issuer.issue(
                IssuanceRequest(
                    role: .moRoot, subject: try DistinguishedName { CommonName("Another MO Root CA") },
                    publicKey: Certificate.PublicKey(key.publicKey), serialNumber: Certificate.SerialNumber(),
                    notBefore: now.addingTimeInterval(-3600), notAfter: now.addingTimeInterval(86_400 * 30)),
                issuer: nil, issuerKey: Certificate.PrivateKey(key))
            let twin = try issuer.issue(
                IssuanceRequest(
                    role: .contract, subject: leaf.subject, publicKey: leaf.publicKey, serialNumber: leaf.serialNumber,
                    notBefore: now.addingTimeInterval(-3600), notAfter: now.addingTimeInterval(86_400)),
                issuer: root, issuerKey: Certificate.PrivateKey(key))
            #expect(twin.serialNumber == leaf.serialNumber)
            try await Self.storeContract(setup, chain: [twin, root])
            let answer = try await Self.authorize(setup)
            #expect(answer.idTokenInfo.status == .invalid)
            #expect(answer.certificateStatus == .certChainError)
        }
    }

    @Test("[OCPP2.0.1 C07] eMAID unknown: the eMSP has no contract (so no certificate) for the presented eMAID → Unknown / NoCertificateAvailable")
    func unknownEMAID() async throws {
        try await Self.with { setup in
            let answer = try await Self.authorize(setup)
            #expect(answer.idTokenInfo.status == .unknown)
            #expect(answer.certificateStatus == .noCertificateAvailable)
        }
    }

    @Test("[OCPP2.0.1 C07] a contract the eMSP issued no certificate for → Invalid / NoCertificateAvailable")
    func noCertificateOnRecord() async throws {
        try await Self.with { setup in
            try await Self.storeContract(setup, chain: [])
            let answer = try await Self.authorize(setup)
            #expect(answer.idTokenInfo.status == .invalid)
            #expect(answer.certificateStatus == .noCertificateAvailable)
        }
    }
}
