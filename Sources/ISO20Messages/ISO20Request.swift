/// A request an ISO 15118-20 SECC handles, from the CommonMessages, AC or DC schema.
public enum ISO20Request: Hashable, Sendable {
    case sessionSetup(SessionSetupReq)
    case authorizationSetup(AuthorizationSetupReq)
    case authorization(AuthorizationReq)
    case certificateInstallation(CertificateInstallationReq)
    case serviceDiscovery(ServiceDiscoveryReq)
    case serviceDetail(ServiceDetailReq)
    case serviceSelection(ServiceSelectionReq)
    case scheduleExchange(ScheduleExchangeReq)
    case powerDelivery(PowerDeliveryReq)
    case sessionStop(SessionStopReq)
    case dcChargeParameterDiscovery(DC_ChargeParameterDiscoveryReq)
    case dcCableCheck(DC_CableCheckReq)
    case dcPreCharge(DC_PreChargeReq)
    case dcChargeLoop(DC_ChargeLoopReq)
    case dcWeldingDetection(DC_WeldingDetectionReq)
    case acChargeParameterDiscovery(AC_ChargeParameterDiscoveryReq)
    case acChargeLoop(AC_ChargeLoopReq)

    /// The request from a decoded AC document (V2GTP payload type 0x8003); nil for anything else.
    public init?(_ document: ISO20ACDocument) {
        switch document {
        case .acChargeParameterDiscoveryReq(let r): self = .acChargeParameterDiscovery(r)
        case .acChargeLoopReq(let r): self = .acChargeLoop(r)
        default: return nil
        }
    }

    /// The request from a decoded CommonMessages document (V2GTP payload type 0x8002); nil for anything else.
    public init?(_ document: ISO20CommonMessagesDocument) {
        switch document {
        case .sessionSetupReq(let r): self = .sessionSetup(r)
        case .authorizationSetupReq(let r): self = .authorizationSetup(r)
        case .authorizationReq(let r): self = .authorization(r)
        case .certificateInstallationReq(let r): self = .certificateInstallation(r)
        case .serviceDiscoveryReq(let r): self = .serviceDiscovery(r)
        case .serviceDetailReq(let r): self = .serviceDetail(r)
        case .serviceSelectionReq(let r): self = .serviceSelection(r)
        case .scheduleExchangeReq(let r): self = .scheduleExchange(r)
        case .powerDeliveryReq(let r): self = .powerDelivery(r)
        case .sessionStopReq(let r): self = .sessionStop(r)
        default: return nil
        }
    }

    /// The request from a decoded DC document (V2GTP payload type 0x8004); nil for anything else.
    public init?(_ document: ISO20DCDocument) {
        switch document {
        case .dcChargeParameterDiscoveryReq(let r): self = .dcChargeParameterDiscovery(r)
        case .dcCableCheckReq(let r): self = .dcCableCheck(r)
        case .dcPreChargeReq(let r): self = .dcPreCharge(r)
        case .dcChargeLoopReq(let r): self = .dcChargeLoop(r)
        case .dcWeldingDetectionReq(let r): self = .dcWeldingDetection(r)
        default: return nil
        }
    }

    public var header: MessageHeader {
        switch self {
        case .sessionSetup(let r): r.header
        case .authorizationSetup(let r): r.header
        case .authorization(let r): r.header
        case .certificateInstallation(let r): r.header
        case .serviceDiscovery(let r): r.header
        case .serviceDetail(let r): r.header
        case .serviceSelection(let r): r.header
        case .scheduleExchange(let r): r.header
        case .powerDelivery(let r): r.header
        case .sessionStop(let r): r.header
        case .dcChargeParameterDiscovery(let r): r.header
        case .dcCableCheck(let r): r.header
        case .dcPreCharge(let r): r.header
        case .dcChargeLoop(let r): r.header
        case .dcWeldingDetection(let r): r.header
        case .acChargeParameterDiscovery(let r): r.header
        case .acChargeLoop(let r): r.header
        }
    }
}

/// A response of an ISO 15118-20 SECC.
public enum ISO20Response: Hashable, Sendable {
    case sessionSetup(SessionSetupRes)
    case authorizationSetup(AuthorizationSetupRes)
    case authorization(AuthorizationRes)
    case certificateInstallation(CertificateInstallationRes)
    case serviceDiscovery(ServiceDiscoveryRes)
    case serviceDetail(ServiceDetailRes)
    case serviceSelection(ServiceSelectionRes)
    case scheduleExchange(ScheduleExchangeRes)
    case powerDelivery(PowerDeliveryRes)
    case sessionStop(SessionStopRes)
    case dcChargeParameterDiscovery(DC_ChargeParameterDiscoveryRes)
    case dcCableCheck(DC_CableCheckRes)
    case dcPreCharge(DC_PreChargeRes)
    case dcChargeLoop(DC_ChargeLoopRes)
    case dcWeldingDetection(DC_WeldingDetectionRes)
    case acChargeParameterDiscovery(AC_ChargeParameterDiscoveryRes)
    case acChargeLoop(AC_ChargeLoopRes)

