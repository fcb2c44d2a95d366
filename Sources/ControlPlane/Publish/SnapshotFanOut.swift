import Shared

/// Sends snapshots and control messages to every connected replica: the latest snapshot only,
/// each replica's at most one waiting (``ReplicaOutbox``), so a slow replica gets the newest
/// snapshot once it reads again rather than every one in between. Knows connections, not what
/// replicas report (that is ``ReplicaDirectory``'s). Local subscribers get each new version
/// (``versions()``: the health checker) and the number of replicas that can hand over a listener
/// (``listenerHolders()``: the listener recovery) as streams.
struct SnapshotFanOut: Sendable {
    private(set) var current: Snapshot?
    /// The registration seq of each of ``current``'s endpoints, in its order: sent with it as a
    /// base for deltas. `nil` when unknown (then replicas get plain snapshots).
    private var currentSeqs: [Int]?
    private var changes = SnapshotChangeLog()
    /// ``current`` with its legacy checksum, made for the first replica that needs it.
    private var legacyCurrent: Snapshot?
    /// Connections whose replica checks the legacy checksum: they get whole snapshots carrying it.
    private var legacyChecksums: Set<UInt64> = []
    /// What each connection gets next.
    private var senders: [UInt64: SnapshotSender] = [:]
    /// Health flips since ``current`` was built, sent after it to every replica.
    private(set) var health: HealthUpdate?
    /// The upstream health of the newest health update: it holds for any snapshot version, so
    /// it survives a new snapshot, which drops ``health``.
    private var unhealthyUpstreams: [String: [String]] = [:]
    private var outboxes: [UInt64: ReplicaOutbox] = [:]
    private var replicaOfConnection: [UInt64: String] = [:]
    /// Connections whose replica said it serves an inherited listening socket it can hand over.
    private var holdsListener: Set<UInt64> = []
    /// Those of ``holdsListener`` whose replica also serves an inherited TLS socket.
    private var holdsTLSListener: Set<UInt64> = []
    private let versionSubscribers = LatestValueBroadcast<Int>()
    private let holderSubscribers = LatestValueBroadcast<Int>()

    var currentVersion: Int { current?.version ?? 0 }

    /// Makes `snapshot` current when it is newer and sends it to every connection that has
    /// nothing in flight (the others get it, or a newer one, once they answer); returns whether it
    /// was newer. `seqs` are its endpoints' registration seqs, `change` what it changed since the
    /// version before it (when it was a change to named endpoints).
    mutating func publish(_ snapshot: Snapshot, seqs: [Int]? = nil, change: SnapshotDelta? = nil) -> Bool {
        guard snapshot.version > currentVersion else { return false }
        current = snapshot
        legacyCurrent = nil
        currentSeqs = seqs?.count == snapshot.endpoints.count ? seqs : nil
        changes.record(version: snapshot.version, checksum: snapshot.checksum, change: change)
        health = nil
        for connection in outboxes.keys { pump(connection) }
        versionSubscribers.yield(snapshot.version)
        return true
    }

    /// A replica answered a snapshot frame: the next one, if a newer version waits.
    mutating func answered(_ connection: UInt64, version: Int, accepted: Bool) {
        guard var sender = senders[connection] else { return }
        if accepted { sender.acknowledged(version) } else { sender.refused(version) }
        senders[connection] = sender
        pump(connection)
    }

    /// Sends `connection` the frame its sender decides on, if any.
    private mutating func pump(_ connection: UInt64) {
        guard let current, var sender = senders[connection], let outbox = outboxes[connection] else { return }
        let changes = changes
        let frame = sender.next(
            current: .init(version: current.version, checksum: current.checksum),
            canDelta: { changes.covers(from: $0, to: current.version) })
        senders[connection] = sender
        guard let frame else { return }
        switch frame {
        case .whole:
            if legacyChecksums.contains(connection) {
                let legacy = legacyCurrent ?? current.withLegacyChecksum
                legacyCurrent = legacy
                outbox.send(.snapshot(legacy))
            } else if sender.takesDeltas, let currentSeqs {
                outbox.send(.base(current, seqs: currentSeqs))
            } else {
                outbox.send(.snapshot(current))
            }
        case .delta(let from, let version):
            guard let change = changes.change(from: from, to: version), let fromChecksum = changes.checksum(of: from)
            else { return }
            outbox.send(
                .delta(
                    SnapshotDeltaFrame(
                        from: from, fromChecksum: fromChecksum, version: version, checksum: current.checksum,
                        createdAt: current.createdAt, cause: current.cause, change: change)))
        }
    }

