/// Timers of ISO 15118-2:2014 §9.6 (SECC timing) that the SECC session arms; constants, not configuration.
public enum ISO2Timing {
    /// V2G_SECC_Sequence_Timeout: the longest the SECC waits for the next request after sending a response.
    public static let sequenceTimeout: Duration = .seconds(60)
    /// V2G_SECC_Ongoing_Timeout: the longest the SECC may answer EVSEProcessing=Ongoing to AuthorizationReq.
    public static let ongoingTimeout: Duration = .seconds(60)
}
