import Crypto
import Foundation
import Synchronization
import Logging
import ISO15118SECC
import OCPPMessages
import OCPPTransport
import SwiftASN1
import V2GPKI
import X509

/// The station's answers to CSMS-initiated CALLs.
extension OCPPChargingStation {
    public func handle(action: String, payload: JSONValue, on connection: OCPPConnection) async -> OCPPCallReply {
        do {
            return try await answer(action: action, payload: payload)
        } catch let error as OCPPMessagesError {
            return .error(.formatViolation, "\(error)")
        } catch {
            return .error(.internalError, "\(error)")
        }
    }

    func answer(action: String, payload: JSONValue) async throws -> OCPPCallReply {
        switch action {
        case "InstallCertificate":
            let request = try V201.InstallCertificateRequest(json: payload)
            do {
                try certificates.install(type: request.certificateType.rawValue, pem: request.certificate)
                return .result(V201.InstallCertificateResponse(status: .accepted))
            } catch {
                return .result(
                    V201.InstallCertificateResponse(
                        status: .rejected, statusInfo: .init(reasonCode: "InvalidCertificate", additionalInfo: String("\(error)".prefix(512)))))
            }
        case "GetInstalledCertificateIds":
            let request = try V201.GetInstalledCertificateIdsRequest(json: payload)
            let types = (request.certificateType ?? []).map(\.rawValue)
            let chains: [V201.CertificateHashDataChain] = try certificates.installed(types: types).compactMap { entry in
                guard let type = V201.GetCertificateIdUseEnum(rawValue: entry.type) else { return nil }
                return V201.CertificateHashDataChain(
                    certificateHashData: V201.CertificateHashData(
                        hashAlgorithm: .sha256, issuerNameHash: entry.hashData.issuerNameHash,
                        issuerKeyHash: entry.hashData.issuerKeyHash, serialNumber: entry.hashData.serialNumber),
                    certificateType: type)
            }
            return .result(
                V201.GetInstalledCertificateIdsResponse(
                    status: chains.isEmpty ? .notFound : .accepted, certificateHashDataChain: chains.isEmpty ? nil : chains))
        case "DeleteCertificate":
            let request = try V201.DeleteCertificateRequest(json: payload)
            let hash = request.certificateHashData
            do {
                let deleted = try certificates.delete(
                    issuerNameHash: hash.issuerNameHash, issuerKeyHash: hash.issuerKeyHash, serialNumber: hash.serialNumber)
                return .result(V201.DeleteCertificateResponse(status: deleted ? .accepted : .notFound))
            } catch {
                return .result(V201.DeleteCertificateResponse(status: .failed))
            }
        case "CertificateSigned":
            let request = try V201.CertificateSignedRequest(json: payload)
            do {
                let profile = try certificates.storeSECCChain(request.certificateChain)
                logger.info(
                    "SECC certificate stored",
                    metadata: ["type": "\(request.certificateType?.rawValue ?? "-")", "profile": "\(profile.rawValue)"])
                return .result(V201.CertificateSignedResponse(status: .accepted))
            } catch {
                return .result(
                    V201.CertificateSignedResponse(
                        status: .rejected, statusInfo: .init(reasonCode: "InvalidChain", additionalInfo: String("\(error)".prefix(512)))))
            }
        case "TriggerMessage":
            let request = try V201.TriggerMessageRequest(json: payload)
            switch request.requestedMessage {
            case .signV2GCertificate:
                // A02: renew the SECC certificate of every profile the station serves (one CSR each).
                let requests = try configuration.seccProfiles.map { try makeV2GCertificateRequest(profile: $0) }
                return OCPPCallReply(.result(V201.TriggerMessageResponse(status: .accepted).json)) { connection in
                    for csr in requests {
                        do {
                            let answer = try await connection.call(
                                V201.SignCertificateRequest(csr: csr, certificateType: .v2GCertificate))
                            self.logger.info(
                                "SignCertificate answered", metadata: ["status": "\(answer.status.rawValue)"])
                        } catch {
                            self.logger.error("SignCertificate failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            case .heartbeat:
                return OCPPCallReply(.result(V201.TriggerMessageResponse(status: .accepted).json)) { connection in
                    _ = try? await connection.call(V201.HeartbeatRequest())
                }
            case .statusNotification:
                let evses = request.evse.map { [$0.id] } ?? Array(1...max(1, configuration.evseCount))
                return OCPPCallReply(.result(V201.TriggerMessageResponse(status: .accepted).json)) { connection in
                    for evse in evses { _ = try? await connection.call(self.statusNotification(evse: evse)) }
                }
            default:
                return .result(V201.TriggerMessageResponse(status: .notImplemented))
            }
        case "RequestStartTransaction":
            let request = try V201.RequestStartTransactionRequest(json: payload)
            commandSink.yield(
                .remoteStart(
                    idToken: request.idToken.idToken, type: request.idToken.type.rawValue, evseID: request.evseId,
                    remoteStartID: request.remoteStartId))
            return .result(V201.RequestStartTransactionResponse(status: .accepted))
        case "RequestStopTransaction":
            let request = try V201.RequestStopTransactionRequest(json: payload)
            guard activeTransactionIDs.contains(request.transactionId) else {
                return .result(V201.RequestStopTransactionResponse(status: .rejected))
            }
            commandSink.yield(.remoteStop(transactionID: request.transactionId))
            return .result(V201.RequestStopTransactionResponse(status: .accepted))
        case "Reset":
            let request = try V201.ResetRequest(json: payload)
            let busy = !activeTransactionIDs.isEmpty
            let immediate = request.type == .immediate || !busy
            commandSink.yield(.reset(immediate: immediate))
            return .result(V201.ResetResponse(status: immediate ? .accepted : .scheduled))
        case "GetVariables":
            let request = try V201.GetVariablesRequest(json: payload)
            return .result(V201.GetVariablesResponse(getVariableResult: request.getVariableData.map(getVariable)))
        case "SetVariables":
            let request = try V201.SetVariablesRequest(json: payload)
            return .result(V201.SetVariablesResponse(setVariableResult: request.setVariableData.map(setVariable)))
        default:
            return .error(.notImplemented, "\(action) is not implemented by this station")
        }
    }

    /// Sends SignCertificate(V2GCertificate) with a fresh key of `profile` on the live connection (OCPP 2.0.1 A03:
    /// initiated by the station, e.g. when it has no SECC certificate of that profile yet); the certificate arrives
    /// later with CertificateSigned and is stored under the profile of its key.
    /// - Throws: ``ChargingStationError`` `offline` without a connection, the CSR or transport error, or `rejected`
    ///   when the CSMS answers Rejected (with its statusInfo reason and additional information).
    public func requestV2GCertificate(profile: PKIProfile = .iso15118_2) async throws {
        let csr = try makeV2GCertificateRequest(profile: profile)
        let answer = try await send(V201.SignCertificateRequest(csr: csr, certificateType: .v2GCertificate))
        logger.info(
            "SignCertificate answered", metadata: ["status": "\(answer.status.rawValue)", "profile": "\(profile.rawValue)"])
        guard answer.status == .accepted else {
            let info = answer.statusInfo.map { ": \($0.reasonCode)" + ($0.additionalInfo.map { " (\($0))" } ?? "") } ?? ""
            throw ChargingStationError.make(
                .rejected, "SignCertificate (\(profile.rawValue)) was \(answer.status.rawValue)\(info)")
        }
    }

    /// A fresh key and a PKCS#10 CSR for the SECC certificate of `profile` (CN = the station id, O = the vendor,
    /// DC = CPO): secp256r1 signed with ecdsa-with-SHA256 for ISO 15118-2, secp521r1 signed with ecdsa-with-SHA512 for
    /// ISO 15118-20 (its TLS 1.3 profile); checked with V2GPKI's CSR parser; the key waits in the store (under the
    /// profile) for CertificateSigned.
    func makeV2GCertificateRequest(profile: PKIProfile = .iso15118_2) throws -> String {
        let key: Certificate.PrivateKey
        let keyPEM: String
        let algorithm: Certificate.SignatureAlgorithm
        switch profile {
        case .iso15118_2:
            let p256 = P256.Signing.PrivateKey()
            (key, keyPEM, algorithm) = (Certificate.PrivateKey(p256), p256.pemRepresentation, .ecdsaWithSHA256)
        case .iso15118_20:
            let p521 = P521.Signing.PrivateKey()
            (key, keyPEM, algorithm) = (Certificate.PrivateKey(p521), p521.pemRepresentation, .ecdsaWithSHA512)
        }
        let subject = try DistinguishedName {
            CommonName(configuration.ocpp.stationID)
            OrganizationName(configuration.vendorName)
            DomainComponent("CPO")
        }
        let csr = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: key, attributes: CertificateSigningRequest.Attributes(),
            signatureAlgorithm: algorithm)
        let pem = try csr.serializeAsPEM().pemString
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        _ = try V2GPKI.CertificateAuthority.parseCSR(serializer.serializedBytes)
        try certificates.storePendingKey(keyPEM, profile: profile)
        return pem
    }

    // MARK: Device model (B05/B06): a few real variables

    enum VariableKind { case integer, boolean, readOnly }

    static let variables: [String: [String: VariableKind]] = [
        "OCPPCommCtrlr": ["HeartbeatInterval": .integer],
        "SampledDataCtrlr": ["TxUpdatedInterval": .integer],
        "AuthCtrlr": ["LocalAuthorizeOffline": .boolean, "OfflineTxForUnknownIdEnabled": .boolean],
        "LocalAuthListCtrlr": ["Enabled": .boolean],
        "ISO15118Ctrlr": ["ContractValidationOffline": .boolean],
        "SecurityCtrlr": ["Identity": .readOnly],
    ]

    func value(component: String, variable: String) -> String? {
        state.withLock { state in
            switch (component, variable) {
            case ("OCPPCommCtrlr", "HeartbeatInterval"): "\(state.heartbeatInterval)"
            case ("SampledDataCtrlr", "TxUpdatedInterval"): "\(state.txUpdatedInterval)"
            case ("AuthCtrlr", "LocalAuthorizeOffline"): "\(state.policy.localAuthorizeOffline)"
            case ("AuthCtrlr", "OfflineTxForUnknownIdEnabled"): "\(state.policy.offlineTxForUnknownIdEnabled)"
            case ("LocalAuthListCtrlr", "Enabled"): "\(state.policy.localAuthListEnabled)"
            case ("ISO15118Ctrlr", "ContractValidationOffline"): "\(state.policy.contractValidationOffline)"
            case ("SecurityCtrlr", "Identity"): configuration.ocpp.stationID
            default: nil
            }
        }
    }

    /// The current value of a device-model variable (`Component.Variable`), nil when unknown.
    public func variable(_ component: String, _ variable: String) -> String? { value(component: component, variable: variable) }

    func getVariable(_ data: V201.GetVariableData) -> V201.GetVariableResult {
        let status: V201.GetVariableStatusEnum
        var value: String?
        if let variables = Self.variables[data.component.name] {
            if variables[data.variable.name] == nil {
                status = .unknownVariable
            } else if let attribute = data.attributeType, attribute != .actual {
                status = .notSupportedAttributeType
            } else {
                status = .accepted
                value = self.value(component: data.component.name, variable: data.variable.name)
            }
        } else {
            status = .unknownComponent
        }
        return V201.GetVariableResult(
            attributeStatus: status, attributeType: data.attributeType, attributeValue: value, component: data.component,
            variable: data.variable)
    }

    func setVariable(_ data: V201.SetVariableData) -> V201.SetVariableResult {
        func result(_ status: V201.SetVariableStatusEnum, _ reason: String? = nil) -> V201.SetVariableResult {
            V201.SetVariableResult(
                attributeType: data.attributeType, attributeStatus: status,
                attributeStatusInfo: reason.map { .init(reasonCode: $0) }, component: data.component, variable: data.variable)
        }
        guard let variables = Self.variables[data.component.name] else { return result(.unknownComponent) }
        guard let kind = variables[data.variable.name] else { return result(.unknownVariable) }
        if let attribute = data.attributeType, attribute != .actual { return result(.notSupportedAttributeType) }
        let text = data.attributeValue
        switch kind {
        case .readOnly:
            return result(.rejected, "ReadOnly")
        case .integer:
            guard let number = Int(text), number > 0, number <= 86_400 else { return result(.rejected, "InvalidValue") }
            state.withLock { state in
                if data.variable.name == "HeartbeatInterval" { state.heartbeatInterval = number } else { state.txUpdatedInterval = number }
            }
        case .boolean:
            guard let flag = Bool(text.lowercased()) else { return result(.rejected, "InvalidValue") }
            state.withLock { state in
                switch (data.component.name, data.variable.name) {
                case ("AuthCtrlr", "LocalAuthorizeOffline"): state.policy.localAuthorizeOffline = flag
                case ("AuthCtrlr", "OfflineTxForUnknownIdEnabled"): state.policy.offlineTxForUnknownIdEnabled = flag
                case ("LocalAuthListCtrlr", "Enabled"): state.policy.localAuthListEnabled = flag
                default: state.policy.contractValidationOffline = flag
                }
            }
        }
        return result(.accepted)
    }
}
