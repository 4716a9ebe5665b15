import CSMS
import CSMSServer
import OCPPMessages
import OCPPTransport
import Storage
import Synchronization
import Testing

/// A station with a small device model: OCPPCommCtrlr.HeartbeatInterval (writable, at least 10),
/// SecurityCtrlr.Identity (read-only) and EVSE 1 connector 1's Connector.AvailabilityState (read-only).
final class DeviceModelStation: OCPPCallHandler {
    let values = Mutex<[String: String]>([
        "OCPPCommCtrlr/HeartbeatInterval": "300", "SecurityCtrlr/Identity": "CS-V", "Connector@1.1/AvailabilityState": "Available",
    ])

    static func key(_ component: V201.Component, _ variable: V201.Variable) -> String {
        let evse = component.evse.map { "@\($0.id).\($0.connectorId.map(String.init) ?? "")" } ?? ""
        return component.name + evse + "/" + variable.name
    }

    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        switch action {
        case "SetVariables":
            guard let request = try? V201.SetVariablesRequest(json: payload) else { return .error(.formatViolation, action) }
            let results = request.setVariableData.map { data in
                let key = Self.key(data.component, data.variable)
                let status: V201.SetVariableStatusEnum = values.withLock { values in
                    guard values[key] != nil else { return .unknownComponent }
                    guard key == "OCPPCommCtrlr/HeartbeatInterval" else { return .rejected }
                    guard let seconds = Int(data.attributeValue), seconds >= 10 else { return .rejected }
                    values[key] = data.attributeValue
                    return .accepted
                }
                return V201.SetVariableResult(
                    attributeType: data.attributeType, attributeStatus: status, component: data.component, variable: data.variable)
            }
            return .result(V201.SetVariablesResponse(setVariableResult: results))
        case "GetVariables":
            guard let request = try? V201.GetVariablesRequest(json: payload) else { return .error(.formatViolation, action) }
            let results = request.getVariableData.map { data in
                let value = values.withLock { $0[Self.key(data.component, data.variable)] }
                return V201.GetVariableResult(
                    attributeStatus: value == nil ? .unknownVariable : .accepted, attributeType: data.attributeType,
                    attributeValue: value, component: data.component, variable: data.variable)
            }
            return .result(V201.GetVariablesResponse(getVariableResult: results))
        default: return .error(.notImplemented, action)
        }
    }
}

@Suite(.serialized) struct VariablesTests {
    static func find(_ list: JSONValue, component: String, variable: String) -> JSONValue? {
        guard case .array(let items) = list else { return nil }
        return items.first { $0["component"] == .string(component) && $0["variable"] == .string(variable) }
    }

    @Test("[B05] SetVariables results stored: accepted values kept, refusals stored with their status without losing the value known before; GET /api/v1/stations/{id}/variables returns them")
    func setVariablesStored() async throws {
        try await withCSMSAndHTTP { _, port, httpPort in
            let base = "http://127.0.0.1:\(httpPort)/api/v1"
            try await OCPPClient.withConnection(configuration: station(port: port, id: "CS-V"), handler: DeviceModelStation()) { connection in
                _ = try await connection.call(bootRequest)
                let (status, answer) = try await http(
                    "POST", "\(base)/stations/CS-V/commands/SetVariables",
                    body: #"{"setVariableData":[{"attributeValue":"120","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}},{"attributeValue":"X","component":{"name":"SecurityCtrlr"},"variable":{"name":"Identity"}},{"attributeValue":"1","attributeType":"Target","component":{"name":"Nope","instance":"2"},"variable":{"name":"Thing"}}]}"#)
                #expect(status == 200)
                guard case .array(let results)? = answer["setVariableResult"] else { Issue.record("\(answer)"); return }
                #expect(results.count == 3)

                var (listStatus, list) = try await http("GET", "\(base)/stations/CS-V/variables")
                #expect(listStatus == 200)
                let interval = Self.find(list, component: "OCPPCommCtrlr", variable: "HeartbeatInterval")
                #expect(interval?["value"] == .string("120"))
                #expect(interval?["attributeStatus"] == .string("Accepted"))
                #expect(interval?["attributeType"] == .string("Actual"))
                #expect(interval?["source"] == .string("SetVariables"))
                let identity = Self.find(list, component: "SecurityCtrlr", variable: "Identity")
                #expect(identity?["attributeStatus"] == .string("Rejected"))
                #expect(identity?["value"] == nil)
                let unknown = Self.find(list, component: "Nope", variable: "Thing")
                #expect(unknown?["attributeStatus"] == .string("UnknownComponent"))
                #expect(unknown?["componentInstance"] == .string("2"))
                #expect(unknown?["attributeType"] == .string("Target"))

                // Refused below the minimum: the status changes, the value known to be set stays 120.
                _ = try await http(
                    "POST", "\(base)/stations/CS-V/commands/SetVariables",
                    body: #"{"setVariableData":[{"attributeValue":"5","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}}]}"#)
                (_, list) = try await http("GET", "\(base)/stations/CS-V/variables")
                let refused = Self.find(list, component: "OCPPCommCtrlr", variable: "HeartbeatInterval")
                #expect(refused?["value"] == .string("120"))
                #expect(refused?["attributeStatus"] == .string("Rejected"))
                guard case .array(let all) = list else { Issue.record("not an array"); return }
                #expect(all.count == 3)

                let (otherStatus, other) = try await http("GET", "\(base)/stations/NOPE/variables")
                #expect(otherStatus == 200)
                #expect(other == .array([]))
            }
        }
    }

    @Test("[B06] GetVariables results stored: reported values (with EVSE and connector) and unknown variables are kept per station; OpenAPI describes the route")
    func getVariablesStored() async throws {
        try await withCSMSAndHTTP { app, port, httpPort in
            let base = "http://127.0.0.1:\(httpPort)/api/v1"
            try await OCPPClient.withConnection(configuration: station(port: port, id: "CS-G"), handler: DeviceModelStation()) { connection in
                _ = try await connection.call(bootRequest)
                let (status, _) = try await http(
                    "POST", "\(base)/stations/CS-G/commands/GetVariables",
                    body: #"{"getVariableData":[{"component":{"name":"SecurityCtrlr"},"variable":{"name":"Identity"}},{"component":{"name":"Connector","evse":{"id":1,"connectorId":1}},"variable":{"name":"AvailabilityState"}},{"component":{"name":"OCPPCommCtrlr"},"variable":{"name":"Missing"}}]}"#)
                #expect(status == 200)
                let stored = try await app.store.variables(stationID: "CS-G", limit: 100, offset: 0)
                #expect(stored.count == 3)
                let connector = try #require(stored.first { $0.component == "Connector" })
                #expect(connector.evseID == 1)
                #expect(connector.connectorID == 1)
                #expect(connector.value == "Available")
                #expect(connector.source == .getVariables)
                let (_, list) = try await http("GET", "\(base)/stations/CS-G/variables")
                let identity = Self.find(list, component: "SecurityCtrlr", variable: "Identity")
                #expect(identity?["value"] == .string("CS-V"))
                #expect(identity?["source"] == .string("GetVariables"))
                #expect(Self.find(list, component: "OCPPCommCtrlr", variable: "Missing")?["attributeStatus"] == .string("UnknownVariable"))
                let (_, openAPI) = try await http("GET", "\(base)/openapi.json")
                #expect(openAPI["paths"]?["/api/v1/stations/{id}/variables"]?["get"] != nil)
            }
        }
    }
}
