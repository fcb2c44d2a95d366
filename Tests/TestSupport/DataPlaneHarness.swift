import Foundation
import Shared

/// Starts the real `orch-data-plane` with `--listen 127.0.0.1:0` in a fresh directory, reads
/// its port from the `listening on` line, and stops it when the test calls ``stop()``.
public final class DataPlaneHarness: @unchecked Sendable {
    public let directory: TestDirectory
    public let process: ChildProcess
    public let port: Int
    public var cacheDir: URL { directory.file("cache") }
    public var controlSocket: String
    public let replicaID: String

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Writes `cachedSnapshot` (if any) into the cache and starts a replica.
    public static func start(
        cachedSnapshot: Snapshot? = nil,
        controlSocket: String? = nil,
        directory: TestDirectory? = nil,
        arguments extra: [String] = [],
        environment: [String: String] = [:],
        replicaID: String = "test-replica"
    ) async throws -> DataPlaneHarness {
        let directory = try directory ?? TestDirectory()
        if let cachedSnapshot { try writeCache(cachedSnapshot, in: directory) }
        let socket = controlSocket ?? directory.file("control.sock").path
        let process = try ChildProcess(
            TestBinaries.url("orch-data-plane"),
            arguments: [
                "--listen", "127.0.0.1:0",
                "--cache-dir", directory.file("cache").path,
                "--control-socket", socket,
                "--replica-id", replicaID,
                "--log-level", "debug",
                "--drain-timeout", "2",
            ] + extra,
            environment: environment,
            directory: directory.url,
            name: "data-plane")
        do {
            let port = try await waitForPort(process)
            return DataPlaneHarness(
                directory: directory, process: process, port: port, controlSocket: socket, replicaID: replicaID)
        } catch {
            let tail = process.logTail
            process.stop()
            throw TimedOut(description: "\(error)\n\(tail)")
        }
    }

    private init(directory: TestDirectory, process: ChildProcess, port: Int, controlSocket: String, replicaID: String) {
        self.directory = directory
        self.process = process
        self.port = port
        self.controlSocket = controlSocket
        self.replicaID = replicaID
    }

    /// The port from the first `listening on HOST:PORT` line of a replica's stderr (its stdout
    /// belongs to the access log).
    public static func waitForPort(_ process: ChildProcess, timeout: Double = 60) async throws -> Int {
        try await eventually("data plane 'listening on' line", timeout: timeout) { () -> Int? in
            guard process.isRunning else {
                throw TimedOut(description: "data plane exited with \(process.process.terminationStatus)")
            }
            guard
                let line = process.errorOutput.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            else { return nil }
            return port
        }
    }

    /// The port from the `listening for TLS on HOST:PORT` line of a replica started with
    /// `--listen-tls`.
    public static func waitForTLSPort(_ process: ChildProcess, timeout: Double = 60) async throws -> Int {
        try await eventually("data plane 'listening for TLS on' line", timeout: timeout) { () -> Int? in
            guard process.isRunning else {
                throw TimedOut(description: "data plane exited with \(process.process.terminationStatus)")
            }
            guard
                let line = process.errorOutput.split(separator: "\n").first(where: {
                    $0.hasPrefix("listening for TLS on ")
                }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            else { return nil }
            return port
        }
    }

    /// Writes a snapshot where a replica started in `directory` looks for its cache.
    public static func writeCache(_ snapshot: Snapshot, in directory: TestDirectory) throws {
        let cache = directory.file("cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try Snapshot.canonicalJSON(snapshot).write(to: cache.appendingPathComponent("snapshot.json"))
    }

    /// `http://127.0.0.1:PORT` + `path`.
    public func url(_ path: String) -> String { baseURL + path }

    /// Stops the replica and removes its directory.
    public func stop(keepDirectory: Bool = false) {
        process.stop()
        if !keepDirectory { directory.remove() }
    }
}

extension Snapshot {
    /// A snapshot for tests: endpoints with default policies, `active` and health `unknown`
    /// unless given.
    public static func testing(version: Int, _ endpoints: [SnapshotEndpoint]) -> Snapshot {
        Snapshot(version: version, createdAt: Timestamp.string(), cause: "test", endpoints: endpoints)
    }
}

extension SnapshotEndpoint {
    /// An endpoint for tests.
    public static func testing(
        _ name: String,
        url: String,
        version: String? = nil,
        methods: [String] = ["GET"],
        disabled: Bool = false,
        timeout: Int = 30,
        health: EndpointHealth = .unknown,
        status: AdminStatus = .active
    ) -> SnapshotEndpoint {
        SnapshotEndpoint(
            config: EndpointConfig(
                name: name, url: url, version: version, methods: methods, disabled: disabled, timeout: timeout),
            owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: health, status: status)
    }
}
