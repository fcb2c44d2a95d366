import DataPlaneTesting
import NIOCore
import Shared

extension ProxyPathScenario {
    /// A request as wrk sends it (as `bench/proxy.sh` measures the proxy).
    static let get = "GET /orchestrator/svc/1k HTTP/1.1\r\nHost: gw\r\n\r\n"

    /// 1 KiB from the upstream, as nginx serves a static file.
    static let response1KiB =
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\n\r\n"
        + String(repeating: "a", count: 1024)

    /// A GET proxied to the upstream, answered with 1 KiB.
    static let get1KiB = ProxyPathScenario(
        request: get, upstreamResponse: response1KiB, upstreamRequestLine: "GET /api/1k HTTP/1.1", status: 200)

    /// The same GET to an endpoint with a pool of two upstreams, round robin: the balancer's pick
    /// and each upstream's breaker on every request (both upstreams share one `host:port`, so
    /// one pooled connection serves them, as in the other cases).
    static let get1KiBPool2: ProxyPathScenario = {
        var scenario = get1KiB
        let pool = [
            UpstreamConfig(url: "http://upstream.test:8080/api"), UpstreamConfig(url: "http://upstream.test:8080/api"),
        ]
        scenario.endpoints = [
            SnapshotEndpoint(
                config: EndpointConfig(
                    name: "svc", url: pool[0].url, methods: ["GET"], upstreams: pool, loadBalancing: .roundRobin),
                owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: .unknown, status: .active)
        ]
        return scenario
    }()

    /// A 16 KiB upload (Content-Length), answered with a short 201.
    static let post16KiB: ProxyPathScenario = {
        let body = String(repeating: "b", count: 16 * 1024)
        return ProxyPathScenario(
            request: "POST /orchestrator/svc/upload HTTP/1.1\r\nHost: gw\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body,
            upstreamResponse: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            upstreamRequestLine: "POST /api/upload HTTP/1.1", status: 201)
    }()

    /// A path no endpoint serves: the gateway answers 404 itself, no upstream involved.
    static let notFound = ProxyPathScenario(
        request: "GET /orchestrator/nowhere/x HTTP/1.1\r\nHost: gw\r\n\r\n", upstreamResponse: nil,
        upstreamRequestLine: nil, status: 404)

    /// Sixteen GETs in one read (the default `max_pipelined`), answered in order on one upstream
    /// connection.
    static let pipelined16 = ProxyPathScenario(
        request: get, count: 16, upstreamResponse: response1KiB, upstreamRequestLine: "GET /api/1k HTTP/1.1",
        status: 200)

    /// GETs spread over `count` endpoints (`r0`, `r1`, …, each its own base path on one upstream
    /// host), each endpoint once per `count` exchanges, in a fixed shuffled order: what
    /// `bench/proxy.sh`'s routes10k and `bench/config-scale.sh`'s proxy phase send. With 10,000
    /// against 1, the cost of a large table whose endpoints' state is seldom in cache.
    static func getSpread(over count: Int) -> ProxyPathScenario {
        var order = Array(0..<count)
        // A fixed permutation (a linear congruential generator's Fisher–Yates), the same every run.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in stride(from: count - 1, to: 0, by: -1) {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            order.swapAt(index, Int((seed >> 33) % UInt64(index + 1)))
        }
        var scenario = ProxyPathScenario(
            request: "GET /orchestrator/r\(order[0])/1k HTTP/1.1\r\nHost: gw\r\n\r\n", upstreamResponse: response1KiB,
            upstreamRequestLine: "GET /r\(order[0])/1k HTTP/1.1", status: 200)
        scenario.clientBytes = order.map {
            ByteBuffer(string: "GET /orchestrator/r\($0)/1k HTTP/1.1\r\nHost: gw\r\n\r\n")
        }
        scenario.endpoints = (0..<count).map {
            EmbeddedProxy.endpoint("r\($0)", url: "http://upstream.test:8080/r\($0)", methods: ["GET"])
        }
        return scenario
    }
}
