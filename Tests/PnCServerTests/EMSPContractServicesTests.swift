import CSMS
import Crypto
import EMSP
import EXI
import Foundation
import ISO2Messages
import Logging
import PnCCore
import PnCServer
import Storage
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509
import XMLDSig

/// A PKI made by `pnc pki init`, an eMSP SQLite store with the vehicle registered, and the installation request the
/// vehicle signs with its OEM provisioning key.
struct EMSPFixture {
    static let pcid = "WMIV1234567890ABCD"
    let pki: PKIDirectory
    let oemKey: P256.Signing.PrivateKey
    let oemCert: Certificate

    init() throws {
        let folder = demoFolder() + "/pki"
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.pcid = try PCID(Self.pcid)
        pki = try PKIDirectory.create(
            at: folder, configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options)
        let key = try pki.keyStore.signingKey(label: "leaf/oem-prov/key")
        oemKey = try P256.Signing.PrivateKey(pemRepresentation: try key.serializeAsPEM().pemString)
        oemCert = try #require(try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/cert.pem").first)
    }

    func installationRequest() throws -> [UInt8] {
        let req = CertificateInstallationReq(
            id: "ID1", oemProvisioningCert: try oemCert.derBytes,
            listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                X509IssuerSerial(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 1)
            ]))
        let signature = try ISO2Signature.sign([.certificateInstallationReq(req)], with: .p256(oemKey))
        return try ISO2Document.v2gMessage(V2GMessage(
            header: MessageHeader(sessionID: [9, 8, 7, 6, 5, 4, 3, 2], signature: signature),
            body: Body(bodyElement: .certificateInstallationReq(req)))).exiEncoded()
    }

    static func withStore<T: Sendable>(_ body: @Sendable (SQLStore) async throws -> T) async throws -> T {
        let store = try await SQLStore.openSQLite(path: demoFolder() + "/emsp.sqlite", logger: Logger(label: "test.emsp"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            do {
                let result = try await body(store)
                try await store.close()
                try await group.waitForAll()
                return result
            } catch {
                try? await store.close()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

@Suite("Composition: the CSMS's Plug & Charge ports answered by the eMSP")
struct EMSPContractServicesTests {
    @Test("[OCPP2.0.1 M02][V2G2-897] Get15118EVCertificate(Install) → CPS-signed CertificateInstallationRes, key decrypts with the OEM key, contract stored")
    func install() async throws {
        let fixture = try EMSPFixture()
        let request = try fixture.installationRequest()
        let provisioning = try ContractProvisioning.fromPKIDirectory(
            fixture.pki, allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        try await EMSPFixture.withStore { store in
            try await store.save(Customer(id: "c1", name: "Driver"))
            try await store.save(Vehicle(pcid: try PCID(EMSPFixture.pcid), customerID: "c1"))
            let provider = EMSPEVCertificateProvider(repository: store, provisioning: provisioning)
            let answer = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .install, iso15118SchemaVersion: EMSPEVCertificateProvider.iso2Namespace,
                exiRequest: request, traceID: "trace-1"))
            #expect(answer.status == .accepted)
            #expect(answer.reason == nil)
            guard case .v2gMessage(let message) = try ISO2Document(exi: answer.exiResponse),
                case .certificateInstallationRes(let res)? = message.body.bodyElement,
                let signature = message.header.signature
            else {
                Issue.record("not a signed CertificateInstallationRes")
                return
            }
            #expect(res.responseCode == .ok)
            // The CPS signature verifies with the CPS leaf the response carries, which is the PKI's CPS leaf.
            let cpsLeaf = try #require(try CertificateFile.certificates(atPath: fixture.pki.leafDirectory("cps") + "/cert.pem").first)
            #expect(res.saProvisioningCertificateChain.certificate == (try cpsLeaf.derBytes))
            try ISO2Signature.verify(
                signature, fragments: ISO2Signature.fragments(of: res),
                key: try V2GVerifyingKey(certificateDER: res.saProvisioningCertificateChain.certificate))
            // The contract key decrypts with the OEM provisioning key and matches the contract certificate.
            let contractKey = try ISO2ContractKeyEncryption.decrypt(
                EncryptedContractKey(encryptedPrivateKey: res.contractSignatureEncryptedPrivateKey.value, dhPublicKey: res.dHpublickey.value),
                with: try P256.KeyAgreement.PrivateKey(rawRepresentation: fixture.oemKey.rawRepresentation))
            let contractCert = try Certificate(derEncoded: res.contractSignatureCertChain.certificate)
            #expect(contractCert.publicKey == Certificate.PublicKey(contractKey.publicKey))
            // Issued by the PKI's MO Sub-CA 2.
            #expect(contractCert.issuer == (try fixture.pki.authority(.moSubCA2)).certificate.subject)
            // Stored, and the contract directory of the CSMS sees it as active.
            let emaid = try PnCCore.EMAID(res.eMAID.value)
            let stored = try #require(try await store.contract(emaid: emaid))
            #expect(stored.certificateChain.first == res.contractSignatureCertChain.certificate)
            let directory = EMSPContractDirectory(repository: store)
            #expect(try await directory.contractStatus(eMAID: res.eMAID.value, traceID: "trace-1") == .active)
            #expect(try await directory.contractStatus(eMAID: "DE8AA999999999", traceID: "trace-1") == .unknown)
            var cancelled = stored
            cancelled.status = .cancelled
            try await store.save(cancelled)
            #expect(try await directory.contractStatus(eMAID: res.eMAID.value, traceID: "trace-1") == .cancelled)
            // A second installation for the vehicle reissues: the cancelled contract is not reused.
            let again = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .install, iso15118SchemaVersion: EMSPEVCertificateProvider.iso2Namespace,
                exiRequest: request, traceID: "trace-2"))
            guard case .v2gMessage(let m2) = try ISO2Document(exi: again.exiResponse),
                case .certificateInstallationRes(let res2)? = m2.body.bodyElement
            else {
                Issue.record("not a CertificateInstallationRes")
                return
            }
            #expect(res2.responseCode == .ok)
            #expect(res2.eMAID.value != res.eMAID.value)
        }
    }

    @Test("[OCPP2.0.1 M02][V2G2-897] unknown vehicle → signed FAILED_NoCertificateAvailable; -20 schema against a -2 PKI (P-256 CPS) → Failed")
    func refusals() async throws {
        let fixture = try EMSPFixture()
        let provisioning = try ContractProvisioning.fromPKIDirectory(
            fixture.pki, allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        try await EMSPFixture.withStore { store in
            let provider = EMSPEVCertificateProvider(repository: store, provisioning: provisioning)
            let answer = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .install, iso15118SchemaVersion: EMSPEVCertificateProvider.iso2Namespace,
                exiRequest: try fixture.installationRequest(), traceID: "trace-3"))
            guard case .v2gMessage(let message) = try ISO2Document(exi: answer.exiResponse),
                case .certificateInstallationRes(let res)? = message.body.bodyElement
            else {
                Issue.record("not a CertificateInstallationRes")
                return
            }
            #expect(res.responseCode == .failedNoCertificateAvailable)
            #expect(answer.reason?.contains("ResponseCode") == true)
            let iso20 = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .install, iso15118SchemaVersion: "urn:iso:std:iso:15118:-20:CommonMessages",
                exiRequest: [0x80], traceID: "trace-4"))
            #expect(iso20.status == .failed)
            #expect(iso20.exiResponse.isEmpty)
        }
    }
}
