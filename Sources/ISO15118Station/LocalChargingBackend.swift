public import ISO15118SECC
import Synchronization

/// An in-process backend for `pnc station` without a CSMS: external identification from an allow-list, transactions
/// numbered locally. Plug & Charge contracts are refused with `NoCertificateAvailable` until the -2 contract path
/// lands; certificate installation and update answer Failed, since no eMSP is attached.
public final class LocalChargingBackend: ChargingBackend {
    /// The tokens that are accepted (for ISO 15118-2 EIM the SECC sends the EVCCID as hex); nil accepts every token.
    public let allowedTokens: Set<String>?
    private let transactions = Mutex<(next: Int, log: [String])>((1, []))

    public init(allowedTokens: Set<String>? = nil) {
        self.allowedTokens = allowedTokens
    }

    public func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision {
        switch request.identification {
        case .external(let token, _):
            if let allowed = self.allowedTokens, !allowed.contains(token) {
                return BackendAuthorizationDecision(status: .invalid, detail: "token not in the local allow-list")
            }
            return BackendAuthorizationDecision(status: .accepted)
        case .contract:
            return BackendAuthorizationDecision(
                status: .invalid, certificateStatus: .noCertificateAvailable,
                detail: "contract authorization is not configured in the local backend")
        }
    }

    public func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        CertificateExchangeResult(status: .failed, exiResponse: [], detail: "no eMSP is attached to the local backend")
    }

    public func certificateStatus(_ request: CertificateStatusRequest) async throws -> CertificateStatusResult {
        CertificateStatusResult(status: .failed, ocspResponse: [])
    }

    public func transactionStarted(_ event: TransactionStart) async throws -> String {
        self.transactions.withLock {
            let id = "local-\($0.next)"
            $0.next += 1
            $0.log.append("started \(id) at \(event.meterStartWh) Wh")
            return id
        }
    }

    public func transactionUpdated(_ event: TransactionUpdate) async throws {
        self.transactions.withLock { $0.log.append("updated \(event.transactionID) at \(event.meterWh) Wh") }
    }

    public func transactionEnded(_ event: TransactionEnd) async throws {
        self.transactions.withLock { $0.log.append("ended \(event.transactionID) at \(event.meterStopWh) Wh") }
    }

    /// What happened to transactions, in order ("started local-1 at 0.0 Wh", ...).
    public var transactionLog: [String] { self.transactions.withLock { $0.log } }
}
