import CSMS
import CSMSServer
import NIOCore
import Foundation
import OCPPMessages
import OCPPTransport
import PKIHTTP
import Storage
import Synchronization
import Testing
import V2GPKI
import SwiftASN1
import X509

/// A `pnc pki init` PKI whose OCSP URL points at a real OCSP HTTP responder on 127.0.0.1 serving its CA folders, with
/// a shared adjustable clock (responder, OCSP cache and chain validation all read it).
final class PnCFixture: Sendable {
    let directory: String
    let pki: PKIDirectory
    let server: OCSPHTTPServer
    let folders: OCSPResponderFolders
    let client: OCSPClient
    let transport = OCSPHTTPTransport(timeout: .seconds(2))
    let clock: TestClock
    /// nextUpdate − thisUpdate of every OCSP answer.
    static let validity: TimeInterval = 120

    var now: @Sendable () -> Date { { [clock] in clock.now() } }
    func advance(_ seconds: TimeInterval) { clock.advance(seconds) }

    private init(directory: String, pki: PKIDirectory, server: OCSPHTTPServer, folders: OCSPResponderFolders, client: OCSPClient, clock: TestClock) {
        self.clock = clock
        self.directory = directory
        self.pki = pki
        self.server = server
        self.folders = folders
        self.client = client
    }

    /// Builds the fixture, runs the responder for the duration of `body`.
    static func with(_ body: @Sendable (PnCFixture) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "pnc-csms-pnc-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let foldersBox = Mutex<OCSPResponderFolders?>(nil)
        let clock = TestClock()
        let server = try await OCSPHTTPServer.bind(host: "127.0.0.1", port: 0) { request in
            let folders = foldersBox.withLock { $0 }
            return folders?.respond(to: request, now: clock.now()) ?? []
        }
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        let pki = try PKIDirectory.create(
            at: directory,
            configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:\(server.port)/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: "pw", options: options)
        let roles: [CertificateRole] = [.moRoot, .moSubCA1, .moSubCA2, .v2gRoot, .cpoSubCA1, .cpoSubCA2]
        let folders = try OCSPResponderFolders(
            directories: roles.map { URL(fileURLWithPath: pki.caDirectory($0)) }, validity: validity, password: "pw")
        foldersBox.withLock { $0 = folders }
        let client = OCSPClient(transport: OCSPHTTPTransport(timeout: .seconds(2)), now: { clock.now() }, makeNonce: nil, hashAlgorithm: .sha256)
        let fixture = PnCFixture(directory: directory, pki: pki, server: server, folders: folders, client: client, clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            try await body(fixture)
        }
    }

    func services(contracts: (any ContractDirectory)? = nil) throws -> PlugAndChargeServices {
        try PlugAndChargeServices.pki(pki, client: client, transport: transport, contracts: contracts, now: now)
    }

    func certificates(_ leaf: String) throws -> [Certificate] {
        try CertificateFile.certificates(atPath: "\(pki.leafDirectory(leaf))/chain.pem")
    }

    func chainPEM(_ leaf: String) throws -> String {
        try String(contentsOfFile: "\(pki.leafDirectory(leaf))/chain.pem", encoding: .utf8)
    }

    /// OCPP hash data of every certificate of a leaf's chain below the root (leaf first), computed independently.
    func hashData(_ leaf: String) throws -> [V201.OCSPRequestData] {
        let chain = try certificates(leaf)
        let roots = try pki.roots()
        var result: [V201.OCSPRequestData] = []
        for (index, certificate) in chain.enumerated() {
            let issuer = try index + 1 < chain.count ? chain[index + 1] : #require(roots.first { $0.subject == certificate.issuer })
            let id = try OCSPCertID(certificate: certificate, issuer: issuer, hashAlgorithm: .sha256)
            result.append(
                V201.OCSPRequestData(
                    hashAlgorithm: .sha256, issuerNameHash: hex(id.issuerNameHash), issuerKeyHash: hex(id.issuerKeyHash),
                    serialNumber: hex(Array(certificate.serialNumber.bytes)), responderURL: "http://127.0.0.1:\(server.port)/ocsp"))
        }
        return result
    }

    func revoke(_ certificate: Certificate, by role: CertificateRole) throws {
        try pki.authority(role).revoke(serial: certificate.serialNumber, reason: .keyCompromise, at: now().addingTimeInterval(-1))
    }
}

/// Wall-clock time plus an adjustable offset.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

let contractEMAID = "DEABCC123456789"

