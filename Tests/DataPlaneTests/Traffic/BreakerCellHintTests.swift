import Shared
import Testing

@testable import DataPlane

/// A loop keeps its endpoint's breaker cell to skip the lookup; the registry uses it only while
/// it still is that endpoint's breaker.
@Suite struct BreakerCellHintTests {
    let policy = BreakerPolicy(
        failureThreshold: 1, resetTimeout: 60, halfOpenMaxCalls: 1, failureStatuses: ["5xx"],
        failureRateThreshold: nil, window: 20, minimumCalls: 10, fallbackStrategy: "error_response")

    func fail(_ registry: BreakerRegistry, _ endpoint: String, cell: inout BreakerRegistry.Cell?) {
        guard case .allowed(let trial) = registry.admit(endpoint, slot: 0, policy: policy, cell: &cell) else {
            Issue.record("\(endpoint) refused a request")
            return
        }
        registry.record(endpoint, slot: 0, .failure, trial: trial, cell: &cell)
    }

    @Test func aKeptCellReachesTheSameBreakerAsTheName() {
        let registry = BreakerRegistry()
        var cell: BreakerRegistry.Cell?
        fail(registry, "a", cell: &cell)
        #expect(cell?.name == "a")
        #expect(registry.state(of: "a") == "open")
        guard case .rejected = registry.admit("a", slot: 0, policy: policy) else {
            Issue.record("the breaker opened through the kept cell admitted a request by name")
            return
        }
    }

    @Test func aCellTheRegistryDroppedIsNotUsed() throws {
        let registry = BreakerRegistry()
        var cell: BreakerRegistry.Cell?
        fail(registry, "a", cell: &cell)
        let dropped = try #require(cell)
        registry.forget(["a"])
        #expect(registry.admit("a", slot: 0, policy: policy, cell: &cell) == .allowed(trial: nil))
        #expect(cell !== dropped)
        #expect(registry.state(of: "a") == "closed")
    }

    @Test func anotherEndpointsCellIsNotUsed() throws {
        let registry = BreakerRegistry()
        var cell: BreakerRegistry.Cell?
        fail(registry, "a", cell: &cell)
        let a = try #require(cell)
        #expect(registry.admit("b", slot: 0, policy: policy, cell: &cell) == .allowed(trial: nil))
        #expect(cell !== a && cell?.name == "b")
        #expect(registry.state(of: "a") == "open" && registry.state(of: "b") == "closed")
    }

    @Test func aKeptCellIsUsedWithoutReadingThePolicyAndALookupAppliesANewOne() {
        let registry = BreakerRegistry()
        var cell: BreakerRegistry.Cell?
        _ = registry.admit("a", slot: 0, policy: policy, cell: &cell)
        var reads = 0
        func counted() -> BreakerPolicy {
            reads += 1
            return policy
        }
        _ = registry.admit("a", slot: 0, policy: counted(), cell: &cell)
        #expect(reads == 0)
        // A new route of the endpoint (its state made again, without a cell) brings a new policy.
        var lenient = policy
        lenient.failureThreshold = 3
        var fresh: BreakerRegistry.Cell?
        _ = registry.admit("a", slot: 0, policy: lenient, cell: &fresh)
        #expect(fresh === cell)
        #expect(registry.reports().first?.failureThreshold == 3)
    }
}
