import Foundation
import NIOHTTP1

/// Starts the real `orch-control-plane` in a fresh directory with ephemeral ports and stops it
/// (with every replica it started) when the test calls ``stop()``.
public final class ControlPlaneHarness: @unchecked Sendable {
    public let directory: TestDirectory
    public private(set) var process: ChildProcess
    public let dataDir: URL
    public let configURL: URL
    public private(set) var adminURL = ""
    public private(set) var proxyPort = 0
    /// The TLS proxy port, with `--proxy-tls-address`.
    public private(set) var proxyTLSPort: Int?
    /// The port remote data planes dial, with `--cluster-address`.
    public private(set) var clusterPort: Int?
    public private(set) var token = ""
    public var socketPath: String { dataDir.appendingPathComponent("control.sock").path }
    let arguments: [String]
    let environment: [String: String]

    /// Starts a control plane. `config` is written to `config.yaml` first (nil: no file).
    public static func start(
        config: String?,
        replicas: Int = 0,
        arguments extra: [String] = [],
        environment: [String: String] = [:],
        directory: TestDirectory? = nil
    ) async throws -> ControlPlaneHarness {
        let directory = try directory ?? TestDirectory()
        if let config { try directory.write(config, to: "config.yaml") }
        let harness = try ControlPlaneHarness(
            directory: directory,
            arguments: [
                "--data-dir", directory.file("data").path,
                "--config", directory.file("config.yaml").path,
                "--admin-address", "127.0.0.1:0",
                "--proxy-address", "127.0.0.1:0",
                "--replicas", String(replicas),
                "--log-level", "debug",
            ] + extra,
            environment: environment
        )
        do {
            try await harness.waitUntilReady()
        } catch {
            harness.stop()
            throw TimedOut(description: "\(error)\n\(harness.process.logTail)")
        }
        return harness
    }

    init(directory: TestDirectory, arguments: [String], environment: [String: String]) throws {
        self.directory = directory
        self.dataDir = directory.file("data")
        self.configURL = directory.file("config.yaml")
        self.arguments = arguments
        self.environment = environment
        self.process = try ChildProcess(
            TestBinaries.url("orch-control-plane"), arguments: arguments, environment: environment,
            directory: directory.url, name: "control-plane")
    }

    /// The runtime file the control plane writes once it listens.
    public struct Runtime: Decodable, Sendable {
        public var pid: Int32
        public var adminAddress: String
        public var proxyAddress: String
        public var proxyTLSAddress: String?
        public var clusterAddress: String?
        enum CodingKeys: String, CodingKey {
            case pid
            case adminAddress = "admin_address"
            case proxyAddress = "proxy_address"
            case proxyTLSAddress = "proxy_tls_address"
            case clusterAddress = "cluster_address"
        }
    }

    func waitUntilReady() async throws {
        let runtimeURL = dataDir.appendingPathComponent("runtime.json")
        let pid = process.pid
        let runtime = try await eventually("control plane runtime.json", timeout: 60) { () -> Runtime? in
            guard process.isRunning else {
                throw TimedOut(description: "control plane exited with \(process.process.terminationStatus)")
            }
            guard let data = try? Data(contentsOf: runtimeURL),
                let runtime = try? JSONDecoder().decode(Runtime.self, from: data), runtime.pid == pid
            else { return nil }
            return runtime
        }
        adminURL = "http://" + runtime.adminAddress
        proxyPort = Int(runtime.proxyAddress.split(separator: ":").last ?? "0") ?? 0
        proxyTLSPort = runtime.proxyTLSAddress.flatMap { Int($0.split(separator: ":").last ?? "") }
        clusterPort = runtime.clusterAddress.flatMap { Int($0.split(separator: ":").last ?? "") }
        if let envToken = environment["ORCH_ADMIN_TOKEN"] {
            token = envToken
        } else {
            token = try String(contentsOf: dataDir.appendingPathComponent("admin.token"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Kills the control plane with SIGKILL (replicas it started keep running).
    public func kill9() {
        process.signal(SIGKILL)
        process.waitForExit(timeout: 10)
    }

    /// Starts the control plane again on the same directory (ports are new).
    public func restart() async throws {
        if process.isRunning { process.stop() }
        try? FileManager.default.removeItem(at: dataDir.appendingPathComponent("runtime.json"))
        process = try ChildProcess(
            TestBinaries.url("orch-control-plane"), arguments: arguments, environment: environment,
            directory: directory.url, name: "control-plane")
        try await waitUntilReady()
    }

    /// Stops the control plane (SIGTERM, then SIGKILL) and removes the directory.
    public func stop(keepDirectory: Bool = false) {
        process.stop()
        killReplicas()
        if !keepDirectory && ProcessInfo.processInfo.environment["ORCH_KEEP_TEST_DIRS"] == nil { directory.remove() }
    }

    /// Pids in `data/replicas.json`: the replicas the supervisor started (and did not stop).
    public var replicaPids: [Int32] {
        struct Document: Decodable {
            struct Entry: Decodable { var pid: Int32 }
            var replicas: [Entry]
        }
        guard let data = try? Data(contentsOf: dataDir.appendingPathComponent("replicas.json")),
            let document = try? JSONDecoder().decode(Document.self, from: data)
        else { return [] }
        return document.replicas.map(\.pid)
    }

    /// Stops replicas left running (after a `kill -9` of the control plane, say).
    public func killReplicas() {
        let pids = replicaPids.filter { kill($0, 0) == 0 }
        for pid in pids { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, pids.contains(where: { kill($0, 0) == 0 && !isZombie($0) }) { usleep(20_000) }
        for pid in pids where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    /// Calls the admin API with the bearer token.
    public func admin(
        _ method: HTTPMethod,
        _ path: String,
        json body: String? = nil,
        headers: [(String, String)]? = nil
    ) async throws -> TestResponse {
        var allHeaders = headers ?? [("Authorization", "Bearer \(token)")]
        if body != nil { allHeaders.append(("Content-Type", "application/json")) }
        return try await TestHTTP.request(
            method, adminURL + path, headers: allHeaders, body: body.map { Data($0.utf8) })
    }

    /// Writes `text` to the watched config file in place.
    public func writeConfig(_ text: String) throws {
        try text.write(to: configURL, atomically: false, encoding: .utf8)
    }

    /// Replaces the config file by writing a temporary file and renaming it over the original.
    public func renameConfig(_ text: String) throws {
        let temporary = directory.file("config.yaml.tmp")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary.path, configURL.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