/// Authorize with an eMAID over a real OCPP 2.0.1 WebSocket; returns the response.
func pncAuthorize(
    port: Int, eMAID: String = contractEMAID, certificate: String? = nil, hashData: [V201.OCSPRequestData]? = nil,
    traceID: String? = nil
) async throws -> V201.AuthorizeResponse {
    try await OCPPClient.withConnection(configuration: station(port: port), handler: RecordingStation()) { connection in
        _ = try await connection.call(bootRequest)
        let customData = traceID.map {
            V201.CustomData(vendorId: "org.openpnc", additionalProperties: [JSONMember("traceId", .string($0))])
        }
        return try await connection.call(
            V201.AuthorizeRequest(
                customData: customData, idToken: .init(idToken: eMAID, type: .eMAID), certificate: certificate,
                iso15118CertificateHashData: hashData))
    }
}

@Suite(.serialized) struct PlugAndChargeAuthorizeTests {
    func contractCN(_ fixture: PnCFixture) throws -> String {
        let leaf = try fixture.certificates("contract")[0]
        return leaf.subject.description.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) } ?? ""
    }

    @Test("[C07.FR.01 Accepted] eMAID with iso15118CertificateHashData: OCSP good for every certificate, active contract → Accepted/Accepted; the trace id is echoed")
    func acceptedWithHashData() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                let response = try await pncAuthorize(port: port, eMAID: eMAID, hashData: try fixture.hashData("contract"), traceID: "trace-c07-1")
                #expect(response.idTokenInfo.status == .accepted)
                #expect(response.certificateStatus == .accepted)
                let trace = response.customData?.additionalProperties.first { $0.key == "traceId" }?.value
                #expect(trace == .string("trace-c07-1"))
                #expect(response.customData?.vendorId == "org.openpnc")
                #expect(await fixture.client.fetchCount == 3)
            }
        }
    }

    @Test("[C07.FR.06 CertificateRevoked] a revoked contract certificate is refused once the cached good answer reaches nextUpdate (OCSP cache, real responder)")
    func revokedAfterCacheExpiry() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                let hashData = try fixture.hashData("contract")
                #expect(try await pncAuthorize(port: port, eMAID: eMAID, hashData: hashData).idTokenInfo.status == .accepted)
                try fixture.revoke(try fixture.certificates("contract")[0], by: .moSubCA2)
                // Still the cached good answer before nextUpdate.
                let cached = try await pncAuthorize(port: port, eMAID: eMAID, hashData: hashData)
                #expect(cached.idTokenInfo.status == .accepted)
                fixture.advance(PnCFixture.validity + 1)
                let after = try await pncAuthorize(port: port, eMAID: eMAID, hashData: hashData)
                #expect(after.idTokenInfo.status == .invalid)
                #expect(after.certificateStatus == .certificateRevoked)
            }
        }
    }

    @Test("[C07.FR.02 certificate] the PEM chain is validated to the MO root and its certificates checked by OCSP → Accepted; a chain for another eMAID → CertChainError")
    func acceptedWithChain() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                let response = try await pncAuthorize(port: port, eMAID: eMAID, certificate: try fixture.chainPEM("contract"))
                #expect(response.idTokenInfo.status == .accepted)
                #expect(response.certificateStatus == .accepted)
                #expect(await fixture.client.fetchCount == 3)
                let other = try await pncAuthorize(port: port, eMAID: "DEABCC000000001", certificate: try fixture.chainPEM("contract"))
                #expect(other.idTokenInfo.status == .invalid)
                #expect(other.certificateStatus == .certChainError)
            }
        }
    }

    @Test("[C07.FR.03 CertificateExpired] an expired contract certificate → Invalid/CertificateExpired")
    func expired() async throws {
        try await PnCFixture.with { fixture in
            var rng = SystemRandomNumberGenerator()
            try fixture.pki.issueLeaf(
                name: "old", role: .contract, commonName: "DEABCC000000002", by: try fixture.pki.authority(.moSubCA2),
                validityDays: 1, now: Date().addingTimeInterval(-10 * 86_400), using: &rng)
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: "DEABCC000000002", type: "eMAID", status: "Accepted"))
                let response = try await pncAuthorize(port: port, eMAID: "DEABCC000000002", certificate: try fixture.chainPEM("old"))
                #expect(response.idTokenInfo.status == .invalid)
                #expect(response.certificateStatus == .certificateExpired)
            }
        }
    }

    @Test("[C07.FR.04 SignatureError] a contract certificate whose signature does not verify → Invalid/SignatureError")
    func signatureError() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            var chain = try fixture.certificates("contract")
            var der = try DERBytes.of(chain[0])
            der[der.count - 2] ^= 0x01
            chain[0] = try Certificate(derEncoded: der)
            let pem = try CertificateFile.pemBundle(chain)
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                let response = try await pncAuthorize(port: port, eMAID: eMAID, certificate: pem)
                #expect(response.idTokenInfo.status == .invalid)
                #expect(response.certificateStatus == .signatureError)
            }
        }
    }

    @Test("[C07.FR.05 CertChainError] a chain from a foreign PKI (unknown root) or not PEM → Invalid/CertChainError")
    func chainError() async throws {
        try await PnCFixture.with { fixture in
            try await PnCFixture.with { foreign in
                let eMAID = try contractCN(foreign)
                try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                    try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                    let response = try await pncAuthorize(port: port, eMAID: eMAID, certificate: try foreign.chainPEM("contract"))
                    #expect(response.idTokenInfo.status == .invalid)
                    #expect(response.certificateStatus == .certChainError)
                    let garbage = try await pncAuthorize(port: port, eMAID: eMAID, certificate: "not a certificate")
                    #expect(garbage.certificateStatus == .certChainError)
                }
            }
        }
    }

    @Test("[C07 NoCertificateAvailable] hash data naming an issuer the CSMS does not know → Invalid/NoCertificateAvailable")
    func unknownIssuer() async throws {
        try await PnCFixture.with { fixture in
            try await PnCFixture.with { foreign in
                let eMAID = try contractCN(foreign)
                try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                    try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                    let response = try await pncAuthorize(port: port, eMAID: eMAID, hashData: try foreign.hashData("contract"))
                    #expect(response.idTokenInfo.status == .invalid)
                    #expect(response.certificateStatus == .noCertificateAvailable)
                }
            }
        }
    }

    @Test("[C07 ContractCancelled, Blocked, Expired, Unknown] the contract check after a good certificate: cancelled → Invalid/ContractCancelled, blocked → Blocked, expired → Expired, unknown → Unknown")
    func contractStates() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            let hashData = try fixture.hashData("contract")
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                let cases: [(String?, OCPPDateTime?, V201.AuthorizationStatusEnum, V201.AuthorizeCertificateStatusEnum)] = [
                    (nil, nil, .unknown, .accepted),
                    ("Invalid", nil, .invalid, .contractCancelled),
                    ("Blocked", nil, .blocked, .accepted),
                    ("Accepted", try OCPPDateTime("2020-01-01T00:00:00Z"), .expired, .accepted),
                    ("Accepted", nil, .accepted, .accepted),
                ]
                for (status, expiry, expected, certificateStatus) in cases {
                    if let status {
                        try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: status, expiresAt: expiry))
                    }
                    let response = try await pncAuthorize(port: port, eMAID: eMAID, hashData: hashData)
                    #expect(response.idTokenInfo.status == expected, "\(status ?? "none")")
                    #expect(response.certificateStatus == certificateStatus, "\(status ?? "none")")
                }
            }
        }
    }

    @Test("[C07 revocation unavailable] the responder cannot be reached → Invalid without certificateStatus (never Accepted)")
    func responderDown() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            let hashData = try fixture.hashData("contract").map { data in
                var data = data
                data.responderURL = "http://127.0.0.1:1/ocsp"
                return data
            }
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                let response = try await pncAuthorize(port: port, eMAID: eMAID, hashData: hashData)
                #expect(response.idTokenInfo.status == .invalid)
                #expect(response.certificateStatus == nil)
            }
        }
    }

    @Test("[C07 1.6J] DataTransfer org.openchargealliance.iso15118pnc Authorize takes the same path: revoked certificate → CertificateRevoked")
    func over16() async throws {
        try await PnCFixture.with { fixture in
            let eMAID = try contractCN(fixture)
            try fixture.revoke(try fixture.certificates("contract")[0], by: .moSubCA2)
            try await withCSMS(plugAndCharge: try fixture.services()) { app, port in
                try await app.store.saveToken(IdTokenRecord(idToken: eMAID, type: "eMAID", status: "Accepted"))
                try await OCPPClient.withConnection(configuration: station(port: port, versions: [.v16]), handler: RecordingStation()) { connection in
                    _ = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-16"))
                    let inner = V201.AuthorizeRequest(
                        idToken: .init(idToken: eMAID, type: .eMAID), iso15118CertificateHashData: try fixture.hashData("contract"))
                    let response = try await connection.call(
                        V16.DataTransferRequest(
                            vendorId: "org.openchargealliance.iso15118pnc", messageId: "Authorize", data: inner.json.serializedString))
                    #expect(response.status == .accepted)
                    let answer = try V201.AuthorizeResponse(json: try JSONValue.parse(try #require(response.data)))
                    #expect(answer.idTokenInfo.status == .invalid)
                    #expect(answer.certificateStatus == .certificateRevoked)
                }
            }
        }
    }
}

enum DERBytes {
    static func of(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
