import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOHTTP1
import Shared

/// `/router/*`: the route table replicas serve (always derived from the current snapshot).
struct RouterRoutes {
    let services: AdminServices

    func register(on router: Router<BasicRequestContext>) {
        let group = router.group("router")
        group.get("routes", use: routes)
        group.get("test/:id", use: test)
        group.post("refresh", use: refresh)
        group.get("debug/**", use: debug)
    }

    struct RouteEntry: Encodable, Sendable {
        var pattern: String
        var endpoint_id: String
        var target_url: String
        var methods: [String]
        var status: String
        var circuit_breaker_state: String
    }

    struct Routes: Encodable, Sendable {
        var routes: [RouteEntry]
        var total_count: Int
        var snapshot_version: Int
        var timestamp: String
    }

    static func status(of endpoint: SnapshotEndpoint) -> String {
        if endpoint.config.disabled { return "disabled" }
        switch endpoint.status {
        case .active: return endpoint.health == .unhealthy ? "unhealthy" : "active"
        default: return endpoint.status.rawValue
        }
    }

    @Sendable func routes(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Routes> {
        let snapshot = await services.registry.current
        let table = RouteTable(snapshot.endpoints)
        let entries = table.patterns.map { pattern, route in
            RouteEntry(
                pattern: pattern, endpoint_id: route.endpoint.name, target_url: route.url.description,
                methods: route.endpoint.config.methods, status: Self.status(of: route.endpoint),
                circuit_breaker_state: "closed")
        }
        return JSONResponse(
            Routes(
                routes: entries, total_count: entries.count, snapshot_version: snapshot.version,
                timestamp: Timestamp.string()))
    }

    struct TestResult: Encodable, Sendable {
        var endpoint_id: String
        var url: String
        var status_code: Int?
        var response_time: Double
        var success: Bool
        var error: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(endpoint_id, forKey: .endpoint_id)
            try container.encode(url, forKey: .url)
            try container.encode(status_code, forKey: .status_code)
            try container.encode(response_time, forKey: .response_time)
            try container.encode(success, forKey: .success)
            try container.encode(error, forKey: .error)
        }

        enum CodingKeys: CodingKey { case endpoint_id, url, status_code, response_time, success, error }
    }

    struct Tested: Encodable, Sendable {
        var test_result: TestResult
        var timestamp: String
    }

    /// One GET to the endpoint's health-check URL (or base URL), 10 s timeout, redirects not
    /// followed; network errors are reported inside a 200. Changes no health state.
    @Sendable func test(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Tested> {
        let id = try context.parameters.require("id")
        guard let record = try await services.registry.record(id), let url = record.config.endpointURL else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        let target = ProbeTarget.url(url, healthCheckPath: record.config.healthCheckPath)
        let started = ContinuousClock.now
        var result = TestResult(
            endpoint_id: id, url: target, status_code: nil, response_time: 0, success: false, error: nil)
        do {
            let response = try await ProbeClient.shared.execute(HTTPClientRequest(url: target), timeout: .seconds(10))
            result.status_code = Int(response.status.code)
            result.success = (200..<400).contains(response.status.code)
            _ = try? await response.body.collect(upTo: 1024 * 1024)
        } catch {
            result.error = ProbeClient.describe(error)
        }
        result.response_time = (ContinuousClock.now - started).seconds
        return JSONResponse(Tested(test_result: result, timestamp: Timestamp.string()))
    }

    struct Refreshed: Encodable, Sendable {
        var success = true
        var message = "Route mappings refreshed successfully"
        var active_routes_count: Int
        var snapshot_version: Int
        var timestamp: String
    }

    /// Routes are always derived from the current snapshot; this resends it to every replica.
    @Sendable func refresh(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Refreshed> {
        await services.publisher.resend()
        let snapshot = await services.registry.current
        return JSONResponse(
            Refreshed(
                active_routes_count: RouteTable(snapshot.endpoints).patterns.count, snapshot_version: snapshot.version,
                timestamp: Timestamp.string()))
    }

    struct Matched: Encodable, Sendable {
        var endpoint_id: String
        var name: String
        var url: String
        var methods: [String]
        var status: String
    }

    struct Debug: Encodable, Sendable {
        var input_path: String
        var normalized_path: String
        var matched_endpoint: Matched?
        var relative_path: String?
        var would_forward_to: String?
        var error: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(input_path, forKey: .input_path)
            try container.encode(normalized_path, forKey: .normalized_path)
            try container.encode(matched_endpoint, forKey: .matched_endpoint)
            if matched_endpoint != nil {
                try container.encode(relative_path, forKey: .relative_path)
                try container.encode(would_forward_to, forKey: .would_forward_to)
            } else {
                try container.encode(error, forKey: .error)
            }
        }

        enum CodingKeys: CodingKey {
            case input_path, normalized_path, matched_endpoint, relative_path, would_forward_to, error
        }
    }

    /// Explains how a path (what follows `/orchestrator/`) resolves, with the exact upstream URL
    /// the data plane would call.
    @Sendable func debug(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<Debug> {
        let raw = request.uri.path.dropFirst("/router/debug/".count)
        let input = String(raw)
        let table = RouteTable(await services.registry.current.endpoints)
        var result = Debug(input_path: input, normalized_path: "/" + input)
        switch table.resolve(raw) {
        case .matched(let route, let rest):
            let endpoint = route.endpoint
            result.matched_endpoint = Matched(
                endpoint_id: endpoint.name, name: endpoint.name, url: route.url.description,
                methods: endpoint.config.methods,
                status: Self.status(of: endpoint))
            result.relative_path = rest.map(String.init) ?? ""
            let target = route.url.target(rest: rest, query: request.uri.query.map { Substring($0) })
            result.would_forward_to = "\(route.url.scheme)://\(route.url.authority)\(target)"
        case .notFound:
            result.error = "No matching endpoint found"
        case .rejected(let reason):
            result.error = reason
        }
        return JSONResponse(result)
    }
}
