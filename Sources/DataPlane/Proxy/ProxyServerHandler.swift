import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Shared

/// The proxy's hot path: one per client connection, after NIO's HTTP/1.1 server pipeline (or one
/// per HTTP/2 stream, after NIOHTTP2's HTTP/1 codec). Every decision is
/// ``ProxyConnectionStateMachine``'s; this handler feeds it events (client parts, upstream parts,
/// writability, deadlines) and carries out the actions it returns: answering, connecting or
/// leasing an upstream connection on the same event loop, and streaming both bodies with
/// back-pressure.
package final class ProxyServerHandler: ChannelDuplexHandler, TimedConnection {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    private let loop: LoopState
    private let environment: ProxyEnvironment
    private let logger: Logger
    /// How the client reached the proxy: counted per request, and told to the upstream.
    private let transport: ClientTransport
    private var machine: ProxyConnectionStateMachine
    private var context: ChannelHandlerContext?
    private var clientIP: String?
    /// NIO asked for a read that the machine holds back.
    private var pendingRead = false
    /// Parts delivered since the last read completed.
    private var partsThisRead = 0
    /// On an HTTP/2 stream: the connection's read in progress, at whose end the upstream is
    /// obtained (``HTTP2ReadBatch``), and whether a pooled connection may serve then.
    private let readBatch: HTTP2ReadBatch?
    private var obtainAfterRead: Bool?
    private var processingQueue = false
    package var timerSlot = -1
    /// This connection is counted in the loop's active connections.
    private var countedActive = false

    // The request in progress.
    private var requestID = ""
    private var endpointID: String?
    /// The endpoint's state on this loop once the request was forwarded: its counters, balancer
    /// and upstreams.
    private var endpointState: LoopEndpoint?
    private var upstreamHead: HTTPRequestHead?
    private var upstreamKey: UpstreamConnectionPool.Key?
    /// The request's head as the client sent it, its framing and route, for a try on another upstream.
    private var forward: RequestPlanner.Forward?
    private var requestHead: HTTPRequestHead?
    private var framing = RequestFraming.none
    /// The endpoint's upstream state on this loop (the request counts in flight there until it
    /// ends), the upstream of the try in progress (counted in flight there until the try ends),
    /// the upstreams tried so far and the retries the budget allowed.
    private var balancer: EndpointBalancer?
    private var upstreamIndex: Int?
    /// Whether the try at ``upstreamIndex`` of a pool awaits its outcome for the upstream's
    /// breaker, and the half-open trial it is.
    private var upstreamTryOpen = false
    private var upstreamTrial: UInt64?
    private var triedUpstreams = UpstreamIndexSet()
    private var retries = 0
    /// The request's body parts and end as received, kept while a retry may send them again
    /// (``ProxyConnectionStateMachine/RetryPlan/replays``, idempotent methods, at most
    /// ``ProxyConnectionStateMachine/maximumReplayBytes``); `nil` otherwise.
    private var replayParts: [HTTPClientRequestPart]?
    private var replayBytes = 0
    /// The upstream at its connection limit whose connection this request waits for (counted
    /// in the replica's pending requests), if any.
    private var waitingFor: UpstreamConnectionPool.Key?
    /// Set once the upstream's 101 went to the client: the tunnel's idle timeout, until the
    /// tunnel replaces this handler.
    private var tunnelIdleSeconds: Int?
    /// The `RateLimit-*` (and, refused, `Retry-After`) fields of a rate-limited endpoint's
    /// response to the request in progress.
    private var rateLimitHeaders: [(String, String)]?
    private var connectTimeout = TimeAmount.seconds(30)
    /// Request parts waiting for the upstream connection.
    private var queued = CircularBuffer<HTTPClientRequestPart>(initialCapacity: 4)
    private var upstream: UpstreamClientHandler?
    private var upstreamKeepAlive = false
    /// What the metrics and the access log record of the request in progress.
    private var record = RequestRecord()

    package init(
        loop: LoopState, environment: ProxyEnvironment, logger: Logger, transport: ClientTransport = .http1,
        readBatch: HTTP2ReadBatch? = nil
    ) {
        self.loop = loop
        self.transport = transport
        self.readBatch = readBatch
        self.environment = environment
        self.logger = logger
        self.machine = ProxyConnectionStateMachine(limits: loop.limits, now: .now())
    }

    private var now: NIODeadline { context?.eventLoop.now ?? .now() }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        machine = ProxyConnectionStateMachine(limits: loop.limits, now: context.eventLoop.now)
        if context.channel.isActive { opened(context) }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        closed()
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        opened(context)
        context.fireChannelActive()
    }

    private func opened(_ context: ChannelHandlerContext) {
        guard !countedActive else { return }
        clientIP = context.channel.remoteAddress?.ipAddress
        countedActive = true
        // An HTTP/2 stream is not a connection: its connection is counted once, by the HTTP/2 layer.
        if !transport.isStream { loop.traffic.activeConnections += 1 }
        loop.timers.add(self)
    }

    private func closed() {
        finishRequest()
        if countedActive {
            countedActive = false
            if !transport.isStream { loop.traffic.activeConnections -= 1 }
        }
        loop.timers.remove(self)
    }

    // MARK: Events

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        partsThisRead += 1
        if case .body(let buffer) = part { record.bytesIn += buffer.readableBytes }
        deliver(.part(part))
    }

    private func deliver(_ inbound: ProxyConnectionStateMachine.Inbound) {
        machine.limits = loop.limits
        run(machine.received(inbound, routes: loop.routes?.table, draining: loop.draining, now: now))
        processQueue()
    }

    /// Handles queued (pipelined) parts while the connection is free for them.
    private func processQueue() {
        guard machine.hasQueuedParts else {
            resumeClientReading()
            return
        }
        guard !processingQueue else { return }
        processingQueue = true
        defer { processingQueue = false }
        while let action = machine.nextQueued(routes: loop.routes?.table, draining: loop.draining, now: now) {
            run(action)
        }
        resumeClientReading()
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        if partsThisRead == 0 { machine.bytesArrived(now: now) }
        partsThisRead = 0
        upstream?.flush()
        context.fireChannelReadComplete()
    }

    package func read(context: ChannelHandlerContext) {
        if machine.shouldReadClient(upstreamWritable: upstream?.isWritable ?? false) {
            context.read()
        } else {
            pendingRead = true
        }
    }

    private func resumeClientReading() {
        guard pendingRead, let context, machine.shouldReadClient(upstreamWritable: upstream?.isWritable ?? false)
        else { return }
        pendingRead = false
        machine.clientReadsResumed(now: now)
        context.read()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        machine.clientWritabilityChanged(writable: writable, now: now)
        if writable { upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        closed()
        run(machine.clientClosed())
        abandonUpstream()
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("client connection error", metadata: ["error": "\(error)"])
        if let error = error as? HTTPParserError {
            deliver(.malformed(error))
        } else {
            context.close(promise: nil)
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            machine.quiesce()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func checkDeadlines(now: NIODeadline) {
        run(machine.tick(now: now, clientReadsHeld: pendingRead))
        // A connection to the awaited upstream may have closed on another loop since.
        if waitingFor != nil { obtainUpstream(allowPooled: true) }
        processQueue()
    }

    // MARK: Actions

    private func run(_ action: ProxyConnectionStateMachine.Action) {
        guard let context else { return }
        switch action {
        case .none:
            break
        case .admit(let forward, let head, let framing):
            admit(forward, head: head, framing: framing)
        case .respond(let local):
            respond(local, context: context)
        case .connectUpstream(let reusePooled, let sendContinue):
            if sendContinue {
                let head = HTTPResponseHead(version: .http1_1, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
            }
            if let readBatch {
                obtainAfterRead = reusePooled
                readBatch.wait(self)
            } else {
                obtainUpstream(allowPooled: reusePooled)
            }
        case .retryConnect(let failure):
            retryConnect(after: failure)
        case .retryResponse(let head):
            retryResponse(head)
        case .retryUpstream:
            queued.removeAll(keepingCapacity: true)
            if let upstreamHead {
                queued.append(.head(upstreamHead))
                queued.append(.end(nil))
            }
            obtainUpstream(allowPooled: false)
        case .queueUpstream(let part):
            keepForReplay(part)
            queued.append(part)
        case .forwardUpstream(let part, let flush):
            keepForReplay(part)
            upstream?.write(part)
            if flush { upstream?.flush() }
        case .writeResponseHead(let head, let keepAlive, let version, let settle):
            // The breaker and the counters are reached next; the request began long ago.
            endpointState?.prefetch()
            if let (ticket, outcome) = settle { settleBreaker(ticket, outcome) }
            writeResponseHead(head, keepAlive: keepAlive, version: version, context: context)
        case .startTunnel(let head, let settle):
            if let (ticket, outcome) = settle { settleBreaker(ticket, outcome) }
            startTunnel(head, context: context)
        case .writeResponseBody(let buffer):
            record.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .writeResponseEnd(let trailers, let reuseUpstream, let keepAlive):
            let now = self.now
            record.upstreamEnd = now
            if let upstream {
                self.upstream = nil
                if reuseUpstream && upstreamKeepAlive {
                    loop.pool.release(upstream)
                } else {
                    upstream.close()
                }
            }
            writeEnd(trailers, keepAlive: keepAlive, context: context, now: now)
        case .close(let settle, let upstreamError, let reason):
            if let (ticket, outcome) = settle { settleBreaker(ticket, outcome) }
            if let upstreamError { countUpstreamError(upstreamError) }
            if let reason, record.status != 0 {
                // A response cut short still gets its line, with why.
                record.reason = reason
                recordCompleted(now: now)
            }
            abandonUpstream()
            finishRequest()
            context.close(promise: nil)
        }
    }

    /// A new request begins: its id and what is recorded of it.
    private func beginRequest(_ head: HTTPRequestHead?, now: NIODeadline) {
        finishRequest()
        rateLimitHeaders = nil
        requestID = RequestID.choose(clientValue: head?.headers.first(name: "x-request-id"), random: &loop.random)
        endpointID = nil
        endpointState = nil
        record = RequestRecord(start: now, method: head?.method.rawValue ?? "", path: head?.uri ?? "")
    }

    /// Asks the endpoint's breaker, then prepares the upstream request.
    private func admit(_ forward: RequestPlanner.Forward, head: HTTPRequestHead, framing: RequestFraming) {
        let now = self.now
        beginRequest(head, now: now)
        endpointID = forward.endpointID
        let state = loop.endpoints.state(for: forward.route, routes: loop.routes, traffic: loop.traffic)
        state.prefetch()
        endpointState = state
        if let limiter = state.rateLimiter {
            let decision = limiter.admit(
                key: limiter.key(clientIP: clientIP, headers: head.headers), now: now,
                replicas: environment.replicaCount.value)
            rateLimitHeaders = decision.headers()
            guard decision.allowed else {
                state.counters.rateLimited += 1
                run(
                    machine.refused(
                        .detail(.tooManyRequests, "Rate limit exceeded", reason: .rateLimited), now: now))
                return
            }
        }
        switch environment.breakers.admit(
            forward.endpointID, slot: forward.route.slot, policy: forward.route.circuitBreaker, cell: &state.breaker)
        {
        case .allowed(let trial):
            self.forward = forward
            self.requestHead = head
            self.framing = framing
            let balancer = state.balancer
            self.balancer = balancer
            balancer.requestStarted()
            triedUpstreams = UpstreamIndexSet()
            retries = 0
            queued.removeAll(keepingCapacity: true)
            prepareTry()
            connectTimeout = .seconds(Int64(forward.timeoutSeconds))
            record.upstreamStart = now
            let ticket = ProxyConnectionStateMachine.BreakerTicket(
                endpoint: forward.endpointID, slot: forward.route.slot, trial: trial,
                failureStatuses: forward.route.failureStatuses)
            replayBytes = 0
            replayParts = state.replays && ProxyConnectionStateMachine.isIdempotent(head.method) ? [] : nil
            run(machine.breakerAdmitted(ticket, retries: state.retryAttempts, plan: state.retryPlan, now: now))
        case .rejected(let retryAfter):
            run(machine.breakerRejected(retryAfter: retryAfter, now: now))
        }
    }

    /// Picks the upstream of the next try (another than those tried, when the pool has one) and
    /// queues the request head for it: each upstream has its own `Host` and base path.
    private func prepareTry() {
        guard let forward, let requestHead else { return }
        var index = 0
        if let balancer, balancer.isPool {
            index = pickUpstream(balancer, policy: forward.route.circuitBreaker)
        }
        upstreamIndex = index
        triedUpstreams.insert(index)
        // Validated snapshots have parsed URLs only; the route's own URL stands in otherwise.
        let target = endpointState?.target(index) ?? UpstreamTarget(forward.route.url)
        let upstreamHead = HeaderRewriter.upstreamHead(
            for: requestHead, framing: framing, target: forward.target(on: target.url),
            context: .init(
                clientIP: clientIP, upstreamAuthority: target.authority, requestID: requestID,
                forwardedProto: transport.forwardedProto,
                upgrade: !transport.isStream && ProxyConnectionStateMachine.isUpgrade(requestHead)))
        self.upstreamHead = upstreamHead
        upstreamKey = target.key
        if queued.isEmpty {
            queued.append(.head(upstreamHead))
        } else {
            // Nothing was sent: the parts queued after the head go to the next upstream as they are.
            queued[queued.startIndex] = .head(upstreamHead)
        }
    }

    /// The upstream of a pool for the next try: the balancer's pick that its breaker admits. An
    /// upstream whose breaker refuses leaves this loop's rotation until it may admit again; when
    /// every one refuses, the last pick goes anyway (the endpoint's breaker admitted the request).
    private func pickUpstream(_ balancer: EndpointBalancer, policy: BreakerPolicy) -> Int {
        let upstreams = balancer.upstreams
        var avoiding = triedUpstreams
        var index = 0
        for attempt in 0..<upstreams.pool.count {
            let now = ContinuousClock.now
            index = balancer.pick(
                avoiding: avoiding, now: now, health: environment.upstreamHealth,
                breakerResets: environment.breakers.resetCount, random: &loop.random)
            let admission = environment.breakers.admitUpstream(
                upstreams.endpoint, index, of: upstreams.pool, policy: policy,
                force: attempt == upstreams.pool.count - 1)
            switch admission {
            case .allowed(let trial):
                upstreamTryOpen = true
                upstreamTrial = trial
                return index
            case .rejected(let retryAfter):
                balancer.finished(index)
                balancer.breakerRejected(index, retryAfter: retryAfter, now: now)
                avoiding.insert(index)
            }
        }
        return index
    }

    /// The try in progress is over: its upstream's breaker learns how it went.
    private func endUpstreamTry(_ outcome: ProxyConnectionStateMachine.Outcome) {
        guard upstreamTryOpen else { return }
        upstreamTryOpen = false
        guard let balancer, let index = upstreamIndex, index < balancer.upstreams.pool.count else { return }
        environment.breakers.recordUpstream(
            balancer.upstreams.endpoint, index, url: balancer.upstreams.pool[index].url, outcome, trial: upstreamTrial)
    }

    /// The try's upstream refused the connection: take it out of the rotation and, within the
    /// retry budget, try another.
    private func retryConnect(after failure: ProxyConnectionStateMachine.UpstreamFailure) {
        stopWaiting()
        endUpstreamTry(failure == .overloaded ? .ignored : .failure)
        if let balancer, let upstreamIndex {
            if failure == .connect { balancer.refused(upstreamIndex, now: .now) }
            balancer.finished(upstreamIndex)
        }
        upstreamIndex = nil
        guard let balancer, balancer.mayRetry(now: now) else {
            if balancer != nil { countRetry(nil) }
            run(machine.retryRefused(failure, now: now))
            processQueue()
            return
        }
        countRetry(failure == .overloaded ? .overloaded : .connect)
        retries += 1
        prepareTry()
        obtainUpstream(allowPooled: true)
    }

    /// The try's answer (a retried status, or none in time) is not for the client: within the
    /// budget, close its connection and send the kept request to another upstream; otherwise
    /// the client gets that answer (or the timeout).
    private func retryResponse(_ head: HTTPResponseHead?) {
        guard let balancer, let replayParts, balancer.mayRetry(now: now) else {
            if self.balancer != nil && self.replayParts != nil { countRetry(nil) }
            if let head {
                run(machine.responseRetryRefused(head, now: now))
            } else {
                run(machine.retryRefused(.timeout, now: now))
            }
            processQueue()
            return
        }
        countRetry(head == nil ? .timeout : .status)
        retries += 1
        // No answer in time is a failed try; an answer, as the breaker's failure statuses say.
        let failed = head.map { forward?.route.failureStatuses.contains(Int($0.status.code)) ?? true } ?? true
        endUpstreamTry(failed ? .failure : .success)
        if let upstreamIndex { balancer.finished(upstreamIndex) }
        upstreamIndex = nil
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
        queued.removeAll(keepingCapacity: true)
        prepareTry()
        queued.append(contentsOf: replayParts)
        obtainUpstream(allowPooled: true)
    }

    /// The counters of the request's endpoint (or of requests without one).
    private var endpointCounters: EndpointCounters { endpointState?.counters ?? loop.traffic.counters(for: endpointID) }

    /// Counts a retry for `reason`, or one the budget refused (`nil`).
    private func countRetry(_ reason: RetryReason?) {
        let counters = endpointCounters
        if let reason {
            counters.retries[reason.rawValue] += 1
        } else {
            counters.retryBudgetExhausted += 1
        }
    }

    /// The upstream `key` has its limit of connections: wait for one released on this loop (or
    /// for the count to drop, checked with the deadlines), while fewer than the limit's
    /// requests wait; otherwise the upstream is overloaded.
    private func waitForConnection(_ key: UpstreamConnectionPool.Key, limits: UpstreamLimits) {
        if waitingFor == key { return }
        stopWaiting()
        guard loop.pool.counts.reservePending(key, max: limits.maxPending) else {
            run(machine.upstreamConnectFailed(.overloaded, now: now))
            processQueue()
            return
        }
        waitingFor = key
        loop.pool.wait(self, for: key)
        machine.upstreamPending(now: now)
    }

    /// The request no longer waits for a connection.
    private func stopWaiting() {
        guard let key = waitingFor else { return }
        waitingFor = nil
        loop.pool.stopWaiting(self, for: key)
        loop.pool.counts.pendingEnded(key)
    }

    /// Keeps a request part for a replay while the request may have one.
    private func keepForReplay(_ part: HTTPClientRequestPart) {
        guard replayParts != nil else { return }
        switch part {
        case .head:
            return
        case .body(.byteBuffer(let buffer)):
            replayBytes += buffer.readableBytes
        case .body:
            break
        case .end:
            break
        }
        if replayBytes > ProxyConnectionStateMachine.maximumReplayBytes {
            replayParts = nil
        } else {
            replayParts!.append(part)
        }
    }

    /// The request in progress is over (answered, cut, or its client gone): it and its try no
    /// longer count in flight.
    private func finishRequest() {
        stopWaiting()
        endUpstreamTry(.ignored)
        guard let balancer else { return }
        if let upstreamIndex { balancer.finished(upstreamIndex) }
        balancer.requestFinished(retries: retries)
        self.balancer = nil
        upstreamIndex = nil
        retries = 0
        forward = nil
        requestHead = nil
        replayParts = nil
    }

    private func settleBreaker(
        _ ticket: ProxyConnectionStateMachine.BreakerTicket, _ outcome: ProxyConnectionStateMachine.Outcome
    ) {
        if let state = endpointState, endpointID == ticket.endpoint {
            environment.breakers.record(
                ticket.endpoint, slot: ticket.slot, outcome, trial: ticket.trial, cell: &state.breaker)
        } else {
            environment.breakers.record(ticket.endpoint, slot: ticket.slot, outcome, trial: ticket.trial)
        }
        endUpstreamTry(outcome)
    }

    private func obtainUpstream(allowPooled: Bool) {
        guard let key = upstreamKey else { return }
        if allowPooled, let pooled = loop.pool.lease(key) {
            stopWaiting()
            attach(pooled, reused: true)
            return
        }
        let limits = endpointState?.limits ?? .defaults
        guard loop.pool.mayConnect(key, max: limits.maxConnections) else {
            waitForConnection(key, limits: limits)
            return
        }
        stopWaiting()
        let (handler, connected) = loop.pool.connect(key, timeout: connectTimeout)
        upstream = handler
        connected.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                if upstream === handler {
                    if let upstreamIndex { balancer?.connected(upstreamIndex) }
                    attach(handler, reused: false)
                } else {
                    // The request went away first (a reset stream, a closed client): nothing was
                    // written, so the fresh connection serves the next request instead.
                    loop.pool.release(handler)
                }
            case .failure(let error):
                guard upstream === handler else { return }
                upstream = nil
                logger.debug(
                    "upstream connect failed", metadata: ["error": "\(error)", "orch.request.id": "\(requestID)"])
                let failure: ProxyConnectionStateMachine.UpstreamFailure
                if case ChannelError.connectTimeout = error {
                    failure = .timeout
                } else if let error = error as? UpstreamTLSUnavailable {
                    failure = .closed(error.description)
                } else {
                    failure = .connect
                }
                run(machine.upstreamConnectFailed(failure, now: now))
                processQueue()
            }
        }
    }

    private func attach(_ handler: UpstreamClientHandler, reused: Bool) {
        upstream = handler
        handler.attach(self)
        guard machine.upstreamAttached(reused: reused, now: now) else {
            upstream = nil
            handler.close()
            return
        }
        while let part = queued.popFirst() { handler.write(part) }
        handler.flush()
        resumeClientReading()
    }

    /// The HTTP/2 connection's read that brought this stream's request ended with the stream
    /// still open: obtain the upstream now.
    func readBatchCompleted() {
        guard let allowPooled = obtainAfterRead else { return }
        obtainAfterRead = nil
        guard context?.channel.isActive == true else { return }
        obtainUpstream(allowPooled: allowPooled)
    }

    /// Closes the upstream connection of an exchange that will not complete normally.
    private func abandonUpstream() {
        queued.removeAll(keepingCapacity: true)
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
    }

    private func countUpstreamError(_ kind: UpstreamErrorKind) {
        guard record.upstreamStart != nil, !record.upstreamFailed else { return }
        record.upstreamFailed = true
        endpointCounters.upstreamErrors[kind.rawValue] += 1
    }

    // MARK: Responses

    private func respond(_ local: ProxyConnectionStateMachine.LocalResponse, context: ChannelHandlerContext) {
        if let (ticket, outcome) = local.settle { settleBreaker(ticket, outcome) }
        if let upstreamError = local.upstreamError { countUpstreamError(upstreamError) }
        if local.closeUpstream { abandonUpstream() }
        switch local.origin {
        case .head(let head, let endpoint):
            beginRequest(head, now: now)
            endpointID = endpoint
        case .unparsed:
            beginRequest(nil, now: now)
        case .current:
            break
        }
        let response = local.response ?? healthResponse()
        var head = response.head(
            requestID: requestID, endpointID: endpointID, keepAlive: local.keepAlive, version: local.version)
        if let rateLimitHeaders { head.headers.add(contentsOf: rateLimitHeaders) }
        record.status = Int(head.status.code)
        record.reason = response.reason
        record.bytesOut += response.body.utf8.count
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        }
        writeEnd(nil, keepAlive: local.keepAlive, context: context)
    }

    private func writeResponseHead(
        _ head: HTTPResponseHead, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext
    ) {
        upstreamKeepAlive = head.isKeepAlive
        record.upstreamStatus = Int(head.status.code)
        record.status = Int(head.status.code)
        if head.status.code >= 500 {
            endpointCounters.upstreamErrors[
                UpstreamErrorKind.serverError.rawValue] += 1
        }
        var clientHead = HeaderRewriter.clientHead(
            for: head, requestID: requestID, endpointID: endpointID ?? "", keepAlive: keepAlive, version: version)
        if let rateLimitHeaders { clientHead.headers.add(contentsOf: rateLimitHeaders) }
        context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
    }

    /// The upstream switched protocols: relay its 101; once the upstream's decoder has delivered
    /// the end of that response, the connections become a tunnel (``switchToTunnel()``).
    private func startTunnel(_ head: HTTPResponseHead, context: ChannelHandlerContext) {
        guard upstream?.channel != nil else {
            context.close(promise: nil)
            return
        }
        writeResponseHead(head, keepAlive: true, version: .http1_1, context: context)
        context.flush()
        record.upstreamEnd = now
        loop.requestsServed += 1
        tunnelIdleSeconds = forward?.route.endpoint.config.tunnelIdleTimeout ?? EndpointConfig.defaultTunnelIdleTimeout
        finishRequest()
        recordCompleted(now: now)
    }

    /// Replaces the HTTP handlers of both connections with the two sides of a byte tunnel,
    /// closed after the endpoint's `tunnel_idle_timeout` without a byte either way.
    private func switchToTunnel() {
        guard let context, let upstream, let upstreamChannel = upstream.channel, let idleSeconds = tunnelIdleSeconds
        else {
            context?.close(promise: nil)
            return
        }
        self.upstream = nil
        tunnelIdleSeconds = nil
        let traffic = loop.traffic
        traffic.openTunnels += 1
        let (clientSide, upstreamSide) = TunnelHandler.pair { traffic.openTunnels -= 1 }
        do {
            let client = context.pipeline.syncOperations
            let encoder = try client.handler(type: HTTPResponseEncoder.self)
            let decoder = try client.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try client.addHandler(IdleStateHandler(allTimeout: .seconds(Int64(idleSeconds))))
            try client.addHandler(clientSide)
            let server = upstreamChannel.pipeline.syncOperations
            // Removal order matters: bytes a decoder holds go on to the next handler when it
            // leaves, which must by then be the tunnel's side.
            server.removeHandler(upstream, promise: nil)
            try server.addHandler(upstreamSide)
            server.removeHandler(try server.handler(type: HTTPRequestEncoder.self), promise: nil)
            server.removeHandler(try server.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self), promise: nil)
            client.removeHandler(context: context, promise: nil)
            client.removeHandler(encoder, promise: nil)
            client.removeHandler(decoder, promise: nil)
        } catch {
            logger.warning("cannot start a tunnel", metadata: ["error": "\(error)", "orch.request.id": "\(requestID)"])
            upstreamChannel.close(promise: nil)
            context.close(promise: nil)
        }
    }

    private func writeEnd(
        _ trailers: HTTPHeaders?, keepAlive: Bool, context: ChannelHandlerContext, now: NIODeadline? = nil
    ) {
        loop.requestsServed += 1
        finishRequest()
        recordCompleted(now: now ?? self.now)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// Counts the response just completed and writes its access-log line.
    private func recordCompleted(now: NIODeadline) {
        let counters = endpointCounters
        // Let go of the endpoint's state now, while it is in cache, not when the next request
        // on this connection begins.
        endpointState = nil
        counters.recordResponse(status: record.status)
        loop.traffic.requestsByTransport[transport.rawValue] += 1
        let duration = (now - record.start).nanoseconds
        counters.requestDuration.record(seconds: Double(duration) / 1e9)
        var upstreamDuration: Int64?
        if let end = record.upstreamEnd, let start = record.upstreamStart {
            upstreamDuration = (end - start).nanoseconds
            counters.upstreamDuration.record(seconds: Double(upstreamDuration!) / 1e9)
        }
        guard let accessLog = loop.accessLog else { return }
        accessLog.append(
            AccessLogEntry(
                timeMilliseconds: AccessLogClock.nowMilliseconds(), requestID: requestID,
                replica: accessLog.replicaID, method: record.method, path: record.path, endpoint: endpointID,
                status: record.status, upstreamStatus: record.upstreamStatus, bytesIn: record.bytesIn,
                bytesOut: record.bytesOut, durationMicroseconds: duration / 1000,
                upstreamDurationMicroseconds: upstreamDuration.map { $0 / 1000 }, client: clientIP,
                reason: record.reason, transport: transport))
    }

    private func healthResponse() -> GatewayResponse {
        let routes = loop.routes
        let status = loop.draining ? "draining" : (routes == nil ? "starting" : "ok")
        let uptime = (NIODeadline.now() - environment.startedAt).nanoseconds / 1_000_000_000
        let version = routes.map { String($0.version) } ?? "null"
        let body =
            #"{"status":"\#(status)","snapshot_version":\#(version),"endpoints":\#(routes?.endpointCount ?? 0),"#
            + #""replica_id":\#(JSONText.quoted(environment.replicaID)),"uptime_s":\#(uptime)}"#
        return GatewayResponse(status: status == "ok" ? .ok : .serviceUnavailable, body: body, reason: .health)
    }
}

