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
    static let defaultTimeout = 10.0

    /// `--timeout` (taken out of the arguments by ``extractTimeout(_:)``, which puts it in
    /// `ORCH_TIMEOUT`), else `ORCH_TIMEOUT`, else 10 seconds.
    func resolvedTimeout() throws(OrchctlError) -> Double {
        guard let text = environment["ORCH_TIMEOUT"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return Self.defaultTimeout
        }
        guard let value = Double(text), value > 0, value <= 3600 else {
            throw .usage("--timeout must be a number of seconds above 0 and at most 3600, not '\(text)'")
        }
        return value
    }

    /// The control plane's data directory: `--data-dir`, else `ORCH_DATA_DIR`, else `data`.
    var resolvedDataDir: String {
        dataDir ?? environment["ORCH_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
    }

    /// Where the admin URL came from, for error messages.
    enum AdminURLSource: Equatable {
        case option, environment, runtimeFile(String), builtIn
    }

    /// The admin address a running control plane wrote into `DIR/runtime.json`, as a URL.
    func runtimeAdminURL() -> (url: String, path: String)? {
        let path = (resolvedDataDir as NSString).appendingPathComponent("runtime.json")
        struct Runtime: Decodable {
            var adminAddress: String
            enum CodingKeys: String, CodingKey { case adminAddress = "admin_address" }
        }
        guard let data = FileManager.default.contents(atPath: path),
            let runtime = try? JSONDecoder().decode(Runtime.self, from: data), !runtime.adminAddress.isEmpty
        else { return nil }
        return ("http://" + runtime.adminAddress, path)
    }

    /// The admin URL and its source: `--admin-url`, `ORCH_ADMIN_URL`, `DIR/runtime.json`, the default.
    func adminURLChoice() -> (text: String, source: AdminURLSource) {
        if let adminURL { return (adminURL, .option) }
        if let value = environment["ORCH_ADMIN_URL"], !value.isEmpty { return (value, .environment) }
        if let runtime = runtimeAdminURL() { return (runtime.url, .runtimeFile(runtime.path)) }
        return (Self.defaultAdminURL, .builtIn)
    }

    /// The process environment the options fall back to.
    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// `--admin-url`, else `ORCH_ADMIN_URL`, else the address in `DIR/runtime.json` (where a
    /// running control plane says it listens), else the default; checked and without a trailing `/`.
    func resolvedAdminURL() throws(OrchctlError) -> String {
        let text = adminURLChoice().text
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
        let directory = resolvedDataDir
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

    /// Takes the global `--timeout SECONDS` out of `arguments` and returns its value. It is read
    /// anywhere on the line, except after `endpoint add` and `endpoint update`, whose own
    /// `--timeout` is the endpoint's: there only a `--timeout` before the command counts.
    static func extractTimeout(_ arguments: [String]) -> (arguments: [String], timeout: String?) {
        let endpointEdit = zip(arguments, arguments.dropFirst()).contains {
            $0 == "endpoint" && ($1 == "add" || $1 == "update")
        }
        var result: [String] = []
        var timeout: String?
        var index = 0
        var beforeCommand = true
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            if name == "--timeout" && (beforeCommand || !endpointEdit) {
                if argument.contains("=") {
                    timeout = String(argument.drop { $0 != "=" }.dropFirst())
                    index += 1
                } else {
                    timeout = index + 1 < arguments.count ? arguments[index + 1] : ""
                    index += 2
                }
                continue
            }
            if namesWithValues.contains(name) && !argument.contains("=") {
                result.append(contentsOf: arguments[index..<min(index + 2, arguments.count)])
                index += 2
                continue
            }
            if !argument.hasPrefix("-") { beforeCommand = false }
            result.append(argument)
            index += 1
        }
        return (result, timeout)
    }

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
