import Foundation
import PnCTesting
import Testing

/// The chain as an operator runs it: separate `pnc` processes on loopback (dev/pnc-chain.sh).
@Suite struct CLIChainTests {
    static let pnc = Peers.repoRoot + "/.build/debug/pnc"
    static let ready = FileManager.default.isExecutableFile(atPath: pnc) && Peers.which("python3") != nil

    @Test(
        "[OCPP2.0.1 A03 M05 M02 M03 C07, ISO15118-2 V2G2-897 §8.4.3.11] pnc csms, pnc station --csms and pnc ev as processes: SECC certificate from the CSMS, contract installed, Plug & Charge charges, the contract is updated, an unknown contract is refused",
        .enabled(if: ready, "needs .build/debug/pnc (swift build) and python3"))
    func chain() async throws {
        let (status, output) = try await Peers.runAsync(
            "/bin/bash", [Peers.repoRoot + "/dev/pnc-chain.sh"], cwd: Peers.repoRoot, timeout: .seconds(300))
        #expect(status == 0, "\(output.suffix(4_000))")
        #expect(output.contains("vehicle: plugged in again, Plug & Charge with the installed contract, session completed"))
        #expect(output.contains("vehicle: unknown contract refused"))
        #expect(output.contains("vehicle: contract updated"))
        #expect(output.contains("CSMS: 3 transactions stored and ended"))
    }

    @Test(
        "[ISO15118-20 PnC_AReqAuthorizationMode, TLS 1.3 mutual] pnc station --protocols iso20 --tls and pnc ev iso20-pnc-dc / iso20-dc / iso20-pnc-dc --install from a -20 PKI: Plug & Charge, EIM and CertificateInstallation sessions complete",
        .enabled(if: ready, "needs .build/debug/pnc (swift build) and python3"))
    func iso20() async throws {
        let (status, output) = try await Peers.runAsync(
            "/bin/bash", [Peers.repoRoot + "/dev/pnc-iso20.sh"], cwd: Peers.repoRoot, timeout: .seconds(300))
        #expect(status == 0, "\(output.suffix(4_000))")
        #expect(output.contains("ISO 15118-20 DC Plug & Charge over TLS 1.3: completed"))
        #expect(output.contains("ISO 15118-20 CertificateInstallation then Plug & Charge over TLS 1.3: completed"))
        #expect(output.contains("ISO 15118-20 Plug & Charge with the installed contract: completed"))
        #expect(output.contains("station: 4 sessions ended at SessionStop"))
    }

    @Test(
        "[OCPP2.0.1 A03 M05 M02 C07 E01, ISO15118-20 CertificateInstallation PnC_AReqAuthorizationMode, TLS 1.3 mutual] pnc csms --pki --pki-iso20, pnc station --csms --protocols iso20,iso2 --tls and pnc ev iso20-pnc-dc as processes: secp521r1 and secp256r1 SECC certificates from the CSMS, contract installed through Get15118EVCertificate, Plug & Charge with the kept contract, transactions stored at the CSMS",
        .enabled(if: ready, "needs .build/debug/pnc (swift build) and python3"))
    func iso20CSMS() async throws {
        let (status, output) = try await Peers.runAsync(
            "/bin/bash", [Peers.repoRoot + "/dev/pnc-iso20-csms.sh"], cwd: Peers.repoRoot, timeout: .seconds(300))
        #expect(status == 0, "\(output.suffix(4_000))")
        #expect(output.contains("station: booted, secp521r1 (-20) and secp256r1 (-2) SECC certificates from the CSMS"))
        #expect(output.contains("ISO 15118-20 CertificateInstallation through Get15118EVCertificate, then Plug & Charge: completed"))
        #expect(output.contains("ISO 15118-20 Plug & Charge with the kept contract through the CSMS: completed"))
        #expect(output.contains("CSMS: 2 -20 transactions stored and ended for OPNC-ISO20-1"))
    }
}
