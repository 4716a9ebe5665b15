import OCPPMessages

extension CentralSystem {
    /// Notifications whose response carries nothing required: acknowledged with an empty response.
    static let acknowledged201: Set<String> = [
        "FirmwareStatusNotification", "LogStatusNotification", "SecurityEventNotification", "NotifyEvent",
        "NotifyReport", "NotifyMonitoringReport", "NotifyCustomerInformation", "PublishFirmwareStatusNotification",
        "ReservationStatusUpdate", "ClearedChargingLimit", "NotifyChargingLimit", "ReportChargingProfiles",
        "NotifyDisplayMessages",
    ]

    func handle201(_ request: V201.Request, payload: JSONValue, session: inout StationSession) async throws -> CSMSReply {
        if case .bootNotification(let boot) = request {
            return try await bootNotification201(boot, session: &session)
        }
        guard try await bootGate(&session) else { return Self.notAccepted }
        switch request {
        case .heartbeat:
            let time = now()
            try await stations.touchStation(id: session.stationID, at: time)
            return .result(V201.HeartbeatResponse(currentTime: time))
        case .statusNotification(let status):
            try await stations.saveConnectorStatus(
                ConnectorStatusRecord(
                    stationID: session.stationID, evseID: status.evseId, connectorID: status.connectorId,
                    status: status.connectorStatus.rawValue, timestamp: status.timestamp))
            return .result(V201.StatusNotificationResponse())
        case .authorize(let authorize):
            if authorize.iso15118CertificateHashData != nil || authorize.certificate != nil
                || authorize.idToken.type == .eMAID
            {
                return try await authorizePlugAndCharge201(authorize, session: session)
            }
            return .result(try await authorize201(authorize))
        case .transactionEvent(let event):
            return .result(try await transactionEvent201(event, payload: payload, session: session))
        case .meterValues(let values):
            try await transactions.saveMeterSamples(
                Self.samples(values.meterValue, stationID: session.stationID, transactionID: nil, evseID: values.evseId))
            return .result(V201.MeterValuesResponse())
        case .signCertificate(let sign):
            return try await signCertificate(csr: sign.csr, type: sign.certificateType?.rawValue ?? "ChargingStationCertificate", version: .v201)
        case .get15118EVCertificate(let request):
            return await get15118EVCertificate201(request, session: session)
        case .getCertificateStatus(let request):
            return await getCertificateStatus201(request, session: session)
        case .notifyEVChargingNeeds:
            // K15.FR: Rejected = the CSMS cannot provide a charging schedule (no smart charging here).
            return .result(
                V201.NotifyEVChargingNeedsResponse(
                    status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "NoSmartCharging")))
        case .notifyEVChargingSchedule:
            return .result(V201.NotifyEVChargingScheduleResponse(status: .accepted))
        case .dataTransfer(let transfer):
            _ = transfer
            return .result(V201.DataTransferResponse(status: .unknownVendorId))
        default:
            let action = request.action
            if Self.acknowledged201.contains(action), let type = V201.requestType(for: action),
                Self.acceptsEmptyResponse(type)
            {
                return CSMSReply(.result(.object([])))
            }
            return .error(.notSupported, "\(action) is not handled by this CSMS")
        }
    }

    /// B01-B03: stores the boot data and answers per the boot policy; after an Accepted boot the configured root
    /// certificates are installed and the installed ids are read back (commissioning).
    func bootNotification201(_ boot: V201.BootNotificationRequest, session: inout StationSession) async throws -> CSMSReply {
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
                id: session.stationID, protocolVersion: OCPPVersion.v201.rawValue,
                vendor: boot.chargingStation.vendorName, model: boot.chargingStation.model,
                serialNumber: boot.chargingStation.serialNumber, firmwareVersion: boot.chargingStation.firmwareVersion,
                registration: registration, lastBootAt: time, lastSeenAt: time))
        session.accepted = registration == .accepted
        let interval = registration == .accepted ? configuration.heartbeatInterval : configuration.bootRetryInterval
        let status = V201.RegistrationStatusEnum(rawValue: registration.rawValue) ?? .rejected
        let followUps = registration == .accepted ? commissioningCalls201() : []
        return .result(V201.BootNotificationResponse(currentTime: time, interval: interval, status: status), followUps: followUps)
    }

    /// M05/M01 commissioning: with every root's id known, GetInstalledCertificateIds first (the missing roots are
    /// installed from its answer, ``callsAfter(_:result:version:)``); otherwise InstallCertificate for every root
    /// followed by GetInstalledCertificateIds.
    func commissioningCalls201() -> [CSMSCall] {
        var followUps: [CSMSCall] = []
        let roots = configuration.rootCertificatesToInstall
        if !roots.isEmpty, roots.allSatisfy({ configuration.rootCertificateIDs[$0.pem] != nil }) {
            let types = roots.compactMap { V201.GetCertificateIdUseEnum(rawValue: $0.type) }
            var unique: [V201.GetCertificateIdUseEnum] = []
            for type in types where !unique.contains(type) { unique.append(type) }
            followUps.append(CSMSCall(V201.GetInstalledCertificateIdsRequest(certificateType: unique.isEmpty ? nil : unique)))
        } else if !roots.isEmpty {
            var types: [V201.GetCertificateIdUseEnum] = []
            for root in configuration.rootCertificatesToInstall {
                guard let use = V201.InstallCertificateUseEnum(rawValue: root.type) else { continue }
                followUps.append(CSMSCall(V201.InstallCertificateRequest(certificateType: use, certificate: root.pem)))
                if let id = V201.GetCertificateIdUseEnum(rawValue: root.type), !types.contains(id) { types.append(id) }
            }
            followUps.append(CSMSCall(V201.GetInstalledCertificateIdsRequest(certificateType: types.isEmpty ? nil : types)))
        }
        return followUps
    }

    /// C01 (EIM) and C07 (PnC): the token's status from the repository.
    func authorize201(_ authorize: V201.AuthorizeRequest) async throws -> V201.AuthorizeResponse {
        let status = try await authorizationStatus(authorize.idToken.idToken)
        return V201.AuthorizeResponse(
            idTokenInfo: V201.IdTokenInfo(status: V201.AuthorizationStatusEnum(rawValue: status) ?? .unknown))
    }

    /// E01-E15: stores the event durably (idempotent by transactionId + seqNo; offline events are stored as they
    /// come) before answering; returns the token's status when the event carries an idToken (E05.FR.??/C01).
    func transactionEvent201(
        _ event: V201.TransactionEventRequest, payload: JSONValue, session: StationSession
    ) async throws -> V201.TransactionEventResponse {
        let info = event.transactionInfo
        let record = TransactionEventRecord(
            stationID: session.stationID, transactionID: info.transactionId, seqNo: event.seqNo,
            eventType: event.eventType.rawValue, timestamp: event.timestamp, triggerReason: event.triggerReason.rawValue,
            idToken: event.idToken?.idToken, evseID: event.evse?.id, connectorID: event.evse?.connectorId,
            chargingState: info.chargingState?.rawValue, stoppedReason: info.stoppedReason?.rawValue,
            offline: event.offline ?? false, payload: payload.serializedString)
        let samples = Self.samples(
            event.meterValue ?? [], stationID: session.stationID, transactionID: info.transactionId, evseID: event.evse?.id)
        _ = try await transactions.record(record, samples: samples)
        guard let token = event.idToken else { return V201.TransactionEventResponse() }
        let status = try await authorizationStatus(token.idToken)
        return V201.TransactionEventResponse(
            idTokenInfo: V201.IdTokenInfo(status: V201.AuthorizationStatusEnum(rawValue: status) ?? .unknown))
    }

    static func samples(_ values: [V201.MeterValue], stationID: String, transactionID: String?, evseID: Int?) -> [MeterSample] {
        values.flatMap { value in
            value.sampledValue.map { sampled in
                MeterSample(
                    stationID: stationID, transactionID: transactionID, evseID: evseID, timestamp: value.timestamp,
                    measurand: sampled.measurand?.rawValue ?? "Energy.Active.Import.Register", value: sampled.value,
                    unit: sampled.unitOfMeasure?.unit, phase: sampled.phase?.rawValue, context: sampled.context?.rawValue)
            }
        }
    }

    /// A02/A03 (2.0.1), 1.6 security whitepaper: the CSR is signed before answering; Accepted is followed by
    /// CertificateSigned with the chain, a CSR the CA refuses (or no CA) is Rejected.
    func signCertificate(csr: String, type: String, version: OCPPVersion) async throws -> CSMSReply {
        guard let certificateAuthority else {
            return version == .v201
                ? .result(V201.SignCertificateResponse(status: .rejected, statusInfo: V201.StatusInfo(reasonCode: "NoCAConfigured")))
                : .result(V16.SignCertificateResponse(status: .rejected))
        }
        let chain: String
        do {
            chain = try await certificateAuthority.sign(csrPEM: csr, certificateType: type)
        } catch {
            // The CA's reason (e.g. a key of a curve no configured PKI profile signs) goes in additionalInfo.
            let info = V201.StatusInfo(
                reasonCode: "InvalidCSR", additionalInfo: String(String(describing: error).prefix(512)))
            return version == .v201
                ? .result(V201.SignCertificateResponse(status: .rejected, statusInfo: info))
                : .result(V16.SignCertificateResponse(status: .rejected))
        }
        switch version {
        case .v201:
            let use = V201.CertificateSigningUseEnum(rawValue: type)
            return .result(
                V201.SignCertificateResponse(status: .accepted),
                followUps: [CSMSCall(V201.CertificateSignedRequest(certificateChain: chain, certificateType: use))])
        case .v16:
            return .result(
                V16.SignCertificateResponse(status: .accepted),
                followUps: [CSMSCall(V16.CertificateSignedRequest(certificateChain: chain))])
        }
    }
}

