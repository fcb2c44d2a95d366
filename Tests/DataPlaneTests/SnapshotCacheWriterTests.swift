import DataPlane
import Foundation
import Logging
import Shared
import TestSupport
import Testing

/// The cache is written off the control-plane conversation, newest snapshot first and only.
@Suite struct SnapshotCacheWriterTests {
    static func snapshot(_ version: Int) -> Snapshot {
        Snapshot(version: version, createdAt: "2026-12-02T00:00:00Z", cause: "test", endpoints: [])
    }

    @Test func afterAFlushTheCacheHoldsTheNewestSubmittedSnapshot() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let cache = SnapshotCache(directory: directory.file("cache").path)
        let writer = SnapshotCacheWriter(cache: cache, logger: Logger(label: "cache-writer-test"))
        for version in 1...200 { writer.submit(Self.snapshot(version)) }
        await writer.flush()
        #expect(try cache.load()?.version == 200)
        writer.submit(Self.snapshot(201))
        await writer.flush()
        #expect(try cache.load()?.version == 201)
        // Nothing left over: no temporary files beside the cache.
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory)
        #expect(files == ["snapshot.json"])
    }

    @Test(.timeLimit(.minutes(1))) func writesWaitForTheIntervalButAFlushWritesTheNewestAtOnce() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let cache = SnapshotCache(directory: directory.file("cache").path)
        let writer = SnapshotCacheWriter(
            cache: cache, logger: Logger(label: "cache-writer-test"), minimumInterval: .seconds(3600))
        // The first is written at once; the next ones wait for the hour, newest only.
        writer.submit(Self.snapshot(1))
        _ = try await eventually("version 1 cached") { try cache.load()?.version == 1 ? true : nil }
        for version in 2...50 { writer.submit(Self.snapshot(version)) }
        await writer.flush()
        #expect(try cache.load()?.version == 50)
    }

    @Test(.timeLimit(.minutes(1))) func aCacheThatCannotBeWrittenDoesNotHoldUpAFlush() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        // A regular file where the cache directory should be: every write fails.
        try directory.write("not a directory", to: "cache")
        let cache = SnapshotCache(directory: directory.file("cache").path)
        let writer = SnapshotCacheWriter(cache: cache, logger: Logger(label: "cache-writer-test"))
        writer.submit(Self.snapshot(1))
        await writer.flush()
        #expect(try cache.load() == nil)
    }

    @Test(.timeLimit(.minutes(1))) func aFlushWithNothingSubmittedReturns() async {
        let writer = SnapshotCacheWriter(
            cache: SnapshotCache(directory: "/nonexistent/cache"), logger: Logger(label: "cache-writer-test"))
        await writer.flush()
    }
}
