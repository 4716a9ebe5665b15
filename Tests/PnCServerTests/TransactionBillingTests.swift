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

    /// Runs a CSMS on 127.0.0.1 (port 0) that bills with the test tariff into a fresh folder, with the RFID card
    /// 04A1B2C3 (group: the contract DE8AA001234567) and that eMAID stored as tokens, for the duration of `body`
    /// (store, billing, CSMS port, folder).
    static func withBillingCSMS(
        _ body: @Sendable (SQLStore, EMSPTransactionBilling, Int, String) async throws -> Void
    ) async throws {
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
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let server = configuration.server
            group.addTask { try await application.run(server: server) { _, port in continuation.yield(port) } }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // The store writes through its writer, which runs with the application.
            try await store.saveToken(IdTokenRecord(idToken: "04A1B2C3", type: "ISO14443", status: "Accepted", groupIdToken: "DE8AA001234567"))
            try await store.saveToken(IdTokenRecord(idToken: try EMAID("DE8AA001234567").normalized, type: "eMAID", status: "Accepted"))
            try await body(store, billing, port, folder)
        }
    }

    /// The invoice of an RFID transaction (card 04A1B2C3, group `contract`) of 10 kWh in 30 minutes: billed to the
    /// contract, priced by the test tariff, its HTML in the outbox.
    static func expectTenKWhInHalfAnHour(_ billed: (invoice: Invoice, htmlPath: String?), contract: String, folder: String) throws {
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
    }

    @Test("[OCPP2.0.1 E01-E09, DESIGN flow 5] Started/Updated/Ended over loopback: the Ended event bills the transaction once (CDR, invoice row, HTML in the outbox); replayed and repeated Ended events do not bill again; a Plug & Charge transaction is billed to its eMAID")
    func billedOnce() async throws {
        let contract = try EMAID("DE8AA001234567").normalized
        try await Self.withBillingCSMS { store, billing, port, folder in
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
                try Self.expectTenKWhInHalfAnHour(billed, contract: contract, folder: folder)
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

    @Test("[OCPP1.6 §4.7/§4.8/§4.10, DESIGN flow 5] a 1.6J station over loopback: StartTransaction, MeterValues (kWh) and StopTransaction with transactionData bill the transaction once (one CDR and invoice with the energy from meterStart to meterStop); the StopTransaction replayed after a reconnect bills nothing more")
    func billedOnce16() async throws {
        let contract = try EMAID("DE8AA001234567").normalized
        try await Self.withBillingCSMS { store, billing, port, folder in
            var client = OCPPClientConfiguration(host: "127.0.0.1", port: port, stationID: "CS-BILL16")  // 30 s call timeout
            client.versions = [.v16]
            let t0 = 1_780_000_000.0
            @Sendable func at(_ seconds: Double) -> OCPPDateTime { OCPPDateTime(secondsSince1970: t0 + seconds) }
            @Sendable func stop(_ transactionID: Int) -> V16.StopTransactionRequest {
                V16.StopTransactionRequest(
                    idTag: "04A1B2C3", meterStop: 11_000, timestamp: at(1_800), transactionId: transactionID, reason: .local,
                    transactionData: [.init(timestamp: at(1_200), sampledValue: [.init(value: "8500", measurand: .energyActiveImportRegister, unit: .wh)])])
            }
            let transactionID = try await OCPPClient.withConnection(configuration: client, handler: SilentStation()) { connection in
                #expect(connection.version == .v16)
                let boot = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-CS16"))
                #expect(boot.status == .accepted)
                let started = try await connection.call(
                    V16.StartTransactionRequest(connectorId: 1, idTag: "04A1B2C3", meterStart: 1_000, timestamp: at(0)))
                #expect(started.idTagInfo.status == .accepted)
                let id = started.transactionId
                _ = try await connection.call(
                    V16.MeterValuesRequest(
                        connectorId: 1, transactionId: id,
                        meterValue: [.init(timestamp: at(900), sampledValue: [.init(value: "6.0", context: .samplePeriodic, measurand: .energyActiveImportRegister, unit: .kWh)])]))
                #expect(try await store.invoice(stationID: "CS-BILL16", transactionID: String(id)) == nil)  // not before StopTransaction
                let stopped = try await connection.call(stop(id))
                #expect(stopped.idTagInfo?.status == .accepted)
                return id
            }
            let billed = try #require(try await store.invoice(stationID: "CS-BILL16", transactionID: String(transactionID)))
            try Self.expectTenKWhInHalfAnHour(billed, contract: contract, folder: folder)  // meterStop 11,000 Wh - meterStart 1,000 Wh
            #expect(billed.invoice.cdr.session.evseID == 1)  // StartTransaction's connector

            // The station reconnects and sends the same StopTransaction again (it had no answer it trusted).
            try await OCPPClient.withConnection(configuration: client, handler: SilentStation()) { connection in
                _ = try await connection.call(V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-CS16"))
                _ = try await connection.call(stop(transactionID))
            }
            #expect(try await store.invoices(eMAID: contract).count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/outbox/\(contract)").count == 1)
            #expect(billing.settled.count == 1)
            #expect(billing.settled.first?.transactionID == String(transactionID))
            let transaction = try #require(try await store.transaction(stationID: "CS-BILL16", transactionID: String(transactionID)))
            #expect(transaction.eventCount == 2)  // StartTransaction and one StopTransaction
            #expect(try await store.invoice(stationID: "CS-BILL16", transactionID: String(transactionID))?.invoice.number == billed.invoice.number)
        }
    }
}
