import CSMS
import EMSP
import Foundation
import ISO20Messages
import PnCCore
import SwiftASN1
import X509

extension EMSPEVCertificateProvider {
    /// Get15118EVCertificate with iso15118SchemaVersion `urn:iso:std:iso:15118:-20:CommonMessages`: the vehicle is the
    /// PCID of the OEMProvisioningCertificateChain leaf, ``EMSP/ContractProvisioning/installISO20(requestEXI:pool:nextSequence:now:using:)``
    /// answers with SignedInstallationData, the contract is stored before the answer leaves. -20 has no
    /// CertificateUpdate (a new installation replaces the contract certificate).
    func certificateISO20(for request: EVCertificateRequest) async throws -> EVCertificateResponse {
        guard request.action == .install else {
            return EVCertificateResponse(status: .failed, exiResponse: [], reason: "ISO 15118-20 has no CertificateUpdate")
        }
        let provisioning = self.iso20Provisioning ?? self.provisioning
        let time = now()
        var rng = SystemRandomNumberGenerator()
        var pool = ContractPool()
        if let pcid = Self.iso20Vehicle(of: request.exiRequest) {
            pool = try await repository.loadPool(pcid: pcid)
        }
        let reserved = try await self.reserveSequence(pool, at: time, allocator: provisioning.allocator)
        let outcome = provisioning.installISO20(
            requestEXI: request.exiRequest, pool: &pool,
            nextSequence: {
                guard let reserved else { throw PnCServerError(.configuration, "no eMAID sequence reserved") }
                return reserved
            }, now: time, using: &rng)
        if let contract = outcome.contract { try await repository.save(contract) }
        guard !outcome.responseEXI.isEmpty else {
            return EVCertificateResponse(status: .failed, exiResponse: [], reason: "the -20 answer could not be signed")
        }
        return EVCertificateResponse(
            status: .accepted, exiResponse: outcome.responseEXI,
            reason: outcome.responseCode == .ok ? nil : "ISO 15118-20 ResponseCode \(outcome.responseCode.rawValue)")
    }

    /// The PCID (CN of the provisioning leaf) of a -20 CertificateInstallationReq, nil when there is none.
    static func iso20Vehicle(of exi: [UInt8]) -> PCID? {
        guard case .certificateInstallationReq(let req)? = try? ISO20CommonMessagesDocument(exi: exi),
            let cert = try? Certificate(derEncoded: req.oemProvisioningCertificateChain.certificate),
            let cn = Self.commonName(cert.subject)
        else { return nil }
        return try? PCID(cn)
    }
}
