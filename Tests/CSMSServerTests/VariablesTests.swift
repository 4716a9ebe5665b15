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

/// A 1.6 station with a few configuration keys (OCPP 1.6 §9.1): HeartbeatInterval (writable, at least 10),
/// NumberOfConnectors (read-only), WebSocketPingInterval (writable, applied after a reboot) and AuthorizationKey
/// (write-only: reported without a value).
final class ConfigurationStation16: OCPPCallHandler {
    let values = Mutex<[String: String]>([
        "HeartbeatInterval": "300", "NumberOfConnectors": "1", "WebSocketPingInterval": "0", "AuthorizationKey": "0011223344556677",
    ])
    static let readonlyKeys: Set<String> = ["NumberOfConnectors"]

    func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        switch action {
        case "ChangeConfiguration":
            guard let request = try? V16.ChangeConfigurationRequest(json: payload) else { return .error(.formatViolation, action) }
            let status: V16.ChangeConfigurationResponse.Status = values.withLock { values in
                guard values[request.key] != nil else { return .notSupported }
                guard !Self.readonlyKeys.contains(request.key) else { return .rejected }
                switch request.key {
                case "HeartbeatInterval":
                    guard let seconds = Int(request.value), seconds >= 10 else { return .rejected }
                    values[request.key] = request.value
                    return .accepted
                case "WebSocketPingInterval":
                    values[request.key] = request.value
                    return .rebootRequired
                default:
                    values[request.key] = request.value
                    return .accepted
                }
            }
            return .result(V16.ChangeConfigurationResponse(status: status))
        case "GetConfiguration":
            guard let request = try? V16.GetConfigurationRequest(json: payload) else { return .error(.formatViolation, action) }
            let values = self.values.withLock { $0 }
            let asked = request.key ?? values.keys.sorted()
            let known = asked.filter { values[$0] != nil }.map { key in
                V16.GetConfigurationResponse.ConfigurationKey(
                    key: key, readonly: Self.readonlyKeys.contains(key), value: key == "AuthorizationKey" ? nil : values[key])
            }
            let unknown = asked.filter { values[$0] == nil }
            return .result(V16.GetConfigurationResponse(configurationKey: known, unknownKey: unknown.isEmpty ? nil : unknown))
        default: return .error(.notImplemented, action)
        }
    }
}

@Suite(.serialized) struct VariablesTests {
    static func find(_ list: JSONValue, component: String, variable: String) -> JSONValue? {
        guard case .array(let items) = list else { return nil }
        return items.first { $0["component"] == .string(component) && $0["variable"] == .string(variable) }
    }

    /// A 1.6 configuration key in the list: no component, the key as `variable`.
    static func key16(_ list: JSONValue, _ key: String) -> JSONValue? {
        guard case .array(let items) = list else { return nil }
        return items.first { $0["component"] == nil && $0["variable"] == .string(key) }
    }

    static let boot16 = V16.BootNotificationRequest(chargePointVendor: "OpenPnC", chargePointModel: "PnC-CS16")

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

