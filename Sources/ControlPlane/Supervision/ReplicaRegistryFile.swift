import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `<dataDir>/replicas.json`: every replica process the supervisor currently runs, so that tests,
/// operators and a restarted control plane can find them:
/// `{"replicas":[{"pid":123,"slot":1,"started_at":"2026-11-26T14:02:38Z","restarts":0}]}`.
package enum ReplicaRegistryFile {
    /// One running replica.
    package struct Entry: Sendable, Equatable, Codable {
        package var pid: Int32
        package var slot: Int
        /// ISO 8601 UTC.
        package var startedAt: String
        package var restarts: Int

        package init(pid: Int32, slot: Int, startedAt: String, restarts: Int) {
            self.pid = pid
            self.slot = slot
            self.startedAt = startedAt
            self.restarts = restarts
        }

        enum CodingKeys: String, CodingKey {
            case pid, slot
            case startedAt = "started_at"
            case restarts
        }
    }

    private struct Document: Codable {
        var replicas: [Entry]
        /// The proxy address the replicas serve, so a restarted control plane that adopts them
        /// knows it without binding it.
        var proxy: String?
        /// The TLS proxy address the replicas serve, when they have a TLS socket.
        var proxyTLS: String?

        enum CodingKeys: String, CodingKey {
            case replicas, proxy
            case proxyTLS = "proxy_tls"
        }
    }

    package static let fileName = "replicas.json"

    /// The file's location in a data directory.
    package static func url(dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent(fileName)
    }

    /// The running replicas among `statuses`, in slot order.
    static func entries(_ statuses: [ReplicaProcessStatus]) -> [Entry] {
        statuses.compactMap { status in
            guard let pid = status.pid else { return nil }
            return Entry(
                pid: pid, slot: status.slot, startedAt: status.startedAt.map(Timestamp.string) ?? "",
                restarts: status.restarts)
        }
    }

    /// Replaces the file atomically: a temporary file in the same directory, fsync, rename.
    package static func write(_ entries: [Entry], proxy: String? = nil, proxyTLS: String? = nil, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Document(replicas: entries, proxy: proxy, proxyTLS: proxyTLS))
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(fileName).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path]) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// Reads the file; a missing file means no replicas.
    package static func read(from url: URL) throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url)).replicas
    }
}

extension ReplicaRegistryFile {
    /// The proxy address recorded with the replicas, if any.
    package static func proxyAddress(from url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return (try? JSONDecoder().decode(Document.self, from: data))?.proxy
    }

    /// The TLS proxy address recorded with the replicas, if they have a TLS socket.
    package static func proxyTLSAddress(from url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return (try? JSONDecoder().decode(Document.self, from: data))?.proxyTLS
    }
}
