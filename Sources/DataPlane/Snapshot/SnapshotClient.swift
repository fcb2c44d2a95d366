import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Shared

/// The data plane's side of the snapshot protocol: connects to the control socket (or to a
/// remote control plane over mutual TLS), says `hello`, installs each valid snapshot on every
/// event loop and ACKs it (NACKs an invalid one, keeping the old routes), caches good snapshots
/// on disk, reports once a second, says what it serves in a heartbeat, and reconnects (to the
/// next control plane, with ``ControlPlaneDialPlan``) while the current routes keep serving.
package struct SnapshotClient: Service {
    package struct Configuration: Sendable {
        package var socketPath: String
        package var replicaID: String
        package var supervised: Bool
        /// The inherited listening socket this replica serves, if any: announced in `hello` and
        /// handed over on `send_listener`.
        package var inheritedListener: Int32?
        /// The inherited TLS listening socket this replica serves, if any (`LISTEN_FDNAMES`
        /// `proxy-tls`): announced in `hello` and handed over on `send_listener` together with
        /// ``inheritedListener``.
        package var inheritedTLSListener: Int32?
        /// The stable slot announced in `hello` (`--slot` / `ORCH_REPLICA_SLOT`).
        package var slot: String?
        /// First reconnect delay; doubles up to ``maximumBackoff``.
        package var initialBackoff: Duration = .milliseconds(100)
        package var maximumBackoff: Duration = .seconds(5)
        package var reportInterval: Duration = .seconds(1)
        /// How long a control plane that accepted the connection has to send its first frame.
        package var firstFrameTimeout: Duration = .seconds(10)
        /// How often the replica says which snapshot it serves (`--heartbeat-interval`).
        package var heartbeatInterval: Duration = .seconds(30)
        /// Where the control plane is: the Unix socket at ``socketPath`` unless set otherwise.
        package var transport: ControlPlaneTransport

        package init(
            socketPath: String, replicaID: String, supervised: Bool, inheritedListener: Int32? = nil,
            inheritedTLSListener: Int32? = nil, slot: String? = nil
        ) {
            self.slot = slot
            self.inheritedTLSListener = inheritedTLSListener
            self.socketPath = socketPath
            transport = .unixSocket(path: socketPath)
            self.replicaID = replicaID
            self.supervised = supervised
            self.inheritedListener = inheritedListener
        }
    }

    let configuration: Configuration
    /// The snapshot loaded from the cache at start, if any: the version `hello` names, and the
    /// base health updates apply to until the control plane sends a snapshot.
    let cached: Snapshot?
    let cache: SnapshotCache
    /// Writes each installed snapshot to ``cache`` without holding up the acknowledgement.
    let cacheWriter: SnapshotCacheWriter
    let states: LoopStates
    let breakers: BreakerRegistry
    /// Set from the control plane's `replicas` messages.
    let replicaCount: GatewayReplicaCount
    /// Set from every health update's unhealthy upstreams.
    let upstreamHealth: UpstreamHealthBoard
    /// Its dropped-line count goes into each report.
    let accessLog: AccessLogWriter?
    let drain: DrainState
    /// The snapshot served, as the heartbeat says it.
    let served: ServedSnapshot
    let group: any EventLoopGroup
    let logger: Logger

    package init(
        configuration: Configuration, cached: Snapshot?, cache: SnapshotCache, states: LoopStates,
        breakers: BreakerRegistry = BreakerRegistry(), drain: DrainState = DrainState(),
        accessLog: AccessLogWriter? = nil, replicaCount: GatewayReplicaCount = GatewayReplicaCount(),
        upstreamHealth: UpstreamHealthBoard = UpstreamHealthBoard(), group: any EventLoopGroup, logger: Logger
    ) {
        self.replicaCount = replicaCount
        self.upstreamHealth = upstreamHealth
        self.accessLog = accessLog
        self.drain = drain
        self.configuration = configuration
        self.cached = cached
        self.cache = cache
        self.cacheWriter = SnapshotCacheWriter(cache: cache, logger: logger)
        self.served = ServedSnapshot(cached)
        self.states = states
        self.breakers = breakers
        self.group = group
        self.logger = logger
    }

    package func run() async throws {
        let cached = cached
        let transport = configuration.transport
        try? await cancelWhenGracefulShutdown {
            var held = HeldSnapshot(version: cached?.version, base: cached)
            var plan = ControlPlaneDialPlan(
                addressCount: transport.addressCount, initialBackoff: configuration.initialBackoff,
                maximumBackoff: configuration.maximumBackoff)
            while !Task.isCancelled {
                let address = transport.describe(plan.current)
                // Set with the control plane's first frame; read by the session's silence check too.
                let heard = NIOLockedValueBox(false)
                var outcome = ControlPlaneDialPlan.Outcome.failed
                do {
                    defer { if heard.withLockedValue({ $0 }) { outcome = .conversed } }
                    try await session(plan.current, held: &held, heard: heard)
                    logger.warning(
                        "control plane closed the connection; serving the current snapshot",
                        metadata: ["control_plane": "\(address)"])
                } catch is CancellationError {
                    return
                } catch let refusal as ControlPlaneRefusal {
                    outcome = .refused
                    logger.error(
                        "the control plane refused this replica; serving the current snapshot",
                        metadata: ["control_plane": "\(address)", "reason": "\(refusal.reason)"])
                } catch {
                    // A local control plane restarting is routine; a remote one failing (a
                    // certificate, the network) is what an operator must see.
                    let level: Logger.Level = outcome == .conversed || transport.isRemote ? .warning : .debug
                    logger.log(
                        level: level, "cannot reach the control plane",
                        metadata: ["error": "\(error)", "control_plane": "\(address)"])
                }
                try await Task.sleep(for: plan.ended(outcome, fraction: Double.random(in: 0...1)))
            }
        }
        // The newest installed snapshot reaches the cache before the replica exits.
        await cacheWriter.flush()
    }

    /// Installs the cached snapshot, if any, and returns it. Called before the proxy starts
    /// listening, so a replica started while the control plane is down serves at once.
    package static func loadCache(_ cache: SnapshotCache, into states: LoopStates, logger: Logger) async -> Snapshot? {
        do {
            guard let snapshot = try cache.load() else { return nil }
            try await states.install(snapshot)
            logger.info(
                "serving cached snapshot",
                metadata: ["orch.snapshot.version": "\(snapshot.version)", "path": "\(cache.path)"])
            return snapshot
        } catch {
            logger.error("ignoring unusable snapshot cache", metadata: ["path": "\(cache.path)", "error": "\(error)"])
            return nil
        }
    }

    /// One connection to the address at `index`: hello, then snapshots in and ACKs, reports and
    /// heartbeats out until it closes. `heard` becomes true with the first frame the control
    /// plane sends.
    private func session(
        _ index: Int, held: inout HeldSnapshot, heard: NIOLockedValueBox<Bool>
    ) async throws {
        let transport = configuration.transport
        let channel = try await transport.connect(index, group: group)
        logger.info("connected to the control plane", metadata: ["control_plane": "\(transport.describe(index))"])
        try await channel.executeThenClose { inbound, outbound in
            let hello = DataPlaneMessage.Hello(
                replicaId: configuration.replicaID, pid: Int(ProcessInfo.processInfo.processIdentifier),
                version: held.version, supervised: configuration.supervised,
                inheritedListener: configuration.inheritedListener != nil,
                inheritedTLSListener: configuration.inheritedTLSListener.map { _ in true }, slot: configuration.slot,
                deltas: true)
            try await outbound.write(Self.frame(.hello(hello)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                // A control plane that accepted the connection but says nothing (hung, or a
                // handshake that never ends) is left for the next one.
                group.addTask { [logger, wait = configuration.firstFrameTimeout] in
                    try await Task.sleep(for: wait)
                    guard heard.withLockedValue({ $0 }) else {
                        logger.warning(
                            "the control plane said nothing within \(wait); trying the next",
                            metadata: ["control_plane": "\(transport.describe(index))"])
                        channel.channel.close(promise: nil)
                        return
                    }
                }
                group.addTask { [served, interval = configuration.heartbeatInterval] in
                    while true {
                        try await outbound.write(Self.frame(.heartbeat(served.heartbeat)))
                        try await Task.sleep(for: interval)
                    }
                }
                group.addTask { [states, breakers, drain, accessLog, interval = configuration.reportInterval] in
                    // Once per interval, and at once (within a tick) after a breaker changed state
                    // or the drain began; the traffic counters and every breaker as often as
                    // ``trafficInterval(_:endpoints:)`` says (with a change, the breakers at once).
                    let clock = ContinuousClock()
                    var last = clock.now
                    var lastTraffic: ContinuousClock.Instant?
                    var trafficEvery = interval
                    while true {
                        try await Task.sleep(for: .milliseconds(50))
                        let changed = breakers.takeChanged() || drain.takeReportDue()
                        let now = clock.now
                        guard changed || now - last >= interval else { continue }
                        last = now
                        let trafficDue = lastTraffic.map { now - $0 >= trafficEvery } ?? true
                        var reportedEndpoints = 0
                        do {
                            var report = ReplicaReport(
                                requests: try await states.requestsServed(), draining: drain.isDraining)
                            if changed || trafficDue { report.breakers = breakers.reports() }
                            if trafficDue {
                                lastTraffic = now
                                let traffic = try await states.traffic(accessLog: accessLog)
                                report.traffic = traffic.withBreakerTransitions(report.breakers ?? [])
                                reportedEndpoints = traffic.endpoints.count
                                trafficEvery = Self.trafficInterval(interval, endpoints: reportedEndpoints)
                            }
                            try await outbound.write(Self.frame(.report(report)))
                        }
                        // The report is gone (its scope ended): what building it took goes back.
                        if FreedMemory.worthReleasing(afterReportOf: reportedEndpoints) { FreedMemory.release() }
                    }
                }
                for try await frame in inbound {
                    let reply = try await handle(frame, held: &held)
                    heard.withLockedValue { $0 = true }
                    if let reply { try await outbound.write(Self.frame(reply)) }
                }
                group.cancelAll()
            }
        }
    }

    /// Acts on one frame from the control plane; returns the reply to send, if any.
    ///
    /// - Throws: ``ControlPlaneRefusal`` when the control plane refuses this replica.
    private func handle(_ frame: ByteBuffer, held: inout HeldSnapshot) async throws -> DataPlaneMessage? {
        let received: ControlPlaneMessage.Received
        do {
            received = try ControlPlaneMessage.decode(Data(frame.readableBytesView))
        } catch {
            logger.warning("ignoring unreadable control message", metadata: ["error": "\(error)"])
            return nil
        }
        switch received {
        case .invalidSnapshot(let version, let error):
            logger.error(
                "rejected invalid snapshot; keeping the current routes",
                metadata: ["orch.snapshot.version": "\(version)", "error": "\(error)"])
            return .nack(version: version, error: error.description)
        case .message(.refused(let reason)):
            throw ControlPlaneRefusal(reason: reason)
        case .message(.replicas(let count)):
            logger.debug("replicas connected to the control plane", metadata: ["count": "\(count)"])
            replicaCount.set(count)
            return nil
        case .message(.resetBreaker(let endpoint)):
            logger.info("circuit breaker reset by the control plane", metadata: ["orch.endpoint": "\(endpoint ?? "*")"])
            breakers.reset(endpoint)
            return nil
        case .message(.drain(let seconds)):
            let started = drain.begin(within: Self.drainLimit(seconds))
            logger.info(
                started ? "drain requested by the control plane" : "drain requested; already draining",
                metadata: ["deadline_s": "\(seconds)"])
            return nil
        case .message(.sendListener(let path)):
            handOverListener(to: path)
            return nil
        case .message(.health(let update)):
            // Not tied to a snapshot version: the newest word holds, whatever version is served.
            upstreamHealth.replace(update.unhealthyUpstreams)
            let change = held.routesChange(applying: update)
            guard case .install(let serving) = held.received(update) else {
                return held.health?.seq == update.seq ? .report(ReplicaReport(healthSeq: update.seq)) : nil
            }
            do {
                try await states.install(serving, change: change)
            } catch {
                logger.error("cannot install a health update", metadata: ["error": "\(error)"])
                return nil
            }
            logger.info(
                "serving health update",
                metadata: [
                    "orch.snapshot.version": "\(update.version)", "seq": "\(update.seq)",
                    "changed": "\(update.endpoints.count)",
                ])
            return .report(ReplicaReport(healthSeq: update.seq))
        case .message(.snapshot(let snapshot)):
            return await install(snapshot, content: nil, held: &held)
        case .message(.base(let snapshot, let seqs)):
            return await install(snapshot, content: SnapshotContent(snapshot, seqs: seqs), held: &held)
        case .message(.delta(let frame)):
            switch held.apply(frame) {
            case .failure(let refusal):
                logger.info(
                    "cannot apply delta; asking for the whole snapshot",
                    metadata: ["orch.snapshot.version": "\(frame.version)", "reason": "\(refusal)"])
                return .nack(version: frame.version, error: refusal.description)
            case .success(let (snapshot, content)):
                return await install(snapshot, content: content, held: &held, changed: frame.change)
            }
        }
    }

    /// Installs `snapshot` on every event loop (with the health update pending for it), then
    /// caches it off the conversation; answers the ACK or NACK to send.
    private func install(
        _ snapshot: Snapshot, content: SnapshotContent?, held: inout HeldSnapshot, changed: SnapshotDelta? = nil
    ) async -> DataPlaneMessage? {
        if changed == nil {
            switch held.decide(snapshot) {
            case .alreadyServing:
                // The same content, now perhaps with seqs: later deltas can build on it.
                if let content, held.content == nil, let base = held.base { held.installed(base, content: content) }
                return .ack(version: snapshot.version)
            case .install(let older):
                if older {
                    logger.warning(
                        "the control plane sent an older version than the one served (its store was reset or restored); serving what it sends",
                        metadata: [
                            "orch.snapshot.version": "\(snapshot.version)", "served": "\(held.version ?? 0)",
                        ])
                }
            }
        }
        let routesChange = changed.flatMap { change in
            content.map { held.routesChange(to: snapshot, by: change, content: $0) }
        }
        do {
            try await states.install(held.serving(snapshot), change: routesChange)
        } catch {
            logger.error("cannot install snapshot", metadata: ["error": "\(error)"])
            return .nack(version: snapshot.version, error: "cannot install: \(error)")
        }
        held.installed(snapshot, content: content)
        served.set(snapshot)
        if let routesChange {
            breakers.forget(routesChange.removing)
        } else {
            breakers.retain(only: Set(snapshot.endpoints.map(\.name)))
        }
        var metadata: Logger.Metadata = [
            "orch.snapshot.version": "\(snapshot.version)", "endpoints": "\(snapshot.endpoints.count)",
        ]
        if let changed {
            metadata["upserted"] = "\(changed.upsert.count)"
            metadata["removed"] = "\(changed.remove.count)"
        }
        logger.info(changed == nil ? "serving snapshot" : "serving snapshot from delta", metadata: metadata)
        cacheWriter.submit(snapshot, content: content)
        return .ack(version: snapshot.version)
    }

    /// How often a replica whose traffic counters hold `endpoints` endpoints reports them (and
    /// every breaker): each `interval` up to 300 endpoints, one `interval` more per further 300,
    /// at most 30 of them; so reporting costs about the same CPU a second whatever the number of
    /// endpoints that see traffic. Each endpoint costs the replica (building and encoding) and the
    /// control plane (decoding) about 20 µs a report: at 300 a second, about 0.6 % of a core for
    /// each replica, where 1,000 a second took 5 % of the throughput of two replicas on 2 cores.
    package static func trafficInterval(_ interval: Duration, endpoints: Int) -> Duration {
        interval * min(30, max(1, (endpoints + 299) / 300))
    }

    /// A `drain` message's `deadline_s` as a duration: negative or not a number means at once,
    /// anything over a day is a day.
    package static func drainLimit(_ seconds: Double) -> Duration {
        guard !seconds.isNaN, seconds > 0 else { return .zero }
        return .milliseconds(Int64((min(seconds, 86_400) * 1000).rounded()))
    }

    /// Sends the inherited listening sockets to `path` (``ListenerHandOver``), off the event
    /// loops: the plaintext one, then the TLS one when this replica has it, in one message.
    private func handOverListener(to path: String) {
        guard let descriptor = configuration.inheritedListener else {
            logger.info("listener hand-over requested, but this replica binds its own socket; ignoring")
            return
        }
        let listeners: [(InheritedListener, Int32)] =
            [(.proxy, descriptor)] + (configuration.inheritedTLSListener.map { [(.proxyTLS, $0)] } ?? [])
        let logger = logger
        Thread.detachNewThread {
            do {
                try ListenerHandOver.send(listeners, to: path)
                logger.info(
                    "handed over the listening sockets",
                    metadata: ["path": "\(path)", "listeners": "\(listeners.map(\.0.rawValue))"])
            } catch {
                logger.error("listener hand-over failed", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    static func frame(_ message: DataPlaneMessage) throws -> ByteBuffer {
        ByteBuffer(bytes: try message.encodedJSON())
    }
}

extension SnapshotClient: CustomStringConvertible {
    /// Short, for service-lifecycle logs.
    package var description: String { "SnapshotClient" }
}
