import NIOCore
import NIOHTTP1
import Shared

/// The whole life of one client connection: request heads checked and planned, pipelined
/// requests queued (bounded), bodies streamed to the upstream, responses relayed, keep-alive and
/// drain, the retry decision, timeouts and breaker settlement. Pure: every event returns the
/// ``Action`` that ``ProxyServerHandler`` carries out, and time comes in with the events.
///
/// Requests on a connection are strictly sequential: a head that arrives while another request
/// is in progress waits in the queue (at most ``ProxyLimits/maxPipelined`` heads; beyond that
/// ``shouldReadClient(upstreamWritable:)`` says to stop reading).
package struct ProxyConnectionStateMachine {
    /// What the client side delivers, in order: parts the decoder produced, or the decoder's error.
    package enum Inbound {
        case part(HTTPServerRequestPart)
        case malformed(HTTPParserError)
    }

    /// How a breaker ticket is settled.
    package typealias Outcome = BreakerStateMachine<ContinuousClock.Instant>.Outcome

    /// The breaker that admitted the request in progress, until its outcome is recorded.
    package struct BreakerTicket {
        package var endpoint: String
        /// The endpoint's route slot, where the breaker is found without hashing its name.
        package var slot: Int?
        package var trial: UInt64?
        /// The upstream statuses the endpoint's breaker counts as failures.
        package var failureStatuses: StatusCodeSet

        package init(endpoint: String, slot: Int? = nil, trial: UInt64?, failureStatuses: StatusCodeSet) {
            self.endpoint = endpoint
            self.slot = slot
            self.trial = trial
            self.failureStatuses = failureStatuses
        }
    }

    /// Why an upstream could not deliver a response head.
    package enum UpstreamFailure: Equatable {
        case connect
        case timeout
        /// The upstream has its limit of connections and of requests waiting for one.
        case overloaded
        /// The connection closed or failed before the response head, with a short reason.
        case closed(String)
        /// The response head was not one the proxy may relay.
        case invalidResponse(String)

        /// The gateway's answer to the client.
        package var response: GatewayResponse {
            switch self {
            case .connect: .detail(.badGateway, "Bad gateway - connection error", reason: .connectFailed)
            case .timeout: .detail(.gatewayTimeout, "Gateway timeout", reason: .timeout)
            case .overloaded: .detail(.serviceUnavailable, "Upstream overloaded", reason: .upstreamOverloaded)
            case .closed(let reason): .detail(.badGateway, "Orchestration error - \(reason)", reason: .upstreamReset)
            case .invalidResponse(let reason):
                .detail(.badGateway, "Bad gateway - invalid response (\(reason))", reason: .invalidResponse)
            }
        }
    }

    /// Which request a local response answers.
    package enum Origin {
        /// A head just received (a new request), with the endpoint it matched, if any.
        case head(HTTPRequestHead, endpointID: String?)
        /// Bytes that never made a head (malformed, or a head that did not arrive in time).
        case unparsed
        /// The request in progress.
        case current
    }

    /// A response the gateway writes itself, and what follows it.
    package struct LocalResponse {
        /// `nil`: the replica's own `/health` answer.
        package var response: GatewayResponse?
        package var origin: Origin
        /// The client connection stays open after it.
        package var keepAlive: Bool
        /// The HTTP version to answer with.
        package var version: HTTPVersion
        /// The upstream connection of the exchange (if any) must be closed.
        package var closeUpstream: Bool
        /// The breaker ticket to settle, with this outcome.
        package var settle: (BreakerTicket, Outcome)?
        /// The upstream failure this answers, for the counters.
        package var upstreamError: UpstreamErrorKind?
    }

    package enum Action {
        case none
        /// Ask the endpoint's breaker; report with ``breakerAdmitted(_:now:)`` or
        /// ``breakerRejected(retryAfter:)``.
        case admit(RequestPlanner.Forward, HTTPRequestHead, RequestFraming)
        /// Write a response of the gateway's own.
        case respond(LocalResponse)
        /// Obtain an upstream connection (a pooled one when allowed) and report with
        /// ``upstreamAttached(reused:now:)`` or ``upstreamConnectFailed(_:)``. `sendContinue`:
        /// answer the client's `Expect: 100-continue` first.
        case connectUpstream(reusePooled: Bool, sendContinue: Bool)
        /// Send the request again on a fresh connection: the reused one closed without answering.
        case retryUpstream
        /// A new connection could not be made and nothing was sent: ask the endpoint's retry
        /// budget, then obtain a connection to another upstream of its pool when there is one
        /// (report with ``upstreamAttached(reused:now:)`` or ``upstreamConnectFailed(_:now:)``),
        /// or report ``retryRefused(_:now:)``.
        case retryConnect(UpstreamFailure)
        /// The try's answer is not for the client: `head`, a status the policy retries, or none
        /// (`nil`) within the per-try timeout. Ask the budget, then close the try's connection and
        /// send the kept request to another upstream (report as for ``retryConnect(_:)``); or,
        /// refused, report ``responseRetryRefused(_:now:)`` with `head`, or
        /// ``retryRefused(_:now:)`` with ``UpstreamFailure/timeout``.
        case retryResponse(head: HTTPResponseHead?)
        /// Keep a request part until the upstream connection is ready.
        case queueUpstream(HTTPClientRequestPart)
        /// Write a request part to the attached upstream connection.
        case forwardUpstream(HTTPClientRequestPart, flush: Bool)
        /// Relay the upstream's response head, framed for the client.
        case writeResponseHead(
            HTTPResponseHead, keepAlive: Bool, version: HTTPVersion, settle: (BreakerTicket, Outcome)?)
        case writeResponseBody(ByteBuffer)
        /// The upstream switched protocols (101) for the client's upgrade: relay `head`, then
        /// make both connections one byte tunnel; this machine's part is over.
        case startTunnel(HTTPResponseHead, settle: (BreakerTicket, Outcome)?)
        /// The response is complete: write its end; `reuseUpstream` returns the connection to the
        /// pool, otherwise it is closed; the client connection stays open when `keepAlive`.
        case writeResponseEnd(HTTPHeaders?, reuseUpstream: Bool, keepAlive: Bool)
        /// Close the client connection (and the upstream one, if any) at once; `upstreamError`
        /// when the upstream cut a response in progress; `reason` when a response in progress is
        /// cut (it is logged with it).
        case close(
            settle: (BreakerTicket, Outcome)?, upstreamError: UpstreamErrorKind? = nil, reason: ResponseReason? = nil)
    }

    /// Where a connection is.
    package enum State {
        /// No request in progress: waiting for the next head until `deadline`.
        case awaitingHead(HeadWait, deadline: NIODeadline)
        case exchange(Exchange)
        /// A response that ends the connection is being written; nothing more is read.
        case closing
        case closed
    }

    /// What the wait for a head is bound by.
    package enum HeadWait: Equatable {
        /// A new connection: ``ProxyLimits/headerTimeout`` from accept.
        case fresh
        /// Kept alive after a response: ``ProxyLimits/idleTimeout``.
        case idle
        /// Bytes of a head arrived: ``ProxyLimits/headerTimeout`` from the first of them.
        case partial
    }

    /// Where the upstream side of an exchange is.
    package enum UpstreamPhase: Equatable {
        /// Answered by the gateway; no upstream.
        case none
        /// Waiting for the breaker's answer.
        case admitting
        case connecting
        case attached(reused: Bool)
        /// The exchange with the upstream is over (response complete or failed).
        case done
    }

    /// One request and its response.
    package struct Exchange {
        package var version: HTTPVersion
        package var method: HTTPMethod
        /// The client wants, and may have, the connection kept open after the response.
        package var keepAlive: Bool
        package var requestHasBody: Bool
        package var requestEnded = false
        package var responseStarted = false
        package var responseEnded = false
        package var upstream: UpstreamPhase
        package var retried = false
        /// Retries the endpoint's retry policy still allows this request.
        package var retriesLeft = 0
        /// What the policy retries besides refused connections (idempotent requests only).
        package var retryPlan = RetryPlan()
        /// Request body bytes received so far.
        package var bodyBytes = 0
        /// When the try in progress must have its response head (`per_try_timeout`).
        package var tryDeadline: NIODeadline?
        package var ticket: BreakerTicket?
        /// The endpoint's timeout for the response head once the request is sent.
        package var responseTimeout = TimeAmount.seconds(30)
        package var responseDeadline: NIODeadline?
        package var bodyDeadline: NIODeadline?
        package var expectContinue = false
        /// The client asked to switch protocols (`Upgrade`, see ``isUpgrade(_:)``).
        package var upgrade = false

        /// Stands for bytes that never made a head (malformed, or too slow): answered, then closed.
        static let unparsed = Exchange(
            version: .http1_1, method: .GET, keepAlive: false, requestHasBody: false, upstream: .none)

        /// The request may be sent again after an upstream saw it: idempotent, received whole,
        /// its body kept (at most ``ProxyConnectionStateMachine/maximumReplayBytes``), no
        /// response byte sent, and a retry left.
        var mayResend: Bool {
            isIdempotent && requestEnded && !responseStarted && retriesLeft > 0
                && bodyBytes <= ProxyConnectionStateMachine.maximumReplayBytes
        }

        var isIdempotent: Bool { ProxyConnectionStateMachine.isIdempotent(method) }
    }

    /// Queued request bytes beyond which the client is not read (pipelined bodies).
    package static let maximumQueuedBytes = 64 * 1024
    /// A request body up to this size is kept for sending again (``RetryPolicy/on``,
    /// ``RetryPolicy/perTryTimeout``).
    package static let maximumReplayBytes = 64 * 1024

    /// Whether `head` asks to switch protocols over this connection (WebSocket and the like): a
    /// `GET` of HTTP/1.1 with an `Upgrade` field that its `Connection` field names (RFC 9110
    /// §7.8). HTTP/2 has no such upgrade.
    package static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.method == .GET && head.version == .http1_1 && asksToSwitchProtocols(head)
    }

    /// Whether `head` has an `Upgrade` field that its `Connection` field names, whatever its
    /// method: NIO's decoder stops parsing after such a head.
    static func asksToSwitchProtocols(_ head: HTTPRequestHead) -> Bool {
        guard head.headers.contains(name: "upgrade") else { return false }
        return head.headers.contains { name, value in
            name.isHeaderName("connection") && value.containsHeaderToken { $0.isHeaderName("upgrade") }
        }
    }

    /// Whether sending a request of `method` twice has the effect of sending it once (RFC 9110).
    package static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: true
        default: false
        }
    }

    /// What an endpoint's retry policy retries besides refused connections.
    package struct RetryPlan {
        /// Upstream statuses answered by sending the request to another upstream.
        package var statuses = StatusCodeSet()
        /// How long one try has for its response head; `nil`: the endpoint's timeout only.
        package var perTryTimeout: TimeAmount?

        package init(statuses: StatusCodeSet = StatusCodeSet(), perTryTimeout: TimeAmount? = nil) {
            self.statuses = statuses
            self.perTryTimeout = perTryTimeout
        }

        /// Whether requests must keep their body for a replay.
        package var replays: Bool { perTryTimeout != nil || statuses != StatusCodeSet() }
    }

    package internal(set) var state: State
    package var limits: ProxyLimits
    /// The replica drains: every response from now on says `Connection: close`.
    package private(set) var quiescing = false
    private var queue = CircularBuffer<Inbound>(initialCapacity: 4)
    private var queuedHeads = 0
    private var queuedBytes = 0
    /// The last part delivered (queued or not) was a request's end, so the next one starts a request.
    private var betweenRequests = true
    var sendDeadline: NIODeadline?

    package init(limits: ProxyLimits, now: NIODeadline) {
        self.limits = limits
        self.state = .awaitingHead(.fresh, deadline: now + Self.amount(limits.headerTimeout))
    }

    static func amount(_ seconds: Double) -> TimeAmount {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Requests waiting behind the one in progress.
    package var pipelinedRequests: Int { queuedHeads }

    /// Whether anything the client sent waits in the queue.
    package var hasQueuedParts: Bool { !queue.isEmpty }
}

