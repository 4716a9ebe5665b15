import EMSP
import Foundation
import Logging
import Storage
import Testing

private let tariff = Tariff(
    id: "AC-DE-STD", currency: "EUR", energyPricePerKWhMicros: 394_900, timePricePerHourMicros: 1_200_000,
    sessionFeeMicros: 500_000, vatRateBasisPoints: 1900)
private let session = FinishedSession(
    transactionID: "tx-1", stationID: "CS-1", evseID: 2, eMAID: "DE-8AA-001234567-0", start: 1_767_225_600,
    stop: 1_767_225_600 + 2850, energyWh: 23_456)

@Suite("Billing storage: invoice repository and outbox writer")
struct BillingRepositoryTests {
    @Test("[DESIGN flow 5] the invoice is written to <outbox>/<eMAID>/<number>.html")
    func outbox() throws {
        let cdr = try Pricing.price(session, tariff: tariff, cdrID: "CDR-1")
        let invoice = Invoice(number: "OPNC-2026-000042", cdr: cdr, issuedAt: session.stop, issuer: "OpenPnC")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-outbox-\(UUID().uuidString)").path
        let path = try InvoiceOutbox(folder: folder).write(invoice)
        #expect(path == folder + "/DE-8AA-001234567-0/OPNC-2026-000042.html")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == invoice.html())
    }

    @Test("[DESIGN flow 5] CDR and invoice stored once per transaction with increasing invoice numbers (SQLite)")
    func repository() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-billing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = try await SQLStore.openSQLite(path: folder + "/csms.sqlite", logger: Logger(label: "test.billing"))
        let runner = Task { await store.run() }
        let first = try await store.nextInvoiceSequence(year: 2026)
        let second = try await store.nextInvoiceSequence(year: 2026)
        #expect(second == first + 1)
        let cdr = try Pricing.price(session, tariff: tariff, cdrID: "CDR-1")
        let invoice = Invoice(
            number: Invoice.number(prefix: "OPNC", year: 2026, sequence: first), cdr: cdr, issuedAt: session.stop,
            issuer: "OpenPnC")
        #expect(try await store.saveInvoice(invoice, htmlPath: "/tmp/x.html"))
        var duplicate = invoice
        duplicate.number = Invoice.number(prefix: "OPNC", year: 2026, sequence: second)
        #expect(try await store.saveInvoice(duplicate, htmlPath: nil) == false)
        let stored = try #require(try await store.invoice(stationID: "CS-1", transactionID: "tx-1"))
        #expect(stored.invoice.number == invoice.number)
        #expect(stored.invoice.cdr == cdr)
        #expect(stored.htmlPath == "/tmp/x.html")
        #expect(try await store.invoices(eMAID: session.eMAID).count == 1)
        runner.cancel()
        try await store.close()
    }
}
