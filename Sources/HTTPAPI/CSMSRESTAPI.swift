import CSMS
import Foundation
import Hummingbird
import OCPPMessages

/// The CSMS REST API (JSON over HTTP, described by ``CSMSRESTAPI/openAPIDocument``): stations, connectors,
/// transactions and meter values from the repositories, and remote commands to connected stations.
public struct CSMSRESTAPI: Sendable {
    let stations: any StationRepository
    let transactions: any TransactionRepository
    let sender: any StationCommandSender
    let plugAndChargeSwitches: (any PlugAndChargeSwitchRepository)?
    let variables: (any VariableRepository)?
    let signedChains: (any SignedCertificateChainChecker)?

    public init(
        stations: any StationRepository, transactions: any TransactionRepository, sender: any StationCommandSender,
        plugAndChargeSwitches: (any PlugAndChargeSwitchRepository)? = nil, variables: (any VariableRepository)? = nil,
        signedChains: (any SignedCertificateChainChecker)? = nil
    ) {
        self.signedChains = signedChains
        self.variables = variables
        self.plugAndChargeSwitches = plugAndChargeSwitches
        self.stations = stations
        self.transactions = transactions
        self.sender = sender
    }

    /// Largest accepted request body (an OCPP payload): 64 KiB.
    static let maximumBodySize = 65_536

