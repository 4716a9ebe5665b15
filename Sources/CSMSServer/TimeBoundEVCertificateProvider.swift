public import CSMS

/// Bounds an ``CSMS/EVCertificateProvider`` by a latency budget (M02/M03: the EV waits for the answer within the
/// ISO 15118 message timeout, so a late answer is useless): after `budget` the request answers Failed and the
/// provider's task is cancelled.
public struct TimeBoundEVCertificateProvider: EVCertificateProvider {
    public let provider: any EVCertificateProvider
    public let budget: Duration

    public init(_ provider: any EVCertificateProvider, budget: Duration) {
        self.provider = provider
        self.budget = budget
    }

    public func certificate(for request: EVCertificateRequest) async throws -> EVCertificateResponse {
        let provider = self.provider
        let budget = self.budget
        return try await withThrowingTaskGroup(of: EVCertificateResponse.self) { group in
            group.addTask { try await provider.certificate(for: request) }
            group.addTask {
                try await Task.sleep(for: budget)
                return EVCertificateResponse(
                    status: .failed, exiResponse: [], reason: "no answer from the contract certificate provider within \(budget)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else {
                return EVCertificateResponse(status: .failed, exiResponse: [], reason: "no answer")
            }
            return first
        }
    }
}