extension CentralSystem {
    /// A02/A03 with an external CA: the CertificateSigned that carries an operator's chain, as the station's version
    /// takes it. 2.0.1: CertificateSigned with the certificate type; 1.6: a V2GCertificate in the PnC DataTransfer
    /// (`org.openchargealliance.iso15118pnc`), a ChargingStationCertificate as the security whitepaper's
    /// CertificateSigned.
    public static func certificateSignedCall(chain: String, certificateType: String, version: OCPPVersion) -> CSMSCall {
        let use = V201.CertificateSigningUseEnum(rawValue: certificateType)
        switch version {
        case .v201:
            return CSMSCall(V201.CertificateSignedRequest(certificateChain: chain, certificateType: use))
        case .v16:
            guard use == .v2GCertificate else { return CSMSCall(V16.CertificateSignedRequest(certificateChain: chain)) }
            return wrap16(CSMSCall(V201.CertificateSignedRequest(certificateChain: chain, certificateType: use)))
        }
    }

    /// The station's status (`Accepted`/`Rejected`) in its answer to a ``certificateSignedCall(chain:certificateType:version:)``;
    /// nil when the answer does not say.
    public static func certificateSignedStatus(call: CSMSCall, result: JSONValue) -> String? {
        switch call.action {
        case V201.CertificateSignedRequest.action:
            if let response = try? V201.CertificateSignedResponse(json: result) { return response.status.rawValue }
            return (try? V16.CertificateSignedResponse(json: result))?.status.rawValue
        case V16.DataTransferRequest.action:
            guard let transfer = try? V16.DataTransferResponse(json: result) else { return nil }
            guard transfer.status == .accepted else { return "Rejected" }
            guard let data = transfer.data, let inner = try? JSONValue.parse(data) else { return nil }
            return (try? V201.CertificateSignedResponse(json: inner))?.status.rawValue
        default:
            return nil
        }
    }
}
