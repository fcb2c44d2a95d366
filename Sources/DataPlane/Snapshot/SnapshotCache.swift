import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The last good snapshot on disk (`<cache-dir>/snapshot.json`), so a replica started while the
/// control plane is down can serve. Written atomically: a uniquely named temporary file in the
/// same directory, fsync, rename, fsync of the directory.
package struct SnapshotCache: Sendable {
    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    package var path: String { directory + "/snapshot.json" }

    /// Reads and validates the cached snapshot; `nil` when there is none.
    ///
    /// - Throws: when the file exists but cannot be read or is not a valid snapshot.
    package func load() throws -> Snapshot? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try Snapshot.validate(ConfigNode.parseJSON(data))
    }

    /// Replaces the cached snapshot with `snapshot`'s canonical JSON, assembled from `content`'s
    /// kept encodings when it is the snapshot's content (no endpoint encoded again).
    package func store(_ snapshot: Snapshot, content: SnapshotContent? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data =
            if let content, content.checksum == snapshot.checksum {
                content.canonicalJSON(of: snapshot)
            } else {
                Snapshot.canonicalJSON(snapshot)
            }
        let temporary = "\(directory)/.snapshot.json.\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CacheError(operation: "create \(temporary)", code: errno) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw CacheError(operation: "write \(temporary)", code: errno)
                    }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw CacheError(operation: "fsync \(temporary)", code: errno) }
            closed = true
            guard close(fd) == 0 else { throw CacheError(operation: "close \(temporary)", code: errno) }
            guard rename(temporary, path) == 0 else { throw CacheError(operation: "rename to \(path)", code: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}

/// A cache file operation failed.
package struct CacheError: Error, CustomStringConvertible {
    package var operation: String
    package var code: Int32

    package var description: String { "cannot \(operation): \(String(cString: strerror(code)))" }
}
