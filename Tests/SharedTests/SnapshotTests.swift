import Foundation
import Shared
import Testing

@Suite struct SnapshotTests {
    static let snapshot = Snapshot(
        version: 7, createdAt: "2026-11-26T14:02:38Z", cause: "test",
        endpoints: [RouteTableTests.endpoint("users", "http://u.internal/api", version: "v1")])

    @Test func roundTripsThroughTheValidator() throws {
        let frame = ControlPlaneMessage.snapshot(Self.snapshot).encoded()
        guard case .message(.snapshot(let received)) = try ControlPlaneMessage.decode(frame) else {
            Issue.record("not a snapshot")
            return
        }
        #expect(received == Self.snapshot)
    }

    @Test func tamperedContentFailsTheChecksum() throws {
        var text = String(decoding: ControlPlaneMessage.snapshot(Self.snapshot).encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: "u.internal", with: "x.internal")
        guard case .invalidSnapshot(let version, let error) = try ControlPlaneMessage.decode(Data(text.utf8)) else {
            Issue.record("tampered snapshot accepted")
            return
        }
        #expect(version == 7)
        #expect(error.description.contains("checksum"))
    }

    @Test func invalidEndpointIsRejectedWithItsField() throws {
        var text = String(decoding: ControlPlaneMessage.snapshot(Self.snapshot).encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: "http://u.internal/api", with: "gopher://u")
        guard case .invalidSnapshot(_, let error) = try ControlPlaneMessage.decode(Data(text.utf8)) else {
            Issue.record("invalid snapshot accepted")
            return
        }
        #expect(error.description.contains("snapshot.endpoints[0].config.url"))
    }

    static let limits = ProxyLimits(headerTimeout: 0.5, maxConnections: 100, maxHeaders: 20)

    static var limited: Snapshot {
        Snapshot(
            version: 8, createdAt: "2026-11-26T14:03:00Z", cause: "config reload", endpoints: snapshot.endpoints,
            proxy: limits)
    }

