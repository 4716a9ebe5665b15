import OCPPMessages

extension CentralSystem {
    /// B05/B06 (2.0.1) and 1.6 §5.3/§5.8: the variable reports in a station's answer to SetVariables or GetVariables,
    /// or the configuration keys in its answer to ChangeConfiguration or GetConfiguration, to store.
    /// SetVariables and ChangeConfiguration results carry no value: the value written is taken from the request and
    /// kept only when the station Accepted it or needs a reboot for it (``valueKnownAfterWrite(_:status:)``, the same
    /// rule for both versions). A 1.6 GetConfiguration gives one record per configurationKey (status `Accepted`, its
    /// value and readonly flag) and per unknownKey (status `UnknownKey`, no value).
    /// Answers that are none of these give no records.
    public func reportedVariables(call: CSMSCall, result: JSONValue, stationID: String, version: OCPPVersion) -> [VariableRecord] {
        let time = now()
        switch (version, call.action) {
        case (.v201, V201.SetVariablesRequest.action):
            guard let request = try? V201.SetVariablesRequest(json: call.payload),
                let response = try? V201.SetVariablesResponse(json: result)
            else { return [] }
            var written: [VariableKey: String] = [:]
            for data in request.setVariableData {
                written[VariableKey(data.component, data.variable, data.attributeType)] = data.attributeValue
            }
            return response.setVariableResult.map { item in
                let status = item.attributeStatus.rawValue
                return Self.record(
                    stationID: stationID, component: item.component, variable: item.variable, attributeType: item.attributeType,
                    value: Self.valueKnownAfterWrite(written[VariableKey(item.component, item.variable, item.attributeType)], status: status),
                    status: status, source: .setVariables, at: time)
            }
        case (.v201, V201.GetVariablesRequest.action):
            guard let response = try? V201.GetVariablesResponse(json: result) else { return [] }
            return response.getVariableResult.map { item in
                Self.record(
                    stationID: stationID, component: item.component, variable: item.variable, attributeType: item.attributeType,
                    value: item.attributeStatus == .accepted ? item.attributeValue : nil,
                    status: item.attributeStatus.rawValue, source: .getVariables, at: time)
            }
        case (.v16, V16.ChangeConfigurationRequest.action):
            guard let request = try? V16.ChangeConfigurationRequest(json: call.payload),
                let response = try? V16.ChangeConfigurationResponse(json: result)
            else { return [] }
            let status = response.status.rawValue
            return [
                VariableRecord(
                    stationID: stationID, configurationKey: request.key, readonly: nil,
                    value: Self.valueKnownAfterWrite(request.value, status: status), attributeStatus: status,
                    source: .changeConfiguration, reportedAt: time)
            ]
        case (.v16, V16.GetConfigurationRequest.action):
            guard let response = try? V16.GetConfigurationResponse(json: result) else { return [] }
            let known = (response.configurationKey ?? []).map { item in
                VariableRecord(
                    stationID: stationID, configurationKey: item.key, readonly: item.readonly, value: item.value,
                    attributeStatus: Self.configurationKeyReported, source: .getConfiguration, reportedAt: time)
            }
            let unknown = (response.unknownKey ?? []).map { key in
                VariableRecord(
                    stationID: stationID, configurationKey: key, readonly: nil, value: nil,
                    attributeStatus: Self.configurationKeyUnknown, source: .getConfiguration, reportedAt: time)
            }
            return known + unknown
        default:
            return []
        }
    }

    /// The status stored for a key a 1.6 station listed in GetConfiguration's configurationKey.
    public static let configurationKeyReported = "Accepted"
    /// The status stored for a key a 1.6 station listed in GetConfiguration's unknownKey.
    public static let configurationKeyUnknown = "UnknownKey"

    /// The value known to be set after a write (2.0.1 SetVariables, 1.6 ChangeConfiguration): the value written when
    /// the station answered `Accepted` or `RebootRequired` (both versions spell them alike), nil for a refusal.
    static func valueKnownAfterWrite(_ written: String?, status: String) -> String? {
        status == "Accepted" || status == "RebootRequired" ? written : nil
    }

    static func record(
        stationID: String, component: V201.Component, variable: V201.Variable, attributeType: V201.AttributeEnum?,
        value: String?, status: String, source: VariableRecord.Source, at time: OCPPDateTime
    ) -> VariableRecord {
        VariableRecord(
            stationID: stationID, component: component.name, componentInstance: component.instance,
            evseID: component.evse?.id, connectorID: component.evse?.connectorId, variable: variable.name,
            variableInstance: variable.instance, attributeType: (attributeType ?? .actual).rawValue, value: value,
            attributeStatus: status, source: source, reportedAt: time)
    }

    /// Identifies one attribute of a variable within a request (customData ignored; a missing type is Actual).
    struct VariableKey: Hashable {
        let component: String, componentInstance: String?, evse: Int?, connector: Int?
        let variable: String, variableInstance: String?, attributeType: V201.AttributeEnum

        init(_ component: V201.Component, _ variable: V201.Variable, _ type: V201.AttributeEnum?) {
            self.component = component.name
            self.componentInstance = component.instance
            self.evse = component.evse?.id
            self.connector = component.evse?.connectorId
            self.variable = variable.name
            self.variableInstance = variable.instance
            self.attributeType = type ?? .actual
        }
    }
}