// MARK: - Client side

extension ProxyConnectionStateMachine {
    /// A part (or a parse error) arrived from the client. Handled at once, or queued behind the
    /// request in progress.
    package mutating func received(
        _ inbound: Inbound, routes: RouteTable?, draining: Bool, now: NIODeadline
    ) -> Action {
        let startsRequest: Bool
        switch inbound {
        case .part(.head): startsRequest = true
        case .malformed: startsRequest = betweenRequests
        case .part(.body), .part(.end): startsRequest = false
        }
        if case .part(.end) = inbound {
            betweenRequests = true
        } else if case .part(.head) = inbound {
            betweenRequests = false
        }
        if !queue.isEmpty || (startsRequest && !isAwaitingHead) {
            enqueue(inbound)
            return .none
        }
        return process(inbound, routes: routes, draining: draining, now: now)
    }

    /// The next queued part, now that the connection is free for it; `nil` when there is none
    /// or the request in progress must finish first.
    package mutating func nextQueued(routes: RouteTable?, draining: Bool, now: NIODeadline) -> Action? {
        guard let first = queue.first else { return nil }
        switch first {
        case .part(.head), .malformed:
            if case .exchange(let exchange) = state, exchange.requestEnded || !isMalformed(first) { return nil }
            if case .closing = state { return nil }
            if case .closed = state { return nil }
        case .part(.body), .part(.end):
            break
        }
        let inbound = queue.removeFirst()
        switch inbound {
        case .part(.head): queuedHeads -= 1
        case .part(.body(let buffer)): queuedBytes -= buffer.readableBytes
        default: break
        }
        return process(inbound, routes: routes, draining: draining, now: now)
    }

