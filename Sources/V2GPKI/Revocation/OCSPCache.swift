import Foundation

/// Verified OCSP answers keyed by CertID, each reused until its nextUpdate (RFC 5019 §4, RFC 6960 §4.2.2.1).
///
/// An answer without nextUpdate is never cached ("newer information is always available"). The cache holds at most
/// ``capacity`` answers; when full it drops expired ones, then the one that expires first.
public struct OCSPCache: Sendable {
    public let capacity: Int
    private var entries: [OCSPCertID: OCSPResponseVerifier.Answer] = [:]

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { entries.count }

    /// The answer for `certID` if one is cached and `now` is before its nextUpdate.
    public func answer(for certID: OCSPCertID, now: Date) -> OCSPResponseVerifier.Answer? {
        guard let answer = entries[certID], let nextUpdate = answer.nextUpdate, now < nextUpdate else { return nil }
        return answer
    }

    /// Keeps `answer` until its nextUpdate; ignores answers without nextUpdate or already expired.
    public mutating func store(_ answer: OCSPResponseVerifier.Answer, now: Date) {
        guard let nextUpdate = answer.nextUpdate, now < nextUpdate else {
            entries[answer.certID] = nil
            return
        }
        if entries[answer.certID] == nil, entries.count >= capacity {
            removeExpired(now: now)
            if entries.count >= capacity,
               let first = entries.min(by: { ($0.value.nextUpdate ?? now) < ($1.value.nextUpdate ?? now) })
            {
                entries[first.key] = nil
            }
        }
        entries[answer.certID] = answer
    }

    /// Drops every answer whose nextUpdate has passed.
    public mutating func removeExpired(now: Date) {
        entries = entries.filter { _, answer in answer.nextUpdate.map { now < $0 } ?? false }
    }
}
