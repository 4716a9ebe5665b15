import ISO15118SECC
import Logging

/// What every session machine's driver does with the backend and the power electronics, with one failure policy: a
/// failing backend or controller is logged and reported to the machine, never thrown out of the session.
extension SECCService {
    /// The backend's authorization decision; nil when the backend failed (the machine answers FAILED).
    func decide(_ request: BackendAuthorizationRequest, logger: Logger) async -> BackendAuthorizationDecision? {
        do {
            let decision = try await self.backend.authorize(request)
            logger.debug("secc backend decision", metadata: ["pnc.status": "\(decision.status.rawValue)"])
            return decision
        } catch {
            logger.debug("secc backend failed", metadata: ["pnc.error": "\(error)"])
            return nil
        }
    }

    /// Asks the backend for the decision that answers a vehicle's first AuthorizationReq (ISO 15118-2, ISO 15118-20):
    /// when the backend decides within ``SECCConfiguration/authorizationBudget`` nothing is sent here and the caller
    /// answers that request with the decision (Finished or the refusal); when it takes longer, `sendOngoing` runs
    /// once (AuthorizationRes with EVSEProcessing Ongoing) and the decision is still awaited before the caller reads
    /// the vehicle's repeated request, which gets it. The backend is asked exactly once.
    /// - Returns: the decision (nil when the backend failed: the machine answers with its refusal) and whether
    ///   `sendOngoing` ran.
    func authorizeWithinBudget(
        _ request: BackendAuthorizationRequest, logger: Logger, sendOngoing: () async throws -> Void
    ) async throws -> (decision: BackendAuthorizationDecision?, answeredOngoing: Bool) {
        enum Event: Sendable { case decided(BackendAuthorizationDecision?), budgetSpent }
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let backendTask = Task {
            _ = continuation.yield(.decided(await self.decide(request, logger: logger)))
        }
        let budget = self.configuration.authorizationBudget
        let timer = Task {
            guard (try? await Task.sleep(for: budget)) != nil else { return }
            _ = continuation.yield(.budgetSpent)
        }
        var iterator = events.makeAsyncIterator()
        var answeredOngoing = false
        var decision: BackendAuthorizationDecision?
        while let event = await iterator.next() {
            switch event {
            case .decided(let answer):
                decision = answer
            case .budgetSpent:
                logger.debug("secc backend slower than the authorization budget: Ongoing")
                answeredOngoing = true
                do { try await sendOngoing() } catch {
                    // The decision still comes; the session ends with the write error.
                    timer.cancel()
                    await backendTask.value
                    continuation.finish()
                    throw error
                }
                continue
            }
            break
        }
        timer.cancel()
        continuation.finish()
        await backendTask.value
        return (decision, answeredOngoing)
    }

    /// The backend's answer to a certificate exchange within ``SECCService/certificateExchangeDeadline``; nil when it
    /// failed or was late (the machine answers FAILED).
    func exchange(_ request: CertificateExchangeRequest, logger: Logger) async -> CertificateExchangeResult? {
        do {
            let result = try await self.exchangeWithDeadline(request)
            logger.debug(
                "secc certificate exchange",
                metadata: ["pnc.status": "\(result.status.rawValue)", "pnc.detail": "\(result.detail ?? "")"])
            return result
        } catch {
            logger.debug("secc certificate exchange failed", metadata: ["pnc.error": "\(error)"])
            return nil
        }
    }

    /// The id the backend gives the transaction; `fallbackID` when it fails (the session charges on).
    func startTransaction(_ start: TransactionStart, fallbackID: String, logger: Logger) async -> String {
        let id: String
        do {
            id = try await self.backend.transactionStarted(start)
        } catch {
            logger.debug("secc backend transaction start failed", metadata: ["pnc.error": "\(error)"])
            id = fallbackID
        }
        SessionTransaction.current?.opened(id, traceID: start.traceID, meterWh: start.meterStartWh)
        return id
    }

    func reportUpdate(_ update: TransactionUpdate, logger: Logger) async {
        do { try await self.backend.transactionUpdated(update) } catch {
            logger.debug("secc backend transaction update failed", metadata: ["pnc.error": "\(error)"])
        }
    }

    func reportEnd(_ end: TransactionEnd, logger: Logger) async {
        SessionTransaction.current?.closed(end.transactionID)
        do { try await self.backend.transactionEnded(end) } catch {
            logger.debug("secc backend transaction end failed", metadata: ["pnc.error": "\(error)"])
        }
    }

    /// Ends the transaction the session left open (it ended without SessionStop or a pause), with `reason` and the
    /// meter's present register.
    func endUnfinished(_ tracker: SessionTransaction, reason: TransactionStopReason, logger: Logger) async {
        guard let open = tracker.take() else { return }
        let meterWh = (try? await self.controller.meterReading())?.energyWh ?? open.meterWh
        logger.notice(
            "secc session ended with its transaction open: transaction ended",
            metadata: ["pnc.transaction_id": "\(open.id)", "pnc.reason": "\(reason.rawValue)"])
        await self.reportEnd(
            TransactionEnd(
                transactionID: open.id, meterStopWh: max(meterWh, open.meterWh), reason: reason,
                timestamp: Self.unixTime(), traceID: open.traceID),
            logger: logger)
    }

    /// Runs a DIN SPEC 70121 or ISO 15118-20 controller command; a throwing controller is reported as failed.
    func control(_ command: SECCControllerCommand, logger: Logger) async -> SECCControllerReply {
        do {
            switch command {
            case .cableCheck(let voltage): return .isolation(try await self.controller.cableCheck(voltage: voltage))
            case .deliver(let target): return .output(try await self.controller.deliver(target))
            case .setContactors(let closed):
                try await self.controller.setContactors(closed: closed)
                return .contactorsSet
            }
        } catch {
            logger.debug("secc controller failed", metadata: ["pnc.error": "\(error)"])
            return .failed("\(error)")
        }
    }
}
