import NIOConcurrencyHelpers
import NIOCore

/// The open client connections of a replica, so that a drain can tell each one, wait until
/// none is left, and close the rest at the deadline.
package final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var draining = false
        var closing = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// Connections open now.
    package var count: Int { state.withLockedValue { $0.channels.count } }

    /// Tracks `channel` until it closes. Called from the channel's initializer; a connection
    /// that arrives after ``closeAll()`` is closed at once.
    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let closing = state.withLockedValue { state -> Bool in
            if !state.closing { state.channels[key] = channel }
            return state.closing
        }
        if closing {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [state] _ in
            let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
                state.channels.removeValue(forKey: key)
                guard state.draining, state.channels.isEmpty else { return [] }
                defer { state.emptyWaiters = [] }
                return state.emptyWaiters
            }
            waiters.forEach { $0.resume() }
        }
    }

    /// Tells every open connection that the replica drains (``ChannelShouldQuiesceEvent``, taken
    /// by its ``DrainCloseHandler``): each finishes the request in progress and its next response
    /// says `Connection: close`. Idle connections stay open, since a client may be sending on them
    /// right now.
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
