import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1

extension EndpointCommand {
    /// `orchctl endpoint export [FILE]`: the API-owned endpoints as a YAML document.
    struct ExportEndpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the API-owned endpoints as YAML (the config file's endpoints: schema).",
            discussion: """
                File-owned endpoints are left out: the config file already holds them. 'orchctl endpoint \
                import FILE' makes a gateway's API-owned endpoints match the document.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The file to write; standard output when absent or -.")
        var file: String?

        func run() async throws {
            let data = try await AdminClient.with(global) { client in
                try await client.send(.GET, "/registry/export", action: "export endpoints")
            }
            guard let file, file != "-" else {
                FileHandle.standardOutput.write(data)
                return
            }
            guard FileManager.default.createFile(atPath: file, contents: data) else {
                throw OrchctlError.usage("cannot write \(file)")
            }
            let count = String(decoding: data, as: UTF8.self).split(separator: "\n").filter {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix("- name:")
            }.count
            FileHandle.standardError.write(Data("Exported \(Count.endpoints(count)) to \(file)\n".utf8))
        }
    }

    /// `orchctl endpoint import FILE`: makes the API-owned endpoints match a YAML document.
    struct ImportEndpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Make the API-owned endpoints match a YAML document (from 'endpoint export').",
            discussion: """
                Declarative, in one transaction and one snapshot: endpoints missing from the gateway are \
                added, those that differ are replaced; with --prune, API-owned endpoints not in the document \
                are removed. Names or URLs of file-owned endpoints are refused. --dry-run shows what would \
                happen and changes nothing.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Also remove API-owned endpoints the document does not list.")
        var prune = false

        @Flag(help: "Show what would change; change nothing.")
        var dryRun = false

        @Argument(help: "The YAML document; - for standard input.")
        var file: String

        func run() async throws {
            let document = try ConfigDocument.read(file)
            var query = "?prune=\(prune)"
            if dryRun { query += "&dry_run=true" }
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    ImportResult.self, .POST, "/registry/import" + query, body: document.data,
                    contentType: "application/yaml", action: "import \(document.name)")
            }
            Printer(global).show(fetched.raw) { terminal in
                let result = fetched.value
                var lines: [String] = []
                if result.dryRun { lines.append("Dry run: nothing changed. Importing \(document.name) would:") }
                for name in result.added { lines.append(terminal.paint("+ \(name)", .good) + "  (added)") }
                for name in result.updated { lines.append(terminal.paint("~ \(name)", .warning) + "  (replaced)") }
                for name in result.removed { lines.append(terminal.paint("- \(name)", .bad) + "  (removed)") }
                if result.added.isEmpty && result.updated.isEmpty && result.removed.isEmpty {
                    lines.append("No changes.")
                }
                if !result.unchanged.isEmpty {
                    lines.append(
                        terminal.paint("\(result.unchanged.count) unchanged: ", .dim)
                            + result.unchanged.joined(separator: ", "))
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
