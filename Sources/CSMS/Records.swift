import OCPPMessages

/// A charging station as the CSMS knows it.
public struct StationRecord: Sendable, Hashable {
    public enum Registration: String, Sendable, Hashable {
        case accepted = "Accepted", pending = "Pending", rejected = "Rejected"
    }

    public var id: String
    /// `ocpp2.0.1` or `ocpp1.6`.
    public var protocolVersion: String
    public var vendor: String
    public var model: String
    public var serialNumber: String?
    public var firmwareVersion: String?
    public var registration: Registration
    public var lastBootAt: OCPPDateTime?
    public var lastSeenAt: OCPPDateTime?

    public init(
        id: String, protocolVersion: String, vendor: String, model: String, serialNumber: String? = nil,
        firmwareVersion: String? = nil, registration: Registration, lastBootAt: OCPPDateTime? = nil,
        lastSeenAt: OCPPDateTime? = nil
    ) {
        self.id = id
        self.protocolVersion = protocolVersion
        self.vendor = vendor
        self.model = model
        self.serialNumber = serialNumber
        self.firmwareVersion = firmwareVersion
        self.registration = registration
        self.lastBootAt = lastBootAt
        self.lastSeenAt = lastSeenAt
    }
}

/// The last reported status of one connector (StatusNotification).
public struct ConnectorStatusRecord: Sendable, Hashable {
    public var stationID: String
    public var evseID: Int
    public var connectorID: Int
    public var status: String
    public var timestamp: OCPPDateTime

    public init(stationID: String, evseID: Int, connectorID: Int, status: String, timestamp: OCPPDateTime) {
        self.stationID = stationID
        self.evseID = evseID
        self.connectorID = connectorID
        self.status = status
        self.timestamp = timestamp
    }
}

/// One TransactionEvent (2.0.1) or Start/StopTransaction (1.6) as stored; unique by (station, transaction, seqNo).
public struct TransactionEventRecord: Sendable, Hashable {
    public var stationID: String
    public var transactionID: String
    public var seqNo: Int
    /// `Started`, `Updated` or `Ended`.
    public var eventType: String
    public var timestamp: OCPPDateTime
    public var triggerReason: String
    public var idToken: String?
    public var evseID: Int?
    public var connectorID: Int?
    public var chargingState: String?
    public var stoppedReason: String?
    public var offline: Bool
    /// The request payload as received (JSON text).
    public var payload: String

    public init(
        stationID: String, transactionID: String, seqNo: Int, eventType: String, timestamp: OCPPDateTime,
        triggerReason: String, idToken: String? = nil, evseID: Int? = nil, connectorID: Int? = nil,
        chargingState: String? = nil, stoppedReason: String? = nil, offline: Bool = false, payload: String
    ) {
        self.stationID = stationID
        self.transactionID = transactionID
        self.seqNo = seqNo
        self.eventType = eventType
        self.timestamp = timestamp
        self.triggerReason = triggerReason
        self.idToken = idToken
        self.evseID = evseID
        self.connectorID = connectorID
        self.chargingState = chargingState
        self.stoppedReason = stoppedReason
        self.offline = offline
        self.payload = payload
    }
}

/// A transaction's summary, maintained from its events.
public struct TransactionRecord: Sendable, Hashable {
    public var stationID: String
    public var transactionID: String
    public var idToken: String?
    public var evseID: Int?
    public var startedAt: OCPPDateTime?
    public var endedAt: OCPPDateTime?
    public var stoppedReason: String?
    public var lastSeqNo: Int
    public var eventCount: Int

    public init(
        stationID: String, transactionID: String, idToken: String? = nil, evseID: Int? = nil,
        startedAt: OCPPDateTime? = nil, endedAt: OCPPDateTime? = nil, stoppedReason: String? = nil, lastSeqNo: Int,
        eventCount: Int
    ) {
        self.stationID = stationID
        self.transactionID = transactionID
        self.idToken = idToken
        self.evseID = evseID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.stoppedReason = stoppedReason
        self.lastSeqNo = lastSeqNo
        self.eventCount = eventCount
    }
}

/// One sampled meter value.
public struct MeterSample: Sendable, Hashable {
    public var stationID: String
    public var transactionID: String?
    public var evseID: Int?
    public var timestamp: OCPPDateTime
    public var measurand: String
    public var value: Double
    public var unit: String?
    public var phase: String?
    public var context: String?

    public init(
        stationID: String, transactionID: String?, evseID: Int?, timestamp: OCPPDateTime, measurand: String,
        value: Double, unit: String? = nil, phase: String? = nil, context: String? = nil
    ) {
        self.stationID = stationID
        self.transactionID = transactionID
        self.evseID = evseID
        self.timestamp = timestamp
        self.measurand = measurand
        self.value = value
        self.unit = unit
        self.phase = phase
        self.context = context
    }
}

