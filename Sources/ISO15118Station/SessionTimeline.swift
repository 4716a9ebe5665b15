import ISO2Messages

/// One message of a session as seen by a driver, for timelines and logs.
public struct TimelineEntry: Hashable, Sendable {
    public enum Direction: String, Hashable, Sendable { case sent = "->", received = "<-" }
    /// Milliseconds since the connection was accepted or opened.
    public var milliseconds: Double
    public var direction: Direction
    /// The element name, e.g. `SessionSetupReq`.
    public var message: String
    /// The ResponseCode of a response, when it has one.
    public var responseCode: String?

    public init(milliseconds: Double, direction: Direction, message: String, responseCode: String? = nil) {
        self.milliseconds = milliseconds
        self.direction = direction
        self.message = message
        self.responseCode = responseCode
    }
}

/// The ResponseCode (and EVSEProcessing, when there is one) of a DIN SPEC 70121 or ISO 15118-20 response, read from
/// the generated value by its field names, for the timeline; nil for requests.
enum GeneratedResponseCode {
    static func of(_ message: Any) -> String? {
        var value: Any = message
        // Unwrap enum payloads and one-field wrappers (a body, a message family) until a struct with a responseCode appears.
        for _ in 0..<4 {
            let mirror = Mirror(reflecting: value)
            // The generated structs' fields (their `_exiMemberwise` marker is not one).
            let children = mirror.children.filter { $0.label != "_exiMemberwise" }
            if let code = children.first(where: { $0.label == "responseCode" })?.value {
                let processing = children.first(where: { $0.label == "evseProcessing" })?.value
                return [code, processing].compactMap { $0.flatMap(Self.text) }.joined(separator: "/")
            }
            let wrapper = mirror.displayStyle == .enum || mirror.displayStyle == .optional
                || (mirror.displayStyle == .struct && children.count == 1)
            guard wrapper, let payload = children.first?.value else { return nil }
            value = payload
        }
        return nil
    }

    private static func text(_ value: Any) -> String? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return text(wrapped)
        }
        if let raw = value as? any RawRepresentable { return "\(raw.rawValue)" }
        return "\(value)"
    }
}

/// The element name and response code of an ISO 15118-2 body.
enum MessageName {
    static func of(_ message: V2GMessage) -> (String, String?) {
        guard let body = message.body.bodyElement else { return ("Empty", nil) }
        let raw = String("\(body)".prefix { $0 != "(" })
        let name = raw.prefix(1).uppercased() + raw.dropFirst()
        return (name, Self.code(body))
    }

    static func code(_ body: BodyElement) -> String? {
        switch body {
        case .sessionSetupRes(let r): r.responseCode.rawValue
        case .serviceDiscoveryRes(let r): r.responseCode.rawValue
        case .paymentServiceSelectionRes(let r): r.responseCode.rawValue
        case .authorizationRes(let r): r.responseCode.rawValue + "/" + r.evseProcessing.rawValue
        case .chargeParameterDiscoveryRes(let r): r.responseCode.rawValue
        case .cableCheckRes(let r): r.responseCode.rawValue + "/" + r.evseProcessing.rawValue
        case .preChargeRes(let r): r.responseCode.rawValue
        case .powerDeliveryRes(let r): r.responseCode.rawValue
        case .currentDemandRes(let r):
            r.responseCode.rawValue + (r.dcEVSEStatus.evseNotification == .reNegotiation ? "/ReNegotiation" : "")
        case .chargingStatusRes(let r):
            r.responseCode.rawValue + (r.acEVSEStatus.evseNotification == .reNegotiation ? "/ReNegotiation" : "")
        // Requests: what they ask, where it matters for reading a timeline.
        case .powerDeliveryReq(let r): r.chargeProgress.rawValue
        case .sessionStopReq(let r): r.chargingSession.rawValue
        case .weldingDetectionRes(let r): r.responseCode.rawValue
        case .sessionStopRes(let r): r.responseCode.rawValue
        case .paymentDetailsRes(let r): r.responseCode.rawValue
        case .certificateInstallationRes(let r): r.responseCode.rawValue
        case .certificateUpdateRes(let r): r.responseCode.rawValue
        case .meteringReceiptRes(let r): r.responseCode.rawValue
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    var hexString: String {
        let digits: [Character] = "0123456789ABCDEF".map { $0 }
        var out = ""
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }
}
