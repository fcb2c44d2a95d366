import AdminAPI
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

    static func status(of endpoint: SnapshotEndpoint) -> String {
        if endpoint.config.disabled { return "disabled" }
        switch endpoint.status {
        case .active: return endpoint.health == .unhealthy ? "unhealthy" : "active"
        default: return endpoint.status.rawValue
        }
    }

    @Sendable func routes(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<RouteListing> {
        let snapshot = await services.registry.current
        let table = RouteTable(snapshot.endpoints)
        let entries = table.patterns.map { pattern, route in
            RouteEntry(
                pattern: pattern, endpointId: route.endpoint.name, targetURL: route.url.description,
                methods: route.endpoint.config.methods, status: Self.status(of: route.endpoint),
                circuitBreakerState: "closed")
        }
        return JSONResponse(
            RouteListing(
                routes: entries, totalCount: entries.count, snapshotVersion: snapshot.version,
                timestamp: Timestamp.string()))
    }

    /// One GET to the endpoint's health-check URL (or base URL), 10 s timeout, redirects not
    /// followed; network errors are reported inside a 200. Changes no health state.
    @Sendable func test(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<RouteTested> {
        let id = try context.parameters.require("id")
        guard let record = try await services.registry.record(id), let url = record.config.endpointURL else {
            throw APIError(.notFound, "Endpoint not found: \(id)")
        }
        let target = ProbeTarget.url(url, healthCheckPath: record.config.healthCheckPath)
        let started = ContinuousClock.now
        var result = RouteTestResult(endpointId: id, url: target, responseTime: 0, success: false)
        do {
            let response = try await ProbeClient.shared.execute(HTTPClientRequest(url: target), timeout: .seconds(10))
            result.statusCode = Int(response.status.code)
            result.success = (200..<400).contains(response.status.code)
            _ = try? await response.body.collect(upTo: 1024 * 1024)
        } catch {
            result.error = ProbeClient.describe(error)
        }
        result.responseTime = (ContinuousClock.now - started).seconds
        return JSONResponse(RouteTested(testResult: result, timestamp: Timestamp.string()))
    }

    /// Routes are always derived from the current snapshot; this resends it to every replica.
    @Sendable func refresh(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<
        RoutesRefreshed
    > {
        await services.publisher.resend()
        let snapshot = await services.registry.current
        return JSONResponse(
            RoutesRefreshed(
                activeRoutesCount: RouteTable(snapshot.endpoints).patterns.count, snapshotVersion: snapshot.version,
                timestamp: Timestamp.string()))
    }

    /// Explains how a path (what follows `/orchestrator/`) resolves, with the exact upstream URL
    /// the data plane would call.
    @Sendable func debug(_ request: Request, context: BasicRequestContext) async throws -> JSONResponse<RouteDebug> {
        let raw = request.uri.path.dropFirst("/router/debug/".count)
        let input = String(raw)
        let table = RouteTable(await services.registry.current.endpoints)
        var result = RouteDebug(inputPath: input, normalizedPath: "/" + input)
        switch table.resolve(raw) {
        case .matched(let route, let rest):
            let endpoint = route.endpoint
            result.matchedEndpoint = RouteDebug.MatchedEndpoint(
                endpointId: endpoint.name, name: endpoint.name, url: route.url.description,
                methods: endpoint.config.methods,
                status: Self.status(of: endpoint))
            result.relativePath = rest.map(String.init) ?? ""
            var url = route.url
            if let pool = endpoint.config.upstreams, pool.count > 1 {
                let rotation = UpstreamRotation(
                    pool: pool, health: await services.checker.upstreamHealth(endpoint.name),
                    breakers: await services.upstreamBreakers(endpoint.name))
                result.upstreamsInRotation = rotation.inRotation.map(\.url)
                result.upstream = rotation.first.url
                url = (try? EndpointURL.parse(rotation.first.url).get()) ?? url
            }
            let target = url.target(rest: rest, query: request.uri.query.map { Substring($0) })
            result.wouldForwardTo = "\(url.scheme)://\(url.authority)\(target)"
        case .notFound:
            result.error = "No matching endpoint found"
        case .rejected(let reason):
            result.error = reason
        }
        return JSONResponse(result)
    }
}
