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
        let proxyText = AddressText.describe(host: settings.proxyAddress.host, port: settings.proxyAddress.port)

        let services = AdminServices(
            registry: registry, config: source, publisher: publisher, store: store, checker: checker, startedAt: Date(),
            logger: logger)
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
                    .init(service: application),
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

extension AddressText {
    package static func describe(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
