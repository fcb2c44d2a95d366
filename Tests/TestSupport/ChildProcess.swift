import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process a test started. Output goes to files in the test's directory so that a failing
/// test can show it. ``stop()`` is synchronous so it can run from `defer`.
public final class ChildProcess: @unchecked Sendable {
    public let process: Process
    public let name: String
    public let stdoutURL: URL
    public let stderrURL: URL

    public init(
        _ executable: URL,
        arguments: [String],
        environment: [String: String] = [:],
        directory: URL,
        name: String? = nil
    ) throws {
        self.name = name ?? executable.lastPathComponent
        let unique = "\(self.name)-\(UUID().uuidString.prefix(8))"
        stdoutURL = directory.appendingPathComponent("\(unique).out")
        stderrURL = directory.appendingPathComponent("\(unique).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("ORCH_") && key != "ORCH_BIN_DIR" { env[key] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends a signal (`SIGTERM`, `SIGKILL`, ...).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit; returns its exit status, or `nil` on timeout.
    @discardableResult
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds.
    public func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if waitForExit(timeout: grace) == nil {
            signal(SIGKILL)
            waitForExit(timeout: 5)
        }
    }

    public var output: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    public var errorOutput: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// The last lines of both streams, for failure messages.
    public var logTail: String {
        let lines = (output + errorOutput).split(separator: "\n").suffix(40)
        return "--- \(name) (pid \(pid)) ---\n" + lines.joined(separator: "\n")
    }

    deinit { stop(grace: 2) }
}
