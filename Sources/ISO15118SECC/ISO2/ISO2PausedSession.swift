import ISO2Messages
public import PnCCore

/// What the SECC keeps of an ISO 15118-2 session the vehicle paused (SessionStopReq with ChargingSession=Pause, after
/// PowerDelivery Stop), so that a new communication session that presents the same SessionID in SessionSetupReq
/// joins it: SessionSetupRes OK_OldSessionJoined, the same SessionID, trace id, authorization and transaction
/// (ISO 15118-2:2014 SessionSetup and SessionStop, §8.4.3.2 and §8.4.3.14: pausing keeps the session for a resume).
public struct ISO2PausedSession: Hashable, Sendable {
    public let sessionID: [UInt8]
    /// The vehicle that paused it; only it may join again.
    public let evccID: [UInt8]
    public let traceID: TraceID
    /// When the vehicle paused, seconds since 1970 (the driver drops paused sessions after a while).
    public let pausedAt: Double
    /// The backend's transaction, open while the session is paused; nil when no energy was transferred yet.
    public let transactionID: String?
    let identification: BackendAuthorizationRequest.Identification?
    let decision: BackendAuthorizationDecision?
    let lastMeter: MeterReading
    let lastUpdateAt: Double

    /// The meter reading at the pause, for a driver that ends the transaction of a session that is never resumed.
    public var meterWh: Double { self.lastMeter.energyWh }
}
