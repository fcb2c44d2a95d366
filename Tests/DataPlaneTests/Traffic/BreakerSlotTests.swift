import DataPlane
import Shared
import Testing

/// Requests find their endpoint's breaker by route slot; the slot must never lead to another
/// endpoint's breaker, or to one the registry dropped.
@Suite struct BreakerSlotTests {
    let policy = BreakerPolicy(
        failureThreshold: 1, resetTimeout: 60, halfOpenMaxCalls: 1, failureStatuses: ["5xx"],
        failureRateThreshold: nil, window: 20, minimumCalls: 10, fallbackStrategy: "error_response")

    func fail(_ registry: BreakerRegistry, _ endpoint: String, slot: Int?) {
        guard case .allowed(let trial) = registry.admit(endpoint, slot: slot, policy: policy) else {
            Issue.record("\(endpoint) refused a request")
            return
        }
        registry.record(endpoint, slot: slot, .failure, trial: trial)
    }

    @Test func aSlotGivenToAnotherEndpointLeadsToThatEndpointsBreaker() {
        let registry = BreakerRegistry()
        fail(registry, "a", slot: 0)
        #expect(registry.state(of: "a") == "open")
        #expect(registry.admit("b", slot: 0, policy: policy) == .allowed(trial: nil))
        #expect(registry.state(of: "b") == "closed")
        guard case .rejected = registry.admit("a", slot: 0, policy: policy) else {
            Issue.record("a's open breaker admitted a request after b used its slot")
            return
        }
    }

    @Test func aForgottenBreakerIsNotFoundAgainThroughItsSlot() {
        let registry = BreakerRegistry()
        fail(registry, "a", slot: 3)
        registry.forget(["a"])
        #expect(registry.admit("a", slot: 3, policy: policy) == .allowed(trial: nil))
        #expect(registry.state(of: "a") == "closed")
        fail(registry, "a", slot: 3)
        registry.retain(only: ["other"])
        #expect(registry.admit("a", slot: 3, policy: policy) == .allowed(trial: nil))
        #expect(registry.reports().map(\.endpoint) == ["a"])
    }

    @Test func byNameAndBySlotReachTheSameBreaker() {
        let registry = BreakerRegistry()
        fail(registry, "a", slot: nil)
        guard case .rejected = registry.admit("a", slot: 7, policy: policy) else {
            Issue.record("the slot did not find the breaker opened by name")
            return
        }
        registry.reset("a")
        fail(registry, "a", slot: 7)
        #expect(registry.state(of: "a") == "open")
        #expect(registry.reports().count == 1)
    }
}
