import DataPlane
import Testing

@Suite struct ProxyExchangeStateMachineTests {
    @Test func forwardedRequestQueuesUntilConnectedThenStreams() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        #expect(machine.requestBodyReceived() == .queue)
        #expect(machine.upstreamReady() == true)
        #expect(machine.requestBodyReceived() == .forward)
        #expect(machine.requestEndReceived() == .forward)
        #expect(machine.upstreamResponseHead() == .write)
        #expect(machine.upstreamResponseBody() == .write)
        #expect(machine.upstreamResponseEnd() == .writeEnd(reuseUpstream: true, requestComplete: true))
        #expect(machine.state == .idle)
    }

    @Test func earlyResponseDoesNotReuseTheUpstreamAndDrainsTheRequest() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        #expect(machine.upstreamReady() == true)
        #expect(machine.upstreamResponseHead() == .write)
        #expect(machine.upstreamResponseEnd() == .writeEnd(reuseUpstream: false, requestComplete: false))
        #expect(machine.requestBodyReceived() == .discard)
        #expect(machine.requestEndReceived() == .discardAndFinish)
        #expect(machine.state == .idle)
    }

    @Test func failureBeforeTheHeadIsAGatewayResponse() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        #expect(machine.requestEndReceived() == .queue)
        #expect(machine.upstreamFailed(.connect) == .respond(.connect, requestComplete: true))
        #expect(machine.state == .idle)
    }

    @Test func timeoutWhileTheBodyStillArrivesDrainsIt() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        #expect(machine.upstreamReady() == true)
        #expect(machine.upstreamFailed(.timeout) == .respond(.timeout, requestComplete: false))
        #expect(machine.requestBodyReceived() == .discard)
        #expect(machine.requestEndReceived() == .discardAndFinish)
    }

    @Test func failureAfterTheHeadClosesTheClient() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        _ = machine.requestEndReceived()
        #expect(machine.upstreamReady() == true)
        #expect(machine.upstreamResponseHead() == .write)
        #expect(machine.upstreamFailed(.other("reset")) == .closeClient)
        #expect(machine.state == .closed)
        #expect(machine.upstreamResponseBody() == .ignore)
    }

    @Test func lateEventsAfterAFailureAreIgnored() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        _ = machine.requestEndReceived()
        _ = machine.upstreamFailed(.timeout)
        #expect(machine.upstreamResponseHead() == .ignore)
        #expect(machine.upstreamFailed(.connect) == .ignore)
        #expect(machine.upstreamReady() == false)
    }

    @Test func locallyAnsweredRequestFinishesAtItsEnd() {
        var machine = ProxyExchangeStateMachine()
        machine.requestAnsweredLocally()
        #expect(machine.requestBodyReceived() == .discard)
        #expect(machine.requestEndReceived() == .discardAndFinish)
        #expect(machine.state == .idle)
    }

    @Test func retryGoesBackToConnectingWithTheRequestComplete() {
        var machine = ProxyExchangeStateMachine()
        machine.requestForwarded()
        _ = machine.requestEndReceived()
        #expect(machine.upstreamReady() == true)
        machine.retryUpstream()
        #expect(machine.state == .connecting(requestEnded: true))
        #expect(machine.upstreamReady() == true)
    }
}
