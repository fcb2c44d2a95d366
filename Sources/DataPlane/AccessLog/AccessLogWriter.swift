import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The replica's one access-log writer thread. Event loops hand it batches of formatted lines
/// (``submit(_:lines:)`` only appends to a buffer under a lock); the thread swaps the buffer out
/// and writes it with blocking `write(2)` calls off the loops. When more than
/// ``maximumPendingBytes`` wait, new batches are dropped and counted instead of growing memory.
package final class AccessLogWriter: @unchecked Sendable {
    /// 1 while there is something to write or the writer is stopping; 0 when idle.
    private let condition = ConditionLock(value: 0)
    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var stopping = false
    private var droppedLines = 0
    private let finished = ConditionLock(value: false)

    private let descriptor: CInt
    private let ownsDescriptor: Bool
    package let maximumPendingBytes: Int

    /// Opens `destination` (`nil` for ``AccessLogDestination/off``) and starts the writer thread.
    package static func start(
        _ destination: AccessLogDestination, maximumPendingBytes: Int = 8 << 20
    ) throws -> AccessLogWriter? {
        let writer: AccessLogWriter
        switch destination {
        case .off:
            return nil
        case .standardOutput:
            writer = AccessLogWriter(
                descriptor: STDOUT_FILENO, ownsDescriptor: false, maximumPendingBytes: maximumPendingBytes)
        case .file(let path):
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw AccessLogError(path: path, errno: errno) }
            writer = AccessLogWriter(
                descriptor: descriptor, ownsDescriptor: true, maximumPendingBytes: maximumPendingBytes)
        }
        let thread = Thread { writer.run() }
        thread.name = "orch-access-log"
        thread.start()
        return writer
    }

    private init(descriptor: CInt, ownsDescriptor: Bool, maximumPendingBytes: Int) {
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
        self.maximumPendingBytes = maximumPendingBytes
    }

    /// Queues `bytes` (`lines` complete lines) for writing, or drops them when too much waits.
    package func submit(_ bytes: [UInt8], lines: Int) {
        condition.lock()
        guard !stopping, pending.count + bytes.count <= maximumPendingBytes else {
            droppedLines += lines
            condition.unlock(withValue: signal)
            return
        }
        pending.append(contentsOf: bytes)
        condition.unlock(withValue: 1)
    }

    /// Lines dropped since start because the writer fell behind.
    package var dropped: Int {
        condition.lock()
        defer { condition.unlock(withValue: signal) }
        return droppedLines
    }

    /// Writes what is queued, stops the thread and closes the file; waits until done.
    package func finish() {
        condition.lock()
        stopping = true
        condition.unlock(withValue: 1)
        finished.lock(whenValue: true)
        finished.unlock()
    }

    /// The condition's value for the guarded state; call with the lock held.
    private var signal: Int { pending.isEmpty && !stopping ? 0 : 1 }

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock(whenValue: 1)
            swap(&batch, &pending)
            let stop = stopping
            condition.unlock(withValue: stop ? 1 : 0)
            if !batch.isEmpty { write(batch) }
            batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)
            if stop {
                condition.lock()
                let rest = pending
                pending = []
                condition.unlock(withValue: 1)
                if !rest.isEmpty { write(rest) }
                break
            }
        }
        if ownsDescriptor { close(descriptor) }
        finished.lock()
        finished.unlock(withValue: true)
    }

    /// Writes all of `bytes`, retrying short writes; gives up on the batch on an error.
    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// The access-log file cannot be opened.
package struct AccessLogError: Error, CustomStringConvertible {
    package var path: String
    package var errno: CInt

    package var description: String { "cannot open access log \(path): \(String(cString: strerror(errno)))" }
}
