import Foundation
import Testing

@testable import Shared

/// The registry's in-memory snapshot content: changed in place, it must give the same checksum
/// and stored bytes as a snapshot built from scratch.
@Suite struct SnapshotContentTests {
    static func endpoint(_ name: String, timeout: Int = 30, health: EndpointHealth = .unknown) -> SnapshotEndpoint {
        var config = EndpointConfig(name: name, url: "http://127.0.0.1:9/\(name)")
        config.timeout = timeout
        return SnapshotEndpoint(
            config: config, owner: .api, circuitBreaker: .defaults, healthCheck: .defaults, health: health,
            status: .active)
    }

    /// The content's snapshot agrees with `Snapshot`'s own checksum and encoding of the same endpoints.
    static func expectMatchesScratch(_ content: SnapshotContent, _ expected: [SnapshotEndpoint]) {
        #expect(content.endpoints == expected)
        let scratch = Snapshot(
            version: 7, createdAt: "2026-12-02T00:00:00Z", cause: "api: \"x\" / y", endpoints: expected,
            proxy: content.proxy, tls: content.tls)
        let built = content.snapshot(version: 7, createdAt: scratch.createdAt, cause: scratch.cause)
        #expect(built == scratch)
        #expect(content.checksum == scratch.checksum)
        #expect(content.canonicalJSON(of: built) == Snapshot.canonicalJSON(scratch))
    }

    @Test func aLongRunOfUpsertsMovesAndRemovalsKeepsSeqOrderAndEveryEndpointFindable() {
        var content = SnapshotContent()
        // The model: name -> (seq, timeout), ordered by seq.
        var model: [String: (seq: Int, timeout: Int)] = [:]
        var nextSeq = 1
        var random = SystemRandomNumberGenerator()
        for step in 0..<600 {
            let name = "svc\(Int.random(in: 0..<40, using: &random))"
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                content.remove(name)
                model[name] = nil
            case 1:
                // Re-registered: a new, highest seq moves it to the end.
                content.upsert(Self.endpoint(name, timeout: step), seq: nextSeq)
                model[name] = (nextSeq, step)
                nextSeq += 1
            default:
                // Updated in place, or added with the next seq.
                let seq = model[name]?.seq ?? nextSeq
                if model[name] == nil { nextSeq += 1 }
                content.upsert(Self.endpoint(name, timeout: step), seq: seq)
                model[name] = (seq, step)
            }
        }
        let expected = model.sorted { $0.value.seq < $1.value.seq }
        #expect(content.seqs == expected.map(\.value.seq))
        Self.expectMatchesScratch(content, expected.map { Self.endpoint($0.key, timeout: $0.value.timeout) })
        for (name, entry) in model {
            #expect(content[name]?.config.timeout == entry.timeout)
            #expect(content.seq(of: name) == entry.seq)
        }
        #expect(content["svc40"] == nil)
    }

    @Test func seqsOutOfOrderStillFindEveryEndpoint() {
        let endpoints = (0..<4).map { Self.endpoint("svc\($0)") }
        let snapshot = Snapshot(version: 1, createdAt: "t", cause: "c", endpoints: endpoints)
        let content = SnapshotContent(snapshot, seqs: [9, 3, 7, 1])
        for endpoint in endpoints { #expect(content[endpoint.name] == endpoint) }
        #expect(content.checksum == snapshot.checksum)
    }

    @Test func checksumAndBodyMatchAScratchBuildWithAndWithoutProxyAndTLS() {
        let endpoints = (0..<5).map { Self.endpoint("svc\($0)") }
        var content = SnapshotContent(endpoints.enumerated().map { ($0.element, $0.offset + 1) }, proxy: nil, tls: nil)
        Self.expectMatchesScratch(content, endpoints)
        var limits = ProxyLimits.defaults
        limits.maxHeaders = 50
        content.proxy = limits
        Self.expectMatchesScratch(content, endpoints)
        content.tls = TLSSettings(certFile: "/etc/a.pem", keyFile: "/etc/a.key")
        Self.expectMatchesScratch(content, endpoints)
        content.proxy = nil
        Self.expectMatchesScratch(content, endpoints)
        Self.expectMatchesScratch(SnapshotContent(), [])
    }

    @Test func upsertsKeepSeqOrderAndRemovalsCloseTheGap() {
        var content = SnapshotContent(
            [("a", 1), ("b", 2), ("c", 3)].map { (Self.endpoint($0.0), $0.1) }, proxy: nil, tls: nil)
        // Same seq: replaced in place.
        content.upsert(Self.endpoint("b", timeout: 5), seq: 2)
        Self.expectMatchesScratch(content, [Self.endpoint("a"), Self.endpoint("b", timeout: 5), Self.endpoint("c")])
        // A new seq (re-registered) moves it to the end.
        content.upsert(Self.endpoint("a"), seq: 4)
        Self.expectMatchesScratch(content, [Self.endpoint("b", timeout: 5), Self.endpoint("c"), Self.endpoint("a")])
        content.remove("c")
        content.remove("missing")
        Self.expectMatchesScratch(content, [Self.endpoint("b", timeout: 5), Self.endpoint("a")])
        #expect(content["c"] == nil)
        #expect(content.seq(of: "a") == 4)
        // A lower seq than the last goes where the store's order puts it.
        content.upsert(Self.endpoint("z"), seq: 3)
        Self.expectMatchesScratch(
            content, [Self.endpoint("b", timeout: 5), Self.endpoint("z"), Self.endpoint("a")])
    }

    @Test func anEndpointRemovedAndAddedBackIsLikeANewOne() {
        var content = SnapshotContent([(Self.endpoint("a"), 1), (Self.endpoint("b"), 2)], proxy: nil, tls: nil)
        let before = content.checksum
        content.remove("a")
        #expect(content.checksum != before)
        content.upsert(Self.endpoint("a"), seq: 3)
        Self.expectMatchesScratch(content, [Self.endpoint("b"), Self.endpoint("a")])
        content.remove("a")
        content.upsert(Self.endpoint("a"), seq: 1)
        #expect(content.checksum == before)
    }

    @Test func healthAloneIsNotAConfigurationChange() {
        let healthy = SnapshotContent([(Self.endpoint("a", health: .healthy), 1)], proxy: nil, tls: nil)
        let unknown = SnapshotContent([(Self.endpoint("a"), 1)], proxy: nil, tls: nil)
        #expect(healthy.sameConfiguration(as: unknown))
        #expect(healthy.checksum != unknown.checksum)
        let changed = SnapshotContent([(Self.endpoint("a", timeout: 9), 1)], proxy: nil, tls: nil)
        #expect(!changed.sameConfiguration(as: unknown))
        #expect(SnapshotContent.sameConfiguration(nil, nil))
        #expect(!SnapshotContent.sameConfiguration(Self.endpoint("a"), nil))
    }
}