    private func isMalformed(_ inbound: Inbound) -> Bool {
        if case .malformed = inbound { return true }
        return false
    }

    private var isAwaitingHead: Bool {
        if case .awaitingHead = state { return true }
        return false
    }

    private mutating func enqueue(_ inbound: Inbound) {
        switch inbound {
        case .part(.head): queuedHeads += 1
        case .part(.body(let buffer)): queuedBytes += buffer.readableBytes
        default: break
        }
        queue.append(inbound)
    }

    private mutating func process(
        _ inbound: Inbound, routes: RouteTable?, draining: Bool, now: NIODeadline
    ) -> Action {
        switch inbound {
        case .part(.head(let head)):
            return requestHead(head, routes: routes, draining: draining, now: now)
        case .part(.body(let buffer)):
            return requestBody(buffer, now: now)
        case .part(.end(let trailers)):
            return requestEnd(trailers, now: now)
        case .malformed(let error):
            return malformed(error)
        }
    }

    /// Bytes arrived that did not complete a head yet (the decoder produced nothing): the wait
    /// for this head is now bound by the header timeout.
    package mutating func bytesArrived(now: NIODeadline) {
        guard case .awaitingHead(.idle, _) = state else { return }
        state = .awaitingHead(.partial, deadline: now + Self.amount(limits.headerTimeout))
    }

