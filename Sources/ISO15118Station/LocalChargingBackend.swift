import Foundation
public import ISO15118SECC
import Synchronization
import V2GPKI
public import X509

/// An in-process backend for `pnc station` without a CSMS: external identification from an allow-list, Plug & Charge
/// contracts validated locally against the MO roots, transactions numbered locally. Certificate installation and
/// update go to `certificateExchange` when one is attached (an eMSP's contract provisioning), else answer Failed.
public final class LocalChargingBackend: ChargingBackend {
    /// Answers a relayed certificate installation or update request.
    public typealias CertificateExchange = @Sendable (CertificateExchangeRequest) async throws -> CertificateExchangeResult

    /// The tokens that are accepted (for ISO 15118-2 EIM the SECC sends the EVCCID as hex); nil accepts every token.
    public let allowedTokens: Set<String>?
    /// The MO roots contracts must chain to; empty refuses every contract with NoCertificateAvailable.
    public let contractRoots: [Certificate]
    /// Revocation checking for contract chains (e.g. V2GPKI's OCSP client); `.none` checks validity and chain only.
    public let revocation: ChainValidator.RevocationPolicy
    private let certificateExchange: CertificateExchange?
    private let transactions = Mutex<(next: Int, log: [String])>((1, []))

    public init(
        allowedTokens: Set<String>? = nil, contractRoots: [Certificate] = [],
        revocation: ChainValidator.RevocationPolicy = .none, certificateExchange: CertificateExchange? = nil
    ) {
        self.allowedTokens = allowedTokens
        self.contractRoots = contractRoots
        self.revocation = revocation
        self.certificateExchange = certificateExchange
    }

    public func authorize(_ request: BackendAuthorizationRequest) async throws -> BackendAuthorizationDecision {
        switch request.identification {
        case .external(let token, _):
            if let allowed = self.allowedTokens, !allowed.contains(token) {
                return BackendAuthorizationDecision(status: .invalid, detail: "token not in the local allow-list")
            }
            return BackendAuthorizationDecision(status: .accepted)
        case .contract(_, let pem, _):
            guard !self.contractRoots.isEmpty else {
                return BackendAuthorizationDecision(
                    status: .invalid, certificateStatus: .noCertificateAvailable, detail: "no MO roots configured")
            }
            guard let chain = try? CertificateFile.certificates(from: Array(pem.utf8)), !chain.isEmpty else {
                return BackendAuthorizationDecision(status: .invalid, certificateStatus: .certChainError, detail: "unreadable chain")
            }
            let validator = ChainValidator(roots: self.contractRoots)
            switch await validator.validate(chain: chain, at: Date(), role: .contract, revocation: self.revocation) {
            case .success:
                return BackendAuthorizationDecision(status: .accepted, certificateStatus: .accepted)
            case .failure(let failure):
                let status: BackendAuthorizationDecision.CertificateStatus
                switch failure {
                case .expired, .notYetValid: status = .certificateExpired
                case .revoked: status = .certificateRevoked
                case .unknownRoot: status = .noCertificateAvailable
                default: status = .certChainError
                }
                return BackendAuthorizationDecision(status: .invalid, certificateStatus: status, detail: failure.description)
            }
        }
    }

    public func exchangeCertificate(_ request: CertificateExchangeRequest) async throws -> CertificateExchangeResult {
        guard let exchange = self.certificateExchange else {
            return CertificateExchangeResult(status: .failed, exiResponse: [], detail: "no eMSP is attached to the local backend")
        }
        return try await exchange(request)
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
        self.transactions.withLock { $0.log.append("ended \(event.transactionID) at \(event.meterStopWh) Wh (\(event.reason.rawValue))") }
    }

    /// What happened to transactions, in order ("started local-1 at 0.0 Wh", ...).
    public var transactionLog: [String] { self.transactions.withLock { $0.log } }
}
