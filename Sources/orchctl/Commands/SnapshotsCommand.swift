import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1
import Shared

/// `orchctl snapshots ...`: the published routing states, and rollback.
struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List and inspect published snapshots; roll back to an earlier one.",
        subcommands: [ListSnapshots.self, ShowSnapshot.self, RollbackSnapshot.self]
    )
}

/// What to do after a 404 on a snapshot.
let snapshotListHint = "'orchctl snapshots list' shows the versions there are"

extension SnapshotsCommand {
    struct ListSnapshots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List snapshots, newest first.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "At most this many snapshots (1-1000).")
        var limit: Int = 20

        func validate() throws {
            guard (1...1000).contains(limit) else {
                throw ArgumentParser.ValidationError("--limit must be between 1 and 1000")
            }
        }

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(SnapshotListing.self, "/snapshots?limit=\(limit)", action: "list snapshots")
            }
            Printer(global).show(fetched.raw) { SnapshotRendering.list(fetched.value, $0) }
        }
    }

    struct ShowSnapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one snapshot with its endpoints.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The snapshot version.")
        var version: Int

        func validate() throws {
            if version < 1 { throw ArgumentParser.ValidationError("VERSION must be 1 or more") }
        }

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    Snapshot.self, "/snapshots/\(version)", action: "show snapshot \(version)",
                    notFoundHint: snapshotListHint)
            }
            Printer(global).show(fetched.raw) { SnapshotRendering.details(fetched.value, $0) }
        }
    }

    struct RollbackSnapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Restore the endpoints of an earlier snapshot, published as a new version.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The snapshot version to restore.")
        var version: Int

        func validate() throws {
            if version < 1 { throw ArgumentParser.ValidationError("VERSION must be 1 or more") }
        }

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    RollbackResult.self, .POST, "/snapshots/\(version)/rollback",
                    action: "roll back to snapshot \(version)", notFoundHint: snapshotListHint)
            }
            Printer(global).show(fetched.raw) { _ in fetched.value.message }
        }
    }
}
