import ArgumentParser
import Foundation
import LoadGenerator
import UnixSignals

/// `orch-load`: a steady-rate HTTP load client that counts every failed request, per target.
@main
struct OrchLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orch-load",
        abstract: "Send HTTP GET requests at a steady rate and report, per target, what failed.",
        discussion: """
            Runs for --duration seconds, or until SIGINT/SIGTERM when no duration is given, then \
            prints one line per target: requests sent, failed (connection errors, resets, \
            timeouts, non-2xx) and p50/p99/max latency. Exit status 0 whatever the results; \
            use --json to read them from a script.
            """
    )

    @Option(help: "Requests per second over all targets.")
    var rate: Double = 200

    @Option(help: "Seconds to run; without it, run until SIGINT or SIGTERM.")
    var duration: Double?

    @Option(help: "Most requests in flight at once.")
    var maxInFlight: Int = 256

    @Option(help: "Seconds one request may take.")
    var timeout: Double = 30

    @Option(help: "Seconds an unused connection stays open; keep it below the gateway's drain timeout.")
    var idleTimeout: Double = 1

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Argument(help: "Targets as NAME=URL (or a bare URL); requests are spread round-robin.")
    var targets: [String]

    func validate() throws {
        guard rate > 0 else { throw ValidationError("--rate must be positive") }
        guard maxInFlight > 0 else { throw ValidationError("--max-in-flight must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        for target in targets where LoadTarget(argument: target) == nil {
            throw ValidationError("'\(target)' is not NAME=http://... or an http(s) URL")
        }
    }

    func run() async throws {
        let parsed = targets.compactMap(LoadTarget.init(argument:))
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let generator = LoadGenerator.start(
            .init(
                targets: parsed, requestsPerSecond: rate, maxInFlight: maxInFlight, requestTimeoutSeconds: timeout,
                idleTimeoutSeconds: idleTimeout))
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
