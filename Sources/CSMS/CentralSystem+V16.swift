import OCPPMessages

extension CentralSystem {
    /// vendorId of the OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6".
    public static let pnc16VendorID = "org.openchargealliance.iso15118pnc"

    /// 1.6 StopTransaction is stored as the transaction's last event with this sequence number, so that a replayed
    /// StopTransaction is recognised as a duplicate.
    static let stopSequenceNumber16 = Int(Int32.max)

    /// Notifications acknowledged with an empty response.
    static let acknowledged16: Set<String> = [
        "FirmwareStatusNotification", "DiagnosticsStatusNotification", "SecurityEventNotification",
        "LogStatusNotification", "SignedFirmwareStatusNotification",
    ]

    func handle16(_ request: V16.Request, session: inout StationSession) async throws -> CSMSReply {
        if case .bootNotification(let boot) = request {
            return try await bootNotification16(boot, session: &session)
        }
        guard try await bootGate(&session) else { return Self.notAccepted }
        switch request {
        case .heartbeat:
            let time = now()
            try await stations.touchStation(id: session.stationID, at: time)
            return .result(V16.HeartbeatResponse(currentTime: time))
        case .statusNotification(let status):
            try await stations.saveConnectorStatus(
                ConnectorStatusRecord(
                    stationID: session.stationID, evseID: status.connectorId, connectorID: status.connectorId == 0 ? 0 : 1,
                    status: status.status.rawValue, timestamp: status.timestamp ?? now()))
            return .result(V16.StatusNotificationResponse())
        case .authorize(let authorize):
            let status = try await tagStatus16(authorize.idTag)
            return .result(V16.AuthorizeResponse(idTagInfo: .init(status: .init(rawValue: status) ?? .invalid)))
        case .startTransaction(let start):
            let status = try await tagStatus16(start.idTag)
            let stationID = session.stationID
            let key = TransactionStart16(
                stationID: stationID, connectorID: start.connectorId, idTag: start.idTag, meterStart: start.meterStart,
                timestamp: start.timestamp)
            let payload = start.json.serializedString
            // A replayed StartTransaction (same connector, idTag, meterStart, timestamp) gets the id it got before.
            let (id, _) = try await transactions.startTransaction16(key) { id in
                let record = TransactionEventRecord(
                    stationID: stationID, transactionID: String(id), seqNo: 0, eventType: "Started",
                    timestamp: start.timestamp, triggerReason: "Authorized", idToken: start.idTag, evseID: start.connectorId,
                    connectorID: 1, payload: payload)
                let sample = MeterSample(
                    stationID: stationID, transactionID: String(id), evseID: start.connectorId,
                    timestamp: start.timestamp, measurand: "Energy.Active.Import.Register", value: Double(start.meterStart),
                    unit: "Wh", context: "Transaction.Begin")
                return (record, [sample])
            }
            return .result(
                V16.StartTransactionResponse(idTagInfo: .init(status: .init(rawValue: status) ?? .invalid), transactionId: id))
        case .stopTransaction(let stop):
            var samples = (stop.transactionData ?? []).flatMap { data in
                Self.samples16(data.sampledValue.map { ($0.value, $0.measurand?.rawValue, $0.unit?.rawValue, $0.phase?.rawValue, $0.context?.rawValue) },
                    at: data.timestamp, stationID: session.stationID, transactionID: String(stop.transactionId), evseID: nil)
            }
            samples.append(
                MeterSample(
                    stationID: session.stationID, transactionID: String(stop.transactionId), evseID: nil,
                    timestamp: stop.timestamp, measurand: "Energy.Active.Import.Register", value: Double(stop.meterStop),
                    unit: "Wh", context: "Transaction.End"))
            let record = TransactionEventRecord(
                stationID: session.stationID, transactionID: String(stop.transactionId), seqNo: Self.stopSequenceNumber16,
                eventType: "Ended", timestamp: stop.timestamp, triggerReason: "StopAuthorized", idToken: stop.idTag,
                stoppedReason: stop.reason?.rawValue ?? "Local", payload: stop.json.serializedString)
            _ = try await transactions.record(record, samples: samples)
            guard let tag = stop.idTag else { return .result(V16.StopTransactionResponse()) }
            let status = try await tagStatus16(tag)
            return .result(V16.StopTransactionResponse(idTagInfo: .init(status: .init(rawValue: status) ?? .invalid)))
        case .meterValues(let values):
            let transactionID = values.transactionId.map(String.init)
            let samples = values.meterValue.flatMap { value in
                Self.samples16(value.sampledValue.map { ($0.value, $0.measurand?.rawValue, $0.unit?.rawValue, $0.phase?.rawValue, $0.context?.rawValue) },
                    at: value.timestamp, stationID: session.stationID, transactionID: transactionID, evseID: values.connectorId)
            }
            try await transactions.saveMeterSamples(samples)
            return .result(V16.MeterValuesResponse())
        case .dataTransfer(let transfer):
            return try await dataTransfer16(transfer, session: &session)
        case .signCertificate(let sign):
            return try await signCertificate(csr: sign.csr, type: "ChargingStationCertificate", version: .v16)
        default:
            let action = request.action
            if Self.acknowledged16.contains(action), let type = V16.requestType(for: action),
                Self.acceptsEmptyResponse(type)
            {
                return CSMSReply(.result(.object([])))
            }
            return .error(.notSupported, "\(action) is not handled by this CSMS")
        }
    }

