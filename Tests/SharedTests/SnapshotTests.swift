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
}
