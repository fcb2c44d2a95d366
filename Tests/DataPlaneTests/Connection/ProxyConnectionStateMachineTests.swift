import DataPlane
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The connection machine alone: events in, actions out, time given by hand.
@Suite struct ProxyConnectionStateMachineTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let routes = RouteTable([.testing("svc", url: "http://backend:8080/api", methods: ["GET", "POST"])])

    func head(_ method: HTTPMethod = .GET, _ uri: String = "/orchestrator/svc/x", _ extra: [(String, String)] = [])
        -> HTTPRequestHead
    {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders([("host", "gw")] + extra))
    }

    func admitted(_ machine: inout ProxyConnectionStateMachine, _ head: HTTPRequestHead) {
        guard
            case .admit(let forward, _, _) = machine.received(
                .part(.head(head)), routes: routes, draining: false, now: Self.start)
        else {
            Issue.record("expected admit")
            return
        }
        let ticket = ProxyConnectionStateMachine.BreakerTicket(
            endpoint: forward.endpointID, trial: nil, failureStatuses: BreakerPolicy.defaults.failureStatusSet)
        guard case .connectUpstream(reusePooled: true, _) = machine.breakerAdmitted(ticket, now: Self.start) else {
            Issue.record("expected connect")
            return
        }
    }

    @Test func aFreshConnectionIsBoundByTheHeaderTimeout() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        guard case .none = machine.tick(now: Self.start + .seconds(29), clientReadsHeld: false) else {
            Issue.record("closed early")
            return
        }
        guard case .respond(let local) = machine.tick(now: Self.start + .seconds(30), clientReadsHeld: false) else {
            Issue.record("no 408")
            return
        }
        #expect(local.response?.status == .requestTimeout)
        #expect(!local.keepAlive)
    }

    @Test func aQuietBodyIsNotTheClientsFaultWhileTheProxyHoldsReads() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        admitted(&machine, head(.POST, "/orchestrator/svc/x", [("content-length", "10")]))
        let attached = machine.upstreamAttached(reused: false, now: Self.start)
        #expect(attached)
        let late = Self.start + .seconds(61)
        guard case .none = machine.tick(now: late, clientReadsHeld: true) else {
            Issue.record("timed out while reads were held")
            return
        }
        machine.clientReadsResumed(now: late)
        guard case .none = machine.tick(now: late + .seconds(59), clientReadsHeld: false) else {
            Issue.record("the gap counts from the resumed read")
            return
        }
        guard case .respond(let local) = machine.tick(now: late + .seconds(60), clientReadsHeld: false) else {
            Issue.record("no 408")
            return
        }
        #expect(local.response?.status == .requestTimeout)
        #expect(local.closeUpstream)
    }

    @Test func aReusedConnectionClosingUnansweredRetriesAGetOnce() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        admitted(&machine, head())
        _ = machine.upstreamAttached(reused: true, now: Self.start)
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        guard case .retryUpstream = machine.upstreamClosed(reason: "closed", now: Self.start) else {
            Issue.record("no retry")
            return
        }
        let reattached = machine.upstreamAttached(reused: true, now: Self.start)
        #expect(reattached)
        guard case .respond(let local) = machine.upstreamClosed(reason: "closed", now: Self.start) else {
            Issue.record("retried twice")
            return
        }
        #expect(local.response?.status == .badGateway)
    }

    @Test func aPostIsNotRetried() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        admitted(&machine, head(.POST))
        _ = machine.upstreamAttached(reused: true, now: Self.start)
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        guard case .respond(let local) = machine.upstreamClosed(reason: "closed", now: Self.start) else {
            Issue.record("a POST was retried")
            return
        }
        #expect(local.response?.status == .badGateway)
    }

    @Test func theResponseTimeoutStartsOnceTheWholeRequestWentUpstream() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        admitted(&machine, head(.POST, "/orchestrator/svc/x", [("content-length", "3")]))
        _ = machine.upstreamAttached(reused: false, now: Self.start)
        let sent = Self.start + .seconds(50)
        _ = machine.received(.part(.body(ByteBuffer(string: "abc"))), routes: routes, draining: false, now: sent)
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: sent)
        guard case .none = machine.tick(now: sent + .seconds(29), clientReadsHeld: false) else {
            Issue.record("timed out early")
            return
        }
        guard case .respond(let local) = machine.tick(now: sent + .seconds(30), clientReadsHeld: false) else {
            Issue.record("no 504")
            return
        }
        #expect(local.response?.status == .gatewayTimeout)
    }

    @Test func pipelinedHeadsBeyondTheLimitStopReading() {
        var limits = ProxyLimits.defaults
        limits.maxPipelined = 2
        var machine = ProxyConnectionStateMachine(limits: limits, now: Self.start)
        admitted(&machine, head())
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        for _ in 0..<2 {
            _ = machine.received(.part(.head(head())), routes: routes, draining: false, now: Self.start)
            _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        }
        #expect(machine.pipelinedRequests == 2)
        #expect(!machine.shouldReadClient(upstreamWritable: true))
    }

    @Test func everyLocalAnswerCarriesItsReason() {
        var machine = ProxyConnectionStateMachine(limits: .defaults, now: Self.start)
        guard
            case .respond(let missing) = machine.received(
                .part(.head(head(.GET, "/orchestrator/none"))), routes: routes, draining: false, now: Self.start)
        else {
            Issue.record("no answer")
            return
        }
        #expect(missing.response?.reason == .noRoute)
        _ = machine.received(.part(.end(nil)), routes: routes, draining: false, now: Self.start)
        guard case .admit = machine.received(.part(.head(head())), routes: routes, draining: false, now: Self.start)
        else { return }
        guard case .respond(let open) = machine.breakerRejected(retryAfter: .seconds(3), now: Self.start) else {
            Issue.record("no breaker answer")
            return
        }
        #expect(open.response?.reason == .breakerOpen)
        #expect(open.response?.headers.first { $0.0 == "retry-after" }?.1 == "3")
        #expect(ProxyConnectionStateMachine.UpstreamFailure.connect.response.reason == .connectFailed)
        #expect(ProxyConnectionStateMachine.UpstreamFailure.timeout.response.reason == .timeout)
        #expect(ProxyConnectionStateMachine.UpstreamFailure.closed("x").response.reason == .upstreamReset)
    }
}
