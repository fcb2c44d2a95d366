import Foundation

/// Writes files so that a reader (or a crash) never sees half of one: a temporary file in the
/// same directory, fsync, rename over the target.
package enum AtomicFile {
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ControlPlaneError("cannot create \(temporary): \(errnoText())") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let written = data.withUnsafeBytes { buffer -> Int in
            var offset = 0
            while offset < buffer.count {
                let result = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                offset += result
            }
            return offset
        }
        guard written == data.count, fsync(fd) == 0 else {
            let reason = errnoText()
            close(fd)
            throw ControlPlaneError("cannot write \(path): \(reason)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw ControlPlaneError("cannot replace \(path): \(errnoText())") }
        ok = true
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
