import DataPlane
import NIOHTTP1
import Shared
import TestSupport
import Testing

@Suite struct RequestPlannerTests {
    let table = RouteTable([
        .testing("svc", url: "http://backend:8080/api", version: "v1", methods: ["GET", "POST"]),
        .testing("q", url: "http://backend:8080/q?fixed=1"),
        .testing("root", url: "http://backend:8080"),
        .testing("off", url: "http://backend:8080/off", disabled: true),
        .testing("stopped", url: "http://backend:8080/stopped", status: .disabled),
        .testing("paused", url: "http://backend:8080/paused", status: .inactive),
        .testing("sick", url: "http://backend:8080/sick", health: .unhealthy),
        .testing("forced", url: "http://backend:8080/forced", status: .unhealthy),
    ])

    func forwardTarget(_ uri: String, _ method: HTTPMethod = .GET) -> String? {
        guard case .forward(let forward) = RequestPlanner.plan(method: method, uri: uri, routes: table) else {
            return nil
        }
        return forward.target(on: forward.route.url)
    }

    func response(_ uri: String, _ method: HTTPMethod = .GET) -> GatewayResponse? {
        guard case .respond(let response, _) = RequestPlanner.plan(method: method, uri: uri, routes: table) else {
            return nil
        }
        return response
    }

    @Test func subPathsAreAppendedToTheBasePath() {
        #expect(forwardTarget("/orchestrator/svc/users/42") == "/api/users/42")
        #expect(forwardTarget("/orchestrator/v1/svc/users/42") == "/api/users/42")
        #expect(forwardTarget("/orchestrator/svc") == "/api")
        #expect(forwardTarget("/orchestrator/svc/") == "/api/")
        #expect(forwardTarget("/orchestrator/root/x") == "/x")
    }

    @Test func rawQueriesAreKeptAndMergedAfterTheBaseQuery() {
        #expect(forwardTarget("/orchestrator/svc/s?a=1&a=2&b=%20x") == "/api/s?a=1&a=2&b=%20x")
        #expect(forwardTarget("/orchestrator/q/x?y=2") == "/q/x?fixed=1&y=2")
        #expect(forwardTarget("/orchestrator/q") == "/q?fixed=1")
    }

    @Test func absoluteURLsInTheSubPathStayOnTheEndpointsHost() {
        #expect(forwardTarget("/orchestrator/svc/http://evil.example/x") == "/api/http://evil.example/x")
    }

    @Test func matchingIsBySegmentNotPrefix() {
        #expect(response("/orchestrator/svcx/a")?.status == .notFound)
        #expect(response("/orchestratorsvc/a")?.status == .notFound)
    }

    @Test func unknownPathsAre404WithTheSeedsDetail() {
        let notFound = response("/orchestrator/nope/x")
        #expect(notFound?.status == .notFound)
        #expect(notFound?.body == #"{"detail":"No endpoint found for path: nope/x"}"#)
        #expect(response("/elsewhere")?.status == .notFound)
    }

    @Test(arguments: [
        "/orchestrator/svc/../x", "/orchestrator/svc/%2e%2e/x", "/orchestrator/svc/./x", "/orchestrator/svc/%2E/x",
    ])
    func dotSegmentsAre400(_ uri: String) {
        #expect(response(uri)?.status == .badRequest)
    }

    @Test func wrongMethodIs405WithAllowBeforeAvailabilityChecks() {
        let wrong = response("/orchestrator/svc/x", .DELETE)
        #expect(wrong?.status == .methodNotAllowed)
        #expect(wrong?.body == #"{"detail":"Method DELETE not allowed. Allowed: GET, POST"}"#)
        #expect(wrong?.headers.first { $0.0 == "allow" }?.1 == "GET, POST")
        #expect(response("/orchestrator/sick/x", .POST)?.status == .methodNotAllowed)
    }

    @Test func blockedEndpointsAre503WithTheirReason() {
        #expect(response("/orchestrator/off/x")?.body == #"{"detail":"Endpoint is disabled"}"#)
        #expect(response("/orchestrator/stopped/x")?.body == #"{"detail":"Endpoint is disabled"}"#)
        #expect(response("/orchestrator/paused/x")?.body == #"{"detail":"Endpoint is inactive"}"#)
        #expect(response("/orchestrator/sick/x")?.body == #"{"detail":"Endpoint is unhealthy"}"#)
        #expect(response("/orchestrator/forced/x")?.body == #"{"detail":"Endpoint is unhealthy"}"#)
        #expect(response("/orchestrator/sick/x")?.status == .serviceUnavailable)
    }

    @Test func healthIsTheProxysOwn() {
        guard case .health = RequestPlanner.plan(method: .GET, uri: "/health", routes: nil) else {
            Issue.record("GET /health must be answered by the proxy")
            return
        }
    }

    @Test func withoutASnapshotEveryProxiedRequestIs503() {
        guard case .respond(let response, _) = RequestPlanner.plan(method: .GET, uri: "/orchestrator/svc", routes: nil)
        else {
            Issue.record("expected a gateway response")
            return
        }
        #expect(response.status == .serviceUnavailable)
    }

    @Test func detailsAreValidJSONEvenForOddPaths() {
        let body = response(#"/orchestrator/a"b\c"#)?.body
        #expect(body == #"{"detail":"No endpoint found for path: a\"b\\c"}"#)
    }

    @Test func aRouteAllowsExactlyTheMethodsItsEndpointLists() throws {
        let lists: [[String]] = [
            ["GET"], ["GET", "POST"], ["get", "PURGE"], ["HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"], ["CONNECT"], [],
        ]
        let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "PURGE", "get", "TRACE"]
        for list in lists {
            let route = try #require(RouteTable([.testing("m", url: "http://backend/", methods: list)]).routes["m"])
            for method in methods {
                #expect(route.allows(method: method) == list.contains(method), "\(method) with \(list)")
            }
        }
    }

    @Test func aRouteTakesTrafficExactlyWhenItsEndpointHasNoReasonToRefuse() throws {
        for disabled in [false, true] {
            for status in AdminStatus.allCases {
                for health in [EndpointHealth.unknown, .healthy, .unhealthy] {
                    let endpoint = SnapshotEndpoint.testing(
                        "e", url: "http://backend/", disabled: disabled, health: health, status: status)
                    let route = try #require(RouteTable([endpoint]).routes["e"])
                    #expect(route.takesTraffic == (RequestPlanner.unavailability(of: endpoint) == nil))
                }
            }
        }
    }
}
