import Foundation
import Hummingbird
import Logging
import NIOCore
import Shared

/// The admin API on its own address (127.0.0.1:8001 by default), token-protected.
package enum AdminServer {
    /// Builds the router with every admin route and the auth and error middlewares.
    package static func router(services: AdminServices, token: String) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ErrorMiddleware(logger: services.logger))
        let session = StatusSession()
        router.add(middleware: AuthMiddleware(token: token, session: session))
        RootRoutes(services: services).register(on: router)
        RegistryRoutes(services: services).register(on: router)
        BulkEndpointRoutes(services: services).register(on: router)
        ConfigRoutes(services: services).register(on: router)
        RouterRoutes(services: services).register(on: router)
        SnapshotRoutes(services: services).register(on: router)
        DataPlaneRoutes(services: services).register(on: router)
        ClusterRoutes(services: services).register(on: router)
        HealthRoutes(services: services).register(on: router)
        BreakerRoutes(services: services).register(on: router)
        MetricsRoutes(services: services).register(on: router)
        BackupRoutes(services: services, dataDirectory: services.scratchDirectory).register(on: router)
        DocsRoutes().register(on: router)
        StatusRoutes(services: services, token: token, session: session, sampler: services.trafficSampler)
            .register(on: router)
        return router
    }

    /// The application serving `router` on `host:port`; `onListening` gets the bound address.
    package static func application(
        router: Router<BasicRequestContext>,
        host: String,
        port: Int,
        logger: Logger,
        onListening: @escaping @Sendable (String) async -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "orchestrator"),
            onServerRunning: { channel in
                let address = (channel.localAddress.map(HostPort.init) ?? HostPort(host: host, port: port)).description
                await onListening(address)
            },
            logger: logger
        )
    }
}

extension HostPort {
    /// The address of a bound socket.
    init(_ address: SocketAddress) {
        self.init(host: address.ipAddress ?? "?", port: address.port ?? 0)
    }
}
