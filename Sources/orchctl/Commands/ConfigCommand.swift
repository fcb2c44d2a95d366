import AdminAPI
import ArgumentParser
import Foundation
import NIOHTTP1
import Shared

/// `orchctl config ...`: the declarative config file.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate, compare and reload the config file.",
        subcommands: [ValidateConfig.self, DiffConfig.self, ReloadConfig.self]
    )
}

extension ConfigCommand {
    struct ValidateConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check a config file with the control plane's validator; changes nothing.",
            discussion: "Prints every problem as FILE:LINE: field: message and exits 1 when there is any.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The YAML file to check ('-' reads stdin).", completion: .file(extensions: ["yaml", "yml"]))
        var file: String

        func run() async throws {
            let document = try ConfigDocument.read(file)
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    ConfigValidation.self, .POST, "/config/validate", body: document.data,
                    contentType: "application/yaml", action: "validate \(document.name)")
            }
            let result = fetched.value
            Printer(global).show(fetched.raw) { terminal in
                if result.valid {
                    let count = result.endpointsCount.map { " (\(Count.endpoints($0)))" } ?? ""
                    return "\(document.name): " + terminal.paint("valid", .good) + count
                }
                return ValidationIssue.inLineOrder(result.errors).map { document.locate($0) }.joined(separator: "\n")
            }
            if !result.valid {
                let count = result.errors.count
                throw OrchctlError.failure("\(document.name) is not valid: \(count) error\(count == 1 ? "" : "s")")
            }
        }
    }

    struct DiffConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Show what applying a config file would add, change and remove; applies nothing.",
            discussion:
                "Compares the file with the endpoints the current config file owns. Endpoints added through"
                + " the API are not touched by a reload; a file endpoint that collides with one is listed as a"
                + " conflict.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The YAML file to compare ('-' reads stdin).", completion: .file(extensions: ["yaml", "yml"]))
        var file: String

        func run() async throws {
            let document = try ConfigDocument.read(file)
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(
                    ConfigDiff.self, .POST, "/config/diff", body: document.data, contentType: "application/yaml",
                    action: "compare \(document.name)")
            }
            Printer(global).show(fetched.raw) { ConfigRendering.diff(fetched.value, $0) }
        }
    }

    struct ReloadConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload",
            abstract: "Read the config file now and apply it (the control plane also watches it).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let fetched = try await AdminClient.with(global) { client in
                try await client.fetch(ConfigReloaded.self, .POST, "/config/reload", action: "reload the config file")
            }
            Printer(global).show(fetched.raw) { ConfigRendering.reload(fetched.value, $0) }
        }
    }
}

/// A local YAML document to send, with its name for messages.
struct ConfigDocument {
    let name: String
    let data: Data

    static func read(_ path: String) throws(OrchctlError) -> ConfigDocument {
        if path == "-" {
            return ConfigDocument(name: "<stdin>", data: FileHandle.standardInput.readDataToEndOfFile())
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .usage("cannot read \(path): no such file")
        }
        guard !isDirectory.boolValue else { throw .usage("cannot read \(path): it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("cannot read \(path): permission denied")
        }
        return ConfigDocument(name: path, data: data)
    }

    /// `FILE:LINE: field: message`, the way compilers point at a line.
    func locate(_ issue: ValidationIssue) -> String {
        var text = name
        if let line = issue.line { text += ":\(line)" }
        text += ": "
        if let field = issue.field { text += field + ": " }
        return text + issue.message
    }
}