    /// The V2GTP payload type of the schema the response belongs to (ISO 15118-20 V2GTP: 0x8002 CommonMessages,
    /// 0x8003 AC, 0x8004 DC).
    public var payloadType: UInt16 {
        switch self {
        case .dcChargeParameterDiscovery, .dcCableCheck, .dcPreCharge, .dcChargeLoop, .dcWeldingDetection: 0x8004
        case .acChargeParameterDiscovery, .acChargeLoop: 0x8003
        default: 0x8002
        }
    }

    /// The EXI stream of the response in its schema's grammar.
    public func exiEncoded() throws -> [UInt8] {
        switch self {
        case .sessionSetup(let r): try ISO20CommonMessagesDocument.sessionSetupRes(r).exiEncoded()
        case .authorizationSetup(let r): try ISO20CommonMessagesDocument.authorizationSetupRes(r).exiEncoded()
        case .authorization(let r): try ISO20CommonMessagesDocument.authorizationRes(r).exiEncoded()
        case .certificateInstallation(let r): try ISO20CommonMessagesDocument.certificateInstallationRes(r).exiEncoded()
        case .serviceDiscovery(let r): try ISO20CommonMessagesDocument.serviceDiscoveryRes(r).exiEncoded()
        case .serviceDetail(let r): try ISO20CommonMessagesDocument.serviceDetailRes(r).exiEncoded()
        case .serviceSelection(let r): try ISO20CommonMessagesDocument.serviceSelectionRes(r).exiEncoded()
        case .scheduleExchange(let r): try ISO20CommonMessagesDocument.scheduleExchangeRes(r).exiEncoded()
        case .powerDelivery(let r): try ISO20CommonMessagesDocument.powerDeliveryRes(r).exiEncoded()
        case .sessionStop(let r): try ISO20CommonMessagesDocument.sessionStopRes(r).exiEncoded()
        case .dcChargeParameterDiscovery(let r): try ISO20DCDocument.dcChargeParameterDiscoveryRes(r).exiEncoded()
        case .dcCableCheck(let r): try ISO20DCDocument.dcCableCheckRes(r).exiEncoded()
        case .dcPreCharge(let r): try ISO20DCDocument.dcPreChargeRes(r).exiEncoded()
        case .dcChargeLoop(let r): try ISO20DCDocument.dcChargeLoopRes(r).exiEncoded()
        case .dcWeldingDetection(let r): try ISO20DCDocument.dcWeldingDetectionRes(r).exiEncoded()
        case .acChargeParameterDiscovery(let r): try ISO20ACDocument.acChargeParameterDiscoveryRes(r).exiEncoded()
        case .acChargeLoop(let r): try ISO20ACDocument.acChargeLoopRes(r).exiEncoded()
        }
    }

    public var responseCode: ResponseCode {
        switch self {
        case .sessionSetup(let r): r.responseCode
        case .authorizationSetup(let r): r.responseCode
        case .authorization(let r): r.responseCode
        case .certificateInstallation(let r): r.responseCode
        case .serviceDiscovery(let r): r.responseCode
        case .serviceDetail(let r): r.responseCode
        case .serviceSelection(let r): r.responseCode
        case .scheduleExchange(let r): r.responseCode
        case .powerDelivery(let r): r.responseCode
        case .sessionStop(let r): r.responseCode
        case .dcChargeParameterDiscovery(let r): r.responseCode
        case .dcCableCheck(let r): r.responseCode
        case .dcPreCharge(let r): r.responseCode
        case .dcChargeLoop(let r): r.responseCode
        case .dcWeldingDetection(let r): r.responseCode
        case .acChargeParameterDiscovery(let r): r.responseCode
        case .acChargeLoop(let r): r.responseCode
        }
    }
}

extension ISO20Request {
    /// The V2GTP payload type of the request's schema (0x8002 CommonMessages, 0x8004 DC).
    public var payloadType: UInt16 {
        switch self {
        case .dcChargeParameterDiscovery, .dcCableCheck, .dcPreCharge, .dcChargeLoop, .dcWeldingDetection: 0x8004
        case .acChargeParameterDiscovery, .acChargeLoop: 0x8003
        default: 0x8002
        }
    }

