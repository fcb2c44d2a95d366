import DataPlane
import DataPlaneTesting
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Shared

/// One client connection of the real proxy pipeline (``EmbeddedProxy``), driven like a socket and
/// watched. The client's bytes reach the proxy only when it reads (as from a socket: a proxy that
/// stops reading holds them back); every byte the proxy sends, to the client or to an upstream, is
/// decoded with NIO's decoders, and bytes that are not valid HTTP/1.1 stop the run.
package final class ProxyHarness {
    /// A final response the client received completely.
    package struct Response {
        package var head: HTTPResponseHead
        /// The start of its body (enough to tell the gateway's own answers).
        package var body: [UInt8]
    }

    package let proxy: EmbeddedProxy
    private let reads: ReadRequests
    private let recorder: RequestHeadRecorder
    private let output: HTTPResponseStreamChecker
    /// Client bytes the proxy has not read yet.
    private var pending: [UInt8] = []
    private var outputSeen = 0
    private var headsExpected = 0
    private var unparsedExpected = false
    private var outputEnded = false
    private var current: Response?
    /// Final responses the client received completely, in order.
    package private(set) var responses: [Response] = []
    /// The upstream connections the proxy opened, in order.
    package private(set) var upstreams: [ScriptedUpstream] = []

    package init(limits: ProxyLimits = ProxyFuzzing.limits, endpoints: [SnapshotEndpoint] = ProxyFuzzing.endpoints)
        throws
    {
        proxy = try EmbeddedProxy(endpoints: endpoints, limits: limits)
        reads = try proxy.watchReads()
        recorder = try proxy.recordRequestHeads()
        output = try HTTPResponseStreamChecker()
        // The socket's first read (auto-read).
        proxy.client.read()
    }

    /// The request heads NIO's decoder produced from the client's bytes, in order.
    package var clientHeads: [HTTPRequestHead] { recorder.heads }

    package var clientIsOpen: Bool { proxy.clientIsOpen }

    /// Client bytes still waiting for the proxy to read them.
    package var unreadClientBytes: Int { pending.count }

    /// The client sends `bytes`; the proxy gets them at its next read.
    package func clientSends(_ bytes: some Sequence<UInt8>) {
        pending.append(contentsOf: bytes)
    }

    /// Lets everything that can happen now happen: client bytes are delivered while the proxy
    /// reads, and `upstream` sees every part each upstream connection receives (and may answer),
    /// until nothing moves. Then the client's output is checked.
    package func settle(upstream: (ScriptedUpstream, HTTPServerRequestPart) throws -> Void) throws {
        var moved = true
        while moved {
            moved = false
            if !pending.isEmpty, proxy.clientIsOpen, reads.take() {
                let bytes = pending
                pending = []
                try proxy.send(bytes: bytes)
                // Auto-read asks for more; the proxy lets the read through only if it wants it.
                proxy.client.read()
                moved = true
            }
            while let connection = proxy.upstream(upstreams.count) {
                upstreams.append(try ScriptedUpstream(connection, index: upstreams.count))
            }
            for scripted in upstreams {
                for part in scripted.received() {
                    moved = true
                    try upstream(scripted, part)
                }
            }
        }
        try checkClientOutput()
    }

    /// Moves the loop's clock (timers fire), then settles.
    package func advance(by amount: TimeAmount, upstream: (ScriptedUpstream, HTTPServerRequestPart) throws -> Void)
        throws
    {
        guard amount > .zero else { return }
        proxy.advance(by: amount)
        try settle(upstream: upstream)
    }

    /// The replica starts draining.
    package func quiesce() {
        proxy.client.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    /// The client stops reading: its connection is no longer writable (the send timeout runs).
    package func clientStopsReading() {
        guard proxy.clientIsOpen else { return }
        proxy.client.isWritable = false
        proxy.client.pipeline.fireChannelWritabilityChanged()
    }

    /// Decodes what the proxy wrote to the client since the last check. Each response must answer
    /// a request head the decoder produced, in order; once the connection is closed, one more may
    /// answer bytes that never made a head (400, 408, 431).
    private func checkClientOutput() throws {
        guard !outputEnded else { return }
        let heads = recorder.heads
        while headsExpected < heads.count {
            try output.expectResponse(to: heads[headsExpected].method)
            headsExpected += 1
        }
        if !proxy.clientIsOpen && !unparsedExpected {
            try output.expectResponse(to: .GET)
            unparsedExpected = true
        }
        let bytes = try proxy.clientOutputBytes()
        guard bytes.count > outputSeen else { return }
        let fresh = bytes[outputSeen...]
        outputSeen = bytes.count
        do {
            collect(try output.feed(fresh))
        } catch {
            fatalError(
                "invariant broken: the proxy sent the client bytes that are not HTTP/1.1 (\(error)); "
                    + "request heads: \(heads.map { "\($0.method) \($0.uri) \($0.version)" }); "
                    + "output: \(escaped(bytes))")
        }
    }

    /// The client connection is over: a response that ends with the connection is complete.
    /// What the decoder says of a message cut by the close is not judged.
    package func clientOutputEnds() {
        guard !outputEnded else { return }
        outputEnded = true
        collect(output.close().parts)
    }

    private func collect(_ parts: [HTTPClientResponsePart]) {
        for part in parts {
            switch part {
            case .head(let head):
                // A non-final 1xx is followed by the final head of the same response.
                if head.status.code >= 200 || head.status.code == 101 { current = Response(head: head, body: []) }
            case .body(let buffer):
                if let response = current, response.body.count < 512 {
                    current?.body.append(contentsOf: buffer.readableBytesView.prefix(512 - response.body.count))
                }
            case .end:
                if let current { responses.append(current) }
                current = nil
            }
        }
    }

    /// Closes everything; the harness is done. With `ORCH_FUZZ_TRACE` set, first prints what
    /// happened (for running single inputs by hand).
    package func shutdown() {
        clientOutputEnds()
        if ProxyFuzzing.tracing { trace() }
        for upstream in upstreams { upstream.stop() }
        proxy.shutdown()
    }
}

extension ProxyHarness {
    /// What happened so far: the client's request heads, each upstream connection's requests,
    /// the responses, and where the connections are.
    package var summary: String {
        func line(_ head: HTTPRequestHead) -> String { "\(head.method) \(head.uri.debugDescription) \(head.version)" }
        var text = "client request heads: \(clientHeads.map(line))\n"
        for upstream in upstreams {
            text += "upstream \(upstream.index) (\(upstream.isOpen ? "open" : "closed")): \(upstream.heads.map(line))\n"
        }
        text += "responses: \(responses.map { "\($0.head.status.code) \(String(decoding: $0.body, as: UTF8.self))" })\n"
        text += "client connection \(clientIsOpen ? "open" : "closed"), \(pending.count) client bytes unread, "
        text += "pool holds \(proxy.state.pool.idleCount)\n"
        return text
    }

    private func trace() {
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

/// An upstream connection the proxy opened, read back with NIO's request decoder.
package final class ScriptedUpstream {
    package let connection: EmbeddedUpstream
    /// Its position among the connections the proxy opened.
    package let index: Int
    private let checker: HTTPRequestStreamChecker
    private var seen = 0
    /// The request heads it received, in order.
    package private(set) var heads: [HTTPRequestHead] = []

    init(_ connection: EmbeddedUpstream, index: Int) throws {
        self.connection = connection
        self.index = index
        checker = try HTTPRequestStreamChecker()
    }

    package var isOpen: Bool { connection.isOpen }

    /// The parts completed by what the proxy sent since the last call.
    func received() -> [HTTPServerRequestPart] {
        guard let bytes = try? connection.requestBytes(), bytes.count > seen else { return [] }
        let fresh = bytes[seen...]
        seen = bytes.count
        do {
            let parts = try checker.feed(fresh)
            for case .head(let head) in parts { heads.append(head) }
            return parts
        } catch {
            fatalError(
                "invariant broken: the proxy sent upstream connection \(index) bytes that are not HTTP/1.1 "
                    + "(\(error)): \(escaped(bytes))")
        }
    }

    /// The upstream answers with raw bytes (nothing happens once the connection is closed).
    package func respond(_ bytes: some Sequence<UInt8>) throws {
        guard connection.isOpen else { return }
        try connection.respond(bytes: bytes)
    }

    /// The upstream closes the connection.
    package func close() {
        connection.close()
    }

    func stop() {
        checker.close()
    }
}

@available(*, unavailable)
extension ProxyHarness: Sendable {}

@available(*, unavailable)
extension ScriptedUpstream: Sendable {}
