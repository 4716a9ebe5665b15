import Crypto
import EXI
import SwiftASN1
import XMLDSig
import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import Testing
import V2GPKI
import V2GSecurity
import X509

/// Plug & Charge with our EVCC driver against our SECC driver over loopback TLS: the SECC validates the contract
/// chain against the MO root, checks the AuthorizationReq and MeteringReceiptReq signatures, and the local backend
/// validates the chain again.
@Suite struct StationPnCSessionTests {
    /// MO root → Sub-CA 1 → Sub-CA 2 → contract, valid around the current time (the drivers read the real clock).
    static func contract(eMAID: String = "DEPNCC12345678X") throws -> (Certificate, StoredContract) {
        var rng = SystemRandomNumberGenerator()
        let now = Date()
        func authority(_ role: CertificateRole, _ cn: String, parent: CertificateAuthority?) throws -> CertificateAuthority {
            let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let subject = try CertificateIssuer.subject(commonName: cn, role: role)
            let cert: Certificate
            if let parent {
                cert = try parent.issue(role: role, subject: subject, publicKey: key.publicKey, validityDays: 1000, now: now, using: &rng)
            } else {
                cert = try CertificateIssuer(profile: .iso15118_2).issue(
                    IssuanceRequest(
                        role: role, subject: subject, publicKey: key.publicKey, serialNumber: Certificate.SerialNumber(bytes: [1]),
                        notBefore: now - 86_400, notAfter: now + 3650 * 86_400),
                    issuer: nil, issuerKey: key)
            }
            return CertificateAuthority(
                role: role, certificate: cert, chainBelowRoot: parent.map { [cert] + $0.chainBelowRoot } ?? [], key: key,
                directory: nil, profile: .iso15118_2, ocspURL: "http://127.0.0.1/ocsp", crlURL: "http://127.0.0.1/crl")
        }
        let root = try authority(.moRoot, "MORootCA", parent: nil)
        let sub2 = try authority(.moSubCA2, "MOSubCA2", parent: try authority(.moSubCA1, "MOSubCA1", parent: root))
        let key = P256.Signing.PrivateKey()
        let leaf = try sub2.issue(
            role: .contract, subject: try CertificateIssuer.subject(commonName: eMAID, role: .contract),
            publicKey: Certificate.PublicKey(key.publicKey), validityDays: 365, now: now, using: &rng)
        let chain = try ([leaf] + sub2.chainBelowRoot).map { try $0.derBytes }
        return (root.certificate, try StoredContract(eMAID: eMAID, chainDER: chain, key: .p256(key)))
    }

    static func configuration(_ root: Certificate) -> SECCConfiguration {
        SECCConfiguration(
            evseID: "DE*PNC*E1", paymentOptions: [.contract, .externalPayment], contractRoots: [root],
            requiresMeteringReceipt: true)
    }

    @Test("iso2-pnc-dc over loopback TLS: PaymentDetails, signed Authorization, MeteringReceipt, SessionStop")
    func pncDC() async throws {
        let (root, contract) = try Self.contract()
        let (ev, secc) = try await StationSessionTests.session(
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended,
            backend: LocalChargingBackend(contractRoots: [root]), configuration: Self.configuration(root), contract: contract)
        #expect(ev.succeeded, "\(ev.failure ?? "")")
        let messages = ev.timeline.map(\.message)
        #expect(messages.contains("PaymentDetailsRes"))
        #expect(messages.contains("MeteringReceiptRes"))
        #expect(messages.last == "SessionStopRes")
        #expect(secc?.ending == "SessionStop")
        // The backend decided within the SECC's authorization budget: the signed AuthorizationReq is answered
        // Finished at once, never repeated.
        #expect(StationSessionTests.authorizationAnswers(ev) == ["OK/Finished"], "\(StationSessionTests.authorizationAnswers(ev))")
    }

    @Test("[ISO 15118-2 AuthorizationRes EVSEProcessing] iso2-pnc-dc with a backend slower than the SECC's authorization budget: the first AuthorizationRes is Ongoing, the vehicle repeats AuthorizationReq and gets Finished; the backend is asked once")
    func pncSlowBackend() async throws {
        let (root, contract) = try Self.contract()
        let backend = ContractBackend(accepted: ["DEPNCC12345678X"], delay: .milliseconds(400))
        var configuration = Self.configuration(root)
        configuration.authorizationBudget = .milliseconds(50)
        let (ev, secc) = try await StationSessionTests.session(
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended,
            backend: backend, configuration: configuration, contract: contract)
        #expect(ev.succeeded, "\(ev.failure ?? "")")
        let answers = StationSessionTests.authorizationAnswers(ev)
        #expect(answers.count >= 2, "\(answers)")
        #expect(answers.first == "OK/Ongoing", "\(answers)")
        #expect(answers.last == "OK/Finished", "\(answers)")
        #expect(answers.dropLast().allSatisfy { $0 == "OK/Ongoing" }, "\(answers)")
        #expect(backend.authorized == ["DEPNCC12345678X"])
        #expect(secc?.ending == "SessionStop")
    }

