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
/// A file destination is created with mode 0600 and opened again by ``reopen()`` (SIGHUP), so
/// that a rotated file is let go of.
package final class AccessLogWriter: @unchecked Sendable {
    /// 1 while there is something to write or the writer is stopping; 0 when idle.
    private let condition = ConditionLock(value: 0)
    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var stopping = false
    private var droppedLines = 0
    private var reopenRequested = false
    private let finished = ConditionLock(value: false)

    /// Only the writer thread touches it after start.
    private var descriptor: CInt
    private let ownsDescriptor: Bool
    /// The file reopened on ``reopen()``; `nil` for standard output.
    package let path: String?
    package let maximumPendingBytes: Int

    /// Opens `destination` (`nil` for ``AccessLogDestination/off``) and starts the writer thread.
    /// Standard output is written through `standardOutput` (a duplicate of fd 1 when the
    /// process moved its other output to stderr); the writer closes it when it finishes.
    package static func start(
        _ destination: AccessLogDestination, standardOutput: CInt = STDOUT_FILENO, maximumPendingBytes: Int = 8 << 20
    ) throws -> AccessLogWriter? {
        let writer: AccessLogWriter
        switch destination {
        case .off:
            return nil
        case .standardOutput:
            writer = AccessLogWriter(
                descriptor: standardOutput, ownsDescriptor: standardOutput != STDOUT_FILENO, path: nil,
                maximumPendingBytes: maximumPendingBytes)
        case .file(let path):
            let descriptor = try Self.open(path)
            writer = AccessLogWriter(
                descriptor: descriptor, ownsDescriptor: true, path: path, maximumPendingBytes: maximumPendingBytes)
        }
        let thread = Thread { writer.run() }
        thread.name = "orch-access-log"
        thread.start()
        return writer
    }

    private init(descriptor: CInt, ownsDescriptor: Bool, path: String?, maximumPendingBytes: Int) {
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
        self.path = path
        self.maximumPendingBytes = maximumPendingBytes
    }

    /// Opens `path` for appending, creating it with mode 0600 (access logs hold client addresses
    /// and paths).
    static func open(_ path: String) throws -> CInt {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AccessLogError(path: path, errno: errno) }
        return descriptor
    }

    /// Asks the writer thread to open the file again by its path after what is queued now is
    /// written (log rotation: the old file was renamed away). Nothing happens for standard output.
    package func reopen() {
        guard path != nil else { return }
        condition.lock()
        reopenRequested = true
        condition.unlock(withValue: 1)
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
    private var signal: Int { pending.isEmpty && !stopping && !reopenRequested ? 0 : 1 }

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock(whenValue: 1)
            swap(&batch, &pending)
            let stop = stopping
            let reopen = reopenRequested
            reopenRequested = false
            condition.unlock(withValue: stop ? 1 : 0)
            if !batch.isEmpty { write(batch) }
            if reopen { reopenFile() }
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

    /// Opens the file again and writes to the new descriptor from now on; keeps the old one when
    /// the file cannot be opened (the error goes to stderr).
    private func reopenFile() {
        guard let path else { return }
        do {
            let fresh = try Self.open(path)
            close(descriptor)
            descriptor = fresh
        } catch {
            FileHandle.standardError.write(Data("orch-data-plane: \(error); writing on to the old file\n".utf8))
        }
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
