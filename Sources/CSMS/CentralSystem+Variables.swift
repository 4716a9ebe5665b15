import OCPPMessages

extension CentralSystem {
    /// B05/B06: the variable reports in a station's answer to SetVariables or GetVariables (2.0.1), to store.
    /// A SetVariables result carries no value: the value written is taken from the request entry with the same
    /// component, variable and attribute type, and kept only when the station Accepted it (or needs a reboot for it).
    /// Answers that are not SetVariables/GetVariables results give no records.
    public func reportedVariables(call: CSMSCall, result: JSONValue, stationID: String, version: OCPPVersion) -> [VariableRecord] {
        guard version == .v201 else { return [] }
        let time = now()
        switch call.action {
        case V201.SetVariablesRequest.action:
            guard let request = try? V201.SetVariablesRequest(json: call.payload),
                let response = try? V201.SetVariablesResponse(json: result)
            else { return [] }
            var written: [VariableKey: String] = [:]
            for data in request.setVariableData {
                written[VariableKey(data.component, data.variable, data.attributeType)] = data.attributeValue
            }
            return response.setVariableResult.map { item in
                let kept = item.attributeStatus == .accepted || item.attributeStatus == .rebootRequired
                return Self.record(
                    stationID: stationID, component: item.component, variable: item.variable, attributeType: item.attributeType,
                    value: kept ? written[VariableKey(item.component, item.variable, item.attributeType)] : nil,
                    status: item.attributeStatus.rawValue, source: .setVariables, at: time)
            }
        case V201.GetVariablesRequest.action:
            guard let response = try? V201.GetVariablesResponse(json: result) else { return [] }
            return response.getVariableResult.map { item in
                Self.record(
                    stationID: stationID, component: item.component, variable: item.variable, attributeType: item.attributeType,
                    value: item.attributeStatus == .accepted ? item.attributeValue : nil,
                    status: item.attributeStatus.rawValue, source: .getVariables, at: time)
            }
        default:
            return []
        }
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
