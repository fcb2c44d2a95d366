import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Bodies stream through the proxy unchanged in both directions, and an upstream that dies
/// mid-response never turns into a silently short success.
@Suite(.endToEnd, .serialized) struct ProxyBodyTests {
    @Test(arguments: [0, 1024, 100 * 1024 * 1024])
    func uploadsArriveExactlyAsSent(size: Int) async throws {
        try await ProxyFixture.with { proxy in
            let body = UpstreamServer.patternData(count: size)
            let response = try await TestHTTP.request(.POST, proxy.url("/orchestrator/svc/upload"), body: body)
            #expect(response.status == 200)
            let request = try await proxy.upstream.waitForRequests(1)[0]
            #expect(request.bodyBytes == size)
            #expect(request.bodyHash == UpstreamServer.patternHash(count: size))
            #expect(request.first("content-length") == String(size))
        }
    }

    @Test func chunkedUploadsStayChunked() async throws {
        try await ProxyFixture.with { proxy in
            let chunk = ByteBuffer(bytes: UpstreamServer.patternData(count: 65_536))
            let chunks = 48
            var request = HTTPClientRequest(url: proxy.url("/orchestrator/svc/chunked"))
            request.method = .PUT
            request.body = .stream(ChunkSequence(chunk: chunk, count: chunks), length: .unknown)
            let response = try await TestHTTP.client.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            _ = try await response.body.collect(upTo: 1024 * 1024)
            let recorded = try await proxy.upstream.waitForRequests(1)[0]
            #expect(recorded.first("transfer-encoding") == "chunked")
            #expect(recorded.bodyBytes == chunks * 65_536)
            #expect(recorded.bodyHash == UpstreamServer.patternHash(count: chunks * 65_536))
        }
    }

    @Test(arguments: [(100 * 1024 * 1024, false), (16 * 1024 * 1024, true)])
    func downloadsArriveExactlyAsSent(size: Int, chunked: Bool) async throws {
        try await ProxyFixture.with(.stream(count: size, chunked: chunked)) { proxy in
            let response = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/download"))
            #expect(response.status == 200)
            #expect(response.body.count == size)
            #expect(FNV1a.hash(response.body) == UpstreamServer.patternHash(count: size))
            #expect(response.headers.first(name: "content-length") == (chunked ? nil : String(size)))
        }
    }

    @Test func upstreamClosingMidResponseCutsTheClientConnection() async throws {
        try await ProxyFixture.with(.closeMidResponse(announced: 1_000_000, sent: 65_536)) { proxy in
            let response = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/svc/cut HTTP/1.1\r\nHost: gw\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.values("content-length") == ["1000000"])
            #expect(response.body.count < 1_000_000)
            #expect(response.closedByServer)
            await #expect(throws: (any Error).self) {
                _ = try await TestHTTP.request(.GET, proxy.url("/orchestrator/svc/cut"))
            }
        }
    }

    @Test func upstreamClosingMidChunkedResponseNeverSendsTheLastChunk() async throws {
        try await ProxyFixture.with(.closeMidResponse(announced: nil, sent: 65_536)) { proxy in
            let response = try await DataPlaneRawClient.exchange(
                port: proxy.port, "GET /orchestrator/svc/cut HTTP/1.1\r\nHost: gw\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.values("transfer-encoding") == ["chunked"])
            #expect(response.closedByServer)
            let tail = String(decoding: response.body.suffix(7), as: UTF8.self)
            #expect(!tail.hasSuffix("\r\n0\r\n\r\n"))
        }
    }
}

/// `count` copies of one buffer, as a request body stream of unknown length.
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunk: ByteBuffer
    let count: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunk: ByteBuffer
        var remaining: Int
        mutating func next() async -> ByteBuffer? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunk: chunk, remaining: count) }
}

@Suite(.endToEnd) struct BodyHashTests {
    @Test func hashDoesNotDependOnHowTheBodyWasSplit() {
        let data = UpstreamServer.patternData(count: 100_003)
        var split = FNV1a()
        for cut in stride(from: 0, to: data.count, by: 4_099) {
            split.update(data[cut..<min(cut + 4_099, data.count)])
        }
        #expect(split.value == FNV1a.hash(data))
        #expect(split.value == UpstreamServer.patternHash(count: data.count))
        #expect(FNV1a.hash(data.dropLast()) != FNV1a.hash(data))
    }
}
