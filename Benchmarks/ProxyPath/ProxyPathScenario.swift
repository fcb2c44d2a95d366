import Benchmark
import DataPlaneTesting
import NIOCore
import NIOEmbedded

/// One request-path benchmark: what the client sends in one read, and how the upstream answers
/// each request in it. One measured iteration is one exchange on a kept-alive client connection and
/// a pooled upstream connection: client bytes in, upstream request bytes out, upstream response
/// in, client bytes out, all on embedded channels of one loop (no sockets, no other thread).
struct ProxyPathScenario {
    /// What a scenario found wrong with the path it measures; the benchmark fails with it.
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// The client's bytes, delivered to the proxy as one read; with several, one exchange each,
    /// taken in turn.
    var clientBytes: [ByteBuffer]
    /// How many requests `clientBytes` holds.
    var requests: Int
    /// The upstream's answer to each request, or nil when the gateway answers itself.
    var upstreamResponse: ByteBuffer?
    /// The start of the request line each request must reach the upstream with (method and
    /// target), when it goes upstream.
    var upstreamRequestLine: String?
    /// The status the client must get for each request.
    var status: Int
    /// The endpoints the proxy serves.
    var endpoints = EmbeddedProxy.endpoints

    /// A scenario whose client bytes are `request` sent `count` times in one read.
    init(request: String, count: Int = 1, upstreamResponse: String?, upstreamRequestLine: String?, status: Int) {
        clientBytes = [ByteBuffer(string: String(repeating: request, count: count))]
        requests = count
        self.upstreamResponse = upstreamResponse.map { ByteBuffer(string: $0) }
        self.upstreamRequestLine = upstreamRequestLine
        self.status = status
    }

    /// Measures `benchmark.scaledIterations` exchanges on a fresh proxy, after one checked
    /// exchange that opens the upstream connection (so that every measured one reuses it). The
    /// proxy is built and torn down outside the measured region.
    ///
    /// With several client reads, each is sent once before the measurement (the first checked),
    /// so that every measured exchange finds its endpoint's state made, as in a long-running proxy.
    func run(_ benchmark: Benchmark) throws {
        let proxy = try EmbeddedProxy(endpoints: endpoints)
        defer { proxy.shutdown() }
        let expectedOutput = try checkedExchange(proxy, clientBytes[0])
        let upstream = proxy.upstream()
        // The others' answers differ from the first's in length only by the endpoint's name
        // (`x-endpoint-id`).
        let plausibleOutput = (expectedOutput - 16)...(expectedOutput + 16)
        for bytes in clientBytes.dropFirst() {
            let output = try exchange(proxy, bytes, upstream: upstream)
            guard plausibleOutput.contains(output) else {
                throw Mismatch(
                    description: "a warm-up exchange sent the client \(output) bytes, not about \(expectedOutput)")
            }
        }
        var output = 0
        var next = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            output = try exchange(proxy, clientBytes[next], upstream: upstream)
            next = next + 1 == clientBytes.count ? 0 : next + 1
        }
        benchmark.stopMeasurement()
        guard clientBytes.count == 1 ? output == expectedOutput : plausibleOutput.contains(output) else {
            throw Mismatch(description: "a measured exchange sent the client \(output) bytes, not \(expectedOutput)")
        }
    }

    /// One exchange with no copies kept: what is measured.
    private func exchange(_ proxy: EmbeddedProxy, _ bytes: ByteBuffer, upstream: EmbeddedUpstream?) throws -> Int {
        try proxy.client.writeInbound(bytes)
        if let upstream, let upstreamResponse {
            for _ in 0..<requests {
                try upstream.discardRequests()
                try upstream.respond(buffer: upstreamResponse)
            }
        }
        return try proxy.discardClientOutput()
    }

    /// One exchange, checked: each request reached the upstream as expected (or no upstream was
    /// opened), the client got the expected status for each, and its connection stays open.
    /// Returns how many bytes the client received, which every measured exchange must match.
    private func checkedExchange(_ proxy: EmbeddedProxy, _ bytes: ByteBuffer) throws -> Int {
        try proxy.client.writeInbound(bytes)
        if let upstreamResponse {
            guard let upstream = proxy.upstream() else {
                throw Mismatch(description: "the proxy opened no upstream connection")
            }
            for _ in 0..<requests {
                try upstream.respond(buffer: upstreamResponse)
            }
            let heads = try upstream.requestHeads()
            guard heads.count == requests, let line = upstreamRequestLine, heads.allSatisfy({ $0.hasPrefix(line) })
            else {
                throw Mismatch(description: "the upstream received \(heads.count) request heads: \(heads)")
            }
        } else if !proxy.connector.opened.isEmpty {
            throw Mismatch(description: "a request answered locally opened an upstream connection")
        }
        let statuses = try proxy.responses().map(\.status)
        guard statuses == Array(repeating: status, count: requests), proxy.clientIsOpen else {
            throw Mismatch(
                description: "the client got \(statuses), expected \(requests) × \(status) on an open connection")
        }
        return try proxy.clientOutputBytes().count
    }
}