    /// The routes under `/api/v1`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in Self.json(try JSONValue.parse(Self.openAPIDocument)) }
        api.get("stations") { request, _ in
            let (limit, offset) = Self.page(request)
            let list = try await stations.stations(limit: limit, offset: offset)
            var items: [JSONValue] = []
            for station in list { items.append(await stationJSON(station)) }
            return Self.json(.array(items))
        }
        api.get("stations/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let station = try await stations.station(id: id) else { return Self.problem(.notFound, "unknown station \(id)") }
            var body = await stationJSON(station)
            let connectors = try await stations.connectorStatuses(stationID: id).map { status in
                JSONValue.object([
                    JSONMember("evseId", .integer(Int64(status.evseID))),
                    JSONMember("connectorId", .integer(Int64(status.connectorID))),
                    JSONMember("status", .string(status.status)), JSONMember("timestamp", .string(status.timestamp.text)),
                ])
            }
            if case .object(var members) = body {
                members.append(JSONMember("connectors", .array(connectors)))
                body = .object(members)
            }
            return Self.json(body)
        }
        api.get("transactions") { request, _ in
            let (limit, offset) = Self.page(request)
            let station = request.uri.queryParameters.get("station")
            let list = try await transactions.transactions(stationID: station, limit: limit, offset: offset)
            return Self.json(.array(list.map(Self.transactionJSON)))
        }
        api.get("stations/:id/transactions/:transaction/meter-values") { request, context in
            let id = try context.parameters.require("id")
            let transaction = try context.parameters.require("transaction")
            let (limit, _) = Self.page(request)
            let samples = try await transactions.meterSamples(stationID: id, transactionID: transaction, limit: limit)
            return Self.json(
                .array(
                    samples.map { sample in
                        var members = [
                            JSONMember("timestamp", .string(sample.timestamp.text)),
                            JSONMember("measurand", .string(sample.measurand)), JSONMember("value", .double(sample.value)),
                        ]
                        if let unit = sample.unit { members.append(JSONMember("unit", .string(unit))) }
                        if let context = sample.context { members.append(JSONMember("context", .string(context))) }
                        return .object(members)
                    }))
        }
        api.post("stations/:id/commands/:action") { request, context in
            let id = try context.parameters.require("id")
            let action = try context.parameters.require("action")
            var request = request
            let body = try await request.collectBody(upTo: Self.maximumBodySize)
            guard let version = await sender.connectedVersion(of: id) else {
                return Self.problem(.conflict, "station \(id) is not connected")
            }
            let call: CSMSCall
            do {
                let payload = try JSONValue.parse(body.readableBytesView)
                call = try CSMSCall(action: action, payload: payload, version: version)
            } catch let error as OCPPMessagesError {
                return Self.problem(.badRequest, "\(action): \(error.message)")
            }
            do {
                let result = try await sender.send(call, to: id)
                return Self.json(result)
            } catch let error as CSMSError where error.code == .stationOffline {
                return Self.problem(.conflict, "\(action) to \(id) failed: \(error.detail)")
            } catch let error as CSMSError where error.code == .remoteCommandTimeout {
                return Self.problem(.gatewayTimeout, "\(action) to \(id) failed: \(error.detail)")
            } catch {
                return Self.problem(.badGateway, "\(action) to \(id) failed: \(error)")
            }
        }
        if let signedChains {
            api.post("stations/:id/certificate-signed") { request, context in
                let id = try context.parameters.require("id")
                var request = request
                let body = try await request.collectBody(upTo: Self.maximumBodySize)
                return await self.certificateSigned(body: body, stationID: id, checker: signedChains)
            }
        }
        if let variables {
            api.get("stations/:id/variables") { request, context in
                let id = try context.parameters.require("id")
                let (limit, offset) = Self.page(request)
                let list = try await variables.variables(stationID: id, limit: limit, offset: offset)
                return Self.json(.array(list.map(Self.variableJSON)))
            }
        }
        if let switches = plugAndChargeSwitches {
            api.get("stations/:id/plug-and-charge") { _, context in
                let id = try context.parameters.require("id")
                let enabled = try await switches.plugAndChargeEnabled(stationID: id)
                return Self.json(.object([JSONMember("stationId", .string(id)), JSONMember("enabled", .bool(enabled))]))
            }
            api.put("stations/:id/plug-and-charge") { request, context in
                let id = try context.parameters.require("id")
                var request = request
                let body = try await request.collectBody(upTo: 1_024)
                guard case .object(let members)? = try? JSONValue.parse(body.readableBytesView),
                    let member = members.first(where: { $0.key == "enabled" }), case .bool(let enabled) = member.value
                else {
                    return Self.problem(.badRequest, "the body must be {\"enabled\": true|false}")
                }
                try await switches.setPlugAndChargeEnabled(enabled, stationID: id)
                return Self.json(.object([JSONMember("stationId", .string(id)), JSONMember("enabled", .bool(enabled))]))
            }
        }
        return router
    }

    /// A02/A03 with an external CA: checks the operator's chain, sends CertificateSigned to the connected station and
    /// answers with the station's status. 400: the body is not `{"certificateChain": PEM, "certificateType": ...}`;
    /// 422: the chain is refused (with the reason); 409: the station is not connected here; 502: no answer.
    func certificateSigned(body: ByteBuffer, stationID: String, checker: any SignedCertificateChainChecker) async -> Response {
        guard case .object(let members)? = try? JSONValue.parse(body.readableBytesView),
            case .string(let chain)? = members.first(where: { $0.key == "certificateChain" })?.value,
            case .string(let type)? = members.first(where: { $0.key == "certificateType" })?.value
        else {
            return Self.problem(
                .badRequest,
                "the body must be {\"certificateChain\": \"<PEM chain, leaf first>\", \"certificateType\": \"V2GCertificate\"|\"ChargingStationCertificate\"}")
        }
        do {
            try checker.check(pemChain: chain, certificateType: type)
        } catch {
            return Self.problem(.unprocessableContent, error.detail)
        }
        guard let version = await sender.connectedVersion(of: stationID) else {
            return Self.problem(.conflict, "station \(stationID) is not connected to this node")
        }
        let call = CentralSystem.certificateSignedCall(chain: chain, certificateType: type, version: version)
        let result: JSONValue
        do {
            result = try await sender.send(call, to: stationID)
        } catch {
            return Self.problem(.badGateway, "CertificateSigned to \(stationID) failed: \(error)")
        }
        var answer = [
            JSONMember("stationId", .string(stationID)), JSONMember("certificateType", .string(type)),
            JSONMember("status", .string(CentralSystem.certificateSignedStatus(call: call, result: result) ?? "Unknown")),
        ]
        answer.append(JSONMember("response", result))
        return Self.json(.object(answer))
    }

    func stationJSON(_ station: StationRecord) async -> JSONValue {
        var members = [
            JSONMember("id", .string(station.id)), JSONMember("protocol", .string(station.protocolVersion)),
            JSONMember("vendor", .string(station.vendor)), JSONMember("model", .string(station.model)),
            JSONMember("registration", .string(station.registration.rawValue)),
            JSONMember("connected", .bool(await sender.connectedVersion(of: station.id) != nil)),
        ]
        if let serial = station.serialNumber { members.append(JSONMember("serialNumber", .string(serial))) }
        if let firmware = station.firmwareVersion { members.append(JSONMember("firmwareVersion", .string(firmware))) }
        if let seen = station.lastSeenAt { members.append(JSONMember("lastSeenAt", .string(seen.text))) }
        return .object(members)
    }

    static func transactionJSON(_ t: TransactionRecord) -> JSONValue {
        var members = [
            JSONMember("stationId", .string(t.stationID)), JSONMember("transactionId", .string(t.transactionID)),
            JSONMember("lastSeqNo", .integer(Int64(t.lastSeqNo))), JSONMember("eventCount", .integer(Int64(t.eventCount))),
        ]
        if let token = t.idToken { members.append(JSONMember("idToken", .string(token))) }
        if let evse = t.evseID { members.append(JSONMember("evseId", .integer(Int64(evse)))) }
        if let started = t.startedAt { members.append(JSONMember("startedAt", .string(started.text))) }
        if let ended = t.endedAt { members.append(JSONMember("endedAt", .string(ended.text))) }
        if let reason = t.stoppedReason { members.append(JSONMember("stoppedReason", .string(reason))) }
        return .object(members)
    }

    /// A stored variable; a 1.6 configuration key has no component, EVSE, connector or attribute type (its
    /// `variable` is the key) and may carry `readonly`.
    static func variableJSON(_ v: VariableRecord) -> JSONValue {
        let key16 = v.source.isConfigurationKey
        var members: [JSONMember] = []
        if !key16 { members.append(JSONMember("component", .string(v.component))) }
        if let instance = v.componentInstance { members.append(JSONMember("componentInstance", .string(instance))) }
        if let evse = v.evseID { members.append(JSONMember("evseId", .integer(Int64(evse)))) }
        if let connector = v.connectorID { members.append(JSONMember("connectorId", .integer(Int64(connector)))) }
        members.append(JSONMember("variable", .string(v.variable)))
        if let instance = v.variableInstance { members.append(JSONMember("variableInstance", .string(instance))) }
        if !key16 { members.append(JSONMember("attributeType", .string(v.attributeType))) }
        if let value = v.value { members.append(JSONMember("value", .string(value))) }
        if let readonly = v.readonly { members.append(JSONMember("readonly", .bool(readonly))) }
        members.append(contentsOf: [
            JSONMember("attributeStatus", .string(v.attributeStatus)), JSONMember("source", .string(v.source.rawValue)),
            JSONMember("reportedAt", .string(v.reportedAt.text)),
        ])
        return .object(members)
    }

    static func page(_ request: Request) -> (limit: Int, offset: Int) {
        let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 100
        let offset = request.uri.queryParameters.get("offset").flatMap { Int($0) } ?? 0
        return (min(max(limit, 1), 1000), max(offset, 0))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = value.serialized()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// RFC 9457 problem details.
    static func problem(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        let value = JSONValue.object([
            JSONMember("status", .integer(Int64(status.code))), JSONMember("title", .string(status.reasonPhrase)),
            JSONMember("detail", .string(detail)),
        ])
        var response = json(value, status: status)
        response.headers[.contentType] = "application/problem+json"
        return response
    }
}
