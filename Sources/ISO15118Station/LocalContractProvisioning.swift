import Crypto
import EMSP
import Foundation
import ISO15118SECC
import ISO2Messages
import ISO20Messages
import SwiftASN1
import PnCCore
import Synchronization
public import V2GPKI
import V2GSecurity
import X509

/// An eMSP contract provisioning hosted by a station without a CSMS (`pnc station`) from a `pnc pki init` directory: the CPS leaf signs, MO
/// Sub-CA 2 issues contracts, the directory's OEM provisioning leaf is the one registered vehicle. ISO 15118-2 requests
/// (a `--profile iso15118-2` directory) and ISO 15118-20 installations (schema `urn:iso:std:iso:15118:-20:CommonMessages`,
/// a `--profile iso15118-20` directory: P-521 contracts, SignedInstallationData) are answered.
public final class LocalContractProvisioning: Sendable {
    let provisioning: ContractProvisioning
    let state: Mutex<(pool: ContractPool, sequence: UInt64)>

    /// - Throws: when the directory lacks a CA, the CPS leaf or its key.
    public init(directory: PKIDirectory) throws {
        let oemSub2 = try directory.authority(.oemSubCA2)
        let cpsChain = try CertificateFile.certificates(atPath: directory.leafDirectory("cps") + "/chain.pem")
        self.provisioning = ContractProvisioning(
            oemRoots: [try directory.authority(.oemRoot).certificate], oemIntermediates: oemSub2.chainBelowRoot,
            contractRoots: [try directory.authority(.moRoot).certificate],
            cps: CPSCredentials(
                key: try V2GSigningKey.keyStore(directory.keyStore, label: "leaf/cps/key"),
                chain: try cpsChain.map { try $0.derBytes }),
            issuer: CertificateAuthorityContractIssuer(ca: try directory.authority(.moSubCA2)),
            allocator: try EMAIDAllocator(countryCode: "DE", providerID: "PNC"))
        var pool = ContractPool()
        let oem = try CertificateFile.certificates(atPath: directory.leafDirectory("oem-prov") + "/cert.pem")
        for rdn in oem.first?.subject ?? DistinguishedName() {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let pcid = try? PCID(String(describing: attribute.value)) {
                    pool.register(Vehicle(pcid: pcid, customerID: "local"))
                }
            }
        }
        self.state = Mutex((pool, 0))
    }

    /// The exchange to attach to ``LocalChargingBackend/init(allowedTokens:contractRoots:revocation:certificateExchange:)``.
    public var exchange: LocalChargingBackend.CertificateExchange {
        { [self] request in
            var rng = SystemRandomNumberGenerator()
            let (bytes, code): ([UInt8], String) = self.state.withLock { state in
                let next = { () -> UInt64 in state.sequence += 1; return state.sequence }
                switch request.action {
                case .install where request.schemaVersion == ISO20SECCStateMachine.schemaVersion:
                    let o = self.provisioning.installISO20(
                        requestEXI: request.exiRequest, pool: &state.pool, nextSequence: next, now: Date(), using: &rng)
                    return (o.responseEXI, o.responseCode.rawValue)
                case .install:
                    let o = self.provisioning.install(
                        requestEXI: request.exiRequest, pool: &state.pool, nextSequence: next, now: Date(), using: &rng)
                    return (o.responseEXI, o.responseCode.rawValue)
                case .update:
                    let o = self.provisioning.update(requestEXI: request.exiRequest, pool: &state.pool, now: Date(), using: &rng)
                    return (o.responseEXI, o.responseCode.rawValue)
                }
            }
            return CertificateExchangeResult(status: bytes.isEmpty ? .failed : .accepted, exiResponse: bytes, detail: code)
        }
    }
}
