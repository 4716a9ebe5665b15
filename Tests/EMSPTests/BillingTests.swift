import EMSP
import Foundation
import Testing

let tariff = Tariff(
    id: "AC-DE-STD", currency: "EUR", energyPricePerKWhMicros: 394_900, timePricePerHourMicros: 1_200_000,
    sessionFeeMicros: 500_000, vatRateBasisPoints: 1900)
let session = FinishedSession(
    transactionID: "tx-1", stationID: "CS-1", evseID: 2, eMAID: "DE-8AA-001234567-0", start: 1_767_225_600,
    stop: 1_767_225_600 + 2850, energyWh: 23_456)

@Suite("Billing: tariff pricing in exact cents, VAT, CDR, HTML invoice and outbox")
struct BillingTests {
    @Test("[DESIGN flow 5] price lines rounded half-up to cents, VAT on the net total")
    func pricing() throws {
        let cdr = try Pricing.price(session, tariff: tariff, cdrID: "CDR-1")
        #expect(cdr.lines.map(\.dimension) == ["ENERGY", "TIME", "FLAT"])
        #expect(cdr.lines.map(\.amount.cents) == [926, 95, 50])  // 9.262774 → 9.26; 0.95; 0.50
        #expect(cdr.totalExclVAT.cents == 1071)
        #expect(cdr.vat.cents == 203)  // 10.71 × 19 % = 2.0349
        #expect(cdr.totalInclVAT.cents == 1274)
        #expect(cdr.totalInclVAT.description == "12.74 EUR")
        #expect(cdr.totalEnergyKWh == "23.456")
        #expect(cdr.totalTimeHours == "0.7917")
    }

    @Test("[DESIGN flow 5] half a cent rounds up, zero prices give no line, bad input is a typed error")
    func rounding() throws {
        let unit = Tariff(id: "T", currency: "EUR", energyPricePerKWhMicros: 1_000_000, vatRateBasisPoints: 1900)
        var small = session
        small.energyWh = 5  // 0.5 cent
        let cdr = try Pricing.price(small, tariff: unit, cdrID: "CDR-2")
        #expect(cdr.lines.count == 1)
        #expect(cdr.totalExclVAT.cents == 1)
        #expect(cdr.vat.cents == 0)  // 0.19 cent
        var backwards = session
        backwards.stop = session.start - 1
        #expect(throws: EMSPError.self) { try Pricing.price(backwards, tariff: tariff, cdrID: "x") }
        #expect((try? Pricing.price(backwards, tariff: tariff, cdrID: "x")) == nil)
        var badTariff = tariff
        badTariff.currency = "euro"
        do {
            _ = try Pricing.price(session, tariff: badTariff, cdrID: "x")
            Issue.record("a bad currency was accepted")
        } catch {
            #expect(error.code == .invalidParameter && error.detail.hasPrefix("tariff:"))
        }
        var huge = session
        huge.energyWh = -1
        do {
            _ = try Pricing.price(huge, tariff: tariff, cdrID: "x")
            Issue.record("negative energy was accepted")
        } catch {
            #expect(error.code == .invalidParameter && error.detail.contains("invalid energy"))
        }
    }

    @Test("[DESIGN flow 5] the HTML invoice carries every field, escaped, with its outbox path <eMAID>/<number>.html")
    func invoice() throws {
        var hostile = session
        hostile.stationID = "CS-<script>"
        let cdr = try Pricing.price(hostile, tariff: tariff, cdrID: "CDR-1")
        let invoice = Invoice(
            number: Invoice.number(prefix: "OPNC", year: Invoice.year(hostile.stop), sequence: 42), cdr: cdr,
            issuedAt: hostile.stop + 60, issuer: "OpenPnC Mobility")
        #expect(invoice.number == "OPNC-2026-000042")
        let html = invoice.html()
        for fragment in [
            "Invoice OPNC-2026-000042", "DE-8AA-001234567-0", "CS-&lt;script&gt;", "23.456 kWh", "0 h 47 min",
            "2026-01-01T00:00:00Z", "2026-01-01T00:47:30Z", "9.26 EUR", "0.95 EUR", "0.50 EUR", "10.71 EUR",
            "VAT 19.00 %", "2.03 EUR", "12.74 EUR",
        ] {
            #expect(html.contains(fragment), "missing \(fragment)")
        }
        #expect(!html.contains("<script>"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-outbox-\(UUID().uuidString)").path
        #expect(invoice.outboxPath == "DE-8AA-001234567-0/OPNC-2026-000042.html")
        _ = folder
    }
}
