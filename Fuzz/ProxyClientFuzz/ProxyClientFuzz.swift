import DataPlane
import DataPlaneTesting
import NIOCore
import NIOHTTP1
import ProxyFuzzSupport
import Shared

/// libFuzzer's entry point: arbitrary bytes from the client of one proxy connection.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    fuzzClient(UnsafeBufferPointer(start: start, count: count))
}

func fuzzClient(_ data: UnsafeBufferPointer<UInt8>) -> CInt {
    ProxyFuzzing.prepare()
    do {
        let run = try ClientRun(FuzzInput(data))
        defer { run.harness.shutdown() }
        try run.play()
    } catch {
        fatalError("the harness failed: \(error)")
    }
    return 0
}

@main
enum ProxyClientFuzzMain {
    static func main() {
        runLibFuzzer { data, count in fuzzClient(UnsafeBufferPointer(start: data, count: count)) }
    }
}

/// The payload is what the client sends, in the writes ``FuzzInput`` cuts, with clock moves
/// between them. Every upstream connection is scripted: it answers each request it received
/// completely with a small valid response (flag bit 3: as soon as the head arrives, before the
/// body; bit 4: never, so the response timeout fires; bit 6: connections to it are refused).
/// Flag bit 5: the replica starts draining half way; bit 7: the client stops reading half way.
///
/// Invariants, beyond not crashing: what each upstream connection receives is valid HTTP/1.1, and
/// every request in it is one the route table produces (target under the endpoint's base path,
/// `Host: upstream.test:8080`, a method the endpoint allows); there are never more upstream
/// requests than request heads NIO's decoder produced from the client's bytes (the script never
/// closes a connection, so nothing is retried); what the client receives is valid HTTP/1.1, one
/// response per request; once the client goes quiet, its connection ends within the timeouts.
final class ClientRun {
    let input: FuzzInput
    let harness: ProxyHarness
    var upstreamRequests = 0

    static let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
    static let headResponse = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n".utf8)

    init(_ input: FuzzInput) throws {
        self.input = input
        harness = try ProxyHarness()
    }

    var answersEarly: Bool { input.flag(3) }
    var neverAnswers: Bool { input.flag(4) }
    var drains: Bool { input.flag(5) }
    var refusesConnections: Bool { input.flag(6) }
    var stopsReading: Bool { input.flag(7) }

    func play() throws {
        harness.proxy.connector.refuse = refusesConnections
        for (index, step) in input.steps.enumerated() {
            if drains && index == input.steps.count / 2 { harness.quiesce() }
            if stopsReading && index == input.steps.count / 2 { harness.clientStopsReading() }
            harness.clientSends(step.bytes)
            try harness.settle(upstream: serve)
            try harness.advance(by: step.advance, upstream: serve)
            if !harness.clientIsOpen { return }
        }
        // The client goes quiet: the connection must end by one of its timeouts (each quiet period
        // is longer than all of them; a pipelined request may start a new wait after one ends).
        var quiet = 0
        while harness.clientIsOpen && quiet <= ProxyFuzzing.limits.maxPipelined + 2 {
            try harness.advance(by: ProxyFuzzing.quietPeriod, upstream: serve)
            quiet += 1
        }
        invariant(
            !harness.clientIsOpen,
            "the client connection is still open \(quiet) quiet periods after its client went quiet\n"
                + harness.summary)
    }

    /// The scripted upstream: checks every request head and answers complete requests.
    func serve(_ upstream: ScriptedUpstream, _ part: HTTPServerRequestPart) throws {
        switch part {
        case .head(let head):
            upstreamRequests += 1
            check(head, on: upstream)
            if answersEarly && !neverAnswers { try answer(head.method, on: upstream) }
        case .body:
            break
        case .end:
            if !answersEarly && !neverAnswers, let head = upstream.heads.last { try answer(head.method, on: upstream) }
        }
    }

    func answer(_ method: HTTPMethod, on upstream: ScriptedUpstream) throws {
        try upstream.respond(method == .HEAD ? Self.headResponse : Self.response)
    }

    func check(_ head: HTTPRequestHead, on upstream: ScriptedUpstream) {
        let clientHeads = harness.clientHeads
        invariant(
            upstreamRequests <= clientHeads.count,
            "\(upstreamRequests) upstream requests for \(clientHeads.count) client request heads; "
                + "client: \(describe(clientHeads)); this one: \(head.method) \(head.uri) on connection \(upstream.index)"
        )
        invariant(
            head.headers[canonicalForm: "host"] == ["upstream.test:8080"],
            "upstream request \(head.method) \(head.uri) has Host \(head.headers[canonicalForm: "host"])")
        let allowed: [String]
        if Self.isUnder(head.uri, base: "/api") {
            allowed = EndpointConfig.allowedMethods
        } else if Self.isUnder(head.uri, base: "/ro") {
            allowed = ["GET"]
        } else {
            allowed = []
            invariant(false, "upstream request target \(head.uri.debugDescription) is under no endpoint's base path")
        }
        invariant(
            allowed.contains(head.method.rawValue),
            "upstream request \(head.method) \(head.uri.debugDescription): method not allowed by its endpoint")
    }

    /// Whether `target` is `base` or below it (`base/…`, `base?…`), byte for byte.
    static func isUnder(_ target: String, base: String) -> Bool {
        let bytes = Array(target.utf8)
        guard bytes.starts(with: base.utf8) else { return false }
        let next = bytes.dropFirst(base.utf8.count).first
        return next == nil || next == UInt8(ascii: "/") || next == UInt8(ascii: "?")
    }

    func describe(_ heads: [HTTPRequestHead]) -> String {
        heads.map { "\($0.method) \($0.uri.debugDescription) \($0.version)" }.joined(separator: ", ")
    }
}
