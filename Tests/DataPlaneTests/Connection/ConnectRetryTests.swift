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
        var headers = HTTPHeaders([("host", "gw")])
        if method == .POST { headers.add(name: "content-length", value: "4") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: "/orchestrator/svc/x", headers: headers)
        return .admitting(head, routes: routes, retries: retries, now: Self.start)
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

    /// A refusal without retries left, and a connect timeout (it used the endpoint's whole
    /// timeout), are answered at once.
    @Test(arguments: [
        (0, ProxyConnectionStateMachine.UpstreamFailure.connect, HTTPResponseStatus.badGateway),
        (1, .timeout, .gatewayTimeout),
    ])
    func aFailureThatIsNotRetriedIsAnsweredAtOnce(
        retries: Int, failure: ProxyConnectionStateMachine.UpstreamFailure, status: HTTPResponseStatus
    ) {
        var machine = admitted(.GET, retries: retries)
        guard case .respond(let local) = machine.upstreamConnectFailed(failure, now: Self.start) else {
            Issue.record("retried")
            return
        }
        #expect(local.response?.status == status)
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

/// Retries of answers the policy names (a status, or none within the per-try timeout): only for
/// idempotent requests received whole with a small body, never once the response began.
@Suite struct ResponseRetryTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let routes = RouteTable([.testing("svc", url: "http://backend:8080/api", methods: ["GET", "POST", "PUT"])])
    let plan = ProxyConnectionStateMachine.RetryPlan(
        statuses: StatusCodeSet(specs: ["503"]), perTryTimeout: .seconds(1))

    /// A machine whose whole request (`body` bytes) went to an attached upstream.
    func sent(_ method: HTTPMethod, body: Int = 0, retries: Int = 1) -> ProxyConnectionStateMachine {
        var headers = HTTPHeaders([("host", "gw")])
        if body > 0 { headers.add(name: "content-length", value: String(body)) }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: "/orchestrator/svc/x", headers: headers)
        var machine = ProxyConnectionStateMachine.admitting(
            head, routes: routes, retries: retries, plan: plan, now: Self.start)
        _ = machine.upstreamAttached(reused: false, now: Self.start)
        if body > 0 {
            let buffer = ByteBuffer(repeating: 0x61, count: body)
            _ = machine.received(.part(.body(buffer)), routes: routes, draining: false, now: Self.start)
        }
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        return machine
    }

    func head(_ status: HTTPResponseStatus) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: ["content-length": "0"])
    }

    func relayedStatus(_ action: ProxyConnectionStateMachine.Action) -> HTTPResponseStatus? {
        if case .writeResponseHead(let head, _, _, _) = action { return head.status }
        return nil
    }

    @Test func aRetriedStatusOnAGetGoesToAnotherUpstreamUntilRetriesRunOut() {
        var machine = sent(.GET)
        guard case .retryResponse(let held?) = machine.upstreamResponseHead(head(.serviceUnavailable), now: Self.start)
        else {
            Issue.record("503 relayed instead of retried")
            return
        }
        #expect(held.status == .serviceUnavailable)
        _ = machine.upstreamAttached(reused: false, now: Self.start)
        #expect(
            relayedStatus(machine.upstreamResponseHead(head(.serviceUnavailable), now: Self.start))
                == .serviceUnavailable)
    }

    @Test func aPostsStatusIsRelayedNotRetried() {
        var machine = sent(.POST, body: 4)
        #expect(
            relayedStatus(machine.upstreamResponseHead(head(.serviceUnavailable), now: Self.start))
                == .serviceUnavailable)
    }

    @Test func aStatusTheListDoesNotNameIsRelayed() {
        var machine = sent(.GET)
        #expect(relayedStatus(machine.upstreamResponseHead(head(.badGateway), now: Self.start)) == .badGateway)
    }

    @Test func aBodyBeyondTheReplayBufferIsNotSentAgain() {
        var machine = sent(.PUT, body: ProxyConnectionStateMachine.maximumReplayBytes + 1)
        #expect(
            relayedStatus(machine.upstreamResponseHead(head(.serviceUnavailable), now: Self.start))
                == .serviceUnavailable)
        var small = sent(.PUT, body: ProxyConnectionStateMachine.maximumReplayBytes)
        guard case .retryResponse = small.upstreamResponseHead(head(.serviceUnavailable), now: Self.start) else {
            Issue.record("a body of exactly the buffer's size was not retried")
            return
        }
    }

    @Test func aRefusedStatusRetryRelaysTheHeldResponse() {
        var machine = sent(.GET)
        guard case .retryResponse(let held?) = machine.upstreamResponseHead(head(.serviceUnavailable), now: Self.start)
        else {
            Issue.record("not retried")
            return
        }
        #expect(relayedStatus(machine.responseRetryRefused(held, now: Self.start)) == .serviceUnavailable)
    }

    @Test func thePerTryTimeoutRetriesAGetThenAnswers504() {
        var machine = sent(.GET)
        #expect(machine.tick(now: Self.start + .milliseconds(900), clientReadsHeld: false).isNone)
        guard case .retryResponse(nil) = machine.tick(now: Self.start + .seconds(1), clientReadsHeld: false) else {
            Issue.record("no retry at the per-try timeout")
            return
        }
        let retried = Self.start + .seconds(1)
        _ = machine.upstreamAttached(reused: false, now: retried)
        guard case .respond(let local) = machine.tick(now: retried + .seconds(1), clientReadsHeld: false) else {
            Issue.record("no 504 once retries ran out")
            return
        }
        #expect(local.response?.status == .gatewayTimeout)
    }

    @Test func thePerTryTimeoutOfAPostIsA504() {
        var machine = sent(.POST, body: 4)
        guard case .respond(let local) = machine.tick(now: Self.start + .seconds(1), clientReadsHeld: false) else {
            Issue.record("no answer")
            return
        }
        #expect(local.response?.status == .gatewayTimeout)
    }
}

