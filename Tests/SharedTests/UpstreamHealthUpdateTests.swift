import Foundation
import Shared
import Testing

/// Health updates carry the unhealthy upstreams of every pool, and leave the field out when
/// there are none (what older replicas read).
@Suite struct UpstreamHealthUpdateTests {
    @Test func unhealthyUpstreamsTravelInAHealthFrame() throws {
        let update = HealthUpdate(
            version: 3, seq: 4, endpoints: ["svc": .unhealthy], unhealthyUpstreams: ["pool": ["http://a:1/x"]])
        guard
            case .message(.health(let decoded)) = try ControlPlaneMessage.decode(
                ControlPlaneMessage.health(update).encoded())
        else {
            Issue.record("not a health update")
            return
        }
        #expect(decoded == update)
    }

    @Test func anUpdateWithoutUnhealthyUpstreamsEncodesAsBefore() throws {
        let data = try JSONEncoder().encode(HealthUpdate(version: 1, seq: 2, endpoints: [:]))
        #expect(!String(decoding: data, as: UTF8.self).contains("unhealthy_upstreams"))
        #expect(try JSONDecoder().decode(HealthUpdate.self, from: data).unhealthyUpstreams.isEmpty)
    }

    @Test func tooManyOrTooLongUpstreamsAreRefused() {
        let many = HealthUpdate(
            version: 1, seq: 1, endpoints: [:],
            unhealthyUpstreams: ["pool": (0...UpstreamConfig.maximumCount).map { "http://h\($0)/" }])
        #expect(many.boundsProblem?.contains("unhealthy upstreams") == true)
        let long = HealthUpdate(
            version: 1, seq: 1, endpoints: [:],
            unhealthyUpstreams: ["pool": ["http://h/" + String(repeating: "a", count: HealthUpdate.maximumURLBytes)]])
        #expect(long.boundsProblem?.contains("longer than") == true)
        let frame = Data(
            #"{"type": "health", "health": {"version": 1, "seq": 1, "endpoints": {}, "unhealthy_upstreams": {"p": 3}}}"#
                .utf8)
        #expect(throws: ValidationError.self) { try ControlPlaneMessage.decode(frame) }
    }
}
