import Foundation

/// What one run of the real `orchctl` binary printed and how it exited.
public struct OrchctlResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// stdout parsed as a JSON object (empty when it is not one): for what is not one admin API
    /// answer, such as the set of keys `orchctl status --output json` puts its answers under.
    /// Admin answers are read with ``decode(_:)`` or ``decode(_:at:)``.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }

    /// stdout decoded as `type` (an `AdminAPI` type, for `--output json` of an admin answer).
    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try JSONDecoder().decode(type, from: Data(stdout.utf8))
    }

    /// The member `key` of stdout's JSON object decoded as `type`: for output that prints several
    /// admin answers under keys (`orchctl status --output json`).
    public func decode<Value: Decodable>(_ type: Value.Type, at key: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.userInfo[Member<Value>.keyInfo] = key
        return try decoder.decode(Member<Value>.self, from: Data(stdout.utf8)).value
    }

    /// stdout split into lines, without trailing blanks.
    public var lines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// One member of a JSON object, under the key `userInfo[keyInfo]` names.
private struct Member<Value: Decodable>: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static var keyInfo: CodingUserInfoKey { CodingUserInfoKey(rawValue: "member")! }

    var value: Value

    init(from decoder: any Decoder) throws {
        guard let key = decoder.userInfo[Self.keyInfo] as? String else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no member key given"))
        }
        value = try decoder.container(keyedBy: Key.self).decode(Value.self, forKey: Key(stringValue: key))
    }
}

/// Runs the real `orchctl` binary with output captured to files; environment variables
/// starting with `ORCH_` (other than `ORCH_BIN_DIR`) are not inherited, so only what a test
/// passes counts.
public enum OrchctlRunner {
    /// Runs `orchctl arguments...` in `directory` and waits (without blocking a thread) for it
    /// to exit; kills it if it takes longer than `timeout` seconds.
    public static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: URL? = nil,
        stdin: String? = nil,
        timeout: Double = 60
    ) async throws -> OrchctlResult {
        let scratch = try TestDirectory(prefix: "orchctl")
        defer { scratch.remove() }
        let stdoutURL = scratch.file("stdout")
        let stderrURL = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        let process = Process()
        process.executableURL = TestBinaries.url("orchctl")
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? scratch.url
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("ORCH_") && key != "ORCH_BIN_DIR" { env[key] = nil }
        env["NO_COLOR"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        if let stdin {
            let input = scratch.file("stdin")
            try stdin.write(to: input, atomically: false, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let out = try FileHandle(forWritingTo: stdoutURL)
        let err = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw TimedOut(description: "orchctl \(arguments.joined(separator: " ")) ran longer than \(timeout)s")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return OrchctlResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    }
}

extension ControlPlaneHarness {
    /// Runs `orchctl` against this control plane: `--admin-url` and `--token` come first.
    public func orchctl(
        _ arguments: String..., environment: [String: String] = [:], stdin: String? = nil
    ) async throws -> OrchctlResult {
        try await OrchctlRunner.run(
            ["--admin-url", adminURL, "--token", token] + arguments, environment: environment,
            directory: directory.url, stdin: stdin)
    }
}
