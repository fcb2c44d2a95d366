import NIOCore
import NIOHTTP1
import Shared

extension ProxyConnectionStateMachine {
    /// An upstream connection is ready for the request in progress (`reused`: from the pool).
    /// Returns whether the queued parts should be sent now.
    package mutating func upstreamAttached(reused: Bool, now: NIODeadline) -> Bool {
        guard case .exchange(var exchange) = state, exchange.upstream == .connecting else { return false }
        exchange.upstream = .attached(reused: reused)
        // A wait for a connection (``upstreamPending(now:)``) had its own deadline.
        exchange.responseDeadline = exchange.requestEnded ? now + exchange.responseTimeout : nil
        exchange.tryDeadline = exchange.requestEnded ? exchange.retryPlan.perTryTimeout.map { now + $0 } : nil
        state = .exchange(exchange)
        return true
    }

    /// The upstream has its limit of connections: the request waits for one of them until the
    /// endpoint's timeout (then 504).
    package mutating func upstreamPending(now: NIODeadline) {
        guard case .exchange(var exchange) = state, exchange.upstream == .connecting,
            exchange.responseDeadline == nil
        else { return }
        exchange.responseDeadline = now + exchange.responseTimeout
        state = .exchange(exchange)
    }

    /// A new upstream connection could not be made (refused, timed out, TLS unavailable, the
    /// upstream at its limits). A refused, unreachable or overloaded upstream got nothing, so
    /// the request is retried, whatever its method, while its policy allows; a connect timeout
    /// is not (it used the endpoint's whole timeout).
    package mutating func upstreamConnectFailed(_ failure: UpstreamFailure, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, exchange.upstream == .connecting else { return .none }
        if failure == .connect || failure == .overloaded, exchange.retriesLeft > 0 {
            exchange.retriesLeft -= 1
            state = .exchange(exchange)
            return .retryConnect(failure)
        }
        return upstreamFailed(failure, exchange, now: now)
    }

    /// The retry budget refused the retry of `failure`: the client gets the original failure.
    package mutating func retryRefused(_ failure: UpstreamFailure, now: NIODeadline) -> Action {
        guard case .exchange(let exchange) = state, exchange.upstream == .connecting else { return .none }
        return upstreamFailed(failure, exchange, now: now)
    }

    /// The retry budget refused the retry of a response with a retried status: the client gets
    /// that response, from the connection still attached.
    package mutating func responseRetryRefused(_ head: HTTPResponseHead, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, exchange.upstream == .connecting else { return .none }
        exchange.upstream = .attached(reused: false)
        state = .exchange(exchange)
        return upstreamResponseHead(head, now: now, mayRetry: false)
    }

    /// The upstream's response head arrived. A status the retry policy names is not relayed
    /// while the request may be sent again (``Exchange/mayResend``).
    package mutating func upstreamResponseHead(
        _ head: HTTPResponseHead, now: NIODeadline, mayRetry: Bool = true
    ) -> Action {
        guard case .exchange(var exchange) = state, case .attached = exchange.upstream, !exchange.responseStarted
        else { return .none }
        if head.status == .switchingProtocols, exchange.upgrade, exchange.requestEnded {
            // Nothing more is read from either side as HTTP: the tunnel takes both connections.
            state = .closing
            dropQueue()
            return .startTunnel(head, settle: exchange.ticket.map { ($0, .success) })
        }
        if let problem = UpstreamResponseValidator.problem(head) {
            return upstreamFailed(.invalidResponse(problem), exchange, now: now)
        }
        if mayRetry, exchange.mayResend, exchange.retryPlan.statuses.contains(Int(head.status.code)) {
            return resend(exchange, instead: head)
        }
        exchange.responseStarted = true
        exchange.responseDeadline = nil
        exchange.tryDeadline = nil
        if quiescing { exchange.keepAlive = false }
        // A client of HTTP/1.0 gets no chunked framing: a response without a length ends with
        // the connection.
        if exchange.version.minor == 0, exchange.keepAlive, !Self.isLengthDelimited(head, method: exchange.method) {
            exchange.keepAlive = false
        }
        let ticket = exchange.ticket
        exchange.ticket = nil
        state = .exchange(exchange)
        let outcome: Outcome = ticket?.failureStatuses.contains(Int(head.status.code)) == true ? .failure : .success
        return .writeResponseHead(
            head, keepAlive: exchange.keepAlive, version: exchange.version, settle: ticket.map { ($0, outcome) })
    }

    package mutating func upstreamResponseBody(_ buffer: ByteBuffer) -> Action {
        guard case .exchange(let exchange) = state, case .attached = exchange.upstream, exchange.responseStarted
        else { return .none }
        return .writeResponseBody(buffer)
    }

    /// The upstream's response is complete. Its connection is reused only when the whole request
    /// went out (it is in step) and the upstream keeps it alive.
    package mutating func upstreamResponseEnd(
        _ received: HTTPHeaders?, upstreamKeepAlive: Bool, now: NIODeadline
    ) -> Action {
        guard case .exchange(var exchange) = state, case .attached = exchange.upstream, exchange.responseStarted
        else { return .none }
        exchange.upstream = .done
        exchange.responseEnded = true
        // Connection or framing fields in the trailers are dropped for the client, and the
        // upstream connection they came on is not reused (its parser may have acted on them).
        let (trailers, dropped) = HeaderRewriter.passableTrailers(received)
        let reuse = exchange.requestEnded && upstreamKeepAlive && !dropped
        if exchange.requestEnded || !exchange.keepAlive {
            finishExchange(exchange, now: now)
        } else {
            // The rest of the client's body is read and dropped before the next request.
            state = .exchange(exchange)
        }
        return .writeResponseEnd(trailers, reuseUpstream: reuse, keepAlive: exchange.keepAlive)
    }

