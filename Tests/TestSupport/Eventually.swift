import Foundation

/// Raised when a condition a test waits for does not come true in time.
public struct TimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// Polls `condition` until it returns a value, or fails after `timeout` seconds. Use generous
/// timeouts: tests run on loaded two-core machines.
public func eventually<T>(
    _ what: String,
    timeout: Double = 20,
    interval: Double = 0.02,
    _ condition: () async throws -> T?
) async throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    var lastError: (any Error)?
    while true {
        do {
            if let value = try await condition() { return value }
        } catch {
            lastError = error
        }
        if Date() > deadline {
            throw TimedOut(
                description: "timed out after \(timeout)s waiting for \(what)"
                    + (lastError.map { " (last error: \($0))" } ?? ""))
        }
        try await Task.sleep(nanoseconds: UInt64(interval * 1e9))
    }
}
