/// The life of one request on a client connection, from its head to the end of both the
/// request and the response. Pure: each event returns what the handler must do.
///
/// Requests on a connection are strictly sequential (NIO's pipelining handler holds back the
/// next one until the response is complete), so one machine per connection is reused.
package struct ProxyExchangeStateMachine: Sendable {
    package enum State: Sendable, Equatable {
        /// Between requests.
        case idle
        /// A request is being forwarded; the upstream connection is not ready yet, so request
        /// parts are queued.
        case connecting(requestEnded: Bool)
        /// The upstream connection carries the request.
        case forwarding(requestEnded: Bool, responseStarted: Bool)
        /// The response is complete (from the gateway or the upstream); the rest of the
        /// client's request body is read and dropped.
        case discardingRequest
        /// The client connection is gone or must close.
        case closed
    }

    /// Why the upstream could not answer before its response head.
    package enum UpstreamFailure: Sendable, Equatable {
        case connect
        case timeout
        /// Any other transport problem, with a short reason.
        case other(String)
    }

    package enum RequestPartAction: Sendable, Equatable {
        /// Keep the part until the upstream connection is ready.
        case queue
        /// Write the part to the upstream connection.
        case forward
        /// Drop it (the response is already complete).
        case discard
        /// The request is over and the response too: the connection is free for the next one.
        case discardAndFinish
        /// A part where none is expected (cannot happen with NIO's decoder): close.
        case close
    }

    package enum UpstreamResponseAction: Sendable, Equatable {
        /// Write the part to the client.
        case write
        /// Write the final part to the client. `reuseUpstream` when the whole request went
        /// upstream, so the connection is clean for the next request; `requestComplete` when the
        /// client connection is free for its next request.
        case writeEnd(reuseUpstream: Bool, requestComplete: Bool)
        /// Nothing to do (a late part after the exchange was abandoned).
        case ignore
    }

    package enum FailureAction: Sendable, Equatable {
        /// Answer the client with a gateway error; `requestComplete` when its request was fully read.
        case respond(UpstreamFailure, requestComplete: Bool)
        /// The response head already went out: the only honest signal left is closing the connection.
        case closeClient
        /// Nothing to do (the exchange is already over).
        case ignore
    }

    package private(set) var state: State = .idle

    package init() {}

    /// A request head was answered by the gateway itself.
    package mutating func requestAnsweredLocally() {
        precondition(state == .idle, "request head while \(state)")
        state = .discardingRequest
    }

    /// A request head is being forwarded; an upstream connection is on its way.
    package mutating func requestForwarded() {
        precondition(state == .idle, "request head while \(state)")
        state = .connecting(requestEnded: false)
    }

    package mutating func requestBodyReceived() -> RequestPartAction {
        switch state {
        case .connecting(requestEnded: false): return .queue
        case .forwarding(requestEnded: false, _): return .forward
        case .discardingRequest: return .discard
        case .idle, .connecting(requestEnded: true), .forwarding(requestEnded: true, _), .closed: return .close
        }
    }

    package mutating func requestEndReceived() -> RequestPartAction {
        switch state {
        case .connecting(requestEnded: false):
            state = .connecting(requestEnded: true)
            return .queue
        case .forwarding(requestEnded: false, let started):
            state = .forwarding(requestEnded: true, responseStarted: started)
            return .forward
        case .discardingRequest:
            state = .idle
            return .discardAndFinish
        case .idle, .connecting(requestEnded: true), .forwarding(requestEnded: true, _), .closed:
            return .close
        }
    }

    /// The upstream connection is ready: send the queued parts.
    package mutating func upstreamReady() -> Bool {
        guard case .connecting(let ended) = state else { return false }
        state = .forwarding(requestEnded: ended, responseStarted: false)
        return true
    }

    package mutating func upstreamResponseHead() -> UpstreamResponseAction {
        guard case .forwarding(let ended, false) = state else { return .ignore }
        state = .forwarding(requestEnded: ended, responseStarted: true)
        return .write
    }

    package mutating func upstreamResponseBody() -> UpstreamResponseAction {
        guard case .forwarding(_, true) = state else { return .ignore }
        return .write
    }

    package mutating func upstreamResponseEnd() -> UpstreamResponseAction {
        guard case .forwarding(let ended, true) = state else { return .ignore }
        state = ended ? .idle : .discardingRequest
        return .writeEnd(reuseUpstream: ended, requestComplete: ended)
    }

    /// The upstream failed (connect error, time-out, protocol error or early close).
    package mutating func upstreamFailed(_ failure: UpstreamFailure) -> FailureAction {
        switch state {
        case .connecting(let ended), .forwarding(let ended, false):
            state = ended ? .idle : .discardingRequest
            return .respond(failure, requestComplete: ended)
        case .forwarding(_, true):
            state = .closed
            return .closeClient
        case .idle, .discardingRequest, .closed:
            return .ignore
        }
    }

    /// The client connection closed or failed.
    package mutating func clientClosed() {
        state = .closed
    }

    /// Whether an upstream connection is attached to the current exchange.
    package var isExchangingWithUpstream: Bool {
        switch state {
        case .connecting, .forwarding: true
        default: false
        }
    }
}

extension ProxyExchangeStateMachine {
    /// The upstream connection closed before answering a request that can safely be sent again
    /// (nothing of the response arrived): back to waiting for a connection, request complete.
    package mutating func retryUpstream() {
        guard case .forwarding(true, false) = state else { return }
        state = .connecting(requestEnded: true)
    }
}