    private mutating func requestHead(
        _ head: HTTPRequestHead, routes: RouteTable?, draining: Bool, now: NIODeadline
    ) -> Action {
        guard case .awaitingHead = state else { return .close(settle: nil) }
        let framing: RequestFraming
        switch RequestHeadValidator.check(head, limits: limits) {
        case .success(let checked):
            framing = checked
        case .failure(let rejection):
            let exchange = Exchange(
                version: head.version, method: head.method, keepAlive: false, requestHasBody: false, upstream: .none)
            state = .exchange(exchange)
            return respondAndClose(rejection.response, exchange, origin: .head(head, endpointID: nil))
        }
        // After a head that asks to switch protocols the decoder reads nothing more as HTTP: the
        // connection either becomes a tunnel or ends with the response.
        var exchange = Exchange(
            version: head.version, method: head.method,
            keepAlive: head.isKeepAlive && !draining && !quiescing && !Self.asksToSwitchProtocols(head),
            requestHasBody: framing.hasBody, upstream: .none)
        exchange.bodyDeadline = now + Self.amount(limits.bodyTimeout)
        switch RequestPlanner.plan(method: head.method, uri: head.uri, routes: routes) {
        case .health:
            state = .exchange(exchange)
            return answer(nil, origin: .head(head, endpointID: nil), now: now)
        case .respond(let response, let endpointID):
            state = .exchange(exchange)
            return answer(response, origin: .head(head, endpointID: endpointID), now: now)
        case .forward(let forward):
            exchange.upstream = .admitting
            exchange.responseTimeout = .seconds(Int64(forward.timeoutSeconds))
            exchange.expectContinue = head.headers.contains { name, value in
                name.isHeaderName("expect") && value.containsHeaderToken { $0.isHeaderName("100-continue") }
            }
            exchange.upgrade = Self.isUpgrade(head)
            state = .exchange(exchange)
            return .admit(forward, head, framing)
        }
    }

