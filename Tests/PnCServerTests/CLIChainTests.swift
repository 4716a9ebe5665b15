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
        #expect(output.contains("vehicle: plugged in again, Plug & Charge with the installed contract ("))
        #expect(output.contains("), session completed"))
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
        #expect(output.contains("ISO 15118-2 over TLS 1.2 on the same listening socket as ISO 15118-20: session set up"))
        #expect(output.contains("CSMS: 2 -20 transactions stored and ended for OPNC-ISO20-1"))
    }

    @Test(
        "[OCPP2.0.1 A03, ISO15118-20 TLS 1.3 mutual] refused configurations: pnc station --csms serving -20 TLS without --vehicle-roots, pnc csms --pki-iso20 with an ISO 15118-2 PKI and --pki with an ISO 15118-20 one",
        .enabled(if: ready, "needs .build/debug/pnc (swift build) and python3"))
    func iso20CSMSRefusals() async throws {
        let station = try await Peers.runAsync(
            Self.pnc,
            ["station", "--listen", "::1", "--csms", "ws://127.0.0.1:9/ocpp", "--protocols", "iso20,iso2", "--auth", "pnc,eim", "--tls"],
            timeout: .seconds(60))
        #expect(station.status != 0)
        #expect(station.output.contains("needs --vehicle-roots FILE.pem"), "\(station.output)")

        let folder = Peers.temporaryDirectory("iso20-csms-refusals")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki2 = try await Peers.runAsync(Self.pnc, ["pki", "init", "--out", folder + "/pki2", "--insecure-no-password"], timeout: .seconds(120))
        #expect(pki2.status == 0, "\(pki2.output)")
        let csms = try await Peers.runAsync(
            Self.pnc,
            ["csms", "--listen", "127.0.0.1:0", "--security-profile", "0", "--database", folder + "/csms.sqlite",
             "--pki-iso20", folder + "/pki2", "--insecure-no-password"],
            timeout: .seconds(60))
        #expect(csms.status != 0)
        #expect(csms.output.contains("is an iso15118-2 PKI (make one with pnc pki init --profile iso15118-20)"), "\(csms.output)")
        let pki20 = try await Peers.runAsync(
            Self.pnc, ["pki", "init", "--out", folder + "/pki20", "--profile", "iso15118-20", "--insecure-no-password"],
            timeout: .seconds(120))
        #expect(pki20.status == 0, "\(pki20.output)")
        let swapped = try await Peers.runAsync(
            Self.pnc,
            ["csms", "--listen", "127.0.0.1:0", "--security-profile", "0", "--database", folder + "/csms.sqlite",
             "--pki", folder + "/pki20", "--insecure-no-password"],
            timeout: .seconds(60))
        #expect(swapped.status != 0)
        #expect(swapped.output.contains("is an iso15118-20 PKI: give it as --pki-iso20"), "\(swapped.output)")
    }
}
