import CSMS
import Crypto
import EMSP
import Foundation
import ISO15118EVCC
import ISO20Messages
import Logging
import PnCCore
import PnCServer
import Storage
import SwiftASN1
import Testing
import V2GPKI
import V2GSecurity
import X509

@Suite("Composition: Get15118EVCertificate for ISO 15118-20 answered by the eMSP")
struct EMSPContractServicesISO20Tests {
    @Test("[OCPP2.0.1 M02][V2G20-CertificateInstallation] iso15118SchemaVersion -20 CommonMessages → SignedInstallationData from the -20 PKI's CPS and MO Sub-CA 2, opened by the vehicle, contract stored")
    func install() async throws {
        let folder = demoFolder() + "/pki20"
        var options = PKIDirectory.InitOptions()
        options.keyIterations = 1_000
        options.pcid = try PCID(EMSPFixture.pcid)
        let pki = try PKIDirectory.create(
            at: folder, configuration: .init(profile: .iso15118_20, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil, options: options)
        let provisioning = try ContractProvisioning.fromPKIDirectory(pki, allocator: try EMAIDAllocator(countryCode: "DE", providerID: "8AA"))
        let oem = try CertificateFile.certificates(atPath: pki.leafDirectory("oem-prov") + "/chain.pem")
        let oemKey = try P521.Signing.PrivateKey(
            pemRepresentation: try pki.keyStore.signingKey(label: "leaf/oem-prov/key").serializeAsPEM().pemString)
        let installation = ISO20ContractInstallation(
            oemProvisioningChain: try oem.map { try $0.derBytes }, oemKey: oemKey, v2gRoots: [try pki.authority(.v2gRoot).certificate])
        let request = try ISO20CommonMessagesDocument.certificateInstallationReq(
            try installation.request(header: MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8], timeStamp: 1))).exiEncoded()
        try await EMSPFixture.withStore { store in
            try await store.save(Customer(id: "c1", name: "Driver"))
            try await store.save(Vehicle(pcid: try PCID(EMSPFixture.pcid), customerID: "c1"))
            let provider = EMSPEVCertificateProvider(repository: store, provisioning: provisioning)
            let answer = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .install, iso15118SchemaVersion: EMSPEVCertificateProvider.iso20Namespace,
                exiRequest: request, traceID: "trace-20"))
            #expect(answer.status == .accepted)
            #expect(answer.reason == nil)
            guard case .certificateInstallationRes(let res) = try ISO20CommonMessagesDocument(exi: answer.exiResponse) else {
                Issue.record("not a CertificateInstallationRes"); return
            }
            #expect(res.responseCode == .ok)
            guard case .success(let contract) = installation.open(res, now: Date().timeIntervalSince1970) else {
                Issue.record("the vehicle rejected the contract: \(installation.open(res, now: Date().timeIntervalSince1970))"); return
            }
            let stored = try #require(try await store.contract(emaid: try PnCCore.EMAID(contract.eMAID)))
            #expect(stored.certificateChain.first == contract.chainDER.first)
            #expect(try await EMSPContractDirectory(repository: store).contractStatus(eMAID: contract.eMAID, traceID: "trace-20") == .active)

            // -20 has no CertificateUpdate; an unknown vehicle gets a signed refusal.
            let update = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .update, iso15118SchemaVersion: EMSPEVCertificateProvider.iso20Namespace,
                exiRequest: request, traceID: "trace-21"))
            #expect(update.status == .failed)
        }
        try await EMSPFixture.withStore { store in
            let provider = EMSPEVCertificateProvider(repository: store, provisioning: provisioning)
            let other = try await provider.certificate(for: EVCertificateRequest(
                stationID: "CS1", action: .install, iso15118SchemaVersion: EMSPEVCertificateProvider.iso20Namespace,
                exiRequest: try ISO20CommonMessagesDocument.certificateInstallationReq(
                    try ISO20ContractInstallation(
                        oemProvisioningChain: installation.oemProvisioningChain, oemKey: P521.Signing.PrivateKey(),
                        v2gRoots: installation.v2gRoots
                    ).request(header: MessageHeader(sessionID: [1, 2, 3, 4, 5, 6, 7, 8], timeStamp: 1))).exiEncoded(),
                traceID: "trace-22"))
            #expect(other.status == .accepted)
            #expect(other.reason == "ISO 15118-20 ResponseCode FAILED_SignatureError")
        }
    }
}
