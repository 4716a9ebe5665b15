import OCPPMessages

extension CentralSystem {
    /// Calls that follow the station's answer to a CSMS-initiated call. M05 → M01: after GetInstalledCertificateIds
    /// (sent at commissioning) every configured root whose id the station did not list is installed.
    public func callsAfter(_ call: CSMSCall, result: JSONValue, version: OCPPVersion) -> [CSMSCall] {
        let action = call.action
        if version == .v16 {
            // The 1.6 PnC DataTransfer carries the 2.0.1 answer as JSON text in `data`.
            guard action == V16.DataTransferRequest.action, let request = try? V16.DataTransferRequest(json: call.payload),
                request.vendorId == Self.pnc16VendorID, request.messageId == V201.GetInstalledCertificateIdsRequest.action,
                let transfer = try? V16.DataTransferResponse(json: result),
                transfer.status == .accepted, let text = transfer.data, let inner = try? JSONValue.parse(text)
            else { return [] }
            let inner201 = CSMSCall(action: V201.GetInstalledCertificateIdsRequest.action, unchecked: .object([]))
            return callsAfter(inner201, result: inner, version: .v201)
                .map(Self.wrap16)
        }
        guard action == V201.GetInstalledCertificateIdsRequest.action, version == .v201,
            let response = try? V201.GetInstalledCertificateIdsResponse(json: result)
        else { return [] }
        let installed = Set(
            (response.certificateHashDataChain ?? []).map { chain in
                Self.certificateKey(
                    chain.certificateHashData.issuerNameHash, chain.certificateHashData.issuerKeyHash,
                    chain.certificateHashData.serialNumber)
            })
        var calls: [CSMSCall] = []
        for root in configuration.rootCertificatesToInstall {
            guard let id = configuration.rootCertificateIDs[root.pem],
                let use = V201.InstallCertificateUseEnum(rawValue: root.type),
                !installed.contains(Self.certificateKey(id.issuerNameHash, id.issuerKeyHash, id.serialNumber))
            else { continue }
            calls.append(CSMSCall(V201.InstallCertificateRequest(certificateType: use, certificate: root.pem)))
        }
        return calls
    }

    /// Hashes compare case-insensitively; serials without leading zeros.
    static func certificateKey(_ name: String, _ key: String, _ serial: String) -> String {
        let trimmed = serial.lowercased().drop { $0 == "0" }
        return "\(name.lowercased())/\(key.lowercased())/\(trimmed)"
    }
}

extension CentralSystem {
    /// A02/A03: the TriggerMessage that makes a station renew a certificate (SignCertificate follows): 2.0.1
    /// TriggerMessage(SignV2GCertificate / SignChargingStationCertificate); 1.6 PnC DataTransfer carrying it.
    public static func renewalCall(for record: StationCertificateRecord, version: OCPPVersion) -> CSMSCall {
        let message: V201.MessageTriggerEnum =
            record.certificateType == "V2GCertificate" ? .signV2GCertificate : .signChargingStationCertificate
        let trigger = V201.TriggerMessageRequest(requestedMessage: message)
        switch version {
        case .v201: return CSMSCall(trigger)
        case .v16:
            return CSMSCall(
                V16.DataTransferRequest(
                    vendorId: pnc16VendorID, messageId: V201.TriggerMessageRequest.action, data: trigger.json.serializedString))
        }
    }

    /// A02/A03: the certificates to renew now: those expiring within `window` seconds.
    public func certificatesToRenew(repository: any StationCertificateRepository, window: Double) async throws
        -> [StationCertificateRecord]
    {
        let limit = OCPPDateTime(secondsSince1970: now().secondsSince1970 + window)
        return try await repository.stationCertificates(expiringBefore: limit)
    }
}