    /// The EXI stream of the request in its schema's grammar.
    public func exiEncoded() throws -> [UInt8] {
        switch self {
        case .sessionSetup(let r): try ISO20CommonMessagesDocument.sessionSetupReq(r).exiEncoded()
        case .authorizationSetup(let r): try ISO20CommonMessagesDocument.authorizationSetupReq(r).exiEncoded()
        case .authorization(let r): try ISO20CommonMessagesDocument.authorizationReq(r).exiEncoded()
        case .certificateInstallation(let r): try ISO20CommonMessagesDocument.certificateInstallationReq(r).exiEncoded()
        case .serviceDiscovery(let r): try ISO20CommonMessagesDocument.serviceDiscoveryReq(r).exiEncoded()
        case .serviceDetail(let r): try ISO20CommonMessagesDocument.serviceDetailReq(r).exiEncoded()
        case .serviceSelection(let r): try ISO20CommonMessagesDocument.serviceSelectionReq(r).exiEncoded()
        case .scheduleExchange(let r): try ISO20CommonMessagesDocument.scheduleExchangeReq(r).exiEncoded()
        case .powerDelivery(let r): try ISO20CommonMessagesDocument.powerDeliveryReq(r).exiEncoded()
        case .sessionStop(let r): try ISO20CommonMessagesDocument.sessionStopReq(r).exiEncoded()
        case .dcChargeParameterDiscovery(let r): try ISO20DCDocument.dcChargeParameterDiscoveryReq(r).exiEncoded()
        case .dcCableCheck(let r): try ISO20DCDocument.dcCableCheckReq(r).exiEncoded()
        case .dcPreCharge(let r): try ISO20DCDocument.dcPreChargeReq(r).exiEncoded()
        case .dcChargeLoop(let r): try ISO20DCDocument.dcChargeLoopReq(r).exiEncoded()
        case .dcWeldingDetection(let r): try ISO20DCDocument.dcWeldingDetectionReq(r).exiEncoded()
        case .acChargeParameterDiscovery(let r): try ISO20ACDocument.acChargeParameterDiscoveryReq(r).exiEncoded()
        case .acChargeLoop(let r): try ISO20ACDocument.acChargeLoopReq(r).exiEncoded()
        }
    }

    /// Decodes a request from a V2GTP payload of the given type; nil when the document is not a request this
    /// family handles.
    public init?(payloadType: UInt16, exi: [UInt8]) throws {
        switch payloadType {
        case 0x8002: self.init(try ISO20CommonMessagesDocument(exi: exi))
        case 0x8003: self.init(try ISO20ACDocument(exi: exi))
        case 0x8004: self.init(try ISO20DCDocument(exi: exi))
        default: return nil
        }
    }
}

extension ISO20Response {
    /// Decodes a response from a V2GTP payload of the given type; nil when the document is not a response this
    /// family handles.
    public init?(payloadType: UInt16, exi: [UInt8]) throws {
        switch payloadType {
        case 0x8002:
            switch try ISO20CommonMessagesDocument(exi: exi) {
            case .sessionSetupRes(let r): self = .sessionSetup(r)
            case .authorizationSetupRes(let r): self = .authorizationSetup(r)
            case .authorizationRes(let r): self = .authorization(r)
            case .certificateInstallationRes(let r): self = .certificateInstallation(r)
            case .serviceDiscoveryRes(let r): self = .serviceDiscovery(r)
            case .serviceDetailRes(let r): self = .serviceDetail(r)
            case .serviceSelectionRes(let r): self = .serviceSelection(r)
            case .scheduleExchangeRes(let r): self = .scheduleExchange(r)
            case .powerDeliveryRes(let r): self = .powerDelivery(r)
            case .sessionStopRes(let r): self = .sessionStop(r)
            default: return nil
            }
        case 0x8004:
            switch try ISO20DCDocument(exi: exi) {
            case .dcChargeParameterDiscoveryRes(let r): self = .dcChargeParameterDiscovery(r)
            case .dcCableCheckRes(let r): self = .dcCableCheck(r)
            case .dcPreChargeRes(let r): self = .dcPreCharge(r)
            case .dcChargeLoopRes(let r): self = .dcChargeLoop(r)
            case .dcWeldingDetectionRes(let r): self = .dcWeldingDetection(r)
            default: return nil
            }
        case 0x8003:
            switch try ISO20ACDocument(exi: exi) {
            case .acChargeParameterDiscoveryRes(let r): self = .acChargeParameterDiscovery(r)
            case .acChargeLoopRes(let r): self = .acChargeLoop(r)
            default: return nil
            }
        default:
            return nil
        }
    }

    public var header: MessageHeader {
        switch self {
        case .sessionSetup(let r): r.header
        case .authorizationSetup(let r): r.header
        case .authorization(let r): r.header
        case .certificateInstallation(let r): r.header
        case .serviceDiscovery(let r): r.header
        case .serviceDetail(let r): r.header
        case .serviceSelection(let r): r.header
        case .scheduleExchange(let r): r.header
        case .powerDelivery(let r): r.header
        case .sessionStop(let r): r.header
        case .dcChargeParameterDiscovery(let r): r.header
        case .dcCableCheck(let r): r.header
        case .dcPreCharge(let r): r.header
        case .dcChargeLoop(let r): r.header
        case .dcWeldingDetection(let r): r.header
        case .acChargeParameterDiscovery(let r): r.header
        case .acChargeLoop(let r): r.header
        }
    }
}
