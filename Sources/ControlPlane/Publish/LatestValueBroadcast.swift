import Synchronization

/// Streams of one changing value for local subscribers: each gets the value at once, then every
/// new one, coalesced to the latest when it reads slowly. Behind a lock so that a stream that
/// ends removes itself at once.
final class LatestValueBroadcast<Value: Sendable>: Sendable {
    private struct State {
        var next: UInt64 = 0
        var continuations: [UInt64: AsyncStream<Value>.Continuation] = [:]
    }

    private let state = Mutex(State())

    /// A stream that starts with `current`; it ends when the reader stops iterating.
    func subscribe(current: Value) -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.next += 1
            state.continuations[state.next] = continuation
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.continuations.removeValue(forKey: id) }
        }
        continuation.yield(current)
        return stream
    }

    /// Hands `value` to every subscriber. Yields outside the lock: a yield may resume the
    /// reading task, which takes the runtime's lock on that task, and cancelling that task runs
    /// the stream's termination handler, which takes ours, under it.
    func yield(_ value: Value) {
        let continuations = state.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(value) }
    }
}
