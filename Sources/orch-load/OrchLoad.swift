import ArgumentParser
import Foundation
import LoadGenerator
import UnixSignals

/// `orch-load`: an HTTP load client that counts every failed request, per target.
@main
struct OrchLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orch-load",
        abstract: "Send HTTP GET requests and report, per target, what failed.",
        discussion: """
            By default, like Python's http.client, curl or wrk: --connections persistent keep-alive \
            connections, each sending its next request as soon as it has the previous response \
            (or at its share of --rate), reused until the server closes them, with no idle timeout \
            and no retry. A connection closed without a response counts as a failed request. \
            --open-loop instead starts requests on schedule at --rate (default 200) through a \
            connection pool, whether or not earlier ones have finished.

            Runs for --duration seconds, or until SIGINT/SIGTERM when no duration is given, then \
            prints one line per target: requests sent, failed (connection errors, resets, \
            timeouts, non-2xx) and p50/p99/max latency. Exit status 0 whatever the results; \
            use --json to read them from a script.
            """
    )

    @Option(help: "Persistent connections (keep-alive mode, http:// targets).")
    var connections: Int = 8

    @Option(help: "Requests per second over all targets (keep-alive mode: a pace, default back to back).")
    var rate: Double?

    @Flag(help: "Start requests on schedule at --rate (default 200) through a connection pool instead.")
    var openLoop = false

    @Option(help: "Seconds to run; without it, run until SIGINT or SIGTERM.")
    var duration: Double?

    @Option(help: "Most requests in flight at once (open loop).")
    var maxInFlight: Int = 256

    @Option(help: "Seconds one request may take.")
    var timeout: Double = 30

    @Option(help: "Close a connection unused this many seconds before reusing it (default: never).")
    var idleTimeout: Double?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Argument(help: "Targets as NAME=URL (or a bare URL); requests are spread round-robin.")
    var targets: [String]

    func validate() throws {
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        guard connections > 0 else { throw ValidationError("--connections must be positive") }
        guard maxInFlight > 0 else { throw ValidationError("--max-in-flight must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        for target in targets where LoadTarget(argument: target) == nil {
            throw ValidationError("'\(target)' is not NAME=http://... or an http(s) URL")
        }
        if !openLoop, let https = targets.first(where: { $0.contains("https://") }) {
            throw ValidationError("'\(https)': keep-alive mode takes http:// targets; use --open-loop for https")
        }
    }

    func run() async throws {
        let parsed = targets.compactMap(LoadTarget.init(argument:))
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let generator = LoadGenerator.start(
            .init(
                targets: parsed, requestsPerSecond: openLoop ? rate ?? 200 : rate, maxInFlight: maxInFlight,
                requestTimeoutSeconds: timeout, idleTimeoutSeconds: idleTimeout,
                mode: openLoop ? .openLoop : .keepAlive(connections: connections)))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { return }
            }
            if let duration {
                group.addTask { try? await Task.sleep(for: .milliseconds(Int(duration * 1000))) }
            }
            await group.next()
            group.cancelAll()
        }
        let summary = await generator.stop()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            for line in summary.lines() { print(line) }
            for (name, target) in summary.targets.sorted(by: { $0.key < $1.key }) {
                for error in target.sampleErrors { print("  \(name) error: \(error)") }
            }
        }
    }
}