extension ProxyConnectionStateMachine.Action {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

/// Requests to an upstream at its `upstream_limits`.
@Suite struct OverloadedUpstreamTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func admitted(retries: Int) -> ProxyConnectionStateMachine {
        ConnectRetryTests().admitted(.GET, retries: retries)
    }

    @Test func anOverloadedUpstreamIsRetriedLikeARefusedOneThenAnswered503WithoutBlamingIt() {
        var machine = admitted(retries: 1)
        guard case .retryConnect(.overloaded) = machine.upstreamConnectFailed(.overloaded, now: Self.start) else {
            Issue.record("not retried")
            return
        }
        guard case .respond(let local) = machine.upstreamConnectFailed(.overloaded, now: Self.start) else {
            Issue.record("no answer")
            return
        }
        #expect(local.response?.status == .serviceUnavailable)
        #expect(local.response?.body.contains("Upstream overloaded") == true)
        #expect(local.response?.reason == .upstreamOverloaded)
        #expect(local.settle?.1 == .ignored)
        #expect(local.upstreamError == nil)
    }

    @Test func aRequestWaitingForAConnectionGets504AtTheEndpointsTimeout() {
        var machine = admitted(retries: 0)
        machine.upstreamPending(now: Self.start)
        #expect(machine.tick(now: Self.start + .seconds(29), clientReadsHeld: false).isNone)
        guard case .respond(let local) = machine.tick(now: Self.start + .seconds(30), clientReadsHeld: false) else {
            Issue.record("no answer at the timeout")
            return
        }
        #expect(local.response?.status == .gatewayTimeout)
    }

    @Test func aConnectionAfterTheWaitStartsTheResponseTimeoutAfresh() {
        var machine = admitted(retries: 0)
        machine.upstreamPending(now: Self.start)
        let attachedAt = Self.start + .seconds(20)
        let attached = machine.upstreamAttached(reused: true, now: attachedAt)
        #expect(attached)
        _ = machine.received(
            .part(.end(nil)), routes: ConnectRetryTests().routes, draining: false, now: attachedAt)
        #expect(machine.tick(now: Self.start + .seconds(31), clientReadsHeld: false).isNone)
    }
}

/// The replica's connection and waiting-request counts per upstream.
@Suite struct UpstreamConnectionCountsTests {
    let key = UpstreamConnectionPool.Key(host: "a", port: 80, tls: false)

    @Test func connectionsAreCountedUpToTheLimitAndFreedWhenTheyClose() {
        let counts = UpstreamConnectionCounts()
        #expect(counts.reserveConnection(key, max: 2))
        #expect(counts.reserveConnection(key, max: 2))
        #expect(!counts.reserveConnection(key, max: 2))
        counts.connectionClosed(key)
        #expect(counts.reserveConnection(key, max: 2))
        #expect(counts.count(key).open == 2)
    }

    @Test func waitingRequestsAreCountedUpToTheLimitAndTheTableForgetsIdleUpstreams() {
        let counts = UpstreamConnectionCounts()
        #expect(counts.reservePending(key, max: 1))
        #expect(!counts.reservePending(key, max: 1))
        counts.pendingEnded(key)
        counts.pendingEnded(key)
        #expect(counts.count(key).pending == 0 && counts.count(key).open == 0)
    }
}
