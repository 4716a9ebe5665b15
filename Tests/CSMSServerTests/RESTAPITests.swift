import CSMS
import CSMSServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OCPPMessages
import OCPPTransport
import Testing

func http(_ method: String, _ url: String, body: String? = nil) async throws -> (Int, JSONValue) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    if let body {
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, try JSONValue.parse([UInt8](data)))
}

@Suite(.serialized) struct RESTAPITests {
    @Test("REST API: stations with connectors, transactions, meter values, remote RequestStartTransaction, OpenAPI document")
    func restAPI() async throws {
        try await withCSMSAndHTTP { app, port, httpPort in
            let base = "http://127.0.0.1:\(httpPort)/api/v1"
            try await OCPPClient.withConnection(configuration: station(port: port, id: "CS-R"), handler: RecordingStation()) { connection in
                _ = try await connection.call(bootRequest)
                _ = try await connection.call(V201.StatusNotificationRequest(timestamp: wallClock(), connectorStatus: .available, evseId: 1, connectorId: 1))
                _ = try await connection.call(
                    V201.TransactionEventRequest(
                        eventType: .started,
                        meterValue: [.init(sampledValue: [.init(value: 42, measurand: .energyActiveImportRegister, unitOfMeasure: .init(unit: "Wh"))], timestamp: wallClock())],
                        timestamp: wallClock(), triggerReason: .authorized, seqNo: 0, transactionInfo: .init(transactionId: "TX-R")))

                let (listStatus, list) = try await http("GET", "\(base)/stations")
                #expect(listStatus == 200)
                guard case .array(let stations) = list else { Issue.record("not an array"); return }
                #expect(stations.first?["id"] == .string("CS-R"))
                #expect(stations.first?["connected"] == .bool(true))

                let (_, detail) = try await http("GET", "\(base)/stations/CS-R")
                guard case .array(let connectors)? = detail["connectors"] else { Issue.record("no connectors"); return }
                #expect(connectors.first?["status"] == .string("Available"))

                let (_, transactions) = try await http("GET", "\(base)/transactions?station=CS-R")
                guard case .array(let txs) = transactions else { Issue.record("not an array"); return }
                #expect(txs.first?["transactionId"] == .string("TX-R"))

                let (_, samples) = try await http("GET", "\(base)/stations/CS-R/transactions/TX-R/meter-values")
                guard case .array(let values) = samples else { Issue.record("not an array"); return }
                #expect(values.first?["value"] == .double(42))

                let (startStatus, start) = try await http(
                    "POST", "\(base)/stations/CS-R/commands/RequestStartTransaction",
                    body: #"{"idToken":{"idToken":"A1","type":"Central"},"remoteStartId":7}"#)
                #expect(startStatus == 200)
                #expect(start["status"] == .string("Accepted"))

                let (invalidStatus, _) = try await http("POST", "\(base)/stations/CS-R/commands/RequestStartTransaction", body: #"{"remoteStartId":"x"}"#)
                #expect(invalidStatus == 400)
                let (offlineStatus, _) = try await http("POST", "\(base)/stations/NOPE/commands/Reset", body: #"{"type":"Immediate"}"#)
                #expect(offlineStatus == 409)
                let (missingStatus, _) = try await http("GET", "\(base)/stations/NOPE")
                #expect(missingStatus == 404)
                let (openAPIStatus, openAPI) = try await http("GET", "\(base)/openapi.json")
                #expect(openAPIStatus == 200)
                #expect(openAPI["openapi"] == .string("3.1.0"))
            }
            _ = app
        }
    }
}
