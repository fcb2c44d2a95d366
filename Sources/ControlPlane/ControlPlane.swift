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
        let directory = try DataDirectory(path: settings.dataDir)
        let token = try directory.adminToken(environment: ProcessInfo.processInfo.environment)
        let store: Store
        do {
            store = try Store(path: directory.file("orchestrator.sqlite"))
        } catch {
            throw ControlPlaneError("cannot open \(directory.file("orchestrator.sqlite")): \(error)")
        }
        let publisher = SnapshotPublisher(logger: logger)
        let registry = try await EndpointRegistry(
            store: store, configPath: settings.configPath, publisher: publisher, logger: logger)
        let source = ConfigSource(path: settings.configPath, registry: registry, logger: logger)
        await source.load(cause: "startup")

        let socketPath = directory.file("control.sock")
        let socketServer = try await ControlSocketServer(path: socketPath, publisher: publisher, logger: logger)
        let watcher = ConfigWatcher(source: source, logger: logger)
        let checker = HealthChecker(registry: registry, logger: logger)
        let (supervisor, proxySocket) = try startSupervision(directory: directory, socketPath: socketPath)
        defer { proxySocket?.close() }
        let proxyText =
            proxySocket?.address.description
            ?? AddressText.describe(host: settings.proxyAddress.host, port: settings.proxyAddress.port)

        let services = AdminServices(
            registry: registry, config: source, publisher: publisher, store: store, checker: checker, startedAt: Date(),
            logger: logger, supervisedReplicas: { supervisor.replicas })
        let application = AdminServer.application(
            router: AdminServer.router(services: services, token: token),
            host: settings.adminAddress.host, port: settings.adminAddress.port, logger: logger
        ) { [logger] adminAddress in
            do {
                try directory.writeRuntime(
                    adminAddress: adminAddress, proxyAddress: proxyText, controlSocket: socketPath)
            } catch {
                logger.error("cannot write runtime.json", metadata: ["error": "\(error)"])
            }
            logger.info(
                "control plane ready",
                metadata: ["admin": "\(adminAddress)", "proxy": "\(proxyText)", "socket": "\(socketPath)"])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: socketServer), .init(service: watcher), .init(service: checker),
                    .init(service: application), .init(service: supervisor),
                ],
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
    /// Binds the proxy address once (when replicas are wanted) and prepares the supervisor that
    /// hands that socket to every replica it starts.
    func startSupervision(directory: DataDirectory, socketPath: String) throws -> (ReplicaSupervisor, ListeningSocket?)
    {
        var socket: ListeningSocket?
        if settings.replicas > 0 {
            let address = try ListenAddress(
                parsing: AddressText.describe(host: settings.proxyAddress.host, port: settings.proxyAddress.port))
            do {
                socket = try ListeningSocket(address: address)
            } catch {
                throw ControlPlaneError("cannot listen on \(address) for the proxy: \(error)")
            }
        }
        let supervisor = ReplicaSupervisor(
            configuration: .init(
                executable: URL(fileURLWithPath: settings.dataPlaneBinary),
                replicaCount: settings.replicas,
                listenSocket: socket?.fileDescriptor ?? -1,
                controlSocketPath: socketPath,
                dataDirectory: URL(fileURLWithPath: directory.path),
                logLevel: settings.logLevel,
                drainTimeout: .milliseconds(Int64(settings.drainTimeout * 1000)), accessLog: settings.accessLog),
            logger: logger)
        return (supervisor, socket)
    }
}

extension AddressText {
    package static func describe(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
