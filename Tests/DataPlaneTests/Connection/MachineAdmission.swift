import DataPlane
import NIOCore
import NIOHTTP1
import Shared
import Testing

extension ProxyConnectionStateMachine {
    /// A machine that received `head` and whose breaker admitted it (with `retries` and `plan`):
    /// what the handler does between a head and the upstream connection.
    static func admitting(
        _ head: HTTPRequestHead, routes: RouteTable, retries: Int = 0, plan: RetryPlan = RetryPlan(),
        now: NIODeadline
    ) -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: now)
        guard
            case .admit(let forward, _, _) = machine.received(
                .part(.head(head)), routes: routes, draining: false, now: now)
        else {
            Issue.record("expected admit")
            return machine
        }
        let ticket = BreakerTicket(
            endpoint: forward.endpointID, trial: nil, failureStatuses: BreakerPolicy.defaults.failureStatusSet)
        _ = machine.breakerAdmitted(ticket, retries: retries, plan: plan, now: now)
        return machine
    }
}
