import ArgumentParser
import Foundation
import Logging
import Shared

/// `orch-control-plane`: every flag defaults from its `ORCH_*` environment variable, then from
/// the built-in default, so that running it with no flags starts a working gateway.
package struct ControlPlaneCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "orch-control-plane",
        abstract: "Orchestrator control plane: endpoints, config, admin API, snapshots, replicas.",
        version: ControlPlaneVersion.string
    )

    static let environment = ProcessInfo.processInfo.environment

    @Option(help: "Directory for SQLite, the admin token, the control socket and caches (ORCH_DATA_DIR).")
    var dataDir: String = environment["ORCH_DATA_DIR"] ?? "data"

    @Option(help: "The watched YAML config file (ORCH_CONFIG).")
    var config: String = environment["ORCH_CONFIG"] ?? "config/config.yaml"

    @Option(help: "Admin API address, HOST:PORT (ORCH_ADMIN_ADDRESS).")
    var adminAddress: String = environment["ORCH_ADMIN_ADDRESS"] ?? "127.0.0.1:8001"

    @Option(help: "Proxy address the data-plane replicas serve, HOST:PORT (ORCH_PROXY_ADDRESS).")
    var proxyAddress: String = environment["ORCH_PROXY_ADDRESS"] ?? "0.0.0.0:8000"

    @Option(
        name: .customLong("proxy-tls-address"),
        help: """
            TLS proxy address the data-plane replicas also serve, HOST:PORT (ORCH_PROXY_TLS_ADDRESS; default: \
            none). Needs the config file's tls: section.
            """)
    var proxyTLSAddress: String?

    /// The flag, else `ORCH_PROXY_TLS_ADDRESS` when set and not empty.
    var resolvedProxyTLSAddress: String? {
        Self.option(proxyTLSAddress, "ORCH_PROXY_TLS_ADDRESS")
    }

    @Option(help: "Data-plane replicas to start, or auto (one); 0 starts none (ORCH_REPLICAS).")
    var replicas: String = environment["ORCH_REPLICAS"] ?? "auto"

    /// `--replicas` as a number: `auto` is ``ProcessLayout/automaticReplicas``.
    var replicaCount: Int? {
        ProcessLayout.count(replicas, automatic: ProcessLayout.automaticReplicas, in: 0...64)
    }

    @Option(
        help:
            "trace, debug, info, notice, warning, error or critical (ORCH_LOG_LEVEL; else the config's log_level; else info)."
    )
    var logLevel: String?

    @Option(help: "The orch-data-plane executable (ORCH_DATA_PLANE_BINARY; default: next to this one).")
    var dataPlaneBinary: String?

    @Option(help: "Seconds a replica may take to drain on shutdown (ORCH_DRAIN_TIMEOUT).")
    var drainTimeout: Double = Double(environment["ORCH_DRAIN_TIMEOUT"] ?? "") ?? 30

    @Option(help: "Replicas' access log: stdout, off or a file path (ORCH_ACCESS_LOG; default stdout).")
    var accessLog: String?

    @Option(
        help: """
            Snapshots kept for history and rollback, newest first (ORCH_SNAPSHOT_HISTORY; 1 to 100000, default 100).
            """)
    package var snapshotHistory: Int = Int(environment["ORCH_SNAPSHOT_HISTORY"] ?? "") ?? SnapshotRecord.defaultHistory

    @Option(
        help: """
            Replace the store with this backup (from 'orchctl backup') before starting; the restored state \
            is published as a new snapshot version.
            """)
    var restore: String?

    @Option(
        help: """
            Listen for remote data planes on HOST:PORT with mutual TLS (ORCH_CLUSTER_ADDRESS; default: none). \
            Needs --cluster-cert, --cluster-key and --cluster-ca.
            """)
    var clusterAddress: String?

    @Option(help: "This control plane's certificate for --cluster-address, PEM (ORCH_CLUSTER_CERT).")
    var clusterCert: String?

    @Option(help: "The key of --cluster-cert, PEM (ORCH_CLUSTER_KEY).")
    var clusterKey: String?

    @Option(help: "The CA data planes' certificates must chain to, PEM (ORCH_CLUSTER_CA).")
    var clusterCa: String?

    @Option(
        help: """
            Accept only data-plane certificates with one of these names, NAME[,NAME...]: the subject common \
            name or a DNS subject alternative name (ORCH_CLUSTER_ALLOWED_NAMES; default: any the CA signed).
            """)
    var clusterAllowedNames: String?

    @Option(
        help: """
            This control plane's name, shown as each data plane's control_plane in /dataplanes (ORCH_NODE_NAME; \
            default: host name and admin port).
            """)
    var nodeName: String?

    @Option(
        help: """
            The store: sqlite:PATH, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=...] shared by the \
            control planes of a cluster (ORCH_DATABASE_URL; default: orchestrator.sqlite in --data-dir).
            """)
    var database: String?

    @Option(
        help: """
            Seconds the cluster leader's lease lasts without renewal, renewed every third of it \
            (ORCH_LEASE_TTL; 1 to 600, default 10). PostgreSQL stores only.
            """)
    var leaseTtl: Double?

    package init() {}

    /// `--database` parsed; `nil` for the default SQLite file.
    func resolvedDatabase() throws -> DatabaseURL? {
        guard let text = Self.option(database, "ORCH_DATABASE_URL") else { return nil }
        do {
            return try DatabaseURL(parsing: text)
        } catch {
            throw ValidationError("--database: \(error.description)")
        }
    }

    /// `--lease-ttl` resolved.
    func resolvedLeaseTTL() throws -> Duration {
        let text = Self.option(leaseTtl.map { String($0) }, "ORCH_LEASE_TTL") ?? "10"
        guard let seconds = Double(text), (1...600).contains(seconds) else {
            throw ValidationError("--lease-ttl must be between 1 and 600 seconds, not '\(text)'")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// An option, else its environment variable when set and not empty.
    static func option(_ value: String?, _ variable: String) -> String? {
        value ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `--cluster-*` resolved, or `nil` without `--cluster-address`.
    func clusterSettings() throws -> ClusterSettings? {
        guard let text = Self.option(clusterAddress, "ORCH_CLUSTER_ADDRESS") else { return nil }
        let address = try Self.address(text, option: "--cluster-address")
        var files: [String] = []
        for (option, value, variable) in [
            ("--cluster-cert", clusterCert, "ORCH_CLUSTER_CERT"), ("--cluster-key", clusterKey, "ORCH_CLUSTER_KEY"),
            ("--cluster-ca", clusterCa, "ORCH_CLUSTER_CA"),
        ] {
            guard let file = Self.option(value, variable) else {
                throw ValidationError("--cluster-address needs \(option)")
            }
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw ValidationError("\(option) \(file) is not a readable file")
            }
            files.append(file)
        }
        return ClusterSettings(
            address: address, certFile: files[0], keyFile: files[1], caFile: files[2],
            allowedNames: ClusterSettings.names(Self.option(clusterAllowedNames, "ORCH_CLUSTER_ALLOWED_NAMES")))
    }

    /// `--node-name`, else the host name and the admin port.
    func resolvedNodeName(adminPort: Int) -> String {
        Self.option(nodeName, "ORCH_NODE_NAME") ?? "\(HostName.current):\(adminPort)"
    }

    package func validate() throws {
        let plain = try Self.address(proxyAddress, option: "--proxy-address")
        _ = try Self.address(adminAddress, option: "--admin-address")
        if let proxyTLSAddress = resolvedProxyTLSAddress {
            let tls = try Self.address(proxyTLSAddress, option: "--proxy-tls-address")
            if plain.port != 0, plain == tls {
                throw ValidationError("--proxy-tls-address must differ from --proxy-address (\(proxyAddress))")
            }
        }
        if let restore, !FileManager.default.isReadableFile(atPath: restore) {
            throw ValidationError("--restore \(restore) is not a readable file")
        }
        guard (1...100_000).contains(snapshotHistory) else {
            throw ValidationError("--snapshot-history must be between 1 and 100000, not \(snapshotHistory)")
        }
        if let accessLog, accessLog.isEmpty {
            throw ValidationError("--access-log must be stdout, off or a file path")
        }
        guard replicaCount != nil else {
            throw ValidationError("--replicas must be auto or a number between 0 and 64, not '\(replicas)'")
        }
        _ = try clusterSettings()
        if case .postgres = try resolvedDatabase(), restore != nil {
            throw ValidationError("--restore applies to an SQLite store; restore a PostgreSQL one with pg_restore")
        }
        _ = try resolvedLeaseTTL()
        if let name = Self.option(nodeName, "ORCH_NODE_NAME"),
            name.utf8.count > 128 || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        {
            throw ValidationError("--node-name must be at most 128 printable characters")
        }
        if let level = resolvedLogLevel(fileLevel: nil), Logger.Level(rawValue: level) == nil {
            throw ValidationError("--log-level must be one of \(GatewayConfig.logLevels.joined(separator: ", "))")
        }
    }

    /// `text` as an address, or the usage error naming `option` and what is wrong.
    static func address(_ text: String, option: String) throws -> HostPort {
        do {
            return try HostPort(parsing: text)
        } catch {
            throw ValidationError("\(option): \(error.description)")
        }
    }

    /// Flag, then `ORCH_LOG_LEVEL`, then the config file's `log_level`.
    func resolvedLogLevel(fileLevel: String?) -> String? {
        (logLevel ?? Self.environment["ORCH_LOG_LEVEL"] ?? fileLevel)?.lowercased()
    }

    package func run() async throws {
        let fileLevel = (try? ConfigSource.read(config)).flatMap { $0 }.flatMap {
            try? GatewayConfig.parse(yaml: $0).logLevel
        }
        let level = Logger.Level(rawValue: resolvedLogLevel(fileLevel: fileLevel) ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let admin = try Self.address(adminAddress, option: "--admin-address")
        var settings = ControlPlaneSettings(
            dataDir: dataDir, configPath: config,
            adminAddress: try Self.address(adminAddress, option: "--admin-address"),
            proxyAddress: try Self.address(proxyAddress, option: "--proxy-address"),
            proxyTLSAddress: try resolvedProxyTLSAddress.map { try Self.address($0, option: "--proxy-tls-address") },
            replicas: replicaCount ?? ProcessLayout.automaticReplicas,
            logLevel: level,
            dataPlaneBinary: dataPlaneBinary ?? Self.environment["ORCH_DATA_PLANE_BINARY"] ?? Self.siblingDataPlane(),
            drainTimeout: drainTimeout, accessLog: accessLog, restorePath: restore, snapshotHistory: snapshotHistory)
        settings.cluster = try clusterSettings()
        settings.nodeName = resolvedNodeName(adminPort: admin.port)
        settings.database = try resolvedDatabase()
        settings.leaseTTL = try resolvedLeaseTTL()
        do {
            try await ControlPlane(settings: settings).run()
        } catch let error as ControlPlaneError {
            FileHandle.standardError.write(Data("orch-control-plane: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// `orch-data-plane` in the same directory as this executable, found through the kernel's
    /// record of it (`/proc/self/exe`), not `argv[0]`: started through `PATH`, `argv[0]` is a
    /// bare name that would resolve against the current directory and run whatever
    /// `./orch-data-plane` is there, handing it the proxy socket and this environment.
    static func siblingDataPlane() -> String {
        guard let me = executablePath() else { return "orch-data-plane" }
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("orch-data-plane").path
    }

    /// The absolute path of the running executable, symlinks resolved.
    static func executablePath() -> String? {
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            link.hasPrefix("/")
        {
            return link
        }
        return Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }
}

/// Resolved settings of one control-plane run.
package struct ControlPlaneSettings: Sendable {
    package var dataDir: String
    package var configPath: String
    package var adminAddress: HostPort
    package var proxyAddress: HostPort
    /// The TLS proxy address (`--proxy-tls-address`); `nil`: no TLS listener.
    package var proxyTLSAddress: HostPort? = nil
    package var replicas: Int
    package var logLevel: Logger.Level
    package var dataPlaneBinary: String
    package var drainTimeout: Double
    /// The replicas' `--access-log`; `nil` leaves it to their environment.
    package var accessLog: String? = nil
    /// A backup to replace the store with before starting (`--restore`).
    package var restorePath: String? = nil
    /// Snapshots kept for history and rollback (`--snapshot-history`).
    package var snapshotHistory: Int = SnapshotRecord.defaultHistory
    /// Where remote data planes connect (`--cluster-*`); `nil`: only the control socket.
    package var cluster: ClusterSettings? = nil
    /// This control plane's name (`--node-name`).
    package var nodeName: String = "control-plane"
    /// The store (`--database`); `nil`: the SQLite file in the data directory.
    package var database: DatabaseURL? = nil
    /// The leader lease's time to live (`--lease-ttl`).
    package var leaseTTL: Duration = .seconds(10)
}

extension ControlPlaneCommand {
    /// Parses the command line and runs, exiting with ArgumentParser's message on bad flags.
    package static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