    @Test func withoutLimitsTheJSONAndChecksumAreAsBeforeTheProxySection() throws {
        let text = String(decoding: Snapshot.canonicalJSON(Self.snapshot), as: UTF8.self)
        #expect(!text.contains("proxy"))
        // The legacy checksum is what snapshots had before digests: the canonical JSON of the
        // endpoints alone.
        #expect(
            Snapshot.legacyChecksum(of: Self.snapshot.endpoints)
                == Snapshot.fnv1a(Snapshot.canonicalJSON(Self.snapshot.endpoints)))
        #expect(Self.snapshot.checksum == Snapshot.checksum(of: Self.snapshot.endpoints))
        let decoded = try JSONDecoder().decode(Snapshot.self, from: Data(text.utf8))
        #expect(decoded == Self.snapshot)
        #expect(decoded.proxy == nil)
    }

    @Test func limitsRoundTripThroughJSONAndTheValidator() throws {
        let data = Snapshot.canonicalJSON(Self.limited)
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let proxy = try #require(object["proxy"] as? [String: Any])
        #expect(proxy["header_timeout"] as? Double == 0.5)
        #expect(proxy["max_connections"] as? Int == 100)
        #expect(try JSONDecoder().decode(Snapshot.self, from: data) == Self.limited)

        guard
            case .message(.snapshot(let received)) = try ControlPlaneMessage.decode(
                ControlPlaneMessage.snapshot(Self.limited).encoded())
        else {
            Issue.record("not a snapshot")
            return
        }
        #expect(received == Self.limited)
        #expect(received.proxy == Self.limits)
    }

    @Test func checksumCoversTheLimits() {
        let endpoints = Self.snapshot.endpoints
        let withDefaults = Snapshot.checksum(of: endpoints, proxy: .defaults)
        #expect(withDefaults != Snapshot.checksum(of: endpoints))
        var changed = Self.limits
        changed.maxPipelined += 1
        #expect(Snapshot.checksum(of: endpoints, proxy: changed) != Self.limited.checksum)
        #expect(Snapshot.checksum(of: endpoints, proxy: Self.limits) == Self.limited.checksum)
    }

    @Test func checksumHashesEachEndpointsDigestInOrder() {
        let endpoints = Self.snapshot.endpoints
        var builder = Snapshot.ChecksumBuilder()
        for endpoint in endpoints { builder.add(digest: Snapshot.digest(of: Snapshot.canonicalJSON(endpoint))) }
        #expect(Self.snapshot.checksum == builder.finish(proxy: nil, tls: nil))
        var other = endpoints[0]
        other.config.name = "other"
        #expect(
            Snapshot.checksum(of: endpoints + [other]) != Snapshot.checksum(of: [other] + endpoints), "order counts")
        #expect(Snapshot.checksum(of: []) != Snapshot.legacyChecksum(of: []), "the schemes never agree")
    }

    @Test func aSnapshotWithTheLegacyChecksumIsAcceptedAndKeepsIt() throws {
        let legacy = Self.limited.withLegacyChecksum
        #expect(legacy.checksum != Self.limited.checksum)
        guard
            case .message(.snapshot(let received)) = try ControlPlaneMessage.decode(
                ControlPlaneMessage.snapshot(legacy).encoded())
        else {
            Issue.record("a snapshot with the legacy checksum was refused")
            return
        }
        #expect(received.checksum == legacy.checksum)
        #expect(
            Snapshot.checksum(of: received.endpoints, proxy: received.proxy, tls: received.tls) == Self.limited.checksum
        )
        var tampered = legacy
        tampered.proxy?.maxConnections = 101
        guard case .invalidSnapshot = try ControlPlaneMessage.decode(ControlPlaneMessage.snapshot(tampered).encoded())
        else {
            Issue.record("tampered content passed with a legacy checksum")
            return
        }
    }

    @Test func tamperedLimitsFailTheChecksum() throws {
        var text = String(decoding: ControlPlaneMessage.snapshot(Self.limited).encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: #""max_connections":100"#, with: #""max_connections":101"#)
        guard case .invalidSnapshot(let version, let error) = try ControlPlaneMessage.decode(Data(text.utf8)) else {
            Issue.record("tampered snapshot accepted")
            return
        }
        #expect(version == 8)
        #expect(error.description.contains("checksum"))
    }

    @Test func invalidLimitsAreRejectedWithTheirField() throws {
        var text = String(decoding: ControlPlaneMessage.snapshot(Self.limited).encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: #""max_headers":20"#, with: #""max_headers":0,"colour":1"#)
        guard case .invalidSnapshot(_, let error) = try ControlPlaneMessage.decode(Data(text.utf8)) else {
            Issue.record("invalid snapshot accepted")
            return
        }
        let fields = Set(error.issues.compactMap(\.field))
        #expect(fields == ["snapshot.proxy.max_headers", "snapshot.proxy.colour"], "\(error)")
    }

    @Test func dataPlaneMessagesRoundTrip() throws {
        let messages: [DataPlaneMessage] = [
            .hello(.init(replicaId: "r1", pid: 42, version: 3, supervised: true)), .ack(version: 4),
            .nack(version: 5, error: "bad"), .report(ReplicaReport(requests: 10, draining: false)),
        ]
        for message in messages {
            let data = try JSONEncoder().encode(message)
            #expect(try JSONDecoder().decode(DataPlaneMessage.self, from: data) == message)
        }
    }

    @Test func timestampsAreUTCWithoutFractions() {
        let text = Timestamp.string(Date(timeIntervalSince1970: 1_795_701_758))
        #expect(text == "2026-11-26T14:02:38Z")
    }

    @Test func timestampsAreWrittenAsTheISO8601FormatStyleWritesThem() {
        var random = SystemRandomNumberGenerator()
        let edges: [Double] = [
            0, 0.999, 59, 86_399.5, 86_400, 951_782_400, 951_868_799, 4_107_542_400, 4_107_628_800,
            253_402_300_799.9, 253_402_300_800, -1, -0.5, -86_401, 1e12,
        ]
        let dates = edges + (0..<2_000).map { _ in Double.random(in: 0..<253_402_300_800, using: &random) }
        for seconds in dates {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.string(date) == date.formatted(Date.ISO8601FormatStyle()), "\(seconds)")
        }
    }
}