    @Test("[OCPP1.6 §5.8 GetConfiguration] a 1.6J station's configurationKey entries (key, readonly, value) and unknownKey entries are stored and listed by GET /api/v1/stations/{id}/variables; a key reported without a value keeps none; asking for all keys adds the others")
    func getConfigurationStored16() async throws {
        try await withCSMSAndHTTP { app, port, httpPort in
            let base = "http://127.0.0.1:\(httpPort)/api/v1"
            try await OCPPClient.withConnection(
                configuration: station(port: port, id: "CP-G16", versions: [.v16]), handler: ConfigurationStation16()
            ) { connection in
                #expect(connection.version == .v16)
                _ = try await connection.call(Self.boot16)
                let (status, answer) = try await http(
                    "POST", "\(base)/stations/CP-G16/commands/GetConfiguration",
                    body: #"{"key":["HeartbeatInterval","NumberOfConnectors","AuthorizationKey","Nope"]}"#)
                #expect(status == 200)
                #expect(answer["unknownKey"] == .array([.string("Nope")]))

                var (listStatus, list) = try await http("GET", "\(base)/stations/CP-G16/variables")
                #expect(listStatus == 200)
                guard case .array(let first) = list else { Issue.record("not an array: \(list)"); return }
                #expect(first.count == 4)
                let interval = Self.key16(list, "HeartbeatInterval")
                #expect(interval?["value"] == .string("300"))
                #expect(interval?["readonly"] == .bool(false))
                #expect(interval?["attributeStatus"] == .string("Accepted"))
                #expect(interval?["source"] == .string("GetConfiguration"))
                #expect(interval?["attributeType"] == nil)
                let connectors = Self.key16(list, "NumberOfConnectors")
                #expect(connectors?["value"] == .string("1"))
                #expect(connectors?["readonly"] == .bool(true))
                let authorizationKey = Self.key16(list, "AuthorizationKey")
                #expect(authorizationKey?["value"] == nil)
                #expect(authorizationKey?["readonly"] == .bool(false))
                let unknown = Self.key16(list, "Nope")
                #expect(unknown?["attributeStatus"] == .string("UnknownKey"))
                #expect(unknown?["value"] == nil)
                #expect(unknown?["readonly"] == nil)

                // Through the data-access layer: the same records as 2.0.1 variables, with an empty component.
                let stored = try await app.store.variables(stationID: "CP-G16", limit: 100, offset: 0)
                let record = try #require(stored.first { $0.variable == "NumberOfConnectors" })
                #expect(record.component == "" && record.evseID == nil && record.connectorID == nil && record.attributeType == "Actual")
                #expect(record.readonly == true && record.source == .getConfiguration)

                // GetConfiguration without keys: every key the station has.
                _ = try await http("POST", "\(base)/stations/CP-G16/commands/GetConfiguration", body: "{}")
                (_, list) = try await http("GET", "\(base)/stations/CP-G16/variables")
                guard case .array(let all) = list else { Issue.record("not an array: \(list)"); return }
                #expect(all.count == 5)
                #expect(Self.key16(list, "WebSocketPingInterval")?["value"] == .string("0"))
                #expect(Self.key16(list, "Nope")?["attributeStatus"] == .string("UnknownKey"))  // not asked again: kept
            }
        }
    }

    @Test("[OCPP1.6 §5.3 ChangeConfiguration] results stored per key: Accepted and RebootRequired make the written value the last known one, Rejected and NotSupported keep the value known before; the readonly flag from GetConfiguration is kept")
    func changeConfigurationStored16() async throws {
        try await withCSMSAndHTTP { _, port, httpPort in
            let base = "http://127.0.0.1:\(httpPort)/api/v1"
            let station16 = ConfigurationStation16()
            try await OCPPClient.withConnection(
                configuration: station(port: port, id: "CP-C16", versions: [.v16]), handler: station16
            ) { connection in
                _ = try await connection.call(Self.boot16)
                _ = try await http(
                    "POST", "\(base)/stations/CP-C16/commands/GetConfiguration", body: #"{"key":["HeartbeatInterval"]}"#)
                func change(_ key: String, _ value: String) async throws -> JSONValue? {
                    let (status, answer) = try await http(
                        "POST", "\(base)/stations/CP-C16/commands/ChangeConfiguration",
                        body: JSONValue.object([JSONMember("key", .string(key)), JSONMember("value", .string(value))]).serializedString)
                    #expect(status == 200)
                    return answer["status"]
                }
                #expect(try await change("HeartbeatInterval", "120") == .string("Accepted"))
                #expect(try await change("WebSocketPingInterval", "30") == .string("RebootRequired"))
                #expect(try await change("NumberOfConnectors", "2") == .string("Rejected"))
                #expect(try await change("Nope", "1") == .string("NotSupported"))

                var (_, list) = try await http("GET", "\(base)/stations/CP-C16/variables")
                let interval = Self.key16(list, "HeartbeatInterval")
                #expect(interval?["value"] == .string("120"))
                #expect(interval?["attributeStatus"] == .string("Accepted"))
                #expect(interval?["source"] == .string("ChangeConfiguration"))
                #expect(interval?["readonly"] == .bool(false))  // from the GetConfiguration before
                let ping = Self.key16(list, "WebSocketPingInterval")
                #expect(ping?["value"] == .string("30"))
                #expect(ping?["attributeStatus"] == .string("RebootRequired"))
                #expect(ping?["readonly"] == nil)  // never reported by GetConfiguration
                let connectors = Self.key16(list, "NumberOfConnectors")
                #expect(connectors?["attributeStatus"] == .string("Rejected"))
                #expect(connectors?["value"] == nil)  // no value was known
                let unknown = Self.key16(list, "Nope")
                #expect(unknown?["attributeStatus"] == .string("NotSupported"))
                #expect(unknown?["value"] == nil)

                // Refused below the minimum: the status changes, the value known to be set stays 120 (as the station's).
                #expect(try await change("HeartbeatInterval", "5") == .string("Rejected"))
                (_, list) = try await http("GET", "\(base)/stations/CP-C16/variables")
                let refused = Self.key16(list, "HeartbeatInterval")
                #expect(refused?["value"] == .string("120"))
                #expect(refused?["attributeStatus"] == .string("Rejected"))
                #expect(station16.values.withLock { $0["HeartbeatInterval"] } == "120")
                guard case .array(let all) = list else { Issue.record("not an array: \(list)"); return }
                #expect(all.count == 4)
            }
        }
    }
}
