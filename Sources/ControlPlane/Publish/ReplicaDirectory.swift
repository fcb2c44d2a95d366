import Foundation
import Shared
import Synchronization

/// Whether a replica is connected and holds the current snapshot, and which that is.
package struct ReplicaReadiness: Sendable, Equatable {
    package var ready: Bool
    /// The current snapshot's version (0: none published yet).
    package var version: Int
}

/// What the control plane knows about each replica: its status (`/dataplanes`), its latest
/// reports (traffic, breakers), NACK counts, and its readiness, which rollouts await as a stream
/// (``watchReadiness(pid:currentVersion:)``) instead of asking again and again. Pure bookkeeping:
/// the caller passes the current version and the time.
struct ReplicaDirectory: Sendable {
    private var replicas: [String: ReplicaStatus] = [:]
    private var disconnectedAt: [String: Date] = [:]
    /// The latest breaker states each connected replica reported.
    private var breakers: [String: [BreakerReport]] = [:]
    /// The latest traffic counters each replica reported (kept while the replica is listed).
    private var traffic: [String: TrafficReport] = [:]
    /// NACKs received per replica since this control plane started.
    private var nacks: [String: Int] = [:]
    /// How long a replica that went away stays listed (as not connected).
    let goneRetention: TimeInterval = 300
    /// Refused replicas listed, oldest first.
    private var refusedOrder: [String] = []
    /// The most refused replicas listed at once: a peer that tries again and again under new
    /// ids must not grow the listing without bound.
    static let refusedLimit = 100
    private let watchers = ReadinessWatchers()

    /// Records a replica that said hello (from `address` when remote).
    mutating func connected(
        _ hello: DataPlaneMessage.Hello, address: String? = nil, currentVersion: Int?, now: String
    ) {
        disconnectedAt[hello.replicaId] = nil
        refusedOrder.removeAll { $0 == hello.replicaId }
        let slot = hello.slot ?? replicas[hello.replicaId]?.slot ?? freeSlot()
        replicas[hello.replicaId] = ReplicaStatus(
            replicaId: hello.replicaId, slot: slot, pid: hello.pid, supervised: hello.supervised ?? false,
            connected: true, ackedVersion: hello.version, behind: hello.version != currentVersion, lastNack: nil,
            connectedAt: now, lastContact: now, requests: nil, draining: false, address: address,
            softwareVersion: hello.softwareVersion)
        notify(currentVersion: currentVersion ?? 0)
    }

    /// Records a replica this control plane refused, listed (not connected) for
    /// ``goneRetention`` with the reason; a connected replica of the same id stays as it is.
    /// At most ``refusedLimit`` are remembered, the oldest forgotten first.
    mutating func refused(
        _ hello: DataPlaneMessage.Hello, address: String?, reason: String, at date: Date, now: String
    ) {
        guard replicas[hello.replicaId]?.connected != true else { return }
        refusedOrder.removeAll { $0 == hello.replicaId }
        refusedOrder.append(hello.replicaId)
        while refusedOrder.count > Self.refusedLimit { forget(refusedOrder.removeFirst()) }
        replicas[hello.replicaId] = ReplicaStatus(
            replicaId: hello.replicaId, slot: "", pid: hello.pid, supervised: false, connected: false,
            ackedVersion: hello.version, behind: true, lastNack: nil, connectedAt: now, lastContact: now,
            requests: nil, draining: false, address: address, softwareVersion: hello.softwareVersion,
            refused: reason)
        disconnectedAt[hello.replicaId] = date
    }

    /// Drops everything known about replica `id`.
    private mutating func forget(_ id: String) {
        replicas[id] = nil
        disconnectedAt[id] = nil
        traffic[id] = nil
        nacks[id] = nil
        breakers[id] = nil
    }

    /// The lowest number no connected replica uses as its slot, for a replica that named none.
    private func freeSlot() -> String {
        let taken = Set(replicas.values.filter(\.connected).map(\.slot))
        var number = 1
        while taken.contains(String(number)) { number += 1 }
        return String(number)
    }

    /// Records a message from replica `id`.
    mutating func received(_ message: DataPlaneMessage, from id: String, currentVersion: Int?, now: String) {
        guard var replica = replicas[id] else { return }
        replica.lastContact = now
        switch message {
        case .ack(let version):
            replica.ackedVersion = max(version, replica.ackedVersion ?? 0)
            replica.behind = replica.ackedVersion != currentVersion
        case .nack(let version, let error):
            replica.lastNack = .init(version: version, error: error, time: now)
            replica.behind = replica.ackedVersion != currentVersion
            nacks[id, default: 0] += 1
        case .report(let report):
            replica.requests = report.requests ?? replica.requests
            replica.draining = report.draining ?? replica.draining
            replica.healthSeq = report.healthSeq ?? replica.healthSeq
            if let reported = report.breakers { breakers[id] = reported }
            if let reported = report.traffic { traffic[id] = reported }
        case .heartbeat(let heartbeat):
            replica.snapshotChecksum = heartbeat.checksum
            replica.lastHeartbeat = now
        case .hello:
            break
        }
        replicas[id] = replica
        if case .ack = message { notify(currentVersion: currentVersion ?? 0) }
    }

