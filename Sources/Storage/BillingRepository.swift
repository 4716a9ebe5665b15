import EMSP
import Foundation
import SQLKit

/// Stored CDRs and their invoices (one per transaction), SQLite or PostgreSQL through the same store.
extension SQLStore {
    /// The next invoice sequence number of `year` (unique, increasing; durable).
    public func nextInvoiceSequence(year: Int) async throws -> Int64 {
        let name = "invoice-\(year)"
        let box = SequenceBox()
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO counters (name, value) VALUES (\(bind: name), 1)
                ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
                """
            ).run()
            let value = try await db.raw("SELECT value FROM counters WHERE name = \(bind: name)").all().first?
                .decode(column: "value", as: Int64.self)
            box.set(value ?? 0)
            return true
        }
        return box.get()
    }

    /// Stores the invoice with its CDR. Returns false when the transaction already has an invoice (nothing written).
    public func saveInvoice(_ invoice: Invoice, htmlPath: String?) async throws -> Bool {
        let cdr = String(decoding: try JSONEncoder().encode(invoice.cdr), as: UTF8.self)
        let session = invoice.cdr.session
        return try await write { db in
            let inserted = try await db.raw(
                """
                INSERT INTO billing_invoices (invoice_number, station_id, transaction_id, emaid, issued_at,
                total_incl_vat_cents, currency, cdr, html_path)
                VALUES (\(bind: invoice.number), \(bind: session.stationID), \(bind: session.transactionID),
                \(bind: session.eMAID), \(bind: invoice.issuedAt), \(bind: invoice.cdr.totalInclVAT.cents),
                \(bind: invoice.cdr.currency), \(bind: cdr), \(bind: htmlPath))
                ON CONFLICT DO NOTHING RETURNING invoice_number
                """
            ).all()
            return !inserted.isEmpty
        }
    }

    /// The invoice of a transaction, nil when none was issued.
    public func invoice(stationID: String, transactionID: String) async throws -> (invoice: Invoice, htmlPath: String?)? {
        try await invoiceRows(
            reader.raw(
                "SELECT * FROM billing_invoices WHERE station_id = \(bind: stationID) AND transaction_id = \(bind: transactionID)"
            ).all()
        ).first
    }

    /// The invoices of a contract, oldest first.
    public func invoices(eMAID: String) async throws -> [(invoice: Invoice, htmlPath: String?)] {
        try await invoiceRows(
            reader.raw("SELECT * FROM billing_invoices WHERE emaid = \(bind: eMAID) ORDER BY issued_at, invoice_number").all())
    }

    private func invoiceRows(_ rows: [any SQLRow]) async throws -> [(invoice: Invoice, htmlPath: String?)] {
        try rows.map { row in
            let cdr = try JSONDecoder().decode(
                ChargeDetailRecord.self, from: Data(try row.decode(column: "cdr", as: String.self).utf8))
            let invoice = Invoice(
                number: try row.decode(column: "invoice_number", as: String.self), cdr: cdr,
                issuedAt: try row.decode(column: "issued_at", as: Int64.self), issuer: "")
            return (invoice, try row.decode(column: "html_path", as: String?.self))
        }
    }
}

/// Carries a value out of a write operation.
final class SequenceBox: @unchecked Sendable {  // written once inside the write, read after it returned
    private var value: Int64 = 0
    func set(_ value: Int64) { self.value = value }
    func get() -> Int64 { value }
}

/// Writes invoices to the drivers' outbox folder: `<outbox>/<eMAID>/<invoice-number>.html`, atomically.
public struct InvoiceOutbox: Sendable {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// Writes the invoice's HTML and returns the file's path.
    public func write(_ invoice: Invoice) throws -> String {
        let path = folder + "/" + invoice.outboxPath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(invoice.html().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
