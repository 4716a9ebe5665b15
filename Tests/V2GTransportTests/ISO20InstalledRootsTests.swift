import Foundation
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO2Messages
import NIOCore
import PnCTesting
import SAPMessages
import Synchronization
import Testing
import V2GSecurity
import V2GTransport
import X509

/// ISO 15118-20 Plug & Charge with the MO roots a CSMS installed (`SECCConfiguration.contractRootsProvider`, read at
/// every session as for ISO 15118-2), over loopback TLS 1.3.
@Suite struct ISO20InstalledRootsTests {
    @Test("[ISO15118-20 §8.3.5.3, OCPP2.0.1 M05] -20 Plug & Charge follows the installed MO roots: none installed → EIM only (no PnC offered, the backend not asked for the contract); once the root is installed the next session authorizes by PnC")
    func followsInstalledRoots() async throws {
        let pki = try ContractPKI(notBefore: Date().addingTimeInterval(-3600))
        let contract = ISO20EVCCContract(
            eMAID: "DEABCC00000001", chainDER: try pki.chain.map { try pki.der($0) }, key: .p521(pki.contractKey))
        let backend = ContractBackend(accepted: ["DEABCC00000001"])
        let installed = Mutex<[Certificate]>([])
        var configuration = SECCConfiguration(
            evseID: "DE*PNC*E1", paymentOptions: [.contract, .externalPayment], protocols: [.iso20DC])
        configuration.iso20PnC = ISO20PnCConfiguration(moRoots: [])
        configuration.contractRootsProvider = { installed.withLock { $0 } }
        try await ISO20StationSessionTests.withStation(configuration: configuration, backend: backend) {
            _, connect, _, logger in
            func plugIn() async throws -> ISO20EVCCSessionSummary {
                try await EVCCSession.runISO20(
                    on: try await connect(), configuration: ISO20StationSessionTests.ev(ac: false), contracts: [contract],
                    chargeLoops: 2, logger: logger)
            }

            let withoutRoots = try await plugIn()
            #expect(withoutRoots.succeeded, "\(String(describing: withoutRoots.outcome))")
            #expect(withoutRoots.plugAndChargeEMAID == nil)
            #expect(backend.authorized.isEmpty)

            installed.withLock { $0 = [pki.root] }
            let withRoot = try await plugIn()
            #expect(withRoot.succeeded, "\(String(describing: withRoot.outcome))")
            #expect(withRoot.plugAndChargeEMAID == "DEABCC00000001")
            #expect(backend.authorized == ["DEABCC00000001"])
        }
    }
}