extension ProxyServerHandler: UpstreamConnectionWaiter {
    func connectionAvailable(_ connection: UpstreamClientHandler) {
        // The pool took this request off its queue already.
        if let key = waitingFor {
            waitingFor = nil
            loop.pool.counts.pendingEnded(key)
        }
        attach(connection, reused: true)
    }
}

extension ProxyServerHandler: UpstreamResponseReceiver {
    package var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    package func upstreamReceived(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head):
            upstreamKeepAlive = head.isKeepAlive
            run(machine.upstreamResponseHead(head, now: now))
            processQueue()
        case .body(let buffer):
            run(machine.upstreamResponseBody(buffer))
        case .end(let trailers):
            if tunnelIdleSeconds != nil {
                switchToTunnel()
                return
            }
            run(machine.upstreamResponseEnd(trailers, upstreamKeepAlive: upstreamKeepAlive, now: now))
            processQueue()
        }
    }

    package func upstreamReadComplete() {
        context?.flush()
    }

    package func upstreamWritabilityChanged() {
        resumeClientReading()
    }

    package func upstreamClosed(error: (any Error)?) {
        upstream = nil
        if let error {
            logger.info(
                "upstream connection failed before its response",
                metadata: [
                    "error": "\(error)", "orch.request.id": "\(requestID)", "orch.endpoint": "\(endpointID ?? "")",
                ])
        }
        run(machine.upstreamClosed(reason: Self.describe(error), now: now))
        processQueue()
    }

    static func describe(_ error: (any Error)?) -> String {
        switch error {
        case nil: "upstream closed the connection"
        case let error as HTTPParserError: "invalid response from upstream (\(error))"
        // The TLS library's text names files of the build; the log has the details.
        case is NIOSSLError, is BoringSSLError: "TLS handshake with the upstream failed"
        case let error?: "\(error)"
        }
    }
}

/// Removed from the pipeline when its connection becomes a tunnel.
extension ProxyServerHandler: RemovableChannelHandler {}

@available(*, unavailable)
extension ProxyServerHandler: Sendable {}
