import CSMS
import Logging
import OCPPMessages

/// Settles finished transactions: prices them, stores the charge detail record and the invoice (the eMSP's billing
/// in the composition root).
///
/// ``CSMSApplication`` calls it after it stored a 2.0.1 TransactionEvent `Ended` or a 1.6 StopTransaction, before it
/// answers, replays included: an implementation bills a transaction once and answers nil for one already settled.
public protocol TransactionSettlement: Sendable {
    /// - Returns: a line for the log (what was billed), nil when nothing was done.
    func transactionEnded(stationID: String, transactionID: String, traceID: String) async throws -> String?
}

extension CSMSApplication {
    /// The transaction a stored CALL ends, nil for any other CALL.
    static func endedTransaction(action: String, payload: JSONValue) -> (transactionID: String, traceID: String?)? {
        switch action {
        case V201.TransactionEventRequest.action:
            // Only an Ended event is decoded again (the reply to it was a CALLRESULT, so it decodes).
            guard payload["eventType"]?.stringValue == V201.TransactionEventEnum.ended.rawValue,
                let event = try? V201.TransactionEventRequest(json: payload), event.eventType == .ended else { return nil }
            return (event.transactionInfo.transactionId, payload["customData"]?["traceId"]?.stringValue)
        case V16.StopTransactionRequest.action:
            guard let stop = try? V16.StopTransactionRequest(json: payload) else { return nil }
            return (String(stop.transactionId), nil)
        default:
            return nil
        }
    }

    /// Hands an ended transaction to the settlement; a failure is logged, never turned into a CALLERROR (the event
    /// is stored; billing can be run again for it).
    func settle(stationID: String, transactionID: String, traceID: String?) async {
        guard let settlement else { return }
        let trace = traceID ?? Self.randomTraceID()
        do {
            if let line = try await settlement.transactionEnded(stationID: stationID, transactionID: transactionID, traceID: trace) {
                logger.notice(
                    "transaction settled",
                    metadata: ["ocpp.station_id": "\(stationID)", "transaction_id": "\(transactionID)", "trace_id": "\(trace)",
                               "billing": "\(line)"])
            }
        } catch {
            logger.error(
                "transaction not settled",
                metadata: ["ocpp.station_id": "\(stationID)", "transaction_id": "\(transactionID)", "trace_id": "\(trace)",
                           "error": "\(error)"])
        }
    }
}
