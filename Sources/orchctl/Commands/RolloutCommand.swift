import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1

/// `orchctl rollout`: replaces every supervised replica, one at a time, without dropping requests.
struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Replace every data-plane replica one at a time (picks up a new orch-data-plane binary).",
        discussion:
            "Each new replica must connect and acknowledge the current snapshot before the old one drains."
            + " Waits until the rollout is done and prints each replaced replica; exits 1 with the reason"
            + " when it fails (the remaining old replicas keep serving).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Change the number of replicas as part of the rollout (1-64).")
    var replicas: Int?

    @Flag(help: "Start the rollout and return at once.")
    var noWait = false

    @Option(help: "Seconds between progress checks.")
    var interval: Double = 0.5

    func validate() throws {
        if let replicas, !(1...64).contains(replicas) {
            throw ValidationError("--replicas must be between 1 and 64")
        }
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
    }

    func run() async throws {
        let body = replicas.map { Data("{\"replicas\":\($0)}".utf8) } ?? Data("{}".utf8)
        let printer = Printer(global)
        let final = try await AdminClient.with(global) { client in
            var fetched = try await client.fetch(
                RolloutProgress.self, .POST, "/dataplanes/rollout", body: body, action: "start a rollout")
            if noWait { return fetched }
            if global.output == .table { print("rollout started: \(fetched.value.total) replica(s) to replace") }
            var shown = 0
            while !fetched.value.isFinished {
                try? await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
                fetched = try await client.fetch(
                    RolloutProgress.self, "/dataplanes/rollout", action: "read the rollout's progress")
                if global.output == .table {
                    for step in fetched.value.steps.dropFirst(shown) { print(RolloutRendering.step(step)) }
                }
                shown = fetched.value.steps.count
            }
            return fetched
        }
        printer.show(final.raw) { _ in RolloutRendering.summary(final.value) }
        if final.value.state == "failed" {
            throw OrchctlError.failure("rollout failed: \(final.value.error ?? "unknown reason")")
        }
    }
}

/// Lines `orchctl rollout` and `orchctl status` print about a rollout.
enum RolloutRendering {
    /// `slot 1: pid 123 -> pid 456`.
    static func step(_ step: RolloutProgress.Step) -> String {
        "slot \(step.slot): " + (step.oldPid.map { "pid \($0)" } ?? "(new)") + " -> "
            + (step.newPid.map { "pid \($0)" } ?? "(removed)")
    }

    /// One line: `rollout succeeded: 2/2 replaced (started ..., finished ...)`.
    static func summary(_ rollout: RolloutProgress) -> String {
        var text = "rollout \(rollout.state): \(rollout.replaced)/\(rollout.total) replaced"
        if let started = rollout.startedAt { text += ", started \(started)" }
        if let finished = rollout.finishedAt { text += ", finished \(finished)" }
        if let error = rollout.error { text += ": \(error)" }
        return text
    }
}