    func bootNotification16(_ boot: V16.BootNotificationRequest, session: inout StationSession) async throws -> CSMSReply {
        let time = now()
        let existing = try await stations.station(id: session.stationID)
        let registration: StationRecord.Registration
        switch configuration.bootPolicy {
        case .acceptAll: registration = .accepted
        case .pendingUnknown: registration = existing?.registration ?? .pending
        case .rejectUnknown: registration = existing?.registration ?? .rejected
        }
        try await stations.saveStation(
            StationRecord(
                id: session.stationID, protocolVersion: OCPPVersion.v16.rawValue, vendor: boot.chargePointVendor,
                model: boot.chargePointModel, serialNumber: boot.chargePointSerialNumber ?? boot.chargeBoxSerialNumber,
                firmwareVersion: boot.firmwareVersion, registration: registration, lastBootAt: time, lastSeenAt: time))
        session.accepted = registration == .accepted
        let interval = registration == .accepted ? configuration.heartbeatInterval : configuration.bootRetryInterval
        // OCA PnC application note: the roots go to 1.6 stations as PnC DataTransfers carrying the 2.0.1 requests.
        let followUps = registration == .accepted ? commissioningCalls201().map(Self.wrap16) : []
        return .result(
            V16.BootNotificationResponse(
                status: .init(rawValue: registration.rawValue) ?? .rejected, currentTime: time, interval: interval),
            followUps: followUps)
    }

    /// 1.6 IdTagInfo status: Accepted, Blocked, Expired, Invalid (2.0.1's Unknown and other refusals are Invalid).
    func tagStatus16(_ tag: String) async throws -> String {
        let status = try await authorizationStatus(tag)
        switch status {
        case "Accepted", "Blocked", "Expired", "ConcurrentTx": return status
        default: return "Invalid"
        }
    }

    /// 1.6 sampled values are strings; values that are not numbers (signed data) are not stored as samples.
    static func samples16(
        _ values: [(String, String?, String?, String?, String?)], at timestamp: OCPPDateTime, stationID: String,
        transactionID: String?, evseID: Int?
    ) -> [MeterSample] {
        values.compactMap { value, measurand, unit, phase, context in
            guard let number = Double(value), number.isFinite else { return nil }
            return MeterSample(
                stationID: stationID, transactionID: transactionID, evseID: evseID, timestamp: timestamp,
                measurand: measurand ?? "Energy.Active.Import.Register", value: number, unit: unit, phase: phase,
                context: context)
        }
    }

    /// OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6": DataTransfer with vendorId
    /// `org.openchargealliance.iso15118pnc` carries a 2.0.1 payload as JSON text in `data`; the answer carries the
    /// 2.0.1 response the same way.
    /// A 2.0.1 CSMS call as the 1.6 PnC DataTransfer that carries it.
    static func wrap16(_ call: CSMSCall) -> CSMSCall {
        CSMSCall(V16.DataTransferRequest(vendorId: pnc16VendorID, messageId: call.action, data: call.payload.serializedString))
    }

    func dataTransfer16(_ transfer: V16.DataTransferRequest, session: inout StationSession) async throws -> CSMSReply {
        guard transfer.vendorId == Self.pnc16VendorID else {
            return .result(V16.DataTransferResponse(status: .unknownVendorId))
        }
        let supported: Set<String> = ["Authorize", "Get15118EVCertificate", "GetCertificateStatus", "SignCertificate"]
        guard let messageID = transfer.messageId, supported.contains(messageID) else {
            return .result(V16.DataTransferResponse(status: .unknownMessageId))
        }
        guard let text = transfer.data, let inner = try? JSONValue.parse(text),
            let request = try? V201.Request(action: messageID, payload: inner)
        else {
            return .result(V16.DataTransferResponse(status: .rejected))
        }
        var innerSession = StationSession(stationID: session.stationID, version: .v201)
        innerSession.accepted = session.accepted
        let reply = try await handle201(request, payload: inner, session: &innerSession)
        guard case .result(let response) = reply.outcome else {
            return .result(V16.DataTransferResponse(status: .rejected))
        }
        // CertificateSigned follows as a PnC DataTransfer from the CSMS, wrapping the 2.0.1 request.
        let followUps = reply.followUps.map(Self.wrap16)
        return CSMSReply(
            .result(V16.DataTransferResponse(status: .accepted, data: response.serializedString).json), followUps: followUps,
            decisions: reply.decisions)
    }
}