    /// The upstream connection closed or failed before the response was complete. A reused
    /// connection that closed without answering an idempotent request with no body is retried
    /// once on a fresh connection: the upstream never saw it (it was closing the idle
    /// connection). Anything else is a 502, or a cut client connection once the response began.
    package mutating func upstreamClosed(reason: String, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, case .attached(let reused) = exchange.upstream else {
            return .none
        }
        if reused, !exchange.retried, !exchange.responseStarted, exchange.requestEnded, !exchange.requestHasBody,
            exchange.isIdempotent
        {
            exchange.retried = true
            exchange.upstream = .connecting
            exchange.responseDeadline = nil
            state = .exchange(exchange)
            return .retryUpstream
        }
        return upstreamFailed(.closed(reason), exchange, now: now)
    }

    /// The try's answer (`head`, or none in time) is dropped: the request goes to another
    /// upstream, one retry fewer left.
    private mutating func resend(_ exchange: Exchange, instead head: HTTPResponseHead?) -> Action {
        var exchange = exchange
        exchange.retriesLeft -= 1
        exchange.upstream = .connecting
        exchange.responseDeadline = nil
        exchange.tryDeadline = nil
        state = .exchange(exchange)
        return .retryResponse(head: head)
    }

    /// Whether the request in progress may be sent again (for tests and the fuzz invariants).
    package var exchangeRetried: Bool {
        if case .exchange(let exchange) = state { return exchange.retried }
        return false
    }

    private mutating func upstreamFailed(_ failure: UpstreamFailure, _ exchange: Exchange, now: NIODeadline) -> Action {
        var exchange = exchange
        // An upstream at its limits answered nothing: that says nothing of its health.
        let settle = exchange.ticket.map { ($0, failure == .overloaded ? Outcome.ignored : Outcome.failure) }
        exchange.ticket = nil
        if exchange.responseStarted {
            state = .closing
            return .close(settle: settle, upstreamError: failure.errorKind, reason: failure.response.reason)
        }
        exchange.upstream = .done
        state = .exchange(exchange)
        return answer(
            failure.response, origin: .current, now: now, settle: settle, closeUpstream: true,
            upstreamError: failure.errorKind)
    }

    /// Whether a response's end is known without closing the connection.
    static func isLengthDelimited(_ head: HTTPResponseHead, method: HTTPMethod) -> Bool {
        if method == .HEAD || !head.status.mayHaveResponseBody { return true }
        return head.headers.contains(name: "content-length")
    }
}

extension ProxyConnectionStateMachine.UpstreamFailure {
    /// How the failure is counted in `orch_upstream_errors_total`; `nil`: not the upstream's
    /// failure.
    package var errorKind: UpstreamErrorKind? {
        switch self {
        case .overloaded: nil
        case .connect: .connect
        case .timeout: .timeout
        case .closed, .invalidResponse: .reset
        }
    }
}

// MARK: - Timers

extension ProxyConnectionStateMachine {
    /// Checks every deadline of the connection against `now`. `clientReadsHeld`: the proxy is not
    /// reading the client (back-pressure), so a quiet request body is not the client's fault.
    package mutating func tick(now: NIODeadline, clientReadsHeld: Bool) -> Action {
        if let sendDeadline, now >= sendDeadline {
            return timedOutClosing()
        }
        switch state {
        case .awaitingHead(let wait, let deadline):
            guard now >= deadline else { return .none }
            if wait == .idle {
                state = .closing
                return .close(settle: nil)
            }
            let exchange = Exchange.unparsed
            return respondAndCloseOnTimeout(exchange, origin: .unparsed)
        case .exchange(let exchange):
            if let deadline = exchange.responseDeadline, now >= deadline, !exchange.responseStarted {
                return upstreamFailed(.timeout, exchange, now: now)
            }
            if let deadline = exchange.tryDeadline, now >= deadline, !exchange.responseStarted {
                guard exchange.mayResend else { return upstreamFailed(.timeout, exchange, now: now) }
                return resend(exchange, instead: nil)
            }
            if !exchange.requestEnded, !clientReadsHeld, let deadline = exchange.bodyDeadline, now >= deadline {
                if exchange.responseStarted { return timedOutClosing() }
                return respondAndCloseOnTimeout(exchange, origin: .current)
            }
            return .none
        case .closing, .closed:
            return .none
        }
    }

    /// The client stopped reading or sending in the middle of an exchange: close at once.
    private mutating func timedOutClosing() -> Action {
        var settle: (BreakerTicket, Outcome)?
        if case .exchange(let exchange) = state, let ticket = exchange.ticket { settle = (ticket, .ignored) }
        state = .closing
        return .close(settle: settle, reason: .clientTimeout)
    }

    private mutating func respondAndCloseOnTimeout(_ exchange: Exchange, origin: Origin) -> Action {
        state = .exchange(exchange)
        return respondAndClose(
            .detail(.requestTimeout, "Request timeout", reason: .requestTimeout), exchange, origin: origin)
    }

    /// The client's request body may flow again after a pause the proxy imposed: its gap
    /// counts from now.
    package mutating func clientReadsResumed(now: NIODeadline) {
        guard case .exchange(var exchange) = state, !exchange.requestEnded else { return }
        exchange.bodyDeadline = now + Self.amount(limits.bodyTimeout)
        state = .exchange(exchange)
    }
}