/// An authorization token known to the CSMS (central list and local authorization list).
public struct IdTokenRecord: Sendable, Hashable {
    public var idToken: String
    /// The 2.0.1 IdTokenEnumType (`eMAID`, `ISO14443`, …) or `idTag` for 1.6 tags.
    public var type: String
    /// The 2.0.1 AuthorizationStatusEnumType value (`Accepted`, `Blocked`, `Expired`, `Invalid`, …).
    public var status: String
    public var expiresAt: OCPPDateTime?
    public var groupIdToken: String?

    public init(idToken: String, type: String, status: String, expiresAt: OCPPDateTime? = nil, groupIdToken: String? = nil) {
        self.idToken = idToken
        self.type = type
        self.status = status
        self.expiresAt = expiresAt
        self.groupIdToken = groupIdToken
    }
}

/// The last value and status a station reported for one attribute of one of its variables (OCPP 2.0.1 B05
/// SetVariables, B06 GetVariables) or for one of its configuration keys (OCPP 1.6 §5.3 ChangeConfiguration, §5.8
/// GetConfiguration); unique by station, component (name, instance, EVSE, connector), variable (name, instance) and
/// attribute type. A 1.6 configuration key is stored as a variable named after the key, with an empty component
/// name, no instance, EVSE or connector, and attribute type `Actual` (``init(stationID:configurationKey:readonly:value:attributeStatus:source:reportedAt:)``).
public struct VariableRecord: Sendable, Hashable {
    /// Which call the report answered.
    public enum Source: String, Sendable, Hashable {
        case setVariables = "SetVariables"
        case getVariables = "GetVariables"
        case changeConfiguration = "ChangeConfiguration"
        case getConfiguration = "GetConfiguration"

        /// True for the OCPP 1.6 calls, whose records name a configuration key rather than a component's variable.
        public var isConfigurationKey: Bool { self == .changeConfiguration || self == .getConfiguration }
    }

    public var stationID: String
    public var component: String
    public var componentInstance: String?
    public var evseID: Int?
    public var connectorID: Int?
    public var variable: String
    public var variableInstance: String?
    /// `Actual` (the default), `Target`, `MinSet` or `MaxSet`.
    public var attributeType: String
    /// The value known to be set: the reported value (GetVariables Accepted, a 1.6 GetConfiguration key) or the value
    /// written (SetVariables or ChangeConfiguration Accepted or RebootRequired); nil when the station refused or
    /// reported no value (an earlier known value is then kept).
    public var value: String?
    /// 1.6 GetConfiguration: whether the key is read-only; nil when not reported (2.0.1, ChangeConfiguration: the
    /// flag known before is kept).
    public var readonly: Bool?
    /// SetVariableStatusEnum or GetVariableStatusEnum (2.0.1), ConfigurationStatus (1.6 ChangeConfiguration:
    /// Accepted, Rejected, RebootRequired, NotSupported), or for 1.6 GetConfiguration `Accepted` (the key was
    /// reported) or `UnknownKey` (it was listed in unknownKey).
    public var attributeStatus: String
    public var source: Source
    public var reportedAt: OCPPDateTime

    public init(
        stationID: String, component: String, componentInstance: String? = nil, evseID: Int? = nil,
        connectorID: Int? = nil, variable: String, variableInstance: String? = nil, attributeType: String = "Actual",
        value: String?, readonly: Bool? = nil, attributeStatus: String, source: Source, reportedAt: OCPPDateTime
    ) {
        self.stationID = stationID
        self.component = component
        self.componentInstance = componentInstance
        self.evseID = evseID
        self.connectorID = connectorID
        self.variable = variable
        self.variableInstance = variableInstance
        self.attributeType = attributeType
        self.value = value
        self.readonly = readonly
        self.attributeStatus = attributeStatus
        self.source = source
        self.reportedAt = reportedAt
    }

    /// A 1.6 configuration key as a record (empty component name, attribute type `Actual`).
    public init(
        stationID: String, configurationKey: String, readonly: Bool?, value: String?, attributeStatus: String,
        source: Source, reportedAt: OCPPDateTime
    ) {
        self.init(
            stationID: stationID, component: "", variable: configurationKey, value: value, readonly: readonly,
            attributeStatus: attributeStatus, source: source, reportedAt: reportedAt)
    }
}

/// What identifies an OCPP 1.6 StartTransaction for replay detection.
public struct TransactionStart16: Sendable, Hashable {
    public var stationID: String
    public var connectorID: Int
    public var idTag: String
    public var meterStart: Int
    public var timestamp: OCPPDateTime

    public init(stationID: String, connectorID: Int, idTag: String, meterStart: Int, timestamp: OCPPDateTime) {
        self.stationID = stationID
        self.connectorID = connectorID
        self.idTag = idTag
        self.meterStart = meterStart
        self.timestamp = timestamp
    }
}
