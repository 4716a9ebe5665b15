import CSMS
import CSMSServer
import EMSP
import Foundation
import Logging
import OCPPMessages
import OCPPTransport
import PnCCore
import PnCServer
import Storage
import Testing

/// A station that answers the CSMS's own CALLs with NotImplemented (none are expected here).
struct SilentStation: OCPPCallHandler {
    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        .error(.notImplemented, action)
    }
}

@Suite("Billing on the CSMS transaction path (EMSPTransactionBilling)")
struct TransactionBillingTests {
    /// 0.49 EUR/kWh, 0.60 EUR/h, 0.35 EUR per session, 19 % VAT.
    static let tariffJSON = #"{"id": "DC-TEST", "currency": "EUR", "energyPricePerKWhMicros": 490000, "timePricePerHourMicros": 600000, "sessionFeeMicros": 350000, "vatRateBasisPoints": 1900}"#

    @Test("[DESIGN flow 5] tariff JSON: optional time and session prices, invalid tariffs refused with a configuration error")
    func tariffFile() throws {
        let tariff = try Tariff.load(json: Data(Self.tariffJSON.utf8))
        #expect(tariff.energyPricePerKWhMicros == 490_000 && tariff.timePricePerHourMicros == 600_000)
        #expect(tariff.sessionFeeMicros == 350_000 && tariff.vatRateBasisPoints == 1900)
        let minimal = try Tariff.load(json: Data(#"{"id":"E","currency":"EUR","energyPricePerKWhMicros":1,"vatRateBasisPoints":0}"#.utf8))
        #expect(minimal.timePricePerHourMicros == 0 && minimal.sessionFeeMicros == 0)
        for bad in [
            #"{"id":"E","currency":"euro","energyPricePerKWhMicros":1,"vatRateBasisPoints":0}"#,
            #"{"id":"E","currency":"EUR","energyPricePerKWhMicros":-1,"vatRateBasisPoints":0}"#,
            #"{"id":"E","currency":"EUR","vatRateBasisPoints":0}"#,
            "not json",
        ] {
            #expect { try Tariff.load(json: Data(bad.utf8)) } throws: { ($0 as? PnCServerError)?.code == .configuration }
        }
    }

    @Test("[OCPP2.0.1 E01-E09, DESIGN flow 5] Started/Updated/Ended over loopback: the Ended event bills the transaction once (CDR, invoice row, HTML in the outbox); replayed and repeated Ended events do not bill again; a Plug & Charge transaction is billed to its eMAID")
    func billedOnce() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-billing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let logger = Logger(label: "test.billing")
        let store = try await SQLStore.openSQLite(path: folder + "/csms.sqlite", logger: logger)
        let billing = EMSPTransactionBilling(
            store: store, tariff: try Tariff.load(json: Data(Self.tariffJSON.utf8)), outbox: InvoiceOutbox(folder: folder + "/outbox"))
        var configuration = CSMSApplicationConfiguration()
        configuration.server.port = 0
        configuration.server.securityProfile = .unsecured
        let application = CSMSApplication(
            configuration: configuration, store: store, certificateAuthority: nil, settlement: billing, logger: logger,
            now: { OCPPDateTime(secondsSince1970: Date().timeIntervalSince1970) })
        let contract = try EMAID("DE8AA001234567").normalized
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let server = configuration.server
            group.addTask { try await application.run(server: server) { _, port in continuation.yield(port) } }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // The store writes through its writer, which runs with the application.
            try await store.saveToken(IdTokenRecord(idToken: "04A1B2C3", type: "ISO14443", status: "Accepted", groupIdToken: "DE8AA001234567"))
            try await store.saveToken(IdTokenRecord(idToken: contract, type: "eMAID", status: "Accepted"))
            let client = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: "CS-BILL")  // 30 s call timeout
            let t0 = 1_780_000_000.0
            @Sendable func event(
                _ type: V201.TransactionEventEnum, _ seqNo: Int, wh: Double, at seconds: Double, transaction: String,
                token: V201.IdToken?
            ) -> V201.TransactionEventRequest {
                let time = OCPPDateTime(secondsSince1970: t0 + seconds)
                return V201.TransactionEventRequest(
                    eventType: type,
                    meterValue: [.init(sampledValue: [.init(value: wh, measurand: .energyActiveImportRegister)], timestamp: time)],
                    timestamp: time, triggerReason: type == .started ? .authorized : .meterValuePeriodic, seqNo: seqNo,
                    transactionInfo: .init(transactionId: transaction), evse: .init(id: 1, connectorId: 1), idToken: token)
            }
            try await OCPPClient.withConnection(configuration: client, handler: SilentStation()) { connection in
                _ = try await connection.call(V201.BootNotificationRequest(
                    chargingStation: .init(serialNumber: "SN-B", model: "PnC-CS", vendorName: "OpenPnC"), reason: .powerUp))
                let rfid = V201.IdToken(idToken: "04A1B2C3", type: .iso14443)
                _ = try await connection.call(event(.started, 0, wh: 1_000, at: 0, transaction: "TX-EIM", token: rfid))
                _ = try await connection.call(event(.updated, 1, wh: 6_000, at: 900, transaction: "TX-EIM", token: nil))
                #expect(try await store.invoice(stationID: "CS-BILL", transactionID: "TX-EIM") == nil)  // not before Ended
                let ended = event(.ended, 2, wh: 11_000, at: 1_800, transaction: "TX-EIM", token: nil)
                _ = try await connection.call(ended)
                let billed = try #require(try await store.invoice(stationID: "CS-BILL", transactionID: "TX-EIM"))
                let cdr = billed.invoice.cdr
                #expect(cdr.session.eMAID == contract)  // the RFID card's group is the driver's contract
                #expect(cdr.session.authMethod == "WHITELIST")
                #expect(cdr.session.energyWh == 10_000)
                #expect(cdr.session.durationSeconds == 1_800)
                // 10 kWh × 0.49 + 0.5 h × 0.60 + 0.35 = 5.55 net; VAT 19 % = 1.05; total 6.60 EUR.
                #expect(cdr.totalExclVAT.cents == 555)
                #expect(cdr.vat.cents == 105)
                #expect(cdr.totalInclVAT.cents == 660)
                let path = try #require(billed.htmlPath)
                #expect(path == folder + "/outbox/\(contract)/\(billed.invoice.number).html")
                #expect(try String(contentsOfFile: path, encoding: .utf8).contains("6.60"))
                // The same Ended again (a replay from the journal) and a second Ended with a new seqNo: no new invoice.
                _ = try await connection.call(ended)
                _ = try await connection.call(event(.ended, 3, wh: 11_000, at: 1_800, transaction: "TX-EIM", token: nil))
                #expect(try await store.invoices(eMAID: contract).count == 1)
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/outbox/\(contract)").count == 1)
                #expect(billing.settled.count == 1)

                // A Plug & Charge transaction: the idToken is the eMAID.
                let emaid = V201.IdToken(idToken: contract, type: .eMAID)
                _ = try await connection.call(event(.started, 0, wh: 20_000, at: 3_600, transaction: "TX-PNC", token: emaid))
                _ = try await connection.call(event(.ended, 1, wh: 42_500, at: 5_400, transaction: "TX-PNC", token: nil))
                let pnc = try #require(try await store.invoice(stationID: "CS-BILL", transactionID: "TX-PNC"))
                #expect(pnc.invoice.cdr.session.authMethod == "AUTH_REQUEST")
                #expect(pnc.invoice.cdr.session.energyWh == 22_500)
                #expect(pnc.invoice.number != billed.invoice.number)
                #expect(try await store.invoices(eMAID: contract).count == 2)
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/outbox/\(contract)").count == 2)
            }
        }
    }
}
