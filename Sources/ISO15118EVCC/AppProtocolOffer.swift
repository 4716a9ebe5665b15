public import SAPMessages

/// The EVCC's side of the SupportedAppProtocol handshake (ISO 15118-2:2014 §8.2.2): the offer it sends and how it
/// reads the answer.
public enum AppProtocolOffer {
    /// What the vehicle concludes from a SupportedAppProtocolRes.
    public enum Outcome: Hashable, Sendable {
        /// The SECC chose `protocol`; `minorDeviation` when it speaks another minor version.
        case accepted(ApplicationProtocol, minorDeviation: Bool)
        /// The SECC found no common protocol (`Failed_NoNegotiation`).
        case noNegotiation
        /// The answer names a SchemaID the vehicle never offered, or omits it on success: a protocol violation.
        case invalidResponse
    }

    /// The request offering `protocols` in the vehicle's order of preference: SchemaID and Priority count from 1.
    /// At most the first 20 are offered (the schema's maxOccurs).
    public static func request(offering protocols: [ApplicationProtocol]) -> SupportedAppProtocolReq {
        SupportedAppProtocolReq(
            appProtocol: protocols.prefix(20).enumerated().map { index, element in
                AppProtocol(
                    protocolNamespace: element.namespace, versionNumberMajor: element.versionMajor,
                    versionNumberMinor: element.versionMinor, schemaID: UInt8(index + 1), priority: UInt8(index + 1))
            })
    }

    /// Reads the SECC's answer to `request`.
    public static func outcome(of response: SupportedAppProtocolRes, to request: SupportedAppProtocolReq) -> Outcome {
        switch response.responseCode {
        case .failedNoNegotiation:
            return .noNegotiation
        case .okSuccessfulNegotiation, .okSuccessfulNegotiationWithMinorDeviation:
            guard let schemaID = response.schemaID,
                let offered = request.appProtocol.first(where: { $0.schemaID == schemaID }),
                let chosen = ApplicationProtocol(namespace: offered.protocolNamespace)
            else { return .invalidResponse }
            return .accepted(chosen, minorDeviation: response.responseCode == .okSuccessfulNegotiationWithMinorDeviation)
        }
    }
}
