import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Shared

/// The proxy's hot path: one per client connection, after NIO's HTTP/1.1 server pipeline.
/// Plans each request against this loop's route table, answers gateway errors itself, and glues
/// forwarded requests to a pooled upstream connection on the same event loop, streaming both
/// bodies with back-pressure (each side reads only while the other can take the bytes).
package final class ProxyServerHandler: ChannelDuplexHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    private let loop: LoopState
    private let environment: ProxyEnvironment
    private let logger: Logger
    private var machine = ProxyExchangeStateMachine()
    private var context: ChannelHandlerContext?
    private var clientIP: String?
    private var pendingRead = false
    /// Parts of pipelined requests received while another request was in progress.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 2)
    /// The replica drains: finish the current request, then close.
    private var quiescing = false
    /// Bytes of the current response already went to the client.
    private var responseStarted = false

    // The request in progress.
    private var requestID = ""
    private var endpointID: String?
    private var keepAlive = true
    private var upstreamHead: HTTPRequestHead?
    private var upstreamKey: UpstreamConnectionPool.Key?
    /// The endpoint's `timeout`: bounds the connect, then the wait for the response head once the
    /// whole request went upstream (a long upload does not eat into it).
    private var responseTimeout = TimeAmount.seconds(30)
    private var queued = CircularBuffer<HTTPClientRequestPart>(initialCapacity: 4)
    private var upstream: UpstreamClientHandler?
    private var upstreamKeepAlive = false
    private var reusedConnection = false
    private var requestHasBody = false
    private var retried = false
    private var timeout: Scheduled<Void>?
    /// The breaker that admitted the request in progress, until its outcome is recorded.
    private var breakerEndpoint: String?
    private var breakerTrial: UInt64?
    private var breakerPolicy = BreakerPolicy.defaults
    /// What the metrics and the access log record of the request in progress.
    private var record = RequestRecord()
    /// This connection is counted in the loop's active connections.
    private var countedActive = false

    package init(loop: LoopState, environment: ProxyEnvironment, logger: Logger) {
        self.loop = loop
        self.environment = environment
        self.logger = logger
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            clientIP = context.channel.remoteAddress?.ipAddress
            countActive(true)
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        countActive(false)
    }

    package func channelActive(context: ChannelHandlerContext) {
        clientIP = context.channel.remoteAddress?.ipAddress
        countActive(true)
        context.fireChannelActive()
    }

    private func countActive(_ active: Bool) {
        guard active != countedActive else { return }
        countedActive = active
        loop.traffic.activeConnections += active ? 1 : -1
    }

    // MARK: Client side

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // A pipelined request waits until the one in progress is answered.
        if !pipelined.isEmpty || (machine.state != .idle && Self.isHead(part)) {
            pipelined.append(part)
            return
        }
        process(part, context: context)
    }

    private static func isHead(_ part: HTTPServerRequestPart) -> Bool {
        if case .head = part { return true }
        return false
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            requestHead(head, context: context)
        case .body(let buffer):
            record.bytesIn += buffer.readableBytes
            switch machine.requestBodyReceived() {
            case .queue: queued.append(.body(.byteBuffer(buffer)))
            case .forward: upstream?.write(.body(.byteBuffer(buffer)))
            case .discard, .discardAndFinish: break
            case .close: context.close(promise: nil)
            }
        case .end(let trailers):
            switch machine.requestEndReceived() {
            case .queue:
                queued.append(.end(trailers))
            case .forward:
                upstream?.write(.end(trailers))
                upstream?.flush()
                startResponseTimer(context: context)
            case .discard:
                break
            case .discardAndFinish:
                exchangeFinished(context: context)
            case .close:
                context.close(promise: nil)
            }
        }
    }

    /// The request and its response are both complete: close, or go on with a pipelined request.
    private func exchangeFinished(context: ChannelHandlerContext) {
        guard keepAlive, !quiescing else {
            pipelined.removeAll()
            return
        }
        // Replay in order: the rest of a request follows its head; the next head waits until
        // this exchange is over again.
        while let part = pipelined.first, machine.state == .idle || !Self.isHead(part) {
            pipelined.removeFirst()
            process(part, context: context)
        }
        resumeClientReading()
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.flush()
        context.fireChannelReadComplete()
    }

    package func read(context: ChannelHandlerContext) {
        if shouldHoldClientReads {
            pendingRead = true
        } else {
            context.read()
        }
    }

    /// Client reads pause while its request body has nowhere to go, and while pipelined
    /// requests wait.
    private var shouldHoldClientReads: Bool {
        if !pipelined.isEmpty { return true }
        switch machine.state {
        case .connecting(requestEnded: false): return true
        case .forwarding(requestEnded: false, _): return !(upstream?.isWritable ?? false)
        default: return false
        }
    }

    private func resumeClientReading() {
        guard pendingRead, let context, !shouldHoldClientReads else { return }
        pendingRead = false
        context.read()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        countActive(false)
        settleBreaker(.ignored)
        machine.clientClosed()
        abandonUpstream()
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("client connection error", metadata: ["error": "\(error)"])
        if error is HTTPParserError, machine.state == .idle || machine.state == .discardingRequest, !responseStarted {
            // A request NIO could not parse: say so, then close (the stream is out of step).
            machine.clientClosed()
            abandonUpstream()
            keepAlive = false
            requestID = RequestID.generate(using: &loop.random)
            endpointID = nil
            record = RequestRecord(start: .now(), method: "", path: "")
            respond(.detail(.badRequest, "Malformed HTTP request"), context: context)
            return
        }
        context.close(promise: nil)
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Draining: the response in progress (or the next one) says `Connection: close` and
            // ends the connection. An idle connection stays open: its client may be sending a
            // request right now; the drain deadline closes it.
            quiescing = true
            if machine.state == .idle || !responseStarted { keepAlive = false }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Requests

    private func requestHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        keepAlive = head.isKeepAlive && !loop.draining && !quiescing
        responseStarted = false
        requestID = RequestID.choose(clientValue: head.headers.first(name: "x-request-id"), random: &loop.random)
        endpointID = nil
        record = RequestRecord(start: .now(), method: head.method.rawValue, path: head.uri)

        let routes = loop.routes
        switch RequestPlanner.plan(method: head.method, uri: head.uri, routes: routes?.table) {
        case .health:
            machine.requestAnsweredLocally()
            respond(healthResponse(), context: context)
        case .respond(let response, let endpoint):
            endpointID = endpoint
            machine.requestAnsweredLocally()
            respond(response, context: context)
        case .forward(let forward):
            endpointID = forward.endpointID
            guard admitThroughBreaker(forward, context: context) else { return }
            machine.requestForwarded()
            let upstream = routes?.upstreams[forward.endpointID] ?? UpstreamTarget(forward.route.url)
            requestHasBody = Self.hasBody(head)
            let upstreamHead = HeaderRewriter.upstreamHead(
                for: head, target: forward.target,
                context: .init(clientIP: clientIP, upstreamAuthority: upstream.authority, requestID: requestID))
            self.upstreamHead = upstreamHead
            queued.append(.head(upstreamHead))
            upstreamKey = upstream.key
            retried = false
            responseTimeout = .seconds(Int64(forward.timeoutSeconds))
            record.upstreamStart = .now()
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            obtainUpstream(context: context, allowPooled: true)
        }
    }

    /// Asks the endpoint's breaker; answers 503 `Circuit breaker is open` (with `Retry-After`)
    /// without touching the upstream when it refuses.
    private func admitThroughBreaker(_ forward: RequestPlanner.Forward, context: ChannelHandlerContext) -> Bool {
        let policy = forward.route.endpoint.circuitBreaker
        switch environment.breakers.admit(forward.endpointID, policy: policy) {
        case .allowed(let trial):
            breakerEndpoint = forward.endpointID
            breakerTrial = trial
            breakerPolicy = policy
            return true
        case .rejected(let retryAfter):
            machine.requestAnsweredLocally()
            let (seconds, fraction) = retryAfter.components
            let wait = max(1, seconds + (fraction > 0 ? 1 : 0))
            respond(
                .detail(
                    .serviceUnavailable, "Circuit breaker is open",
                    headers: [("retry-after", String(wait)), ("x-circuit-breaker", "open")]),
                context: context)
            return false
        }
    }

    /// Records the outcome of the request in progress with the breaker that admitted it (once).
    private func settleBreaker(_ outcome: BreakerStateMachine<ContinuousClock.Instant>.Outcome) {
        guard let endpoint = breakerEndpoint else { return }
        breakerEndpoint = nil
        environment.breakers.record(endpoint, outcome, trial: breakerTrial)
    }

    private static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains(name: "transfer-encoding") { return true }
        if let length = head.headers.first(name: "content-length") { return length != "0" }
        return false
    }

    private func obtainUpstream(context: ChannelHandlerContext, allowPooled: Bool) {
        guard let key = upstreamKey else { return }
        if allowPooled, let pooled = loop.pool.lease(key) {
            reusedConnection = true
            attach(pooled)
            return
        }
        reusedConnection = false
        let (handler, connected) = loop.pool.connect(key, timeout: responseTimeout)
        upstream = handler
        connected.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                if upstream === handler, machine.isExchangingWithUpstream {
                    attach(handler)
                } else {
                    channel.close(promise: nil)
                }
            case .failure(let error):
                guard upstream === handler else { return }
                upstream = nil
                logger.debug(
                    "upstream connect failed", metadata: ["error": "\(error)", "orch.request.id": "\(requestID)"])
                if case ChannelError.connectTimeout = error {
                    upstreamFailed(.timeout)
                } else if let error = error as? UpstreamTLSUnavailable {
                    upstreamFailed(.other(error.description))
                } else {
                    upstreamFailed(.connect)
                }
            }
        }
    }

    private func attach(_ handler: UpstreamClientHandler) {
        upstream = handler
        handler.attach(self)
        guard machine.upstreamReady() else { return }
        while let part = queued.popFirst() { handler.write(part) }
        handler.flush()
        if case .forwarding(requestEnded: true, responseStarted: false) = machine.state, let context {
            startResponseTimer(context: context)
        }
        resumeClientReading()
    }

    /// The whole request went upstream: the response head must arrive within the endpoint's timeout.
    private func startResponseTimer(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: responseTimeout) { [self] in
            timeout = nil
            upstreamFailed(.timeout)
        }
    }

    /// Closes the upstream connection of an exchange that will not complete normally.
    private func abandonUpstream() {
        timeout?.cancel()
        timeout = nil
        queued.removeAll()
        if let upstream {
            self.upstream = nil
            upstream.close()
        }
    }

    private func upstreamFailed(_ failure: ProxyExchangeStateMachine.UpstreamFailure) {
        countUpstreamError(failure)
        settleBreaker(.failure)
        abandonUpstream()
        guard let context else { return }
        switch machine.upstreamFailed(failure) {
        case .respond(let failure, _):
            respond(Self.response(for: failure), context: context)
            resumeClientReading()
        case .closeClient:
            context.close(promise: nil)
        case .ignore:
            break
        }
    }

    private func countUpstreamError(_ failure: ProxyExchangeStateMachine.UpstreamFailure) {
        guard record.upstreamStart != nil, !record.upstreamFailed else { return }
        record.upstreamFailed = true
        let kind: UpstreamErrorKind =
            switch failure {
            case .connect: .connect
            case .timeout: .timeout
            case .other: .reset
            }
        loop.traffic.counters(for: endpointID).upstreamErrors[kind.rawValue] += 1
    }

    static func response(for failure: ProxyExchangeStateMachine.UpstreamFailure) -> GatewayResponse {
        switch failure {
        case .connect: .detail(.badGateway, "Bad gateway - connection error")
        case .timeout: .detail(.gatewayTimeout, "Gateway timeout")
        case .other(let reason): .detail(.badGateway, "Orchestration error - \(reason)")
        }
    }

    // MARK: Responses

    private func respond(_ response: GatewayResponse, context: ChannelHandlerContext) {
        let head = response.head(requestID: requestID, endpointID: endpointID, keepAlive: keepAlive)
        responseStarted = true
        record.status = Int(head.status.code)
        record.bytesOut += response.body.utf8.count
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        }
        writeEnd(nil, context: context)
    }

    private func writeEnd(_ trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        loop.requestsServed += 1
        recordCompleted()
        // Draining after this response's head promised keep-alive: close all the same.
        if keepAlive && !quiescing {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if machine.state == .idle { exchangeFinished(context: context) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// Counts the response just completed and writes its access-log line.
    private func recordCompleted() {
        let now = NIODeadline.now()
        let counters = loop.traffic.counters(for: endpointID)
        counters.recordResponse(status: record.status)
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
                upstreamDurationMicroseconds: upstreamDuration.map { $0 / 1000 }, client: clientIP))
    }

    private func healthResponse() -> GatewayResponse {
        let routes = loop.routes
        let status = loop.draining ? "draining" : (routes == nil ? "starting" : "ok")
        let uptime = (NIODeadline.now() - environment.startedAt).nanoseconds / 1_000_000_000
        let version = routes.map { String($0.version) } ?? "null"
        let body =
            #"{"status":"\#(status)","snapshot_version":\#(version),"endpoints":\#(routes?.endpointCount ?? 0),"#
            + #""replica_id":\#(JSONText.quoted(environment.replicaID)),"uptime_s":\#(uptime)}"#
        return GatewayResponse(status: status == "ok" ? .ok : .serviceUnavailable, body: body)
    }
}

