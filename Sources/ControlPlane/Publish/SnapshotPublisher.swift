import Foundation
import Logging
import Shared

/// Keeps the current snapshot and every connected replica; pushes each new snapshot to all of
/// them and records their answers.
package actor SnapshotPublisher {
    private var current: Snapshot?
    private var outboxes: [UInt64: ReplicaOutbox] = [:]
    private var replicaOfConnection: [UInt64: String] = [:]
    /// Connections whose replica said it serves an inherited listening socket it can hand over.
    private var holdsListener: Set<UInt64> = []
    /// Those of ``holdsListener`` whose replica also serves an inherited TLS socket.
    private var holdsTLSListener: Set<UInt64> = []
    private var replicas: [String: ReplicaStatus] = [:]
    private var disconnectedAt: [String: Date] = [:]
    /// The latest breaker states each connected replica reported.
    private var breakers: [String: [BreakerReport]] = [:]
    /// The latest traffic counters each replica reported (kept while the replica is listed).
    private var traffic: [String: TrafficReport] = [:]
    /// NACKs received per replica since this control plane started.
    private var nacks: [String: Int] = [:]
    private let logger: Logger
    /// How long a replica that went away stays listed (as not connected).
    private let goneRetention: TimeInterval = 300

    package init(logger: Logger) {
        self.logger = logger
    }

    package var currentVersion: Int { current?.version ?? 0 }

    /// Makes `snapshot` current (if newer) and sends it to every connected replica.
    package func publish(_ snapshot: Snapshot) {
        guard snapshot.version > currentVersion else { return }
        current = snapshot
        for (connection, outbox) in outboxes {
            outbox.send(.snapshot(snapshot))
            if let id = replicaOfConnection[connection], var replica = replicas[id] {
                replica.behind = replica.ackedVersion != snapshot.version
                replicas[id] = replica
            }
        }
    }

    /// Sends the current snapshot again to every replica (`POST /router/refresh`).
    package func resend() {
        guard let current else { return }
        for outbox in outboxes.values { outbox.send(.snapshot(current)) }
    }

    /// Registers a replica that said hello and sends it the current snapshot.
    func connected(
        _ connection: UInt64, hello: DataPlaneMessage.Hello, outbox: ReplicaOutbox
    ) {
        let now = Timestamp.string()
        outboxes[connection] = outbox
        replicaOfConnection[connection] = hello.replicaId
        if hello.inheritedListener == true {
            holdsListener.insert(connection)
            if hello.inheritedTLSListener == true { holdsTLSListener.insert(connection) }
        }
        disconnectedAt[hello.replicaId] = nil
        let slot = hello.slot ?? replicas[hello.replicaId]?.slot ?? freeSlot()
        replicas[hello.replicaId] = ReplicaStatus(
            replicaId: hello.replicaId, slot: slot, pid: hello.pid, supervised: hello.supervised ?? false,
            connected: true,
            ackedVersion: hello.version, behind: hello.version != current?.version, lastNack: nil,
            connectedAt: now, lastContact: now, requests: nil, draining: false)
        logger.info(
            "replica connected",
            metadata: ["orch.replica": "\(hello.replicaId)", "pid": "\(hello.pid)", "holds": "\(hello.version ?? 0)"])
        if let current { outbox.send(.snapshot(current)) }
    }

    /// The lowest number no connected replica uses as its slot, for a replica that named none.
    private func freeSlot() -> String {
        let taken = Set(replicas.values.filter(\.connected).map(\.slot))
        var number = 1
        while taken.contains(String(number)) { number += 1 }
        return String(number)
    }

    /// The newest snapshot published, if any.
    package var currentSnapshot: Snapshot? { current }

    /// Records a message from a replica.
    func received(_ connection: UInt64, _ message: DataPlaneMessage) {
        guard let id = replicaOfConnection[connection], var replica = replicas[id] else { return }
        replica.lastContact = Timestamp.string()
        switch message {
        case .ack(let version):
            replica.ackedVersion = max(version, replica.ackedVersion ?? 0)
            replica.behind = replica.ackedVersion != current?.version
            logger.debug(
                "replica acknowledged", metadata: ["orch.replica": "\(id)", "orch.snapshot.version": "\(version)"])
        case .nack(let version, let error):
            replica.lastNack = .init(version: version, error: error, time: replica.lastContact)
            replica.behind = replica.ackedVersion != current?.version
            nacks[id, default: 0] += 1
            logger.warning(
                "replica rejected snapshot",
                metadata: ["orch.replica": "\(id)", "orch.snapshot.version": "\(version)", "error": "\(error)"])
        case .report(let report):
            replica.requests = report.requests ?? replica.requests
            replica.draining = report.draining ?? replica.draining
            if let reported = report.breakers { breakers[id] = reported }
            if let reported = report.traffic { traffic[id] = reported }
        case .hello:
            break
        }
        replicas[id] = replica
    }

    /// Forgets a connection; its replica stays listed as not connected for a while.
    func disconnected(_ connection: UInt64) {
        outboxes.removeValue(forKey: connection)?.finish()
        holdsListener.remove(connection)
        holdsTLSListener.remove(connection)
        guard let id = replicaOfConnection.removeValue(forKey: connection) else { return }
        // A replica that reconnected on a new connection is still connected.
        guard !replicaOfConnection.values.contains(id) else { return }
        replicas[id]?.connected = false
        breakers[id] = nil
        disconnectedAt[id] = Date()
        logger.info("replica disconnected", metadata: ["orch.replica": "\(id)"])
    }

    /// Every replica, connected ones first, then those that went away recently.
    package func statuses() -> [ReplicaStatus] {
        let cutoff = Date().addingTimeInterval(-goneRetention)
        for (id, time) in disconnectedAt where time < cutoff {
            replicas[id] = nil
            disconnectedAt[id] = nil
            traffic[id] = nil
            nacks[id] = nil
        }
        return replicas.values.sorted { ($0.connected ? 0 : 1, $0.replicaId) < ($1.connected ? 0 : 1, $1.replicaId) }
    }

    /// The latest traffic counters of every listed replica, by replica id. Counters are
    /// cumulative since that replica started (they restart from zero with a new replica id).
    package func trafficReports() -> [String: TrafficReport] {
        traffic
    }

    /// NACKs received from each replica since this control plane started, by replica id.
    package func nackCounts() -> [String: Int] {
        nacks
    }

    /// Breaker states of every connected replica, by replica id.
    package func breakerReports() -> [(replicaId: String, breaker: BreakerReport)] {
        breakers.keys.sorted().flatMap { id in breakers[id, default: []].map { (replicaId: id, breaker: $0) } }
    }

    /// Asks every replica to close the breaker of `endpoint` (all breakers when nil); returns
    /// how many replicas were asked.
    package func resetBreaker(endpoint: String?) -> Int {
        for outbox in outboxes.values { outbox.send(.resetBreaker(endpoint: endpoint)) }
        return outboxes.count
    }

    /// Asks one replica (or all, when `replicaId` is nil) to drain.
    package func drain(replicaId: String?, deadlineSeconds: Double) -> Int {
        var count = 0
        for (connection, outbox) in outboxes where replicaId == nil || replicaOfConnection[connection] == replicaId {
            outbox.send(.drain(deadlineSeconds: deadlineSeconds))
            count += 1
        }
        return count
    }
}

extension SnapshotPublisher {
    /// Whether the replica with process id `pid` is connected and has acknowledged the current
    /// snapshot (with no snapshot yet: is connected).
    package func isReady(pid: Int) -> Bool {
        statuses().contains { status in
            status.pid == pid && status.connected && (currentVersion == 0 || status.ackedVersion == currentVersion)
        }
    }

    /// The id of the connected replica with process id `pid`.
    package func replicaId(pid: Int) -> String? {
        statuses().first { $0.pid == pid && $0.connected }?.replicaId
    }
}

extension SnapshotPublisher {
    /// Asks one connected replica that holds an inherited listening socket to send its sockets to
    /// the Unix socket at `path` (`send_listener`); with `preferringTLS`, one that also holds a
    /// TLS socket when there is one. Returns its id, `nil` when none is connected.
    package func requestListener(path: String, preferringTLS: Bool = false) -> String? {
        let candidates = preferringTLS && !holdsTLSListener.isEmpty ? holdsTLSListener : holdsListener
        guard let connection = candidates.sorted().first, let outbox = outboxes[connection] else { return nil }
        outbox.send(.sendListener(path: path))
        return replicaOfConnection[connection]
    }
}
