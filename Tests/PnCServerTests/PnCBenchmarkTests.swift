import Foundation
import Logging
import PnCServer
import Testing

extension DemoRuns {
    @Suite("pnc bench pnc: the report of a short run")
    struct PnCBenchmarkTests {
        @Test("[ISO15118-2 V2G2-897 V2G2-475, OCPP2.0.1 M02 C07] a few runs of each series give a well-formed report (no timing asserted)")
        func shortRun() async throws {
            let folder = demoFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let report = try await PnCBenchmark.run(runs: 3, workDirectory: folder, logger: Logger(label: "test.bench.pnc"))
            #expect(report.runs == 3)
            #expect(report.series.map(\.name) == ["installation", "authorization-cached", "authorization-uncached"])
            for series in report.series {
                #expect(series.samples.count == 3)
                #expect(series.samples.allSatisfy { $0 > 0 && $0.isFinite })
                #expect(series.minimum <= series.p50 && series.p50 <= series.p99 && series.p99 <= series.maximum)
                #expect(series.p99 == series.maximum)  // nearest rank of 3 samples
            }
            #expect(report.series.map(\.targetP99Milliseconds) == [100, 20, 20])
            // Uncached: every run fetched the three certificates of the contract chain from the responder; cached: one
            // warm-up run fetched them, every timed run was served from the cache.
            #expect(report.ocspFetches == 3 * 3 + 3)
            #expect(report.ocspCacheHits == 3 * 3)
            let text = PnCBenchmark.render(report, build: "debug")
            #expect(text.contains("installation: p50 "))
            #expect(text.contains("authorization-uncached: p50 "))
            #expect(text.split(separator: "\n").count == 1 + 2 * 3 + 1 + report.checks.count)
        }

        @Test("percentiles are nearest-rank")
        func percentiles() {
            let series = PnCBenchmarkReport.Series(
                name: "x", path: "", targetP99Milliseconds: 1, samples: (1...200).reversed().map(Double.init))
            #expect(series.p50 == 100)
            #expect(series.p99 == 198)
            #expect(series.minimum == 1 && series.maximum == 200)
        }
    }
}
