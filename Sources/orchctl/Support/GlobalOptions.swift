import ArgumentParser
import Foundation

/// Options every command accepts: where the admin API is, how to authenticate, how to print.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("admin-url"),
        help: ArgumentHelp(
            "Admin API base URL (env ORCH_ADMIN_URL; default \(GlobalOptions.defaultAdminURL)).",
            valueName: "url"))
    var adminURL: String?

    @Option(
        help: ArgumentHelp(
            "Admin bearer token (env ORCH_ADMIN_TOKEN; else read from DIR/admin.token).", valueName: "token"))
    var token: String?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "The control plane's data directory, where admin.token is read from (env ORCH_DATA_DIR; default data).",
            valueName: "dir"))
    var dataDir: String?

    @Option(help: "Output format: table for people, json (the API's JSON, pretty-printed) for scripts and jq.")
    var output: OutputFormat = .table

    static let defaultAdminURL = "http://127.0.0.1:8001"

    /// The process environment the options fall back to.
    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// `--admin-url`, else `ORCH_ADMIN_URL`, else the default; checked and without a trailing `/`.
    func resolvedAdminURL() throws(OrchctlError) -> String {
        let text = adminURL ?? environment["ORCH_ADMIN_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultAdminURL
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil
        else {
            let origin = adminURL != nil ? "--admin-url" : "ORCH_ADMIN_URL"
            throw .usage(
                "\(origin) '\(text)' is not an http(s) URL like \(Self.defaultAdminURL); set --admin-url or ORCH_ADMIN_URL"
            )
        }
        return trimmed
    }

    /// The token and where it came from: `--token`, else `ORCH_ADMIN_TOKEN`, else the token file.
    func resolvedToken() -> AdminToken {
        if let token { return AdminToken(value: token, source: .option) }
        if let value = environment["ORCH_ADMIN_TOKEN"], !value.isEmpty {
            return AdminToken(value: value, source: .environment)
        }
        let directory = dataDir ?? environment["ORCH_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        let path = (directory as NSString).appendingPathComponent("admin.token")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return AdminToken(value: nil, source: .missingFile(path))
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return AdminToken(value: value.isEmpty ? nil : value, source: value.isEmpty ? .missingFile(path) : .file(path))
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

extension GlobalOptions {
    /// Options that take a value and may be written before the command (`orchctl --output json status`).
    static let namesWithValues: Set<String> = ["--admin-url", "--token", "--data-dir", "--output"]

    /// Moves global options written before the command to its end, where swift-argument-parser
    /// reads them (each command includes them).
    static func hoisted(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            guard namesWithValues.contains(name) else { break }
            leading.append(argument)
            if !argument.contains("="), index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        return Array(arguments[index...]) + leading
    }

    /// The arguments without any global option (and its value).
    static func stripped(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if namesWithValues.contains(String(argument.prefix { $0 != "=" })) {
                index += argument.contains("=") ? 1 : 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }
}
