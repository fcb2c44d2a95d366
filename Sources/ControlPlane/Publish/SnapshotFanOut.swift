import Shared

/// Sends snapshots and control messages to every connected replica: the latest snapshot only,
/// each replica's at most one waiting (``ReplicaOutbox``), so a slow replica gets the newest
/// snapshot once it reads again rather than every one in between. Knows connections, not what
/// replicas report (that is ``ReplicaDirectory``'s). Local subscribers get each new version
/// (``versions()``: the health checker) and the number of replicas that can hand over a listener
/// (``listenerHolders()``: the listener recovery) as streams.
struct SnapshotFanOut: Sendable {
    private(set) var current: Snapshot?
    /// Health flips since ``current`` was built, sent after it to every replica.
    private(set) var health: HealthUpdate?
    private var outboxes: [UInt64: ReplicaOutbox] = [:]
    private var replicaOfConnection: [UInt64: String] = [:]
    /// Connections whose replica said it serves an inherited listening socket it can hand over.
    private var holdsListener: Set<UInt64> = []
    /// Those of ``holdsListener`` whose replica also serves an inherited TLS socket.
    private var holdsTLSListener: Set<UInt64> = []
    private let versionSubscribers = LatestValueBroadcast<Int>()
    private let holderSubscribers = LatestValueBroadcast<Int>()

    var currentVersion: Int { current?.version ?? 0 }

    /// Makes `snapshot` current when it is newer and queues it for every connection; returns
    /// whether it was newer.
    mutating func publish(_ snapshot: Snapshot) -> Bool {
        guard snapshot.version > currentVersion else { return false }
        current = snapshot
        health = nil
        for outbox in outboxes.values { outbox.send(.snapshot(snapshot)) }
        versionSubscribers.yield(snapshot.version)
        return true
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
        for outbox in outboxes.values { outbox.send(.health(update)) }
    }

    /// What a replica gets after the current snapshot: its health update, or an empty one (so
    /// that a replica that kept an update from an earlier control plane drops it).
    private var healthAfterSnapshot: HealthUpdate? {
        guard let current else { return nil }
        return health ?? HealthUpdate(version: current.version, seq: 0, endpoints: [:])
    }

    /// Queues the current snapshot and its health again for every connection.
    func resend() {
        guard let current else { return }
        for outbox in outboxes.values {
            outbox.send(.snapshot(current))
            if let health = healthAfterSnapshot { outbox.send(.health(health)) }
        }
    }

    /// Adds the connection of a replica that said hello and queues the current snapshot for it.
    mutating func add(_ connection: UInt64, replicaId: String, hello: DataPlaneMessage.Hello, outbox: ReplicaOutbox) {
        outboxes[connection] = outbox
        replicaOfConnection[connection] = replicaId
        if hello.inheritedListener == true {
            holdsListener.insert(connection)
            if hello.inheritedTLSListener == true { holdsTLSListener.insert(connection) }
            holderSubscribers.yield(holdsListener.count)
        }
        if let current { outbox.send(.snapshot(current)) }
        if let health = healthAfterSnapshot { outbox.send(.health(health)) }
    }

    /// Removes a connection and ends its outbox; returns its replica, `nil` when the replica is
    /// still connected on another connection (or the connection never said hello).
    mutating func remove(_ connection: UInt64) -> String? {
        outboxes.removeValue(forKey: connection)?.finish()
        if holdsListener.remove(connection) != nil { holderSubscribers.yield(holdsListener.count) }
        holdsTLSListener.remove(connection)
        guard let id = replicaOfConnection.removeValue(forKey: connection) else { return nil }
        return replicaOfConnection.values.contains(id) ? nil : id
    }

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