    /// The current version (0: none yet), then each newer one, coalesced to the latest for a slow
    /// reader; the stream ends when the reader stops iterating.
    func versions() -> AsyncStream<Int> {
        versionSubscribers.subscribe(current: currentVersion)
    }

    /// How many connected replicas can hand over a listening socket, now and after each change.
    func listenerHolders() -> AsyncStream<Int> {
        holderSubscribers.subscribe(current: holdsListener.count)
    }

    /// Makes `update` the health of the current snapshot and queues it for every connection;
    /// one for another version than the current snapshot's is dropped.
    mutating func publishHealth(_ update: HealthUpdate) {
        guard let current, update.version == current.version else { return }
        health = update
        unhealthyUpstreams = update.unhealthyUpstreams
        for outbox in outboxes.values { outbox.send(.health(update)) }
    }

    /// What a replica gets after the current snapshot: its health update, or an empty one (so
    /// that a replica that kept an update from an earlier control plane drops it).
    private var healthAfterSnapshot: HealthUpdate? {
        guard let current else { return nil }
        return health
            ?? HealthUpdate(
                version: current.version, seq: 0, endpoints: [:], unhealthyUpstreams: unhealthyUpstreams)
    }

    /// Sends the whole current snapshot and its health again to every connection (after what
    /// is in flight).
    mutating func resend() {
        guard current != nil else { return }
        for connection in Array(outboxes.keys) {
            senders[connection]?.resendWhole()
            pump(connection)
            if let health = healthAfterSnapshot { outboxes[connection]?.send(.health(health)) }
        }
    }

    /// Adds the connection of a replica that said hello and queues the current snapshot for it.
    mutating func add(_ connection: UInt64, replicaId: String, hello: DataPlaneMessage.Hello, outbox: ReplicaOutbox) {
        outboxes[connection] = outbox
        senders[connection] = SnapshotSender(takesDeltas: hello.deltas == true && hello.checksDigests)
        if !hello.checksDigests { legacyChecksums.insert(connection) }
        replicaOfConnection[connection] = replicaId
        if hello.inheritedListener == true {
            holdsListener.insert(connection)
            if hello.inheritedTLSListener == true { holdsTLSListener.insert(connection) }
            holderSubscribers.yield(holdsListener.count)
        }
        pump(connection)
        if let health = healthAfterSnapshot { outbox.send(.health(health)) }
    }

    /// Removes a connection and ends its outbox; returns its replica, `nil` when the replica is
    /// still connected on another connection (or the connection never said hello).
    mutating func remove(_ connection: UInt64) -> String? {
        outboxes.removeValue(forKey: connection)?.finish()
        senders[connection] = nil
        legacyChecksums.remove(connection)
        if holdsListener.remove(connection) != nil { holderSubscribers.yield(holdsListener.count) }
        holdsTLSListener.remove(connection)
        guard let id = replicaOfConnection.removeValue(forKey: connection) else { return nil }
        return replicaOfConnection.values.contains(id) ? nil : id
    }

    /// Replicas connected now (a replica on two connections counts once).
    var connectedReplicas: Int { Set(replicaOfConnection.values).count }

    /// The replica of a connection.
    func replica(of connection: UInt64) -> String? {
        replicaOfConnection[connection]
    }

    /// Queues `message` for every connection of `replicaId` (every connection when nil); returns
    /// how many.
    func send(_ message: ControlPlaneMessage, to replicaId: String? = nil) -> Int {
        var count = 0
        for (connection, outbox) in outboxes where replicaId == nil || replicaOfConnection[connection] == replicaId {
            outbox.send(message)
            count += 1
        }
        return count
    }

    /// Asks one replica that holds an inherited listening socket (with `preferringTLS`, one that
    /// also holds a TLS socket when there is one) to send its sockets to `path`; returns its id.
    func requestListener(path: String, preferringTLS: Bool) -> String? {
        let candidates = preferringTLS && !holdsTLSListener.isEmpty ? holdsTLSListener : holdsListener
        guard let connection = candidates.sorted().first, let outbox = outboxes[connection] else { return nil }
        outbox.send(.sendListener(path: path))
        return replicaOfConnection[connection]
    }
}
