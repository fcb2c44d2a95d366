import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Shared
import TestSupport

@testable import ControlPlane

/// A store, a registry, the config source on `config.yaml` and the admin router, in a fresh
/// directory, without a server or replicas: admin routes tested in-process.
struct InProcessAdmin {
    let directory: TestDirectory
    let store: Store
    let registry: EndpointRegistry
    let source: ConfigSource
    let services: AdminServices
    static let logger = Logger(label: "in-process-admin")
    static let token = "in-process-admin-token"

    init(history: Int = SnapshotRecord.defaultHistory) async throws {
        directory = try TestDirectory()
        store = try Store(path: directory.file("store.sqlite").path)
        let publisher = SnapshotPublisher(logger: Self.logger)
        registry = try await EndpointRegistry(
            store: store, configPath: directory.file("config.yaml").path, publisher: publisher, logger: Self.logger,
            history: history)
        source = ConfigSource(path: directory.file("config.yaml").path, registry: registry, logger: Self.logger)
        services = AdminServices(
            registry: registry, config: source, publisher: publisher, store: store,
            checker: HealthChecker(registry: registry, logger: Self.logger), startedAt: Date(), logger: Self.logger)
    }

    /// Writes `config.yaml` and loads it.
    @discardableResult
    func load(_ text: String) async throws -> ConfigSource.LoadResult {
        try directory.write(text, to: "config.yaml")
        return await source.load(cause: "config file changed")
    }

    /// `method path` with an optional body, through the admin router with the token.
    func send(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws
        -> TestSupport.TestResponse
    {
        let application = Application(router: AdminServer.router(services: services, token: Self.token))
        return try await application.test(.router) { client in
            try await client.execute(
                uri: path, method: method, headers: [.authorization: "Bearer \(Self.token)"],
                body: body.map { ByteBuffer(string: $0) }
            ) { response in
                TestSupport.TestResponse(status: Int(response.status.code), body: Data(response.body.readableBytesView))
            }
        }
    }

    /// The version of the newest published snapshot.
    var version: Int { get async { await registry.current.version } }

    func remove() { directory.remove() }
}
