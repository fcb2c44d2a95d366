import Foundation
import Logging
import ServiceLifecycle

/// Watches the config file by polling its metadata (works for edits in place, save-by-rename and
/// deletion, on every file system) and reloads once the file has been quiet for the debounce
/// interval.
package struct ConfigWatcher: Service {
    let source: ConfigSource
    let interval: Duration
    let debounce: Duration
    let logger: Logger

    package init(
        source: ConfigSource, interval: Duration = .milliseconds(200), debounce: Duration = .milliseconds(300),
        logger: Logger
    ) {
        self.source = source
        self.interval = interval
        self.debounce = debounce
        self.logger = logger
    }

    /// What identifies one version of the file on disk.
    struct Signature: Equatable {
        var exists: Bool
        var inode: UInt64 = 0
        var size: Int64 = 0
        var modified: timespec = timespec()

        static func == (lhs: Signature, rhs: Signature) -> Bool {
            lhs.exists == rhs.exists && lhs.inode == rhs.inode && lhs.size == rhs.size
                && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
        }

        init(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else {
                exists = false
                return
            }
            exists = true
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim
        }
    }

    package func run() async throws {
        await source.setWatching(true)
        let path = source.path
        var seen = Signature(path: path)
        var changedAt: ContinuousClock.Instant?
        let clock = ContinuousClock()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            let now = Signature(path: path)
            if now != seen {
                seen = now
                changedAt = clock.now
                continue
            }
            if let changed = changedAt, clock.now - changed >= debounce {
                changedAt = nil
                let result = await source.load(cause: "config file changed")
                if case .unchanged = result { logger.debug("config file touched, content unchanged") }
            }
        }
        // The loop only ends (it throws nothing), so this runs in the service itself, not in a
        // task that would outlive it.
        await source.setWatching(false)
    }
}
