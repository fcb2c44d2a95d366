import NIOConcurrencyHelpers
import NIOCore

/// The open client connections of a replica, so that a drain can tell each one, wait until
/// none is left, and close the rest at the deadline.
package final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// ``ProxyLimits/maxConnections`` as of the last connection added.
        var limit = Int.max
        var draining = false
        var closing = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// Called when the replica reaches its connection limit or falls below it again; each
    /// listener re-reads ``isFull`` and stops or resumes accepting.
    private let capacityChanged = NIOLockedValueBox<[@Sendable () -> Void]>([])

    /// Connections open now.
    package var count: Int { state.withLockedValue { $0.channels.count } }

    /// Whether the replica holds as many connections as its limit allows: accept no more.
    package var isFull: Bool { state.withLockedValue { $0.channels.count >= $0.limit } }

    /// Adds what to call when ``isFull`` may have changed (one per listener: the plaintext and
    /// the TLS one share the limit).
    package func onCapacityChange(_ body: @escaping @Sendable () -> Void) {
        capacityChanged.withLockedValue { $0.append(body) }
    }

    /// Tracks `channel` until it closes; `limit` is the replica's connection limit now. Called
    /// from the channel's initializer; a connection that arrives after ``closeAll()`` is closed
    /// at once.
    package func add(_ channel: any Channel, limit: Int = .max) {
        let key = ObjectIdentifier(channel)
        let (closing, becameFull) = state.withLockedValue { state -> (Bool, Bool) in
            state.limit = limit
            if !state.closing { state.channels[key] = channel }
            return (state.closing, state.channels.count == limit)
        }
        if closing {
            channel.close(promise: nil)
            return
        }
        if becameFull { capacityChanged.withLockedValue { $0 }.forEach { $0() } }
        channel.closeFuture.whenComplete { [state, capacityChanged] _ in
            let (waiters, freed) = state.withLockedValue { state -> ([CheckedContinuation<Void, Never>], Bool) in
                state.channels.removeValue(forKey: key)
                let freed = state.channels.count == state.limit - 1
                guard state.draining, state.channels.isEmpty else { return ([], freed) }
                defer { state.emptyWaiters = [] }
                return (state.emptyWaiters, freed)
            }
            if freed { capacityChanged.withLockedValue { $0 }.forEach { $0() } }
            waiters.forEach { $0.resume() }
        }
    }

    /// Tells every open connection that the replica drains (``ChannelShouldQuiesceEvent``, taken
    /// by its connection state machine): a response whose head has not gone out says
    /// `Connection: close`; one that promised keep-alive completes and the connection's next
    /// response says it. Idle connections stay open, since a client may be sending on them right now.
    package func drain() {
        let open = state.withLockedValue { state in
            state.draining = true
            return Array(state.channels.values)
        }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    /// Returns once ``drain()`` was called and no connection is left.
    package func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLockedValue { state -> Bool in
                guard !(state.draining && state.channels.isEmpty) else { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Closes every open connection (the drain deadline has passed).
    package func closeAll() {
        let open = state.withLockedValue { state in
            state.closing = true
            return Array(state.channels.values)
        }
        for channel in open { channel.close(promise: nil) }
    }
}
