import Foundation
import Shared
import Testing

/// `rate_limit.scope`: a limit the connected replicas share, and the message that tells them how
/// many they are.
@Suite struct GatewayRateLimitTests {
    @Test func aGatewayLimitIsDividedAmongTheReplicasAndAReplicaLimitIsNot() {
        let gateway = RateLimitPolicy(requestsPerSecond: 10, burst: 9, scope: .gateway)
        #expect(gateway.share(replicas: 1) == (10, 9))
        #expect(gateway.share(replicas: 2) == (5, 4))
        #expect(gateway.share(replicas: 20) == (0.5, 1))
        let replica = RateLimitPolicy(requestsPerSecond: 10, burst: 9)
        #expect(replica.share(replicas: 3) == (10, 9))
    }

    @Test func scopeIsReadAndCheckedAndDefaultsToReplica() throws {
        func read(_ json: String) throws(ValidationError) -> EndpointConfig {
            try EndpointConfig.validate(try ConfigNode.parseJSON(Data(json.utf8)))
        }
        let shared = try read(
            #"{"name": "a", "url": "http://a", "rate_limit": {"requests_per_second": 4, "scope": "gateway"}}"#)
        #expect(shared.rateLimit?.scope == .gateway)
        let own = try read(#"{"name": "a", "url": "http://a", "rate_limit": {"requests_per_second": 4}}"#)
        #expect(own.rateLimit?.scope == .replica)
        let error = #expect(throws: ValidationError.self) {
            try read(#"{"name": "a", "url": "http://a", "rate_limit": {"requests_per_second": 4, "scope": "all"}}"#)
        }
        #expect(error?.issues.map(\.field) == ["rate_limit.scope"])
    }

    @Test func theReplicaCountTravelsAndABadOneIsRefused() throws {
        guard
            case .message(.replicas(let count)) = try ControlPlaneMessage.decode(
                ControlPlaneMessage.replicas(count: 3).encoded())
        else {
            Issue.record("not a replica count")
            return
        }
        #expect(count == 3)
        for bad in [
            #"{"type": "replicas"}"#, #"{"type": "replicas", "count": 0}"#, #"{"type": "replicas", "count": "2"}"#,
        ] {
            #expect(throws: ValidationError.self) { try ControlPlaneMessage.decode(Data(bad.utf8)) }
        }
    }
}
