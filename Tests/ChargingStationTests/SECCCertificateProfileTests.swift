import CSMS
import CSMSServer
import ChargingStation
import Crypto
import Foundation
import NIOCore
import OCPPMessages
import OCPPTransport
import PnCTesting
import Storage
import SwiftASN1
import Testing
import V2GPKI
import X509

/// One SECC certificate per profile (ISO 15118-2 secp256r1, ISO 15118-20 secp521r1), requested by the station with
/// SignCertificate(V2GCertificate) over a real WebSocket and signed (or refused) by the CSMS's PKIs.
@Suite("SECC certificates per profile through the CSMS", .serialized)
struct SECCCertificateProfileTests {
    static func makePKI(_ profile: PKIProfile) throws -> PKIDirectory {
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        return try PKIDirectory.create(
            at: temporaryFolder("pki-\(profile.rawValue)"),
            configuration: .init(profile: profile, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options)
    }

    /// One -2 and one -20 PKI for the suite, made once off the cooperative pool.
    static let pkis = Task { try await offCooperativePool { (try makePKI(.iso15118_2), try makePKI(.iso15118_20)) } }

    /// A CSMS on 127.0.0.1 (profile 0) whose SignCertificate is answered by `authority` (nil: no CA configured).
    static func withCSMS(
        authority: PKICertificateAuthority?, folder: String,
        _ body: @Sendable (CSMSApplication, Int) async throws -> Void
    ) async throws {
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        configuration.server.callTimeout = .seconds(5)
        configuration.databasePath = folder + "/csms.sqlite"
        let store = try await SQLStore.openSQLite(path: configuration.databasePath, logger: testLogger)
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: authority, logger: testLogger,
            now: { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = configuration.server
        let task = Task {
            defer { continuation.finish() }
            try await application.run(server: server) { _, port in continuation.yield(port) }
        }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        try await body(application, port)
        task.cancel()
        _ = await task.result
    }

    @Test("[OCPP2.0.1 A02 A03] TriggerMessage(SignV2GCertificate) renews every profile the station serves: a secp256r1 chain from the -2 PKI lands in secc/, a secp521r1 ecdsa-with-SHA512 chain from the -20 PKI in secc-iso20/")
    func bothProfiles() async throws {
        let folder = temporaryFolder("secc-profiles")
        let (pki2, pki20) = try await Self.pkis.value
        let authority = try PKICertificateAuthority(pkis: [pki2, pki20], validityDays: 30)
        try await Self.withCSMS(authority: authority, folder: folder) { application, port in
            var configuration = stationConfiguration(port: port, id: "CS-PROFILES", folder: folder + "/station")
            configuration.seccProfiles = [.iso15118_20, .iso15118_2]
            let station = try OCPPChargingStation(configuration: configuration, logger: testLogger)
            try await withStation(station) { station in
                #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
                let trigger = try V201.TriggerMessageResponse(
                    json: try await application.send(
                        CSMSCall(V201.TriggerMessageRequest(requestedMessage: .signV2GCertificate)), to: "CS-PROFILES"))
                #expect(trigger.status == .accepted)
                #expect(await station.wait(timeout: .seconds(60)) {
                    $0.certificates.seccChainPEM(profile: .iso15118_2) != nil && $0.certificates.seccChainPEM(profile: .iso15118_20) != nil
                })
                let store = station.certificates
                let leaf2 = try #require(try CertificateFile.certificates(from: Array((store.seccChainPEM(profile: .iso15118_2) ?? "").utf8)).first)
                let leaf20 = try #require(try CertificateFile.certificates(from: Array((store.seccChainPEM(profile: .iso15118_20) ?? "").utf8)).first)
                #expect(P256.Signing.PublicKey(leaf2.publicKey) != nil)
                #expect(leaf2.issuer == (try pki2.authority(.cpoSubCA2)).certificate.subject)
                #expect(P521.Signing.PublicKey(leaf20.publicKey) != nil)
                #expect(leaf20.signatureAlgorithm == .ecdsaWithSHA512)
                #expect(leaf20.issuer == (try pki20.authority(.cpoSubCA2)).certificate.subject)
                // Each key stays with its own chain.
                let key20 = try Certificate.PrivateKey(pemEncoded: try #require(store.seccKeyPEM(profile: .iso15118_20)))
                #expect(key20.publicKey == leaf20.publicKey)
                let key2 = try Certificate.PrivateKey(pemEncoded: try #require(store.seccKeyPEM(profile: .iso15118_2)))
                #expect(key2.publicKey == leaf2.publicKey)
            }
        }
    }

    @Test("[OCPP2.0.1 A03] a secp521r1 CSR at a CSMS without an ISO 15118-20 PKI gets SignCertificateResponse Rejected with statusInfo InvalidCSR and the reason; the -2 one is still signed")
    func noISO20PKI() async throws {
        let folder = temporaryFolder("secc-no-iso20")
        let authority = try PKICertificateAuthority(pkis: [try await Self.pkis.value.0], validityDays: 30)
        try await Self.withCSMS(authority: authority, folder: folder) { _, port in
            var configuration = stationConfiguration(port: port, id: "CS-NO-ISO20", folder: folder + "/station")
            configuration.seccProfiles = [.iso15118_20, .iso15118_2]
            let station = try OCPPChargingStation(configuration: configuration, logger: testLogger)
            try await withStation(station) { station in
                #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
                do {
                    try await station.requestV2GCertificate(profile: .iso15118_20)
                    Issue.record("a secp521r1 CSR was accepted without a -20 PKI")
                } catch let error as ChargingStationError {
                    #expect(error.code == .rejected)
                    #expect(error.detail.contains("Rejected: InvalidCSR"))
                    #expect(error.detail.contains("no iso15118-20 PKI is configured"))
                }
                #expect(station.certificates.seccChainPEM(profile: .iso15118_20) == nil)
                try await station.requestV2GCertificate(profile: .iso15118_2)
                #expect(await station.wait(timeout: .seconds(60)) { $0.certificates.seccChainPEM(profile: .iso15118_2) != nil })
                #expect(station.certificates.seccChainPEM(profile: .iso15118_20) == nil)
            }
        }
    }

    @Test("[OCPP2.0.1 A03] without any CA the CSMS rejects SignCertificate with NoCAConfigured; CertificateSigned with a secp384r1 chain (neither profile) is Rejected by the station")
    func noCAAndWrongCurveChain() async throws {
        let folder = temporaryFolder("secc-no-ca")
        try await Self.withCSMS(authority: nil, folder: folder) { application, port in
            let station = try OCPPChargingStation(
                configuration: stationConfiguration(port: port, id: "CS-NO-CA", folder: folder + "/station"), logger: testLogger)
            try await withStation(station) { station in
                #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
                do {
                    try await station.requestV2GCertificate(profile: .iso15118_20)
                    Issue.record("signed without a CA")
                } catch let error as ChargingStationError {
                    #expect(error.code == .rejected)
                    #expect(error.detail.contains("NoCAConfigured"))
                }
                let key = P384.Signing.PrivateKey()
                let subject = try DistinguishedName { CommonName("CS-NO-CA") }
                let leaf = try Certificate(
                    version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                    notValidBefore: Date() - 60, notValidAfter: Date() + 86_400, issuer: subject, subject: subject,
                    signatureAlgorithm: .ecdsaWithSHA384, extensions: Certificate.Extensions(), issuerPrivateKey: .init(key))
                let answer = try V201.CertificateSignedResponse(
                    json: try await application.send(
                        CSMSCall(
                            V201.CertificateSignedRequest(
                                certificateChain: try leaf.serializeAsPEM().pemString, certificateType: .v2GCertificate)),
                        to: "CS-NO-CA"))
                #expect(answer.status == .rejected)
                #expect(answer.statusInfo?.additionalInfo?.contains("neither secp256r1") == true)
                #expect(station.certificates.seccChainPEM(profile: .iso15118_2) == nil)
                #expect(station.certificates.seccChainPEM(profile: .iso15118_20) == nil)
            }
        }
    }
}
