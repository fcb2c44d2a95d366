import DataPlane
import DataPlaneTesting
import NIOCore
import NIOHTTP1
import ProxyFuzzSupport
import Shared

/// libFuzzer's entry point: arbitrary bytes from the upstream of one proxy connection.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    fuzzUpstream(UnsafeBufferPointer(start: start, count: count))
}

func fuzzUpstream(_ data: UnsafeBufferPointer<UInt8>) -> CInt {
    ProxyFuzzing.prepare()
    do {
        let run = try UpstreamRun(FuzzInput(data))
        defer { run.harness.shutdown() }
        try run.play()
    } catch {
        fatalError("the harness failed: \(error)")
    }
    return 0
}

@main
enum ProxyUpstreamFuzzMain {
    static func main() {
        runLibFuzzer { data, count in fuzzUpstream(UnsafeBufferPointer(start: data, count: count)) }
    }
}

/// The client sends a GET, a POST with a body and a HEAD; the payload is what the upstream answers,
/// in the writes ``FuzzInput`` cuts (each to the connection the proxy opened last, while it is
/// open), with clock moves between them. Flag bit 3: after its last write the upstream closes,
/// and so does every connection the proxy opens after that. Bit 4: the client sends each request
/// once the previous one is answered (otherwise all three at once, pipelined). Bit 5: the POST
/// asks for `100-continue`. Bit 6: the requests are HTTP/1.0 with `Connection: keep-alive`.
/// Bit 7: the client stops reading half way.
///
/// Invariants, beyond not crashing: what the client receives is valid HTTP/1.1 (it may stop in the
/// middle of a response only when the proxy closed the client connection), at most one response
/// per request; an upstream connection whose response the gateway refused (its own 502) is
/// closed, never back in the pool; the POST is never sent upstream twice; and when the upstreams
/// close, every request has its response or the client connection is closed.
final class UpstreamRun {
    let input: FuzzInput
    let harness: ProxyHarness
    let requests: [[UInt8]]
    var sent = 0
    /// Upstream connections on which the gateway answered 502 itself.
    var refused: [ScriptedUpstream] = []
    /// Whether the payload could pass for the gateway's own 502 body.
    let mimicsGateway: Bool

    init(_ input: FuzzInput) throws {
        self.input = input
        harness = try ProxyHarness()
        let version = input.flag(6) ? "HTTP/1.0" : "HTTP/1.1"
        let keepAlive = input.flag(6) ? "Connection: keep-alive\r\n" : ""
        let expect = input.flag(5) ? "Expect: 100-continue\r\n" : ""
        requests = [
            "GET /orchestrator/svc/a \(version)\r\nHost: gw\r\n\(keepAlive)\r\n",
            "POST /orchestrator/svc/b \(version)\r\nHost: gw\r\n\(keepAlive)\(expect)Content-Length: 5\r\n\r\nhello",
            "HEAD /orchestrator/svc/c \(version)\r\nHost: gw\r\n\(keepAlive)\r\n",
        ].map { Array($0.utf8) }
        let payload = String(decoding: input.payload, as: UTF8.self)
        mimicsGateway = payload.contains("Bad gateway") || payload.contains("Orchestration error")
    }

    var closesAtEnd: Bool { input.flag(3) }
    var sequential: Bool { input.flag(4) }

    func play() throws {
        try sendRequests()
        for (index, step) in input.steps.enumerated() {
            if input.flag(7) && index == input.steps.count / 2 { harness.clientStopsReading() }
            let target = harness.upstreams.last(where: \.isOpen)
            if let target, !step.bytes.isEmpty {
                try target.respond(step.bytes)
            }
            try settle(wroteTo: target)
            if step.advance > .zero {
                try harness.advance(by: step.advance, upstream: watch)
                try settle(wroteTo: nil)
            }
        }
        guard closesAtEnd else { return }
        // Every connection closes, and so does each one opened for a retry or the next request.
        var rounds = 0
        while rounds < 8, harness.upstreams.contains(where: \.isOpen) || (sent < requests.count && harness.clientIsOpen)
        {
            for upstream in harness.upstreams where upstream.isOpen { upstream.close() }
            try settle(wroteTo: nil)
            rounds += 1
        }
        if !harness.clientIsOpen { harness.clientOutputEnds() }
        invariant(
            !harness.clientIsOpen || (sent == requests.count && harness.responses.count == requests.count),
            "every upstream closed, the client connection is open, and \(sent) requests sent have "
                + "\(harness.responses.count) responses\n\(harness.summary)")
    }

    /// The client's requests: all at once, or the next once the previous is answered.
    func sendRequests() throws {
        while sent < requests.count, harness.clientIsOpen, !sequential || harness.responses.count == sent {
            harness.clientSends(requests[sent])
            sent += 1
            if sequential { try harness.settle(upstream: watch) }
        }
        try harness.settle(upstream: watch)
    }

    /// Settles, then checks what the step did to the responses and the pool.
    func settle(wroteTo target: ScriptedUpstream?) throws {
        let answered = harness.responses.count
        try harness.settle(upstream: watch)
        try sendRequests()
        if !harness.clientIsOpen { harness.clientOutputEnds() }
        let responses = harness.responses
        invariant(
            responses.count <= sent,
            "\(responses.count) responses for \(sent) requests: \(statuses)")
        for response in responses[answered...] where isGatewayRefusal(response) {
            guard let target else { continue }
            refused.append(target)
        }
        for upstream in refused {
            invariant(
                !upstream.isOpen,
                "upstream connection \(upstream.index) is still open after the gateway refused its response; "
                    + "responses: \(statuses)")
        }
        let open = harness.upstreams.filter(\.isOpen).count
        invariant(
            harness.proxy.state.pool.idleCount <= open,
            "the pool holds \(harness.proxy.state.pool.idleCount) idle connections, \(open) are open")
    }

    /// Watches what the upstreams receive: the POST goes upstream at most once.
    func watch(_ upstream: ScriptedUpstream, _ part: HTTPServerRequestPart) throws {
        guard case .head(let head) = part, head.method == .POST else { return }
        let posts = harness.upstreams.flatMap(\.heads).filter { $0.method == .POST }.count
        invariant(posts <= 1, "the POST went upstream \(posts) times")
    }

    /// A 502 the gateway wrote itself: the upstream's response was refused or cut short.
    func isGatewayRefusal(_ response: ProxyHarness.Response) -> Bool {
        guard response.head.status == .badGateway, !mimicsGateway else { return false }
        let body = String(decoding: response.body, as: UTF8.self)
        return body.hasPrefix(#"{"detail":"Bad gateway"#) || body.hasPrefix(#"{"detail":"Orchestration error"#)
    }

    var statuses: String {
        harness.responses.map { String($0.head.status.code) }.joined(separator: ", ")
    }
}
