import Benchmark
import DataPlane
import DataPlaneTesting
import NIOCore
import NIOEmbedded

/// The data plane's request path in-process: the real pipeline on embedded channels, client
/// bytes in, upstream bytes out, upstream response in, client bytes out. One iteration is one
/// request (sixteen for the pipelined batch), so every count reads as "per request".
let benchmarks: @Sendable () -> Void = {
    // Counts are stable run to run; time is not (the CI machine is shared), so only counts gate.
    let gate: BenchmarkThresholds = .init(relative: [.p50: 10.0])
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .retainCount, .releaseCount, .instructions, .cpuTotal, .throughput],
        warmupIterations: 50,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 20_000,
        thresholds: [.mallocCountTotal: gate, .retainCount: gate, .releaseCount: gate, .instructions: gate]
    )

    Benchmark("GET 1 KiB") { benchmark in
        let proxy = try EmbeddedProxy()
        let request = ByteBuffer(string: "GET /orchestrator/svc/1k HTTP/1.1\r\nHost: gw\r\n\r\n")
        let response = ByteBuffer(
            string: "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + String(repeating: "a", count: 1024))
        try proxy.client.writeInbound(request)
        let upstream = try proxy.upstream().unwrap()
        try upstream.respond(response)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try proxy.client.writeInbound(request)
            try upstream.discardRequests()
            try upstream.respond(response)
            try proxy.discardClientOutput()
        }
        benchmark.stopMeasurement()
    }

    Benchmark("POST 16 KiB") { benchmark in
        let proxy = try EmbeddedProxy()
        let body = String(repeating: "b", count: 16 * 1024)
        let request = ByteBuffer(
            string: "POST /orchestrator/svc/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        let response = ByteBuffer(string: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        try proxy.client.writeInbound(request)
        let upstream = try proxy.upstream().unwrap()
        try upstream.respond(response)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try proxy.client.writeInbound(request)
            try upstream.discardRequests()
            try upstream.respond(response)
            try proxy.discardClientOutput()
        }
        benchmark.stopMeasurement()
    }

    Benchmark("404 answered locally") { benchmark in
        let proxy = try EmbeddedProxy()
        let request = ByteBuffer(string: "GET /orchestrator/nowhere/x HTTP/1.1\r\nHost: gw\r\n\r\n")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try proxy.client.writeInbound(request)
            try proxy.discardClientOutput()
        }
        benchmark.stopMeasurement()
    }

    Benchmark("pipelined batch of 16", configuration: .init(scalingFactor: .one)) { benchmark in
        let proxy = try EmbeddedProxy()
        let one = "GET /orchestrator/svc/1k HTTP/1.1\r\nHost: gw\r\n\r\n"
        let batch = ByteBuffer(string: String(repeating: one, count: 16))
        let response = ByteBuffer(
            string: "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n" + String(repeating: "a", count: 1024))
        try proxy.client.writeInbound(ByteBuffer(string: one))
        let upstream = try proxy.upstream().unwrap()
        try upstream.respond(response)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try proxy.client.writeInbound(batch)
            for _ in 0..<16 {
                try upstream.discardRequests()
                try upstream.respond(response)
            }
            try proxy.discardClientOutput()
        }
        benchmark.stopMeasurement()
    }
}

struct Missing: Error {}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw Missing() }
        return self
    }
}
