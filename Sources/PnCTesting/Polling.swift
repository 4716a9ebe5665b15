import Foundation

/// Waits while `pending` holds, checking it every `interval`, for at most `timeout` (a bounded wait).
///
/// For tests that wait on servers they run: the bound is a deadline on the clock, generous enough for a loaded
/// machine, so that the wait fails only when the awaited state never comes. Returns at once when the task is cancelled.
public func pollWhile(
    timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(10), _ pending: () async throws -> Bool
) async rethrows {
    let deadline = ContinuousClock.now + timeout
    while try await pending(), ContinuousClock.now < deadline, !Task.isCancelled {
        try? await Task.sleep(for: interval)
    }
}

/// Runs CPU-bound test setup (a PKI's keys and certificates) on a thread of its own, so that it does not hold one of
/// the few cooperative threads the servers of other tests need.
public func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
