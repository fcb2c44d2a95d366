import NIOCore
import Shared
import Synchronization

/// Everything one event loop owns: its reference to the current route table, its pool of
/// upstream connections and its counters. Touched only on that loop, so it needs no lock.
package final class LoopState {
    /// The current routes; `nil` until the first snapshot.
    package var routes: ProxyRoutes?
    /// The current snapshot's limits on client connections; the defaults until the first
    /// snapshot, and for snapshots that carry none.
    package var limits = ProxyLimits.defaults
    package let pool: UpstreamConnectionPool
    /// The deadlines of this loop's client connections.
    package let timers: ConnectionTimers
    /// Responses completed on this loop since start.
    package var requestsServed = 0
    /// Set once the replica starts draining.
    package var draining = false
    /// Source of generated request ids.
    package var random = FastRandom()
    /// Responses, latencies and upstream errors per endpoint, and open client connections.
    package let traffic = TrafficCounters()
    /// Each endpoint's upstreams, balancing and counters on this loop, by route slot.
    package let endpoints = LoopEndpoints()
    /// This loop's batch of access-log lines; `nil` when the access log is off.
    package let accessLog: AccessLogBuffer?

    package init(eventLoop: any EventLoop, environment: ProxyEnvironment) {
        self.pool = UpstreamConnectionPool(
            eventLoop: eventLoop, tlsContext: environment.tlsContext, connector: environment.upstreamConnector,
            counts: environment.connectionCounts)
        self.timers = ConnectionTimers(eventLoop: eventLoop)
        self.accessLog = environment.accessLog.map {
            AccessLogBuffer(writer: $0, eventLoop: eventLoop, replicaID: environment.replicaID)
        }
    }
}

@available(*, unavailable)
extension LoopState: Sendable {}

/// One ``LoopState`` per event loop of the group, created up front; a channel finds its own by
/// its event loop.
package struct LoopStates: Sendable {
    private let states: [ObjectIdentifier: NIOLoopBound<LoopState>]
    private let loops: [any EventLoop]
    /// The TLS listener's certificates, reloaded with every snapshot installed.
    let certificates: TLSCertificateStore?
    /// The routes last installed on every loop: what the next change updates.
    let served = ServedRoutes()

    private init(
        states: [ObjectIdentifier: NIOLoopBound<LoopState>], loops: [any EventLoop],
        certificates: TLSCertificateStore? = nil
    ) {
        self.states = states
        self.loops = loops
        self.certificates = certificates
    }

    /// Creates each loop's state on that loop.
    package static func make(group: any EventLoopGroup, environment: ProxyEnvironment) async throws -> LoopStates {
        var states: [ObjectIdentifier: NIOLoopBound<LoopState>] = [:]
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() {
            states[ObjectIdentifier(loop)] = try await loop.submit {
                NIOLoopBound(LoopState(eventLoop: loop, environment: environment), eventLoop: loop)
            }.get()
            loops.append(loop)
        }
        return LoopStates(states: states, loops: loops, certificates: environment.serverCertificates)
    }

    /// The states of a group of one loop whose state already exists (embedded channels in tests
    /// and the fuzz targets).
    package static func single(_ state: LoopState, on loop: any EventLoop) -> LoopStates {
        LoopStates(states: [ObjectIdentifier(loop): NIOLoopBound(state, eventLoop: loop)], loops: [loop])
    }

    /// The state of `loop`; call only on that loop.
    package func state(on loop: any EventLoop) -> LoopState {
        guard let state = states[ObjectIdentifier(loop)] else {
            preconditionFailure("event loop \(loop) is not part of the proxy's group")
        }
        return state.value
    }

    /// Runs `body` on every loop with that loop's state, one loop after another (each starts when
    /// the one before has run).
    package func forEachInTurn(_ body: @escaping @Sendable (LoopState) -> Void) async throws {
        for loop in loops {
            let bound = states[ObjectIdentifier(loop)]!
            try await loop.submit { body(bound.value) }.get()
        }
    }

    /// Runs `body` on every loop with that loop's state; completes when all have run.
    package func forEach<T: Sendable>(_ body: @escaping @Sendable (LoopState) -> T) -> EventLoopFuture<[T]> {
        let futures = loops.map { loop in
            let bound = states[ObjectIdentifier(loop)]!
            return loop.submit { body(bound.value) }
        }
        return EventLoopFuture.whenAllSucceed(futures, on: loops[0])
    }
}

/// The routes installed last, shared by the loops' states (installs run one at a time).
final class ServedRoutes: Sendable {
    private let routes = Mutex<ProxyRoutes?>(nil)

    /// Makes `make(previous)` the served routes and returns them.
    func replace(_ make: (ProxyRoutes?) -> ProxyRoutes) -> ProxyRoutes {
        routes.withLock { routes in
            let next = make(routes)
            routes = next
            return next
        }
    }
}
