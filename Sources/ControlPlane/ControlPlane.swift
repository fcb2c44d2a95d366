import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Shared
import UnixSignals

/// One control-plane process: opens the store, applies the config file, publishes snapshots on
/// the control socket, serves the admin API, and watches the file, until SIGTERM or SIGINT.
package struct ControlPlane {
    let settings: ControlPlaneSettings
    let logger = Logger(label: "orch.controlplane")

    package init(settings: ControlPlaneSettings) {
        self.settings = settings
    }

    package func run() async throws {
        if settings.proxyTLSAddress != nil { try TLSStartupCheck.check(configPath: settings.configPath) }
        let directory = try DataDirectory(path: settings.dataDir)
        let token = try directory.adminToken(environment: ProcessInfo.processInfo.environment)
        let store: any ConfigStore
        var cluster: ClusterRuntime?
        if case .postgres(let location) = settings.database {
            let runtime = try await ClusterRuntime.start(
                location, node: settings.nodeName, leaseTTL: settings.leaseTTL, logger: logger)
            cluster = runtime
            store = runtime.store
        } else {
            let path: String
            if case .sqlite(let file) = settings.database {
                path = file
            } else {
                path = directory.file("orchestrator.sqlite")
            }
            if let backup = settings.restorePath {
                let restored = try Store.restore(
                    from: backup, into: path, above: Self.cachedVersion(directory.file("cache/snapshot.json")))
                logger.notice(
                    "store restored from backup",
                    metadata: [
                        "file": "\(backup)", "endpoints": "\(restored.endpoints)",
                        "orch.snapshot.version": "\(restored.version)",
                    ])
            }
            store = try Self.openSQLite(path)
        }
        defer { cluster?.stop() }
        let publisher = SnapshotPublisher(logger: logger)
        let registry = try await EndpointRegistry(
            store: store, configPath: settings.configPath, publisher: publisher, logger: logger,
            history: settings.snapshotHistory)
        let source = ConfigSource(
            path: settings.configPath, registry: registry, logger: logger,
            requiresTLS: settings.proxyTLSAddress != nil)
        // In a cluster, the leader applies the file once it leads (``LeaderDuties``).
        if cluster == nil { await source.load(cause: "startup") }

        let socketPath = directory.file("control.sock")
        let socketServer = try await ControlSocketServer(path: socketPath, publisher: publisher, logger: logger)
        var clusterListener: ClusterListener?
        if let cluster = settings.cluster {
            clusterListener = try await ClusterListener(settings: cluster, publisher: publisher, logger: logger)
        }
        let clusterText = clusterListener?.localAddress?.description
        let watcher = ConfigWatcher(source: source, logger: logger)
        let checker = HealthChecker(registry: registry, logger: logger)
        let clusterServices =
            await cluster?.services(
                registry: registry, source: source, checker: checker, logger: logger) ?? []
        let supervision = try startSupervision(directory: directory, socketPath: socketPath, publisher: publisher)
        let supervisor = supervision.supervisor
        let proxyText = supervision.proxyText
        let proxyTLSText = supervision.proxyTLSText
        defer { for socket in supervision.sockets { socket.close() } }
        let recovery = try listenerRecovery(supervision, publisher: publisher, directory: directory)

        var services = AdminServices(
            registry: registry, config: source, publisher: publisher, store: store, checker: checker, startedAt: Date(),
            logger: logger, supervisedReplicas: { supervisor.replicas })
        services.supervisor = supervisor
        services.scratchDirectory = directory.path
        services.tlsListener = proxyTLSText
        services.nodeName = settings.nodeName
        services.cluster = cluster.map { ClusterView(election: $0.election) }
        let application = AdminServer.application(
            router: AdminServer.router(services: services, token: token),
            host: settings.adminAddress.host, port: settings.adminAddress.port, logger: logger
        ) { [logger, cluster] adminAddress in
            cluster?.election.adminAddress = "\(adminAddress)"
            do {
                try directory.writeRuntime(
                    adminAddress: adminAddress, proxyAddress: proxyText, proxyTLSAddress: proxyTLSText,
                    controlSocket: socketPath, clusterAddress: clusterText)
            } catch {
                logger.error("cannot write runtime.json", metadata: ["error": "\(error)"])
            }
            logger.info(
                "control plane ready",
                metadata: [
                    "admin": "\(adminAddress)", "proxy": "\(proxyText)",
                    "proxy_tls": "\(proxyTLSText ?? "off")", "socket": "\(socketPath)",
                    "cluster": "\(clusterText ?? "off")", "node": "\(settings.nodeName)",
                ])
        }
        let sampling = TrafficSampling(sampler: services.trafficSampler) { [publisher] in
            await publisher.trafficReports()
        }
        // The group shuts services down in reverse order, one after the other: the recovery
        // (which may be waiting up to 5 s for a hand-over) and the sampler come first in the
        // list so that they never delay stopping the replicas.
        var entries: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // Done once the sockets are back (or it gave up): its return must not end the group.
        if let recovery { entries.append(.init(service: recovery, successTerminationBehavior: .ignore)) }
        entries += [
            .init(service: sampling), .init(service: socketServer),
        ]
        if let clusterListener { entries.append(.init(service: clusterListener)) }
        entries += clusterServices.map { .init(service: $0) }
        entries += [
            .init(service: watcher), .init(service: checker),
            .init(service: application), .init(service: supervisor),
            .init(service: ReplicaSignalForwarder(supervisor: supervisor, logger: logger)),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: entries,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        defer {
            directory.removeRuntime()
            unlink(socketPath)
        }
        try await group.run()
    }
}

extension ControlPlane {
    static func openSQLite(_ path: String) throws -> Store {
        do {
            return try Store(path: path)
        } catch {
            throw ControlPlaneError("cannot open \(path): \(error)")
        }
    }

    /// The snapshot version in the replicas' cache file, 0 without one.
    static func cachedVersion(_ path: String) -> Int {
        struct Cached: Decodable { var version: Int }
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return (try? JSONDecoder().decode(Cached.self, from: data))?.version ?? 0
    }
}

extension ControlPlane {
    /// How long a rollout waits for a new replica to become ready (`ORCH_ROLLOUT_READY_TIMEOUT`
    /// seconds, default 30).
    static var readyTimeoutSeconds: Double {
        Double(ProcessInfo.processInfo.environment["ORCH_ROLLOUT_READY_TIMEOUT"] ?? "").flatMap { $0 > 0 ? $0 : nil }
            ?? 30
    }
}

extension ControlPlane {
    /// How long a control plane that adopted replicas asks them for the proxy socket
    /// (`ORCH_ADOPT_TIMEOUT` seconds, default 30).
    static var adoptTimeoutSeconds: Double {
        Double(ProcessInfo.processInfo.environment["ORCH_ADOPT_TIMEOUT"] ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 30
    }
}
