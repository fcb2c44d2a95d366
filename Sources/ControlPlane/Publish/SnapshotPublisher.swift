import Foundation
import Logging
import Shared

/// The control plane's side of the control socket: keeps the current snapshot and pushes each new
/// one to every connected replica (``SnapshotFanOut``), and records what replicas say
/// (``ReplicaDirectory``): status, reports, readiness.
package actor SnapshotPublisher {
    private var fanOut = SnapshotFanOut()
    private var directory = ReplicaDirectory()
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    package var currentVersion: Int { fanOut.currentVersion }

    /// The newest snapshot published, if any.
    package var currentSnapshot: Snapshot? { fanOut.current }

    /// Makes `snapshot` current (if newer) and sends it to every connected replica: as a change
    /// (`change`, since the version before it) to those that serve that version and take deltas,
    /// whole to the others (with `seqs`, its endpoints' registration seqs, as a base for deltas).
    package func publish(_ snapshot: Snapshot, seqs: [Int]? = nil, change: SnapshotDelta? = nil) {
        guard fanOut.publish(snapshot, seqs: seqs, change: change) else { return }
        directory.published(version: snapshot.version)
    }

    /// Sends `update`, the health flips since the current snapshot, to every connected replica
    /// (and to each one that connects later, after the snapshot).
    package func publishHealth(_ update: HealthUpdate) {
        fanOut.publishHealth(update)
    }

    /// The seq of the newest health update for the current snapshot (0: none yet).
    package var currentHealthSeq: Int { fanOut.health?.seq ?? 0 }

    /// The current snapshot's version (0: none yet), then each newer one as it is published,
    /// the latest first when the reader is slow.
    package func snapshotVersions() -> AsyncStream<Int> {
        fanOut.versions()
    }

    /// Sends the current snapshot again to every replica (`POST /router/refresh`).
    package func resend() {
        fanOut.resend()
    }

    /// Registers a replica that said hello (from `address` when remote) and sends it the
    /// current snapshot.
    func connected(
        _ connection: UInt64, hello: DataPlaneMessage.Hello, address: String? = nil, outbox: ReplicaOutbox
    ) {
        fanOut.add(connection, replicaId: hello.replicaId, hello: hello, outbox: outbox)
        directory.connected(hello, address: address, currentVersion: fanOut.current?.version, now: Timestamp.string())
        announceReplicaCount()
        var metadata: Logger.Metadata = [
            "orch.replica": "\(hello.replicaId)", "pid": "\(hello.pid)", "holds": "\(hello.version ?? 0)",
        ]
        if let address { metadata["address"] = "\(address)" }
        logger.info("replica connected", metadata: metadata)
    }

    /// Lists a replica this control plane refused (it is not connected), with the reason.
    func refused(_ hello: DataPlaneMessage.Hello, address: String?, reason: String) {
        let now = Date()
        directory.refused(hello, address: address, reason: reason, at: now, now: Timestamp.string(now))
        logger.warning(
            "replica refused",
            metadata: [
                "orch.replica": "\(hello.replicaId)", "address": "\(address ?? "control socket")",
                "reason": "\(reason)",
            ])
    }

    /// Records a message from a replica.
    func received(_ connection: UInt64, _ message: DataPlaneMessage) {
        guard let id = fanOut.replica(of: connection) else { return }
        directory.received(message, from: id, currentVersion: fanOut.current?.version, now: Timestamp.string())
        switch message {
        case .ack(let version):
            fanOut.answered(connection, version: version, accepted: true)
            logger.debug(
                "replica acknowledged", metadata: ["orch.replica": "\(id)", "orch.snapshot.version": "\(version)"])
        case .nack(let version, let error):
            fanOut.answered(connection, version: version, accepted: false)
            logger.warning(
                "replica rejected snapshot",
                metadata: ["orch.replica": "\(id)", "orch.snapshot.version": "\(version)", "error": "\(error)"])
        case .report, .hello, .heartbeat:
            break
        }
    }

    /// Forgets a connection; its replica stays listed as not connected for a while.
    func disconnected(_ connection: UInt64) {
        // A replica that reconnected on a new connection is still connected.
        guard let id = fanOut.remove(connection) else { return }
        directory.disconnected(id, at: Date(), currentVersion: currentVersion)
        announceReplicaCount()
        logger.info("replica disconnected", metadata: ["orch.replica": "\(id)"])
    }

    /// Tells every replica how many are connected: a rate limit with `scope: gateway` is shared
    /// among them. (Replicas from before the message ignore it.)
    private func announceReplicaCount() {
        let count = fanOut.connectedReplicas
        guard count > 0 else { return }
        _ = fanOut.send(.replicas(count: count))
    }

    /// Every replica, connected ones first, then those that went away recently.
    package func statuses() -> [ReplicaStatus] {
        directory.statuses(at: Date())
    }

    /// The latest traffic counters of every listed replica, by replica id. Counters are
    /// cumulative since that replica started (they restart from zero with a new replica id).
    package func trafficReports() -> [String: TrafficReport] {
        directory.trafficReports
    }

    /// NACKs received from each replica since this control plane started, by replica id.
    package func nackCounts() -> [String: Int] {
        directory.nackCounts
    }

    /// Breaker states of every connected replica, by replica id.
    package func breakerReports() -> [(replicaId: String, breaker: BreakerReport)] {
        directory.breakerReports
    }

    /// Asks every replica to close the breaker of `endpoint` (all breakers when nil); returns
    /// how many replicas were asked.
    package func resetBreaker(endpoint: String?) -> Int {
        fanOut.send(.resetBreaker(endpoint: endpoint))
    }

    /// Asks one replica (or all, when `replicaId` is nil) to drain.
    package func drain(replicaId: String?, deadlineSeconds: Double) -> Int {
        fanOut.send(.drain(deadlineSeconds: deadlineSeconds), to: replicaId)
    }
}

extension SnapshotPublisher {
    /// Whether the replica with process id `pid` is connected and has acknowledged the current
    /// snapshot (with no snapshot yet: is connected).
    package func isReady(pid: Int) -> Bool {
        directory.readiness(pid: pid, currentVersion: currentVersion).ready
    }

    /// The readiness of the replica with process id `pid` now, then each time it changes (a
    /// connection, an acknowledgement, a new snapshot), latest first when the reader is slow.
    package func readiness(pid: Int) -> AsyncStream<ReplicaReadiness> {
        directory.watchReadiness(pid: pid, currentVersion: currentVersion)
    }

    /// The id of the connected replica with process id `pid`.
    package func replicaId(pid: Int) -> String? {
        directory.replicaId(pid: pid)
    }
}

extension SnapshotPublisher {
    /// Asks one connected replica that holds an inherited listening socket to send its sockets to
    /// the Unix socket at `path` (`send_listener`); with `preferringTLS`, one that also holds a
    /// TLS socket when there is one. Returns its id, `nil` when none is connected.
    package func requestListener(path: String, preferringTLS: Bool = false) -> String? {
        fanOut.requestListener(path: path, preferringTLS: preferringTLS)
    }

    /// How many connected replicas can hand over a listening socket: now, then after each
    /// change, the latest first when the reader is slow.
    package func listenerHolders() -> AsyncStream<Int> {
        fanOut.listenerHolders()
    }
}
