import NIOCore

/// A client connection whose deadlines ``ConnectionTimers`` checks.
package protocol TimedConnection: AnyObject {
    /// Where the connection sits in its loop's list; managed by ``ConnectionTimers``.
    var timerSlot: Int { get set }
    /// Called on every sweep: act on whatever deadline passed by `now`.
    func checkDeadlines(now: NIODeadline)
}

/// The timers of one event loop's client connections: a single repeated sweep per loop checks
/// every connection's deadlines, so no request schedules (or cancels) a task of its own.
/// Deadlines are honoured within ``resolution``.
package final class ConnectionTimers {
    package static let resolution = TimeAmount.milliseconds(250)

    private let eventLoop: any EventLoop
    private var connections: [any TimedConnection] = []
    private var sweeper: RepeatedTask?

    package init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Connections being watched.
    package var count: Int { connections.count }

    package func add(_ connection: any TimedConnection) {
        guard connection.timerSlot < 0 else { return }
        connection.timerSlot = connections.count
        connections.append(connection)
        if sweeper == nil {
            sweeper = eventLoop.scheduleRepeatedTask(initialDelay: Self.resolution, delay: Self.resolution) {
                [bound = NIOLoopBound(self, eventLoop: eventLoop)] _ in
                bound.value.sweep()
            }
        }
    }

    package func remove(_ connection: any TimedConnection) {
        let slot = connection.timerSlot
        guard slot >= 0, slot < connections.count, connections[slot] === connection else { return }
        let last = connections.removeLast()
        if slot < connections.count {
            connections[slot] = last
            last.timerSlot = slot
        }
        connection.timerSlot = -1
    }

    /// Checks every connection once. A connection may remove itself (closing) while checked.
    package func sweep() {
        let now = eventLoop.now
        var index = 0
        while index < connections.count {
            let connection = connections[index]
            connection.checkDeadlines(now: now)
            if index < connections.count, connections[index] === connection { index += 1 }
        }
    }

    /// Stops the sweep (shutdown).
    package func stop() {
        sweeper?.cancel()
        sweeper = nil
    }
}

@available(*, unavailable)
extension ConnectionTimers: Sendable {}