    /// A new snapshot is current: every replica that does not hold it is behind.
    mutating func published(version: Int) {
        for (id, replica) in replicas where replica.connected {
            replicas[id]?.behind = replica.ackedVersion != version
        }
        notify(currentVersion: version)
    }

    /// Replica `id` has no connection left; it stays listed as not connected for a while.
    mutating func disconnected(_ id: String, at date: Date, currentVersion: Int) {
        replicas[id]?.connected = false
        breakers[id] = nil
        disconnectedAt[id] = date
        notify(currentVersion: currentVersion)
    }

    /// Every replica, connected ones first, then those that went away less than
    /// ``goneRetention`` before `date` (older ones are forgotten).
    mutating func statuses(at date: Date) -> [ReplicaStatus] {
        let cutoff = date.addingTimeInterval(-goneRetention)
        for (id, time) in disconnectedAt where time < cutoff {
            forget(id)
            refusedOrder.removeAll { $0 == id }
        }
        return replicas.values.sorted { ($0.connected ? 0 : 1, $0.replicaId) < ($1.connected ? 0 : 1, $1.replicaId) }
    }

    var trafficReports: [String: TrafficReport] { traffic }
    var nackCounts: [String: Int] { nacks }

    var breakerReports: [(replicaId: String, breaker: BreakerReport)] {
        breakers.keys.sorted().flatMap { id in breakers[id, default: []].map { (replicaId: id, breaker: $0) } }
    }

    /// The id of the connected local replica with process id `pid` (a remote replica's pid
    /// names a process on another machine).
    func replicaId(pid: Int) -> String? {
        replicas.values.filter { $0.pid == pid && $0.connected && $0.isLocal }.map(\.replicaId).min()
    }

    /// Whether the replica with process id `pid` is connected and has acknowledged `currentVersion`
    /// (with no snapshot yet, 0: is connected).
    func readiness(pid: Int, currentVersion: Int) -> ReplicaReadiness {
        let ready = replicas.values.contains { status in
            status.pid == pid && status.connected && status.isLocal
                && (currentVersion == 0 || status.ackedVersion == currentVersion)
        }
        return ReplicaReadiness(ready: ready, version: currentVersion)
    }

    /// The readiness of `pid` now and after every change, coalesced (a slow reader gets the
    /// latest); the stream ends when the reader stops iterating.
    func watchReadiness(pid: Int, currentVersion: Int) -> AsyncStream<ReplicaReadiness> {
        let (stream, continuation) = AsyncStream<ReplicaReadiness>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let initial = readiness(pid: pid, currentVersion: currentVersion)
        watchers.add(pid: pid, initial: initial, continuation)
        continuation.yield(initial)
        return stream
    }

    /// Tells every readiness watcher whose answer changed.
    private func notify(currentVersion: Int) {
        watchers.update { pid in readiness(pid: pid, currentVersion: currentVersion) }
    }
}

/// The readiness streams handed out, behind a lock so that a stream that ends removes itself at once.
private final class ReadinessWatchers: Sendable {
    private struct Watcher {
        var pid: Int
        var last: ReplicaReadiness
        var continuation: AsyncStream<ReplicaReadiness>.Continuation
    }

    private struct State {
        var next: UInt64 = 0
        var watchers: [UInt64: Watcher] = [:]
    }

    private let state = Mutex(State())

    func add(pid: Int, initial: ReplicaReadiness, _ continuation: AsyncStream<ReplicaReadiness>.Continuation) {
        let id = state.withLock { state in
            state.next += 1
            state.watchers[state.next] = Watcher(pid: pid, last: initial, continuation: continuation)
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        }
    }

    /// Yields the new readiness to each watcher whose answer differs from the last it got; the
    /// yields happen outside the lock (see ``LatestValueBroadcast/yield(_:)``).
    func update(_ readiness: (Int) -> ReplicaReadiness) {
        let changed = state.withLock { state in
            var changed: [(AsyncStream<ReplicaReadiness>.Continuation, ReplicaReadiness)] = []
            for (id, watcher) in state.watchers {
                let now = readiness(watcher.pid)
                guard now != watcher.last else { continue }
                state.watchers[id]?.last = now
                changed.append((watcher.continuation, now))
            }
            return changed
        }
        for (continuation, readiness) in changed { continuation.yield(readiness) }
    }
}
