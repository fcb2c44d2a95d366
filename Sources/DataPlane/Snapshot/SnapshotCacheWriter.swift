import Dispatch
import Logging
import Shared
import Synchronization

/// Writes installed snapshots to the cache off the control-plane conversation, so that
/// installing and acknowledging a version never waits for the disk (a large snapshot's encoding
/// and fsync take tens of milliseconds). Only the newest matters: one that a newer one replaces
/// before its turn is never written.
package final class SnapshotCacheWriter: Sendable {
    private struct State {
        var pending: (snapshot: Snapshot, content: SnapshotContent?)?
        var writing = false
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    private let cache: SnapshotCache
    private let logger: Logger
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "orch.snapshot-cache", qos: .utility)

    package init(cache: SnapshotCache, logger: Logger) {
        self.cache = cache
        self.logger = logger
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

    /// Returns once every submitted snapshot is written (or failed to be).
    package func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard state.writing else { return true }
                state.idle.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func drain() {
        while true {
            let (next, waiting) = state.withLock {
                state -> ((snapshot: Snapshot, content: SnapshotContent?)?, [CheckedContinuation<Void, Never>]) in
                if let next = state.pending {
                    state.pending = nil
                    return (next, [])
                }
                // Checked and cleared under one lock: a later `submit` starts a new round.
                state.writing = false
                defer { state.idle = [] }
                return (nil, state.idle)
            }
            guard let next else {
                for continuation in waiting { continuation.resume() }
                return
            }
            do {
                try cache.store(next.snapshot, content: next.content)
            } catch {
                logger.warning(
                    "cannot cache snapshot",
                    metadata: ["orch.snapshot.version": "\(next.snapshot.version)", "error": "\(error)"])
            }
        }
    }
}