extension ProxyServerHandler: UpstreamResponseReceiver {
    package var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    package func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let context else { return }
        switch part {
        case .head(let head):
            guard machine.upstreamResponseHead() == .write else { return }
            settleBreaker(breakerPolicy.isFailure(status: Int(head.status.code)) ? .failure : .success)
            timeout?.cancel()
            timeout = nil
            upstreamKeepAlive = head.isKeepAlive
            record.upstreamStatus = Int(head.status.code)
            record.status = Int(head.status.code)
            if head.status.code >= 500 {
                loop.traffic.counters(for: endpointID).upstreamErrors[UpstreamErrorKind.serverError.rawValue] += 1
            }
            let clientHead = HeaderRewriter.clientHead(
                for: head, requestID: requestID, endpointID: endpointID ?? "", keepAlive: keepAlive)
            responseStarted = true
            context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        case .body(let buffer):
            guard machine.upstreamResponseBody() == .write else { return }
            record.bytesOut += buffer.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            guard case .writeEnd(let reuse, let requestComplete) = machine.upstreamResponseEnd() else { return }
            record.upstreamEnd = .now()
            if let upstream {
                self.upstream = nil
                if reuse && upstreamKeepAlive {
                    loop.pool.release(upstream)
                } else {
                    upstream.close()
                }
            }
            writeEnd(trailers, context: context)
            if !requestComplete { resumeClientReading() }
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
        // A pooled connection the upstream closed just as it was reused: try once on a fresh
        // connection when nothing but the head (no body) went out.
        if reusedConnection, !retried, !requestHasBody, let context, let upstreamHead,
            machine.state == .forwarding(requestEnded: true, responseStarted: false)
        {
            retried = true
            machine.retryUpstream()
            queued.removeAll()
            queued.append(.head(upstreamHead))
            queued.append(.end(nil))
            obtainUpstream(context: context, allowPooled: false)
            return
        }
        if let error {
            logger.info(
                "upstream connection failed before its response",
                metadata: [
                    "error": "\(error)", "orch.request.id": "\(requestID)", "orch.endpoint": "\(endpointID ?? "")",
                ])
        }
        upstreamFailed(.other(Self.describe(error)))
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

@available(*, unavailable)
extension ProxyServerHandler: Sendable {}
