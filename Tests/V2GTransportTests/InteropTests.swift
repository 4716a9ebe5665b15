import Foundation
import Logging
import NIOCore
import PnCTesting
import Testing
import V2GTransport

/// Peers outside the package: OpenSSL's s_client as a Josev-like EVCC (TLS 1.2, ECDHE-ECDSA-AES128-SHA256, V2G root
/// as CA file), and Josev's harness SDP probe inside network namespaces (dev/netns-sdp.sh).
/// Serialized: each test runs real peers (Josev, openssl, network namespaces) that need the machine to themselves.
@Suite(.serialized) struct InteropTests {
    static let openssl = executable("openssl")
    static let ip = executable("ip")
    static let python = executable("python3")
    static let sdpProbe = repositoryRoot.appendingPathComponent("../shared/interop/josev/sdp_probe.py").standardized
    static let pnc = repositoryRoot.appendingPathComponent(".build/debug/pnc")
    static let netnsReady =
        getuid() == 0 && ip != nil && python != nil && FileManager.default.fileExists(atPath: sdpProbe.path)
        && FileManager.default.isExecutableFile(atPath: pnc.path)

    static let josevHome = repositoryRoot.appendingPathComponent(".build/josev")
    static let josevReady =
        netnsReady && executable("java") != nil
        && FileManager.default.isExecutableFile(atPath: josevHome.appendingPathComponent("venv/bin/python").path)
        && FileManager.default.fileExists(
            atPath: josevHome.appendingPathComponent("pki/iso15118_2/certs/cpoCertChain.pem").path
        )

    /// Runs a command with stdin closed and a deadline; returns exit status and stdout+stderr.
    static func run(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Peers.runAsync(path, arguments, timeout: .seconds(600))
    }

