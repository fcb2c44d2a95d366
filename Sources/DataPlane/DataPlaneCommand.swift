import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Shared
import UnixSignals

/// `orch-data-plane`: the proxy replica. Every option defaults from its `ORCH_*` variable.
package struct DataPlaneCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "orch-data-plane",
        abstract: "Orchestrator data plane: proxies /orchestrator/... to the endpoints of the current snapshot."
    )

    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Option(help: "Unix socket of the control plane (ORCH_CONTROL_SOCKET).")
    var controlSocket: String = environment["ORCH_CONTROL_SOCKET"] ?? "data/control.sock"

    @Option(
        name: .customLong("control-plane"),
        help: """
            Remote control planes, HOST:PORT[,HOST:PORT...] (ORCH_CONTROL_PLANE): connect to one of them over \
            mutual TLS instead of --control-socket, trying the next when it fails. Needs --cert, --key and --ca.
            """)
    var controlPlane: String?

    @Option(help: "This replica's client certificate for --control-plane, PEM (ORCH_CLUSTER_CERT).")
    var cert: String?

    @Option(help: "The key of --cert, PEM (ORCH_CLUSTER_KEY).")
    var key: String?

    @Option(help: "The cluster CA the control planes' certificates must chain to, PEM (ORCH_CLUSTER_CA).")
    var ca: String?

    @Option(help: "Seconds between heartbeats saying which snapshot is served (ORCH_HEARTBEAT_INTERVAL; default 30).")
    var heartbeatInterval: Double = environment["ORCH_HEARTBEAT_INTERVAL"].flatMap(Double.init) ?? 30

    @Option(
        help: """
            HOST:PORT to bind with SO_REUSEPORT (ORCH_LISTEN). Without it, a socket inherited through \
            LISTEN_FDS is used, else 0.0.0.0:8000.
            """)
    var listen: String?

    @Option(
        help: """
            HOST:PORT to bind for TLS with SO_REUSEPORT (ORCH_LISTEN_TLS), serving the snapshot's tls: \
            certificates with HTTP/1.1 and HTTP/2. Without it, the socket inherited as proxy-tls \
            (LISTEN_FDNAMES), if any; else no TLS listener.
            """)
    var listenTls: String?

    @Option(help: "Directory of the snapshot cache (ORCH_CACHE_DIR).")
    var cacheDir: String = environment["ORCH_CACHE_DIR"] ?? "data/cache"

    @Option(help: "Replica id reported to the control plane (ORCH_REPLICA_ID; default host name and pid).")
    var replicaId: String?

    @Option(
        help: """
            Seconds open connections get to finish on SIGTERM (ORCH_DRAIN_TIMEOUT); a control-plane drain \
            request brings its own. A second SIGTERM or SIGINT while draining exits at once.
            """)
    var drainTimeout: Double = environment["ORCH_DRAIN_TIMEOUT"].flatMap(Double.init) ?? 30

    @Option(help: "trace, debug, info, notice, warning, error or critical (ORCH_LOG_LEVEL).")
    var logLevel: String = environment["ORCH_LOG_LEVEL"] ?? "info"

    @Option(help: "Extra PEM trust roots for https upstreams (ORCH_CA_FILE).")
    var caFile: String?

    @Option(help: "Event loop threads, or auto: one per CPU core (ORCH_EVENT_LOOPS; default auto).")
    var eventLoops: String = environment["ORCH_EVENT_LOOPS"] ?? "auto"

    /// `--event-loops` as a number: `auto` is one per core.
    var eventLoopCount: Int? {
        ProcessLayout.count(
            eventLoops, automatic: ProcessLayout.automaticEventLoops(cores: System.coreCount), in: 1...1024)
    }

    @Option(help: "Access log: stdout, off or a file path (ORCH_ACCESS_LOG; default stdout).")
    var accessLog: String = environment["ORCH_ACCESS_LOG"] ?? "stdout"

    @Flag(help: "Set by the control plane's supervisor; reported in hello.")
    var supervised = false

    @Option(
        help: """
            Stable slot of this replica, the `replica` label of its metrics (ORCH_REPLICA_SLOT; the supervisor \
            sets it; default: the control plane assigns the lowest free number).
            """)
    var slot: String?

    package init() {}

    /// Options that have no default, filled from their environment variables.
    var listenAddress: String? { listen ?? Self.environment["ORCH_LISTEN"] }
    var tlsListenAddress: String? { listenTls ?? Self.environment["ORCH_LISTEN_TLS"] }
    var replicaIdentifier: String? { replicaId ?? Self.environment["ORCH_REPLICA_ID"] }
    var caFilePath: String? { caFile ?? Self.environment["ORCH_CA_FILE"] }
    var replicaSlot: String? { (slot ?? Self.environment["ORCH_REPLICA_SLOT"]).flatMap { $0.isEmpty ? nil : $0 } }
    var controlPlanes: String? {
        (controlPlane ?? Self.environment["ORCH_CONTROL_PLANE"]).flatMap { $0.isEmpty ? nil : $0 }
    }
    var certFile: String? { cert ?? Self.environment["ORCH_CLUSTER_CERT"] }
    var keyFile: String? { key ?? Self.environment["ORCH_CLUSTER_KEY"] }
    var clusterCAFile: String? { ca ?? Self.environment["ORCH_CLUSTER_CA"] }

    /// The most addresses `--control-plane` takes.
    static let maximumControlPlanes = 64

    /// `--control-plane` as addresses; none without it.
    func controlPlaneAddresses() throws -> [HostPort] {
        guard let controlPlanes else { return [] }
        let parts = controlPlanes.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !parts.contains(where: \.isEmpty) else {
            throw ArgumentParser.ValidationError("--control-plane has an empty address between commas")
        }
        guard (1...Self.maximumControlPlanes).contains(parts.count) else {
            throw ArgumentParser.ValidationError("--control-plane takes 1 to \(Self.maximumControlPlanes) addresses")
        }
        return try parts.map { part in
            do {
                let address = try HostPort(parsing: part, kind: "control plane address")
                guard address.port > 0 else {
                    throw ArgumentParser.ValidationError("--control-plane \(part): needs a port")
                }
                return address
            } catch let error as HostPortError {
                throw ArgumentParser.ValidationError("--control-plane: \(error.description)")
            }
        }
    }

    package func validate() throws {
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ArgumentParser.ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let listen = listenAddress { _ = try ListenTarget.parse(listen) }
        if let listen = tlsListenAddress { _ = try ListenTarget.parse(listen) }
        guard eventLoopCount != nil else {
            throw ArgumentParser.ValidationError(
                "--event-loops must be auto or a number between 1 and 1024, not '\(eventLoops)'")
        }
        guard drainTimeout >= 0 else { throw ArgumentParser.ValidationError("--drain-timeout must not be negative") }
        guard AccessLogDestination(argument: accessLog) != nil else {
            throw ArgumentParser.ValidationError("--access-log must be stdout, off or a file path")
        }
        if let caFile = caFilePath, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ArgumentParser.ValidationError("--ca-file \(caFile) is not a readable file")
        }
        guard heartbeatInterval >= 1, heartbeatInterval <= 3600 else {
            throw ArgumentParser.ValidationError("--heartbeat-interval must be between 1 and 3600 seconds")
        }
        if try !controlPlaneAddresses().isEmpty {
            for (option, file) in [("--cert", certFile), ("--key", keyFile), ("--ca", clusterCAFile)] {
                guard let file else { throw ArgumentParser.ValidationError("--control-plane needs \(option)") }
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw ArgumentParser.ValidationError("\(option) \(file) is not a readable file")
                }
            }
        }
    }

    package func run() async throws {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "orch.dataplane")
        let descriptors = DescriptorLimit.raise()
        logger.debug("open descriptor limit", metadata: ["limit": "\(descriptors)"])
        let pid = ProcessInfo.processInfo.processIdentifier
        let target = try ListenTarget.choose(
            explicit: listenAddress, fallback: "0.0.0.0:8000", environment: Self.environment, pid: pid)
        // Chosen before the plaintext listener adopts its socket, which clears LISTEN_*.
        let tlsTarget = try ListenTarget.chooseTLS(
            explicit: tlsListenAddress, environment: Self.environment, pid: pid)
        let certificates = tlsTarget.map { _ in TLSCertificateStore(logger: logger) }
        let replicaID = replicaIdentifier ?? "\(HostName.current)-\(pid)"

        let breakers = BreakerRegistry { endpoint, state in
            logger.notice("circuit breaker changed", metadata: ["orch.endpoint": "\(endpoint)", "state": "\(state)"])
        }
        let destination = AccessLogDestination(argument: accessLog) ?? .standardOutput
        let accessLogWriter = try AccessLogWriter.start(
            destination, standardOutput: Self.reserveStandardOutput(for: destination))
        defer { accessLogWriter?.finish() }
        let environment = ProxyEnvironment(
            replicaID: replicaID, tlsContext: try makeTLSContext(logger: logger), breakers: breakers,
            accessLog: accessLogWriter, serverCertificates: certificates)
        let group = MultiThreadedEventLoopGroup(
            numberOfThreads: eventLoopCount ?? ProcessLayout.automaticEventLoops(cores: System.coreCount))
        let states = try await LoopStates.make(group: group, environment: environment)
        let drain = DrainState()
        let server = ProxyServer(
            target: target, tlsTarget: tlsTarget, group: group, states: states, environment: environment,
            drainTimeout: .milliseconds(Int64(drainTimeout * 1000)), drain: drain, logger: logger)
        let cache = SnapshotCache(directory: cacheDir)
        let cached = await SnapshotClient.loadCache(cache, into: states, logger: logger)
        // Both inherited sockets are announced in hello and handed to a restarted control plane.
        var clientConfiguration = SnapshotClient.Configuration(
            socketPath: controlSocket, replicaID: replicaID, supervised: supervised,
            inheritedListener: target.inheritedDescriptor,
            inheritedTLSListener: tlsTarget?.inheritedDescriptor, slot: replicaSlot)
        clientConfiguration.heartbeatInterval = .milliseconds(Int64(heartbeatInterval * 1000))
        if let transport = try clusterTransport() { clientConfiguration.transport = transport }
        let client = SnapshotClient(
            configuration: clientConfiguration,
            cached: cached, cache: cache, states: states, breakers: breakers, drain: drain,
            accessLog: accessLogWriter, replicaCount: environment.replicaCount,
            upstreamHealth: environment.upstreamHealth, group: group, logger: logger)
        // Graceful shutdown runs in reverse order: the server drains first while the client
        // keeps reporting (`draining: true`) to the control plane. The server returning after a
        // drain the control plane asked for is a normal end: it stops the client gracefully.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: AccessLogReopener(writer: accessLogWriter, logger: logger))
        ]
        if let certificates { services.append(.init(service: TLSCertificateWatcher(store: certificates))) }
        services += [
            .init(service: client),
            .init(service: server, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("data plane stopped: \(error)")
            try? await group.shutdownGracefully()
            throw ExitCode.failure
        }
        try await group.shutdownGracefully()
    }

    /// `--control-plane` with its TLS, or `nil` for the Unix socket.
    private func clusterTransport() throws -> ControlPlaneTransport? {
        let addresses = try controlPlaneAddresses()
        guard !addresses.isEmpty, let certFile, let keyFile, let clusterCAFile else { return nil }
        do {
            let tls = try ControlPlaneTransport.clusterTLS(certFile: certFile, keyFile: keyFile, caFile: clusterCAFile)
            return .cluster(addresses: addresses, tls: tls)
        } catch {
            throw ArgumentParser.ValidationError(
                "--cert \(certFile), --key \(keyFile) and --ca \(clusterCAFile) cannot be used for TLS: \(error)")
        }
    }

    /// TLS for `https` upstreams: the system trust store plus `--ca-file`.
    private func makeTLSContext(logger: Logger) throws -> NIOSSLContext? {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = caFilePath { tls.additionalTrustRoots = [.file(caFile)] }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            if caFilePath != nil { throw error }
            logger.warning("https upstreams unavailable: cannot load the system trust store (\(error))")
            return nil
        }
    }

    /// Standard output belongs to the access log: anything else the process prints there (the
    /// `listening on` line, library output) goes to stderr from now on, so that a log shipper
    /// reading stdout sees JSON lines only. Returns the descriptor the access log writes
    /// standard output through.
    static func reserveStandardOutput(for destination: AccessLogDestination) -> CInt {
        fflush(nil)
        var accessLog = STDOUT_FILENO
        if destination == .standardOutput {
            let copy = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else { return STDOUT_FILENO }
            accessLog = copy
        }
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return accessLog
    }

    /// Runs the command with the process's arguments (the executable's entry point).
    package static func runFromCommandLine() async {
        await main()
    }
}