    @Test("iso2-pnc-ac over loopback TLS: Contract with the ChargingStatus loop")
    func pncAC() async throws {
        let (root, contract) = try Self.contract()
        let (ev, secc) = try await StationSessionTests.session(
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.ac), mode: .acThreePhaseCore,
            backend: LocalChargingBackend(contractRoots: [root]), configuration: Self.configuration(root), contract: contract)
        #expect(ev.succeeded, "\(ev.failure ?? "")")
        #expect(ev.timeline.map(\.message).contains("PaymentDetailsRes"))
        #expect(secc?.ending == "SessionStop")
    }

    @Test("[ISO 15118-2 AuthorizationRes ResponseCode] A local backend without the MO root refuses the contract within the budget: the first AuthorizationRes is FAILED_NoCertificateAvailable/Finished, no Ongoing, no charging")
    func backendRefuses() async throws {
        let (root, contract) = try Self.contract()
        let (ev, secc) = try await StationSessionTests.session(
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended,
            backend: LocalChargingBackend(), configuration: Self.configuration(root), contract: contract)
        #expect(!ev.succeeded)
        #expect(ev.failure?.contains("failedNoCertificateAvailable") == true, "\(ev.failure ?? "")")
        let answers = StationSessionTests.authorizationAnswers(ev)
        #expect(answers == ["FAILED_NoCertificateAvailable/Finished"], "\(answers)")
        #expect(!ev.timeline.contains { $0.message == "ChargeParameterDiscoveryReq" })
        #expect(secc?.ending.contains("FAILED_NoCertificateAvailable") == true, "\(String(describing: secc?.ending))")
    }
}

/// Installation first over loopback TLS: the EV has no contract, the station's local backend hosts the eMSP's
/// contract provisioning from a `pnc pki init` directory.
@Suite struct StationPnCInstallationTests {
    @Test("iso2-pnc-dc with installation first: CertificateInstallation, PaymentDetails with the new contract, SessionStop; the next session renews it with CertificateUpdate")
    func installThenCharge() async throws {
        let root = NSTemporaryDirectory() + "pnc-install-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = try PKIDirectory.create(
            at: root, configuration: .init(profile: .iso15118_2, ocspURL: "http://127.0.0.1:1/ocsp", crlBaseURL: "http://127.0.0.1:1/crl"),
            password: nil)
        let moRoot = try directory.authority(.moRoot).certificate
        let backend = LocalChargingBackend(
            contractRoots: [moRoot], certificateExchange: try LocalContractProvisioning(directory: directory).exchange)
        let oem = try #require(try CertificateFile.certificates(atPath: directory.leafDirectory("oem-prov") + "/cert.pem").first)
        let handle = try PrivateKeyFile.load(path: directory.leafDirectory("oem-prov") + "/key.pem", password: nil)
        let v2gRoot = try directory.authority(.v2gRoot).certificate
        let installation = ContractInstallation(
            oemProvisioningCertificate: try oem.derBytes,
            oemKey: try P256.Signing.PrivateKey(pemRepresentation: try handle.serializeAsPEM().pemString),
            v2gRoots: [v2gRoot],
            rootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                X509IssuerSerial(x509IssuerName: v2gRoot.subject.description, x509SerialNumber: 1)
            ]))
        let (ev, secc) = try await StationSessionTests.session(
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended, backend: backend,
            configuration: StationPnCSessionTests.configuration(moRoot), installation: installation)
        #expect(ev.succeeded, "\(ev.failure ?? "")")
        let messages = ev.timeline.map(\.message)
        #expect(messages.contains("CertificateInstallationRes"))
        #expect(messages.contains("PaymentDetailsRes"))
        #expect(ev.installedContract != nil)
        #expect(secc?.ending == "SessionStop")

        // The next plug-in with that contract inside a renewal window longer than its validity: CertificateUpdate
        // through the same provisioning, then PaymentDetails with the renewed contract.
        let installed = try #require(ev.installedContract)
        let renewalPolicy = ContractRenewal(
            v2gRoots: installation.v2gRoots, rootCertificateIDs: installation.rootCertificateIDs, window: 100 * 365 * 86_400)
        let (renewal, renewalSECC) = try await StationSessionTests.session(
            controller: SimulatedEVSEController(capabilities: SimulatedEVSEController.dc), mode: .dcExtended, backend: backend,
            configuration: StationPnCSessionTests.configuration(moRoot), contract: installed, renewal: renewalPolicy)
        #expect(renewal.succeeded, "\(renewal.failure ?? "")")
        #expect(renewal.updateFailure == nil, "\(renewal.updateFailure ?? "")")
        let renewalMessages = renewal.timeline.map(\.message)
        #expect(renewalMessages.contains("CertificateUpdateRes"))
        #expect(renewalMessages.contains("PaymentDetailsRes"))
        let renewed = try #require(renewal.installedContract)
        #expect(renewed.eMAID == installed.eMAID)
        #expect(renewed.chainDER.first != installed.chainDER.first)
        #expect(renewalSECC?.ending == "SessionStop")
    }
}
