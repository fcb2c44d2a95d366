import DataPlane
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The connection machine's retries of refused connections and its answers to requests that a
/// rate limit refuses: events in, actions out.
@Suite struct ConnectRetryTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let routes = RouteTable([.testing("svc", url: "http://backend:8080/api", methods: ["GET", "POST"])])

    /// A machine whose request (`method`, body announced when POST) is admitted with `retries`.
    func admitted(_ method: HTTPMethod, retries: Int) -> ProxyConnectionStateMachine {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        var headers = HTTPHeaders([("host", "gw")])
        if method == .POST { headers.add(name: "content-length", value: "4") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: "/orchestrator/svc/x", headers: headers)
        guard
            case .admit(let forward, _, _) = machine.received(
                .part(.head(head)), routes: routes, draining: false, now: Self.start)
        else {
            Issue.record("expected admit")
            return machine
        }
        let ticket = ProxyConnectionStateMachine.BreakerTicket(
            endpoint: forward.endpointID, trial: nil, failureStatuses: BreakerPolicy.defaults.failureStatusSet)
        _ = machine.breakerAdmitted(ticket, retries: retries, now: Self.start)
        return machine
    }

    @Test(arguments: [HTTPMethod.GET, .POST])
    func aRefusedConnectionIsRetriedForAnyMethodWhileRetriesRemain(method: HTTPMethod) {
        var machine = admitted(method, retries: 2)
        for _ in 0..<2 {
            guard case .retryConnect(.connect) = machine.upstreamConnectFailed(.connect, now: Self.start) else {
                Issue.record("not retried")
                return
            }
        }
        guard case .respond(let local) = machine.upstreamConnectFailed(.connect, now: Self.start) else {
            Issue.record("retried beyond the policy")
            return
        }
        #expect(local.response?.status == .badGateway)
        #expect(local.upstreamError == .connect)
    }

    @Test func noRetriesMeansTheFirstRefusalIsA502() {
        var machine = admitted(.GET, retries: 0)
        guard case .respond(let local) = machine.upstreamConnectFailed(.connect, now: Self.start) else {
            Issue.record("retried without retries")
            return
        }
        #expect(local.response?.status == .badGateway)
    }

    @Test func aConnectTimeoutIsNotRetried() {
        var machine = admitted(.GET, retries: 1)
        guard case .respond(let local) = machine.upstreamConnectFailed(.timeout, now: Self.start) else {
            Issue.record("a timeout was retried")
            return
        }
        #expect(local.response?.status == .gatewayTimeout)
    }

    @Test func aRetryTheBudgetRefusesAnswersWithTheOriginalFailure() {
        var machine = admitted(.GET, retries: 1)
        guard case .retryConnect(let failure) = machine.upstreamConnectFailed(.connect, now: Self.start) else {
            Issue.record("not retried")
            return
        }
        guard case .respond(let local) = machine.retryRefused(failure, now: Self.start) else {
            Issue.record("no answer")
            return
        }
        #expect(local.response?.status == .badGateway)
        #expect(local.response?.reason == .connectFailed)
        #expect(local.settle?.1 == .failure)
    }

    @Test func aRetriedRequestAttachesToTheNextUpstreamAndRelaysItsResponse() {
        var machine = admitted(.GET, retries: 1)
        _ = machine.upstreamConnectFailed(.connect, now: Self.start)
        let attached = machine.upstreamAttached(reused: false, now: Self.start)
        #expect(attached)
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "0"])
        guard case .writeResponseHead(let relayed, _, _, _) = machine.upstreamResponseHead(head, now: Self.start)
        else {
            Issue.record("response not relayed")
            return
        }
        #expect(relayed.status == .ok)
    }

    @Test func aRequestTheRateLimitRefusesIsAnsweredWithoutAnUpstream() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/orchestrator/svc/x", headers: HTTPHeaders([("host", "gw")]))
        _ = machine.received(.part(.head(head)), routes: routes, draining: false, now: Self.start)
        let response = GatewayResponse.detail(.tooManyRequests, "Rate limit exceeded", reason: .rateLimited)
        guard case .respond(let local) = machine.refused(response, now: Self.start) else {
            Issue.record("no answer")
            return
        }
        #expect(local.response?.status == .tooManyRequests)
        #expect(local.keepAlive)
        #expect(local.settle == nil)
    }
}