    /// The breaker let the request through: connect to the upstream. `retries`: the retries
    /// the endpoint's policy allows (``RetryPolicy/attempts``).
    package mutating func breakerAdmitted(
        _ ticket: BreakerTicket, retries: Int = 0, plan: RetryPlan = RetryPlan(), now: NIODeadline
    ) -> Action {
        guard case .exchange(var exchange) = state, exchange.upstream == .admitting else { return .none }
        exchange.ticket = ticket
        exchange.retriesLeft = retries
        exchange.retryPlan = plan
        exchange.upstream = .connecting
        let sendContinue = exchange.expectContinue && !exchange.requestEnded
        state = .exchange(exchange)
        return .connectUpstream(reusePooled: true, sendContinue: sendContinue)
    }

    /// The request may not go upstream (its rate limit): answer `response` without touching it.
    package mutating func refused(_ response: GatewayResponse, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, exchange.upstream == .admitting else { return .none }
        exchange.upstream = .none
        state = .exchange(exchange)
        return answer(response, origin: .current, now: now)
    }

    /// The breaker refused: answer 503 without touching the upstream.
    package mutating func breakerRejected(retryAfter: Duration, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, exchange.upstream == .admitting else { return .none }
        exchange.upstream = .none
        state = .exchange(exchange)
        let (seconds, fraction) = retryAfter.components
        let wait = max(1, seconds + (fraction > 0 ? 1 : 0))
        return answer(
            .detail(
                .serviceUnavailable, "Circuit breaker is open",
                headers: [("retry-after", String(wait)), ("x-circuit-breaker", "open")], reason: .breakerOpen),
            origin: .current, now: now)
    }

    private mutating func requestBody(_ buffer: ByteBuffer, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, !exchange.requestEnded else {
            if case .closing = state { return .none }
            return .close(settle: nil)
        }
        // HTTP/1's decoder delivers no body its head did not announce; an HTTP/2 stream can (DATA
        // after the HEADERS of a GET without Content-Length). Sent on, it would reach the upstream
        // as the start of another request.
        guard exchange.requestHasBody else {
            if exchange.responseStarted {
                state = .closing
                return .close(settle: exchange.ticket.map { ($0, .ignored) }, reason: .badRequest)
            }
            return respondAndClose(
                .detail(.badRequest, "Request body without Content-Length", reason: .badRequest), exchange,
                origin: .current)
        }
        exchange.bodyDeadline = now + Self.amount(limits.bodyTimeout)
        exchange.bodyBytes += buffer.readableBytes
        state = .exchange(exchange)
        switch exchange.upstream {
        case .admitting, .connecting: return .queueUpstream(.body(.byteBuffer(buffer)))
        case .attached: return .forwardUpstream(.body(.byteBuffer(buffer)), flush: false)
        case .none, .done: return .none
        }
    }

    private mutating func requestEnd(_ received: HTTPHeaders?, now: NIODeadline) -> Action {
        guard case .exchange(var exchange) = state, !exchange.requestEnded else {
            if case .closing = state { return .none }
            return .close(settle: nil)
        }
        let trailers = HeaderRewriter.passableTrailers(received).trailers
        exchange.requestEnded = true
        exchange.bodyDeadline = nil
        switch exchange.upstream {
        case .admitting, .connecting:
            state = .exchange(exchange)
            return .queueUpstream(.end(trailers))
        case .attached:
            exchange.responseDeadline = now + exchange.responseTimeout
            exchange.tryDeadline = exchange.retryPlan.perTryTimeout.map { now + $0 }
            state = .exchange(exchange)
            return .forwardUpstream(.end(trailers), flush: true)
        case .none, .done:
            state = .exchange(exchange)
            if exchange.responseEnded { finishExchange(exchange, now: now) }
            return .none
        }
    }

    /// The decoder could not parse what the client sent. Before any request: 400 and close. In a
    /// request's body: 400 if no response has started, else close; the upstream connection, if
    /// any, is closed either way.
    private mutating func malformed(_ error: HTTPParserError) -> Action {
        switch state {
        case .awaitingHead:
            let exchange = Exchange.unparsed
            state = .exchange(exchange)
            let response: GatewayResponse =
                error == .headerOverflow
                ? .detail(.requestHeaderFieldsTooLarge, "Request header fields too large", reason: .headersTooLarge)
                : .detail(.badRequest, "Malformed HTTP request", reason: .badRequest)
            return respondAndClose(response, exchange, origin: .unparsed)
        case .exchange(let exchange):
            if exchange.responseStarted {
                state = .closing
                return .close(settle: exchange.ticket.map { ($0, .ignored) }, reason: .badRequest)
            }
            return respondAndClose(
                .detail(.badRequest, "Malformed HTTP request", reason: .badRequest), exchange, origin: .current)
        case .closing, .closed:
            return .none
        }
    }

