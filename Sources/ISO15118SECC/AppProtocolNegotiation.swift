public import SAPMessages

/// The SECC's side of the SupportedAppProtocol handshake (ISO 15118-2:2014 §8.2, supportedAppProtocolRes semantics).
///
/// The SECC walks its own protocols in its order of preference (by default ISO 15118-20, then ISO 15118-2, then DIN
/// SPEC 70121) and takes the first one the vehicle offers with the same namespace and major version. Among several
/// offers of the same protocol the vehicle's best Priority (lowest value) wins. A different minor version is accepted
/// with `OK_SuccessfulNegotiationWithMinorDeviation`; when nothing matches the answer is `Failed_NoNegotiation`
/// without a SchemaID and the SECC closes the connection.
public enum AppProtocolNegotiation {
    /// The outcome of a negotiation.
    public struct Outcome: Hashable, Sendable {
        /// The response to send.
        public var response: SupportedAppProtocolRes
        /// The protocol the session continues with; nil when negotiation failed.
        public var selected: ApplicationProtocol?

        public init(response: SupportedAppProtocolRes, selected: ApplicationProtocol?) {
            self.response = response
            self.selected = selected
        }
    }

    /// The SECC's default order of preference: ISO 15118-20 (DC, AC), ISO 15118-2, DIN SPEC 70121.
    public static let defaultPreference: [ApplicationProtocol] = [.iso20DC, .iso20AC, .iso2, .din]

    /// Answers a SupportedAppProtocolReq.
    /// - Parameters:
    ///   - request: the vehicle's offers (at most 20, enforced by the decoder).
    ///   - supported: the protocols this SECC speaks, most preferred first.
    /// - Returns: the response and the selected protocol.
    public static func response(
        to request: SupportedAppProtocolReq, supported: [ApplicationProtocol] = defaultPreference
    ) -> Outcome {
        for candidate in supported {
            let offers = request.appProtocol.filter {
                $0.protocolNamespace == candidate.namespace && $0.versionNumberMajor == candidate.versionMajor
            }
            guard let best = offers.min(by: { $0.priority < $1.priority }) else { continue }
            let code: ResponseCode =
                best.versionNumberMinor == candidate.versionMinor
                ? .okSuccessfulNegotiation : .okSuccessfulNegotiationWithMinorDeviation
            return Outcome(
                response: SupportedAppProtocolRes(responseCode: code, schemaID: best.schemaID), selected: candidate)
        }
        return Outcome(response: SupportedAppProtocolRes(responseCode: .failedNoNegotiation), selected: nil)
    }
}
