import Foundation
import PnCTesting
import ISO15118EVCC
import ISO15118SECC
import ISO15118Station
import ISO20Messages
import ISO2Messages
import Logging
import SAPMessages
import Testing
import V2GSecurity
import V2GTransport

/// `pnc bench v2g` (``V2GSessionBenchmark``): a few sessions of each series, from the SDP request over loopback; the
/// report's shape is checked, never its timing. The vehicle's response windows are at least 30 s here, so that a loaded
/// machine cannot fail a session on the 0.25 s CurrentDemandRes window.
@Suite struct V2GSessionBenchmarkTests {
    static func check(_ report: V2GSessionBenchmark.Report, sessions: Int, start: String) {
        #expect(report.sessions == sessions)
        #expect(report.series.count == 3)
        #expect(report.series.map { $0.name.components(separatedBy: " → ").first } == [start, start, start])
        #expect(report.series.first?.name == "\(start) → first PowerDeliveryRes")
        #expect(report.series.dropFirst().first?.name == "\(start) → SessionStopRes")
        for series in report.series {
            #expect(series.samples.count == sessions)
            #expect(series.samples.allSatisfy { $0 > 0 && $0.isFinite })
            #expect(series.minimum <= series.p50 && series.p50 <= series.p99 && series.p99 <= series.maximum)
        }
        if report.series.count == 3 {
            // Per session: connected before the first PowerDeliveryRes, which comes before SessionStopRes.
            for index in 0..<sessions {
                #expect(report.series[2].samples[index] < report.series[0].samples[index])
                #expect(report.series[0].samples[index] < report.series[1].samples[index])
            }
        }
        let text = V2GSessionBenchmark.render(report)
        #expect(text.split(separator: "\n").count == 3)
        #expect(text.contains("\(report.label) sessions=\(sessions) \(start) → first PowerDeliveryRes: median "))
        #expect(text.contains(" ms, p99 "))
    }

    @Test("[ISO 15118-2 §7.10.1] -2 DC EIM over TCP from the SDP request: a few sessions give a well-formed report (no timing asserted)")
    func iso2FromSDP() async throws {
        let setup = V2GSessionBenchmark.Setup(
            family: .iso2, server: .tcp, client: .tcp, secc: SECCConfiguration(evseID: "DE*PNC*E1"),
            backend: LocalChargingBackend(), timers: EVCCResponseTimerTests.loaded)
        let report = try await V2GSessionBenchmark.run(setup, sessions: 3, label: "iso2 DC TCP EIM", logger: Logger(label: "test.bench.v2g"))
        Self.check(report, sessions: 3, start: "SDP request")
        #expect(report.fromSDP)
    }

    @Test("[ISO 15118-2 §7.10.1, ISO 15118-20 DC] -20 DC over TLS 1.3 mutual, EIM and Plug & Charge, from the SDP request and from the connect: well-formed reports (no timing asserted)")
    func iso20() async throws {
        let cpo = try TestChain(domain: "V2G", curve: .p521)
        let oem = try TestChain(domain: "OEM", curve: .p521)
        let pki = try ContractPKI(notBefore: Date().addingTimeInterval(-3600))
        let contract = ISO20EVCCContract(
            eMAID: "DEABCC00000001", chainDER: try pki.chain.map { try pki.der($0) }, key: .p521(pki.contractKey))
        for pnc in [false, true] {
            var secc = SECCConfiguration(
                evseID: "DE*PNC*E1", paymentOptions: pnc ? [.contract] : [.externalPayment], protocols: [.iso20DC])
            if pnc { secc.iso20PnC = ISO20PnCConfiguration(moRoots: [pki.root]) }
            let setup = V2GSessionBenchmark.Setup(
                family: .iso20,
                server: .tls(try V2GTLSServerProfile.iso15118_20(identities: [cpo.identity], vehicleTrustRoots: [oem.root])),
                client: .tls(try V2GTLSClientProfile.iso15118_20(v2gRoots: [cpo.root], identity: oem.identity)),
                secc: secc, backend: pnc ? ContractBackend(accepted: ["DEABCC00000001"]) : LocalChargingBackend(),
                iso20Contracts: pnc ? [contract] : [], fromSDP: !pnc,
                timers: EVCCResponseTimerTests.loaded)
            let label = "iso20 DC TLS 1.3 \(pnc ? "PnC" : "EIM")"
            let report = try await V2GSessionBenchmark.run(setup, sessions: 2, label: label, logger: Logger(label: "test.bench.v2g"))
            Self.check(report, sessions: 2, start: pnc ? "connect" : "SDP request")
        }
    }

    @Test("A session count out of range is refused with invalidConfiguration; percentiles are nearest-rank")
    func boundsAndPercentiles() async throws {
        let setup = V2GSessionBenchmark.Setup(
            family: .iso2, server: .tcp, client: .tcp, secc: SECCConfiguration(evseID: "DE*PNC*E1"), backend: LocalChargingBackend(),
            timers: EVCCResponseTimerTests.loaded)
        await #expect {
            _ = try await V2GSessionBenchmark.run(setup, sessions: 0, label: "x", logger: Logger(label: "test.bench.v2g"))
        } throws: { ($0 as? ISO15118StationError)?.code == .invalidConfiguration }
        let series = V2GSessionBenchmark.Series(name: "x", samples: (1...200).reversed().map(Double.init))
        #expect(series.p50 == 101)  // index round(199 · 0.5) = 100 (rounded half away from zero)
        #expect(series.p99 == 198)
        #expect(series.minimum == 1 && series.maximum == 200)
    }
}
