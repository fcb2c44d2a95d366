import Dispatch
import Logging
import Shared
import Synchronization

/// Writes installed snapshots to the cache off the control-plane conversation, so that
/// installing and acknowledging a version never waits for the disk (a large snapshot's encoding
/// and fsync take tens of milliseconds). Only the newest matters: one that a newer one replaces
/// before its turn is never written. Writes are at least ``minimumInterval`` apart, so a burst
/// of versions costs one file a second, not one per version; ``flush()`` writes at once.
package final class SnapshotCacheWriter: Sendable {
    private struct State {
        var pending: (snapshot: Snapshot, content: SnapshotContent?)?
        /// A drain is running or scheduled.
        var writing = false
        /// A flush waits: write without waiting for the interval.
        var urgent = false
        var lastWrite: ContinuousClock.Instant?
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    private let cache: SnapshotCache
    private let logger: Logger
    private let minimumInterval: Duration
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "orch.snapshot-cache", qos: .utility)

    package init(cache: SnapshotCache, logger: Logger, minimumInterval: Duration = .seconds(1)) {
        self.cache = cache
        self.logger = logger
        self.minimumInterval = minimumInterval
    }

    /// Schedules `snapshot` to replace the cached one; returns at once. `content`, when known, is
    /// its content with the endpoints' encodings, which the file is assembled from.
    package func submit(_ snapshot: Snapshot, content: SnapshotContent? = nil) {
        let start = state.withLock { state -> Bool in
            state.pending = (snapshot, content)
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    /// Returns once every submitted snapshot is written (or failed to be), writing the newest at
    /// once if it waits for the interval.
    package func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard state.writing else { return true }
                state.idle.append(continuation)
                state.urgent = true
                return false
            }
            if done {
                continuation.resume()
            } else {
                queue.async { self.drain() }
            }
        }
    }

    private enum Step {
        case write(Snapshot, SnapshotContent?)
        case wait(Duration)
        case done([CheckedContinuation<Void, Never>])
    }

    /// Runs on ``queue``: writes what is pending, or schedules itself for when the interval
    /// since the last write has passed.
    private func drain() {
        while true {
            let now = ContinuousClock.now
            let step = state.withLock { state -> Step in
                guard let next = state.pending else {
                    // Checked and cleared under one lock: a later `submit` starts a new round.
                    guard state.writing else { return .done([]) }
                    state.writing = false
                    state.urgent = false
                    defer { state.idle = [] }
                    return .done(state.idle)
                }
                if !state.urgent, let last = state.lastWrite, now - last < minimumInterval {
                    return .wait(minimumInterval - (now - last))
                }
                state.pending = nil
                state.lastWrite = now
                return .write(next.snapshot, next.content)
            }
            switch step {
            case .done(let waiting):
                for continuation in waiting { continuation.resume() }
                return
            case .wait(let delay):
                let (seconds, attoseconds) = delay.components
                let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
                queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.drain() }
                return
            case .write(let snapshot, let content):
                do {
                    try cache.store(snapshot, content: content)
                } catch {
                    logger.warning(
                        "cannot cache snapshot",
                        metadata: ["orch.snapshot.version": "\(snapshot.version)", "error": "\(error)"])
                }
            }
        }
    }
}