    /// A local answer to the request in progress; the rest of its body is read and dropped.
    mutating func answer(
        _ response: GatewayResponse?, origin: Origin, now: NIODeadline, settle: (BreakerTicket, Outcome)? = nil,
        closeUpstream: Bool = false, upstreamError: UpstreamErrorKind? = nil
    ) -> Action {
        guard case .exchange(var exchange) = state else { return .none }
        exchange.responseStarted = true
        exchange.responseEnded = true
        exchange.upstream = .none
        exchange.responseDeadline = nil
        exchange.keepAlive = exchange.keepAlive && !quiescing
        if exchange.requestEnded || !exchange.keepAlive {
            finishExchange(exchange, now: now)
        } else {
            state = .exchange(exchange)
        }
        return .respond(
            LocalResponse(
                response: response, origin: origin, keepAlive: exchange.keepAlive, version: exchange.version,
                closeUpstream: closeUpstream, settle: settle, upstreamError: upstreamError))
    }

    /// Forgets everything the client sent after the request in progress.
    mutating func dropQueue() {
        queue.removeAll()
        queuedHeads = 0
        queuedBytes = 0
    }

    /// Answers and ends the connection: the stream can no longer be trusted.
    mutating func respondAndClose(_ response: GatewayResponse, _ exchange: Exchange, origin: Origin) -> Action {
        state = .closing
        queue.removeAll()
        queuedHeads = 0
        queuedBytes = 0
        return .respond(
            LocalResponse(
                response: response, origin: origin, keepAlive: false, version: exchange.version,
                closeUpstream: exchange.upstream != .none && exchange.upstream != .done,
                settle: exchange.ticket.map { ($0, .ignored) }))
    }

    /// Both the request and the response are complete: wait for the next head.
    mutating func finishExchange(_ exchange: Exchange, now: NIODeadline) {
        if exchange.keepAlive {
            state = .awaitingHead(.idle, deadline: now + Self.amount(limits.idleTimeout))
        } else {
            state = .closing
        }
    }

    /// The replica drains: the response in progress (if its head has not gone out) and every
    /// later one say `Connection: close`. An idle connection stays open for its client's next
    /// request, which gets that answer; the drain deadline closes it otherwise.
    package mutating func quiesce() {
        quiescing = true
        if case .exchange(var exchange) = state, !exchange.responseStarted {
            exchange.keepAlive = false
            state = .exchange(exchange)
        }
    }

    /// The client connection closed or failed.
    package mutating func clientClosed() -> Action {
        let settle: (BreakerTicket, Outcome)?
        if case .exchange(let exchange) = state, let ticket = exchange.ticket {
            settle = (ticket, .ignored)
        } else {
            settle = nil
        }
        state = .closed
        queue.removeAll()
        queuedHeads = 0
        queuedBytes = 0
        return settle.map { .close(settle: $0) } ?? .none
    }

    /// Whether the client connection should be read now. Not while the request body has nowhere
    /// to go (connecting, or the upstream cannot take more), nor while the pipelined queue is
    /// full, nor once the connection is closing.
    package func shouldReadClient(upstreamWritable: Bool) -> Bool {
        if queuedHeads >= limits.maxPipelined || queuedBytes >= Self.maximumQueuedBytes { return false }
        switch state {
        case .awaitingHead: return true
        case .closing, .closed: return false
        case .exchange(let exchange):
            if exchange.requestEnded { return true }
            switch exchange.upstream {
            case .admitting, .connecting: return false
            case .attached: return upstreamWritable
            case .none, .done: return true
            }
        }
    }

    /// The client can take more bytes (`writable`) or not: a client that stops reading has
    /// ``ProxyLimits/sendTimeout`` to resume.
    package mutating func clientWritabilityChanged(writable: Bool, now: NIODeadline) {
        sendDeadline = writable ? nil : now + Self.amount(limits.sendTimeout)
    }
}