    /// `openssl s_client` against our -2 TLS server with the given extra options.
    static func sClient(_ options: [String]) async throws -> (status: Int32, output: String) {
        let openssl = try #require(Self.openssl)
        let cpo = try TestChain(domain: "V2G")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pnc-sclient-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rootFile = directory.appendingPathComponent("v2gRootCACert.pem")
        try cpo.rootPEM.write(to: rootFile, atomically: true, encoding: .utf8)
        let recorder = LogRecorder()
        let server = try await V2GServer.bind(
            to: try SocketAddress(ipAddress: "::1", port: 0),
            security: .tls(try V2GTLSServerProfile.iso15118_2(identity: cpo.identity)),
            logger: recorder.logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.run { connection in
                    try await connection.executeThenClose { inbound, _ in for try await _ in inbound {} }
                }
            }
            defer { group.cancelAll() }
            let port = server.localAddress.port ?? 0
            let result = try await Self.run(
                openssl,
                ["s_client", "-connect", "[::1]:\(port)", "-CAfile", rootFile.path, "-verify_return_error", "-brief"]
                    + options
            )
            try await server.close()
            return result
        }
    }

    @Test(
        "[V2G2-602] openssl s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 -CAfile root.pem (as Josev's EVCC)",
        .enabled(if: openssl != nil, "SKIPPED-PEER openssl: apt-get install openssl")
    )
    func opensslHandshake() async throws {
        let (status, output) = try await Self.sClient([
            "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256", "-curves", "prime256v1",
        ])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Protocol version: TLSv1.2"), "\(output)")
        #expect(output.contains("Ciphersuite: ECDHE-ECDSA-AES128-SHA256"), "\(output)")
        // only the root is in the CA file: verification succeeding proves leaf and sub-CAs were sent
        #expect(output.contains("Verification: OK"), "\(output)")
    }

    @Test(
        "[V2G2-602] openssl offering only another cipher suite or only TLS 1.3 is refused",
        .enabled(if: openssl != nil, "SKIPPED-PEER openssl: apt-get install openssl"),
        arguments: [["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], ["-tls1_3"]]
    )
    func opensslRefused(_ options: [String]) async throws {
        let (status, output) = try await Self.sClient(options)
        #expect(status != 0, "\(output)")
        #expect(!output.contains("Verification: OK"), "\(output)")
    }

    @Test(
        "[V2G2-139] SDP over ff02::1 in network namespaces: Josev's sdp_probe.py and pnc sdp probe find our SECC",
        .enabled(
            if: netnsReady,
            """
            SKIPPED-PEER netns: needs root, iproute2 (apt-get install iproute2), python3, \
            ../shared/interop/josev/sdp_probe.py and a built pnc (swift build --product pnc)
            """
        )
    )
    func netnsSDP() async throws {
        let script = repositoryRoot.appendingPathComponent("dev/netns-sdp.sh").path
        let (status, output) = try await Self.run("/bin/bash", [script, Self.pnc.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("sdp_probe.py: fe80::"), "\(output)")
        #expect(output.contains("PASS netns SDP"), "\(output)")
    }

    @Test(
        "[V2G2-602] Josev both ways: its EVCC and our SECC side, our EVCC side and its SECC (SDP, TLS 1.2, framing)",
        .enabled(
            if: josevReady,
            """
            SKIPPED-PEER josev: needs root, iproute2, Java (apt-get install openjdk-17-jre-headless), ../shared and \
            Josev with its PKI in .build/josev (dev/install-test-deps.sh)
            """
        )
    )
    func josevBothWays() async throws {
        let script = repositoryRoot.appendingPathComponent("dev/josev-evcc-transport.sh").path
        let (status, output) = try await Self.run("/bin/bash", [script, Self.pnc.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS Josev EVCC transport"), "\(output)")
        // our SDP client and TLS client against Josev's SECC, which answers SupportedAppProtocolReq
        #expect(output.contains("pnc sdp probe: received 0x8001 8040"), "\(output)")
        #expect(output.contains("PASS Josev SECC transport"), "\(output)")
    }

    @Test(
        "ISO 15118-2 EIM sessions with Josev: its EVCC against pnc station (AC, DC), pnc ev against its SECC (AC, DC)",
        .enabled(
            if: josevReady,
            """
            SKIPPED-PEER josev: needs root, iproute2, Java (apt-get install openjdk-17-jre-headless), ../shared and \
            Josev with its PKI in .build/josev (dev/install-test-deps.sh)
            """
        ),
        arguments: ["ac", "dc"]
    )
    func josevISO2Sessions(kind: String) async throws {
        let script = repositoryRoot.appendingPathComponent("dev/josev-iso2-sessions.sh").path
        let (status, output) = try await Self.run("/bin/bash", [script, Self.pnc.path, kind])
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS Josev EVCC iso2_eim_\(kind) -> pnc station"), "\(output)")
        #expect(output.contains("PASS pnc ev iso2-eim-\(kind) -> Josev SECC"), "\(output)")
    }
}

extension InteropTests {
    @Test(
        """
        ISO 15118-2 pause/resume and renegotiation with Josev: pnc ev --pause-after 2 against its SECC (SessionStop \
        Pause, a new connection answered OK_OldSessionJoined, SessionStop) and pnc ev --renegotiate-after 1 (AC: PowerDelivery \
        Renegotiate, ChargeParameterDiscovery, PowerDelivery Start, SessionStop; DC: Josev wants CableCheck again); its EVCC \
        against pnc station --renegotiate-after 2 (AC: renegotiates on EVSENotification=ReNegotiation)
        """,
        .enabled(
            if: josevReady,
            """
            SKIPPED-PEER josev: needs root, iproute2, Java (apt-get install openjdk-17-jre-headless), ../shared and \
            Josev with its PKI in .build/josev (dev/install-test-deps.sh)
            """
        ),
        arguments: ["ac", "dc"]
    )
    func josevISO2PauseRenegotiation(kind: String) async throws {
        let script = repositoryRoot.appendingPathComponent("dev/josev-iso2-pause.sh").path
        let (status, output) = try await Self.run("/bin/bash", [script, Self.pnc.path, kind])
        #expect(status == 0, "\(output)")
        #expect(output.contains("PASS pnc ev iso2-eim-\(kind) --pause-after 2 -> Josev SECC (OK_OldSessionJoined)"), "\(output)")
        if kind == "ac" {
            #expect(output.contains("PASS pnc ev iso2-eim-ac --renegotiate-after 1 -> Josev SECC"), "\(output)")
        } else {
            // Josev's SECC wants CableCheck again after a DC renegotiation (recorded in docs/STATUS.md)
            #expect(output.contains("KNOWN Josev SECC: DC renegotiation expects CableCheck again"), "\(output)")
        }
        // SECC-triggered: Josev's EVCC follows EVSENotification=ReNegotiation in AC only
        #expect(
            output.contains("PASS Josev EVCC iso2_eim_ac -> pnc station --renegotiate-after 2 (renegotiated)")
                || (kind == "dc" && output.contains("KNOWN Josev EVCC: ReNegotiation in CurrentDemandRes ignored")),
            "\(output)")
    }
}

extension InteropTests {
    @Test(
        """
        DIN SPEC 70121 DC and ISO 15118-20 DC EIM with Josev, both ways, to SessionStop: its EVCC against pnc station \
        (-20 with --precharge-above-maximum clamp: its EV asks PreCharge for 20 kV), pnc ev against its SECC \
        (--precharge-tolerance 400: its EVSE reports 1 V)
        """,
        .enabled(
            if: josevReady,
            """
            SKIPPED-PEER josev: needs root, iproute2, Java (apt-get install openjdk-17-jre-headless), ../shared and \
            Josev with its PKI in .build/josev (dev/install-test-deps.sh)
            """
        ),
        arguments: ["din_dc", "iso20_dc"], ["secc", "ev"]
    )
    func josevDINSession(scenario: String, direction: String) async throws {
        let script = repositoryRoot.appendingPathComponent("dev/josev-din-iso20.sh").path
        let (status, output) = try await Self.run(
            "/usr/bin/env", ["DIRECTION=\(direction)", "/bin/bash", script, scenario, Self.pnc.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("RESULT: \(scenario) completed"), "\(output)")
        if direction == "secc" {
            #expect(output.contains("-> SessionStopRes  OK"), "\(output)")
        } else {
            #expect(output.contains("<- SessionStopRes  OK") && output.contains("summary: completed"), "\(output)")
        }
    }
}

extension InteropTests {
    @Test(
        """
        [V2G2-475] [V2G2-476] ISO 15118-2 Plug & Charge DC over TLS with Josev, one `pnc pki init --layout josev` PKI: \
        its EVCC against pnc station --auth pnc,eim (with and without CertificateInstallation first), \
        pnc ev --scenario iso2-pnc-dc against its SECC, all to SessionStop
        """,
        .enabled(
            if: josevReady && executable("openssl") != nil,
            """
            SKIPPED-PEER josev: needs root, iproute2, openssl, Java (apt-get install openjdk-17-jre-headless), \
            ../shared and Josev in .build/josev (dev/install-test-deps.sh)
            """
        )
    )
    func josevISO2PlugAndCharge() async throws {
        let script = repositoryRoot.appendingPathComponent("dev/josev-iso2-pnc.sh").path
        let (status, output) = try await Self.run("/bin/bash", [script, Self.pnc.path])
        #expect(status == 0, "\(output)")
        // our SECC: PaymentDetails (contract chain to our MO root), the signed AuthorizationReq, charge loop, SessionStop
        #expect(output.contains("pnc station:") && output.contains("-> PaymentDetailsRes  OK"), "\(output)")
        #expect(output.contains("-> AuthorizationRes  OK/Finished"), "\(output)")
        #expect(output.contains("-> CurrentDemandRes  OK"), "\(output)")
        #expect(output.contains("PASS Josev EVCC iso2_pnc_dc -> pnc station"), "\(output)")
        // its EVCC installs a contract through our SECC first (CPS signature verified, key decrypted on its side)
        #expect(output.contains("-> CertificateInstallationRes  OK"), "\(output)")
        #expect(output.contains("PASS Josev EVCC iso2_pnc_install_dc -> pnc station"), "\(output)")
        // our EVCC: Josev's SECC accepted our contract chain and signature, then the charge loop and SessionStop
        #expect(output.contains("<- PaymentDetailsRes  OK"), "\(output)")
        #expect(output.contains("<- CurrentDemandRes  OK"), "\(output)")
        #expect(output.contains("PASS pnc ev iso2-pnc-dc -> Josev SECC"), "\(output)")
    }
    @Test(
        """
        [V2G2-475] [OCPP-C07] ISO 15118-2 Plug & Charge DC over TLS: Josev's EVCC with the contract imported into our \
        eMSP (`pnc emsp contract import`) charges at pnc station --csms, whose SECC certificate our CSMS signed; \
        the CSMS (--pki --emsp, OCSP through pnc pki ocsp-serve) accepts the eMAID and stores the ended transaction; \
        after `pnc emsp contract cancel` the same vehicle gets AuthorizationRes FAILED_ContractCanceled
        """,
        .enabled(
            if: josevReady && executable("openssl") != nil,
            """
            SKIPPED-PEER josev: needs root, iproute2, openssl, python3, Java (apt-get install openjdk-17-jre-headless), \
            ../shared and Josev in .build/josev (dev/install-test-deps.sh)
            """
        )
    )
    func josevISO2PlugAndChargeThroughCSMS() async throws {
        let script = repositoryRoot.appendingPathComponent("dev/josev-iso2-pnc-csms.sh").path
        let (status, output) = try await Self.run("/bin/bash", [script, Self.pnc.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("eMSP: contract ") && output.contains("certificate imported"), "\(output)")
        #expect(output.contains("station: booted, SECC certificate signed by the CSMS"), "\(output)")
        #expect(output.contains("-> PaymentDetailsRes  OK"), "\(output)")
        #expect(output.contains("-> AuthorizationRes  OK/Finished"), "\(output)")
        #expect(output.contains("-> CurrentDemandRes  OK"), "\(output)")
        #expect(output.contains("-> SessionStopRes  OK"), "\(output)")
        #expect(output.contains("CSMS: plug and charge authorization accepted for "), "\(output)")
        #expect(output.contains("transaction stored and ended for OPNC-JOSEV-1"), "\(output)")
        #expect(output.contains("PASS Josev EVCC (contract from our eMSP) -> pnc station -> pnc csms"), "\(output)")
        // cancelled by the eMSP (certificate revoked): the CSMS refuses, our SECC answers FAILED_ContractCanceled
        #expect(output.contains("eMSP: contract ") && output.contains("cancelled; certificate revoked"), "\(output)")
        #expect(output.contains("-> AuthorizationRes  FAILED_ContractCanceled/Finished"), "\(output)")
        #expect(output.contains("plug and charge authorization refused for "), "\(output)")
        #expect(output.contains("PASS Josev EVCC with the cancelled contract refused"), "\(output)")
    }
}
