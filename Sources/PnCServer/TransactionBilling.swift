public import CSMSServer
public import EMSP
import CSMS
import Foundation
import OCPPMessages
import PnCCore
public import Storage
import Synchronization

extension Tariff {
    /// Reads a tariff from JSON (the `pnc csms --tariff` file):
    ///
    ///     {"id": "DC-2026", "currency": "EUR", "energyPricePerKWhMicros": 490000,
    ///      "timePricePerHourMicros": 600000, "sessionFeeMicros": 350000, "vatRateBasisPoints": 1900}
    ///
    /// Prices are in millionths of the currency unit; `timePricePerHourMicros` and `sessionFeeMicros` may be left
    /// out (0). The tariff is checked by pricing an empty session with it.
    /// - Throws: ``PnCServerError`` `configuration` for unreadable JSON, a missing field or an invalid tariff.
    public static func load(json data: Data) throws -> Tariff {
        struct File: Decodable {
            var id: String
            var currency: String
            var energyPricePerKWhMicros: Int64
            var timePricePerHourMicros: Int64?
            var sessionFeeMicros: Int64?
            var vatRateBasisPoints: Int64
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw PnCServerError(.configuration, "tariff JSON: \(error)", cause: error)
        }
        let tariff = Tariff(
            id: file.id, currency: file.currency, energyPricePerKWhMicros: file.energyPricePerKWhMicros,
            timePricePerHourMicros: file.timePricePerHourMicros ?? 0, sessionFeeMicros: file.sessionFeeMicros ?? 0,
            vatRateBasisPoints: file.vatRateBasisPoints)
        do {
            _ = try Pricing.price(
                FinishedSession(transactionID: "check", stationID: "check", evseID: 1, eMAID: "check", start: 0, stop: 0, energyWh: 0),
                tariff: tariff, cdrID: "check")
        } catch {
            throw PnCServerError(.configuration, "tariff \(file.id): \(error.detail)", cause: error)
        }
        return tariff
    }
}

/// What one settlement did.
public struct SettledTransaction: Sendable, Hashable {
    public var stationID: String
    public var transactionID: String
    public var invoiceNumber: String
    public var htmlPath: String
    public var milliseconds: Double
}

/// The CSMS's ``CSMSServer/TransactionSettlement`` by the eMSP's billing: an ended transaction is priced with the
/// tariff into a CDR, an invoice is numbered (yearly sequence), its HTML written to the outbox
/// (`<outbox>/<eMAID>/<number>.html`) and both stored, once per transaction.
///
/// The account billed: the eMAID of a Plug & Charge transaction (idToken type `eMAID`, `AUTH_REQUEST`); for any other
/// token (EIM, `WHITELIST`), the eMAID in the token's `groupIdToken` when it is one, else the token itself. Energy is
/// the rise of the transaction's `Energy.Active.Import.Register` samples (Wh or kWh), duration from the first to the
/// last event.
public final class EMSPTransactionBilling: TransactionSettlement {
    public let store: SQLStore
    public let tariff: Tariff
    public let outbox: InvoiceOutbox
    public let issuer: String
    public let invoicePrefix: String
    private let settledLog = Mutex<[SettledTransaction]>([])

    public init(store: SQLStore, tariff: Tariff, outbox: InvoiceOutbox, issuer: String = "OpenPnC Mobility", invoicePrefix: String = "OPNC") {
        self.store = store
        self.tariff = tariff
        self.outbox = outbox
        self.issuer = issuer
        self.invoicePrefix = invoicePrefix
    }

    /// Transactions this instance billed, oldest first.
    public var settled: [SettledTransaction] { settledLog.withLock { $0 } }

    public func transactionEnded(stationID: String, transactionID: String, traceID: String) async throws -> String? {
        let start = ContinuousClock.now
        if try await store.invoice(stationID: stationID, transactionID: transactionID) != nil { return nil }
        guard let record = try await store.transaction(stationID: stationID, transactionID: transactionID),
            let started = record.startedAt, let ended = record.endedAt
        else { return nil }
        guard let (account, authMethod) = try await account(of: record) else { return nil }
        let registers = try await store.meterSamples(stationID: stationID, transactionID: transactionID, limit: 10_000)
            .filter { $0.measurand == "Energy.Active.Import.Register" && $0.phase == nil }
            .map { $0.unit?.lowercased() == "kwh" ? $0.value * 1000 : $0.value }
        let energy = max(0, (registers.max() ?? 0) - (registers.min() ?? 0))
        let startSeconds = Int64(started.secondsSince1970.rounded())
        let session = FinishedSession(
            transactionID: transactionID, stationID: stationID, evseID: record.evseID ?? 1, eMAID: account,
            start: startSeconds, stop: max(startSeconds, Int64(ended.secondsSince1970.rounded())),
            energyWh: Int64(energy.rounded()), authMethod: authMethod)
        let cdr = try Pricing.price(session, tariff: tariff, cdrID: "CDR-\(stationID)-\(transactionID)")
        let year = Invoice.year(session.stop)
        let invoice = Invoice(
            number: Invoice.number(prefix: invoicePrefix, year: year, sequence: try await store.nextInvoiceSequence(year: year)),
            cdr: cdr, issuedAt: session.stop, issuer: issuer)
        // The file first, then the row; a row already there (a concurrent replay) wins and the file is removed.
        let path = try outbox.write(invoice)
        guard try await store.saveInvoice(invoice, htmlPath: path) else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
        let elapsed = ContinuousClock.now - start
        let settled = SettledTransaction(
            stationID: stationID, transactionID: transactionID, invoiceNumber: invoice.number, htmlPath: path,
            milliseconds: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        settledLog.withLock { $0.append(settled) }
        return "\(invoice.number) for \(account): \(cdr.totalEnergyKWh) kWh, \(cdr.totalInclVAT) incl. VAT → \(path)"
    }

    /// The account and OCPI auth method of a transaction; nil when it carries no token (not billed).
    func account(of record: TransactionRecord) async throws -> (String, String)? {
        guard let token = record.idToken, !token.isEmpty else { return nil }
        var type: String?
        for event in try await store.events(stationID: record.stationID, transactionID: record.transactionID)
        where event.idToken == token {
            type = (try? JSONValue.parse(event.payload))?["idToken"]?["type"]?.stringValue
            if type != nil { break }
        }
        if type == "eMAID" { return ((try? EMAID(token))?.normalized ?? token, "AUTH_REQUEST") }
        if let group = try await store.token(token)?.groupIdToken, let emaid = try? EMAID(group) {
            return (emaid.normalized, "WHITELIST")
        }
        return (token, "WHITELIST")
    }
}
