import Foundation
import Hummingbird
import Logging
import TestSupport
import Testing

@testable import ControlPlane

/// `Resources/openapi.json` against the router the control plane actually serves.
@Suite struct OpenAPIDocumentTests {
    static func document() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(DocsRoutes.documentBytes)) as? [String: Any])
    }

    /// `METHOD /path/{param}` for every operation of the document.
    static func documentedRoutes(_ document: [String: Any]) throws -> Set<String> {
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var routes: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method)
            {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return routes
    }

    /// Hummingbird writes captures as `{id}`; its `**` (rest of the path) is the document's `{path}`.
    static func normalised(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.last == "**" { parts[parts.count - 1] = "{path}" }
        return "/" + parts.joined(separator: "/")
    }

    static func registeredRoutes() async throws -> Set<String> {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let logger = Logger(label: "openapi-test")
        let store = try Store(path: directory.file("store.sqlite").path)
        let publisher = SnapshotPublisher(logger: logger)
        let configPath = directory.file("config.yaml").path
        let registry = try await EndpointRegistry(
            store: store, configPath: configPath, publisher: publisher, logger: logger)
        let services = AdminServices(
            registry: registry, config: ConfigSource(path: configPath, registry: registry, logger: logger),
            publisher: publisher, store: store, checker: HealthChecker(registry: registry, logger: logger),
            startedAt: Date(), logger: logger)
        let router = AdminServer.router(services: services, token: "token")
        return Set(router.routes.map { "\($0.method.rawValue) \(normalised($0.path.description))" })
    }

    @Test func everyRegisteredRouteIsDocumentedAndNothingElse() async throws {
        let registered = try await Self.registeredRoutes()
        let documented = try Self.documentedRoutes(Self.document())
        #expect(registered.count > 30)

        let undocumented = registered.subtracting(documented).sorted()
        #expect(undocumented.isEmpty, "registered but missing from openapi.json: \(undocumented)")
        let unregistered = documented.subtracting(registered).sorted()
        #expect(unregistered.isEmpty, "in openapi.json but not registered: \(unregistered)")
    }

    @Test func normalisationOfRouterPaths() {
        #expect(Self.normalised("/router/debug/**") == "/router/debug/{path}")
        #expect(Self.normalised("/snapshots/") == "/snapshots")
        #expect(Self.normalised("/registry/endpoints/{id}/status") == "/registry/endpoints/{id}/status")
        #expect(Self.normalised("/") == "/")
    }

    /// Bearer scheme global; the public routes opt out; every secured operation documents 401
    /// and every `$ref` resolves.
    @Test func securityAndReferencesAreConsistent() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.0.3")
        #expect((document["security"] as? [[String: [String]]]) == [["bearer": []]])
        let components = try #require(document["components"] as? [String: Any])
        let schemes = try #require(components["securitySchemes"] as? [String: [String: String]])
        #expect(schemes["bearer"]?["scheme"] == "bearer")

        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        var publicRoutes: Set<String> = []
        for (path, item) in paths {
            for (method, operation) in item {
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                if let security = operation["security"] as? [Any], security.isEmpty {
                    publicRoutes.insert("\(method.uppercased()) \(path)")
                } else {
                    #expect(responses["401"] != nil, "\(method) \(path) documents no 401")
                }
                #expect(
                    AuthMiddleware<BasicRequestContext>.isPublic(.init(method.uppercased())!, path)
                        == publicRoutes.contains("\(method.uppercased()) \(path)") || path == "/status",
                    "\(method) \(path): document and AuthMiddleware disagree on needing the token")
            }
        }
        #expect(publicRoutes == ["GET /health", "GET /docs", "GET /openapi.json", "GET /status", "POST /status/login"])

        let text = String(decoding: DocsRoutes.documentBytes, as: UTF8.self)
        let schemas = try #require(components["schemas"] as? [String: Any])
        let responses = try #require(components["responses"] as? [String: Any])
        let references = text.matches(of: /"\$ref": "#\/components\/(schemas|responses)\/([A-Za-z]+)"/)
        #expect(!references.isEmpty)
        for reference in references {
            let known =
                reference.output.1 == "schemas"
                ? schemas[String(reference.output.2)] : responses[String(reference.output.2)]
            #expect(known != nil, "unresolved \(reference.output.0)")
        }
    }
}
