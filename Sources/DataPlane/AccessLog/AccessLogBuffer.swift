import NIOCore

/// One event loop's pending access-log lines. Lines are formatted straight into ``bytes`` on the
/// loop; the first line of a batch schedules a hand-over to the ``AccessLogWriter`` at the end of
/// the current loop tick, so a busy loop takes the writer's lock once per tick, not per request.
package final class AccessLogBuffer {
    private let writer: AccessLogWriter
    private let eventLoop: any EventLoop
    package let replicaID: String
    private var bytes: [UInt8] = []
    private var lines = 0

    package init(writer: AccessLogWriter, eventLoop: any EventLoop, replicaID: String) {
        self.writer = writer
        self.eventLoop = eventLoop
        self.replicaID = replicaID
        bytes.reserveCapacity(16 << 10)
    }

    /// Formats `entry` into the batch.
    package func append(_ entry: AccessLogEntry) {
        if lines == 0 {
            eventLoop.assumeIsolated().execute { [self] in flush() }
        }
        entry.append(to: &bytes)
        lines += 1
    }

    private func flush() {
        guard lines > 0 else { return }
        writer.submit(bytes, lines: lines)
        bytes.removeAll(keepingCapacity: true)
        lines = 0
    }
}

@available(*, unavailable)
extension AccessLogBuffer: Sendable {}
