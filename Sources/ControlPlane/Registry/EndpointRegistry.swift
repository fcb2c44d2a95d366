import AdminAPI
import Foundation
import Logging
import Shared
import Synchronization

/// The one writer of endpoint state. Every change is one SQLite transaction that also stores the
/// resulting snapshot (when the content changed); the snapshot is handed to the publisher only
/// after the commit, so what replicas serve is always durable.
package actor EndpointRegistry {
    let store: any ConfigStore
    let configPath: String
    let publisher: SnapshotPublisher
    let logger: Logger
    /// Snapshots kept for history and rollback.
    let history: Int
    /// The newest published snapshot.
    package private(set) var current: Snapshot
    /// The content of the store as the last commit left it, changed in place by the next one.
    private var content: SnapshotContent
    /// The stored version whose content ``content`` is exactly (seqs included); `nil` until a
    /// commit stored one, since the store may order endpoints differently from the snapshot.
    private var contentVersion: Int?
    /// Set when a commit failed after changing ``content``: the next one rebuilds it from the store.
    private var contentStale = false
    /// The stored versions since the newest whole one, as the last commit left them; `nil` until
    /// a commit read them (at start-up, after a failed one).
    private var chain: SnapshotRecord.Chain?
    /// The stored settings (policies, limits, TLS) as the last commit read them; only a change
    /// to everything changes them. `nil` until read, and after a failed commit.
    private var settings: SnapshotBuilder.Settings?
    /// Whether a commit runs, and the commits waiting for their turn (first come, first served).
    private var committing = false
    private var waitingCommits: [CheckedContinuation<Void, Never>] = []
    /// Changes to named endpoints waiting for the commit turn together, until it comes: later
    /// ones join it (see ``commitGrouped(_:)``).
    private var openGroup: CommitGroup?

    /// How many changes wait for the commit turn together, to be committed as one.
    package var changesWaitingTogether: Int { openGroup?.members.count ?? 0 }
    private let health = HealthTable()
    /// Where ``health`` differs from what ``current`` carries: the next health update.
    private var healthDifference = HealthDifference()
    /// The seq of the last health update sent; a new one for every flip or new snapshot.
    private var healthSeq = 0
    /// The upstreams the probes found unhealthy, by pool endpoint (only those with any): sent
    /// whole in every health update.
    private var unhealthyUpstreams: [String: [String]] = [:]
    /// ``records()`` as of the last read, dropped by every change.
    private var cachedRecords: [EndpointRecord]?
    /// Counts changes, so that a read that overlapped one does not refill the cache.
    private var recordsGeneration = 0
    /// The epoch under which this control plane leads its cluster, `nil` while it follows. A
    /// control plane on a store of its own always leads (epoch 0, never fenced).
    private var leadership: @Sendable () -> Int64? = { 0 }

    /// Opens the registry on `store` and publishes the current state: the newest stored snapshot
    /// if the store still matches it, else a new version with cause `startup`.
    package init(
        store: any ConfigStore, configPath: String, publisher: SnapshotPublisher, logger: Logger,
        history: Int = SnapshotRecord.defaultHistory
    ) async throws {
        self.history = history
        self.store = store
        self.configPath = configPath
        self.publisher = publisher
        self.logger = logger
        let latest = try await store.readTransaction { db in try SnapshotRecord.latest(db) }
        current = latest ?? Snapshot(version: 0, createdAt: Timestamp.string(), cause: "empty", endpoints: [])
        content = SnapshotContent(current)
        // A version stored before per-endpoint digests carries the legacy checksum: a new version
        // of the same content gives replicas the current one, which deltas build on.
        let legacyChecksum = current.version > 0 && content.checksum != current.checksum
        try await commit(cause: "startup", touching: .everything, newVersion: legacyChecksum) { _ in }
        // Without a new version, the content still holds the current snapshot's endpoints (the
        // store's seqs with them).
        await publisher.publish(current, seqs: content.endpoints == current.endpoints ? content.seqs : nil)
        healthDifference = HealthDifference(snapshot: current, health: health.all)
        await publishHealth()
    }

    /// Makes leader-only changes (the config file) depend on `leadership`: the epoch under
    /// which this control plane leads, `nil` while it follows.
    package func follow(leadership: @escaping @Sendable () -> Int64?) {
        self.leadership = leadership
    }

    /// Whether this control plane may apply the config file now.
    package var leads: Bool { leadership() != nil }

    // MARK: Reading

    /// Every stored endpoint in registration order; kept in memory between changes, so listings
    /// do not read and decode the whole table each time.
    package func records() async throws -> [EndpointRecord] {
        if let cachedRecords { return cachedRecords }
        let generation = recordsGeneration
        let records = try await store.readTransaction { db in try EndpointRecord.all(db) }
        // A change that committed while this read ran may not be in it.
        if generation == recordsGeneration { cachedRecords = records }
        return records
    }

    package func record(_ name: String) async throws -> EndpointRecord? {
        try await store.readTransaction { db in try EndpointRecord.find(db, name: name) }
    }

    package func healthOf(_ name: String) -> EndpointHealth { health[name] ?? .unknown }

    /// The health of every probed endpoint, by name.
    package func allHealth() -> [String: EndpointHealth] { health.all }

    // MARK: API-owned endpoints

    /// Creates an API-owned endpoint, or updates one with the same name and URL (the original's
    /// upsert). Refuses file-owned endpoints and URL or name conflicts.
    @discardableResult
    package func register(_ config: EndpointConfig) async throws -> EndpointRecord {
        let path = configPath
        return try await commit(cause: "api: register \(config.name)", touching: [config.name]) { db in
            let now = Timestamp.string()
            if let existing = try EndpointRecord.find(db, name: config.name) {
                guard existing.owner == .api else { throw RegistryError.ownedByFile(config.name, path: path) }
                guard existing.config.url == config.url else {
                    throw RegistryError.conflict("Endpoint ID '\(config.name)' already exists with different URL")
                }
                var updated = existing
                updated.config = config
                updated.registeredAt = now
                updated.seq = try EndpointRecord.nextSeq(db)
                try updated.save(db)
                return updated
            }
            if let other = try EndpointRecord.find(db, url: config.url) {
                throw RegistryError.conflict("URL '\(config.url)' already registered with different ID '\(other.name)'")
            }
            let record = EndpointRecord(
                config: config, owner: .api, status: .active, registeredAt: now, seq: try EndpointRecord.nextSeq(db))
            try record.save(db)
            return record
        }
    }

    /// Replaces an API-owned endpoint's config (its URL may change).
    @discardableResult
    package func replace(_ name: String, with config: EndpointConfig) async throws -> EndpointRecord {
        let path = configPath
        let cause = Self.cause(of: try await record(name)?.config, becoming: config, name: name)
        return try await commit(cause: cause, touching: [name]) { db in
            guard var record = try EndpointRecord.find(db, name: name) else { throw RegistryError.notFound(name) }
            guard record.owner == .api else { throw RegistryError.ownedByFile(name, path: path) }
            if let other = try EndpointRecord.find(db, url: config.url), other.name != name {
                throw RegistryError.conflict("URL '\(config.url)' already registered with different ID '\(other.name)'")
            }
            record.config = config
            try record.save(db)
            return record
        }
    }

    /// What a replacement does, for the snapshot's cause: `api: disable x` and `api: enable x` when
    /// only the `disabled` flag changes, else `api: update x`.
    static func cause(of old: EndpointConfig?, becoming new: EndpointConfig, name: String) -> String {
        if var old, old.disabled != new.disabled {
            old.disabled = new.disabled
            if old == new { return new.disabled ? "api: disable \(name)" : "api: enable \(name)" }
        }
        return "api: update \(name)"
    }

    /// Removes an API-owned endpoint.
    package func remove(_ name: String) async throws {
        let path = configPath
        try await commit(cause: "api: remove \(name)", touching: [name]) { db in
            guard let record = try EndpointRecord.find(db, name: name) else { throw RegistryError.notFound(name) }
            guard record.owner == .api else { throw RegistryError.ownedByFile(name, path: path) }
            try EndpointRecord.delete(db, name: name)
        }
        health[name] = nil
        unhealthyUpstreams[name] = nil
    }

    /// Sets the operator status of any endpoint (file- or API-owned): it is runtime state, not config.
    package func setStatus(_ name: String, _ status: AdminStatus) async throws {
        try await commit(cause: "api: status of \(name) = \(status.rawValue)", touching: [name]) { db in
            guard var record = try EndpointRecord.find(db, name: name) else { throw RegistryError.notFound(name) }
            record.status = status
            try record.save(db)
        }
    }

    /// Makes the API-owned endpoints match `endpoints`, declaratively and in one transaction (one
    /// snapshot): missing ones are created, differing ones replaced, and with `prune` those not in
    /// the list removed. A name or URL that belongs to a file-owned endpoint fails the whole import.
    package func importEndpoints(
        _ endpoints: [EndpointConfig], prune: Bool, dryRun: Bool, cause: String
    ) async throws -> ImportResult {
        try await apply(EndpointBatch(upserts: endpoints, prune: prune), dryRun: dryRun, cause: cause)
    }

    /// Applies `batch` in one transaction and one snapshot, or nothing of it when any part is
    /// refused (see ``EndpointBatch/plan(_:configPath:)``).
    package func apply(_ batch: EndpointBatch, dryRun: Bool, cause: String) async throws -> ImportResult {
        let path = configPath
        if dryRun {
            var result = try await store.readTransaction { db in
                try batch.plan(try EndpointRecord.all(db), configPath: path)
            }
            result.dryRun = true
            return result
        }
        // A prune may remove any API-owned endpoint: the snapshot is rebuilt whole.
        let scope: ChangeScope = batch.prune ? .everything : .endpoints(Set(batch.upserts.map(\.name) + batch.removals))
        let result = try await commit(cause: cause, touching: scope) { db in
            let existing = try EndpointRecord.all(db)
            let result = try batch.plan(existing, configPath: path)
            for name in result.removed { try EndpointRecord.delete(db, name: name) }
            let stored = Dictionary(uniqueKeysWithValues: existing.map { ($0.name, $0) })
            let changed = Set(result.updated)
            let now = Timestamp.string()
            var seq = try EndpointRecord.nextSeq(db)
            for endpoint in batch.upserts {
                if var record = stored[endpoint.name] {
                    guard changed.contains(endpoint.name) else { continue }
                    record.config = endpoint
                    try record.save(db)
                } else {
                    try EndpointRecord(config: endpoint, owner: .api, status: .active, registeredAt: now, seq: seq)
                        .save(db)
                    seq += 1
                }
            }
            return result
        }
        for name in result.removed {
            health[name] = nil
            unhealthyUpstreams[name] = nil
        }
        return result
    }

    // MARK: The config file

    /// Makes the file-owned endpoints, the global policies, the proxy limits and the TLS settings
    /// match `config`, in one transaction.
    /// API-owned endpoints are untouched; a file endpoint that collides with one fails the whole
    /// change.
    package func apply(_ config: GatewayConfig, cause: String) async throws -> SyncResult {
        guard let epoch = leadership() else { throw RegistryError.notLeader }
        return try await commit(cause: cause, touching: .everything, fence: epoch) { db in
            try GlobalPolicies(circuitBreaker: config.circuitBreaker, healthCheck: config.healthCheck).save(db)
            try config.proxy.save(db)
            try TLSSettings.save(config.tls, db)
            let existing = try EndpointRecord.all(db)
            let fileOwned = Dictionary(
                uniqueKeysWithValues: existing.filter { $0.owner == .file }.map { ($0.name, $0) })
            let apiOwned = existing.filter { $0.owner == .api }
            var result = SyncResult()
            var issues: [ValidationIssue] = []
            for (index, endpoint) in config.endpoints.enumerated() {
                if apiOwned.contains(where: { $0.name == endpoint.name }) {
                    issues.append(
                        ValidationIssue(
                            field: "endpoints[\(index)].name", line: nil,
                            message:
                                "'\(endpoint.name)' is already registered through the admin API; remove it there first")
                    )
                } else if let other = apiOwned.first(where: { $0.config.url == endpoint.url }) {
                    issues.append(
                        ValidationIssue(
                            field: "endpoints[\(index)].url", line: nil,
                            message:
                                "URL '\(endpoint.url)' is already registered through the admin API as '\(other.name)'"))
                }
            }
            if !issues.isEmpty { throw ValidationError(issues) }
            // Delete and re-insert so that URLs may move between file endpoints in one change.
            try db.deleteEndpoints(ownedBy: .file)
            var seq = try EndpointRecord.nextSeq(db)
            let now = Timestamp.string()
            for endpoint in config.endpoints {
                if let old = fileOwned[endpoint.name] {
                    var record = old
                    if old.config != endpoint {
                        record.config = endpoint
                        result.updated.append(endpoint.name)
                    }
                    try record.save(db)
                } else {
                    try EndpointRecord(config: endpoint, owner: .file, status: .active, registeredAt: now, seq: seq)
                        .save(db)
                    seq += 1
                    result.added.append(endpoint.name)
                }
            }
            let names = Set(config.endpoints.map(\.name))
            result.removed = fileOwned.keys.filter { !names.contains($0) }.sorted()
            return result
        }
    }

    // MARK: Snapshots

    /// Restores the endpoints (config, owner, status) and the proxy limits of a stored snapshot as
    /// a new version. Global policies and TLS settings stay as the config file sets them: an old
    /// snapshot may name certificates that have since expired or been replaced.
    package func rollback(to version: Int) async throws -> Snapshot {
        try await commit(cause: "rollback to \(version)", touching: .everything) { db in
            guard let target = try SnapshotRecord.find(db, version: version) else {
                let oldest = try SnapshotRecord.oldestVersion(db)
                let pruned = oldest.map { version < $0 } ?? false
                let kept = pruned ? " (no longer kept: versions from \(oldest!) on are)" : ""
                throw RegistryError(kind: .notFound, description: "Snapshot not found: \(version)\(kept)")
            }
            let now = Timestamp.string()
            try (target.proxy ?? .defaults).save(db)
            try db.deleteEndpoints(ownedBy: nil)
            for (index, endpoint) in target.endpoints.enumerated() {
                try EndpointRecord(
                    config: endpoint.config, owner: endpoint.owner, status: endpoint.status, registeredAt: now,
                    seq: index + 1
                ).save(db)
            }
        }
        return current
    }

    /// Catches up with versions other control planes sharing the store committed: publishes the
    /// newest stored snapshot, as stored (the same bytes every control plane publishes), when it
    /// is newer than the current one. Answers the version published.
    ///
    /// When the versions since the current one are stored as changes on top of the content held
    /// here, only those changes are read and applied (work in proportion to them); otherwise the
    /// newest version is rebuilt from the store.
    @discardableResult
    package func catchUp() async throws -> Int {
        await takeCommitTurn()
        defer { endCommitTurn() }
        let known = current.version
        let onContent = !contentStale && contentVersion == known
        let held = content
        let found = try await store.readTransaction { db -> SnapshotRecord.Stored? in
            guard let newest = try SnapshotRecord.newestVersion(db), newest > known else { return nil }
            if onContent, newest - known <= Self.changesReadWhenCatchingUp,
                let row = try db.snapshotRow(version: newest), let delta = row.delta
            {
                do {
                    return try SnapshotRecord.rebuilt(db, row, delta: delta, from: held, of: known)
                } catch is StoredSnapshotError {
                    // A version between stored whole, or content here that differs from the
                    // store's: the newest version is rebuilt from the store below.
                }
            }
            return try SnapshotRecord.stored(db, version: newest)
        }
        guard let caughtUp = found else { return known }
        let (snapshot, stored) = (caughtUp.snapshot, caughtUp.content)
        // The stored change is from the version published before only when it is the next one.
        let change = snapshot.version == known + 1 ? caughtUp.change : nil
        // Only a content with its seqs is one the next change can be stored on top of.
        content = stored ?? SnapshotContent(snapshot)
        contentVersion = stored == nil ? nil : snapshot.version
        contentStale = false
        chain = nil
        settings = nil
        cachedRecords = nil
        recordsGeneration += 1
        current = snapshot
        healthDifference = HealthDifference(snapshot: snapshot, health: health.all)
        logger.info(
            "published snapshot",
            metadata: ["orch.snapshot.version": "\(snapshot.version)", "cause": "\(snapshot.cause)"])
        await publisher.publish(snapshot, seqs: stored?.seqs, change: contentVersion == nil ? nil : change)
        await publishHealth()
        return snapshot.version
    }

    /// Versions behind at most which a catch-up reads only the changes since the current one.
    static let changesReadWhenCatchingUp = 64

    /// Records a health flip and sends it to every replica as a health update on top of the
    /// current snapshot: no new snapshot version, so the history holds configuration changes only.
    package func setHealth(_ name: String, _ value: EndpointHealth) async throws {
        guard health[name] ?? .unknown != value else { return }
        health[name] = value
        healthDifference.probed(name, value)
        logger.info(
            "health update", metadata: ["orch.endpoint": "\(name)", "health": "\(value.rawValue)"])
        await publishHealth()
    }

    /// Records which upstreams of the pool `name` the probes found unhealthy and, when that
    /// changed, sends every replica a health update: they leave those upstreams out of the
    /// rotation.
    package func setUnhealthyUpstreams(_ name: String, _ urls: [String]) async {
        let urls = urls.sorted()
        guard (unhealthyUpstreams[name] ?? []) != urls else { return }
        unhealthyUpstreams[name] = urls.isEmpty ? nil : urls
        logger.info(
            "upstream health update", metadata: ["orch.endpoint": "\(name)", "unhealthy": "\(urls)"])
        await publishHealth()
    }

    /// What the probes found: the leader shares it with the other control planes of its cluster.
    package func probedHealth() -> ProbedHealth {
        ProbedHealth(endpoints: health.all, unhealthyUpstreams: unhealthyUpstreams)
    }

    /// Takes the leader's probe results as this control plane's own (it probes nothing while it
    /// follows), and sends its replicas a health update when they changed anything.
    package func adopt(_ probed: ProbedHealth) async {
        var changed = probed.unhealthyUpstreams != unhealthyUpstreams
        unhealthyUpstreams = probed.unhealthyUpstreams
        for name in Set(health.all.keys).union(probed.endpoints.keys) {
            let value = probed.endpoints[name] ?? .unknown
            guard health[name] ?? .unknown != value else { continue }
            health[name] = value
            healthDifference.probed(name, value)
            changed = true
        }
        if changed { await publishHealth() }
    }

    /// Sends every replica the health that differs from what the current snapshot carries.
    private func publishHealth() async {
        healthSeq += 1
        var update = healthDifference.update(version: current.version, seq: healthSeq)
        update.unhealthyUpstreams = unhealthyUpstreams
        await publisher.publishHealth(update)
    }

    /// Runs `mutate` and stores a new snapshot in the same transaction when the configuration
    /// changed, then publishes it. Commits run one at a time, so ``content`` is always the
    /// content of the newest stored snapshot (or of the store, when no change made one).
    ///
    /// With `scope` naming endpoints, only those are read back from the store and re-encoded;
    /// `.everything` rebuilds the content from the store (config file, rollback, start-up).
    /// `newVersion` stores a new version even when the configuration did not change.
    @discardableResult
    private func commit<T: Sendable>(
        cause: String,
        touching scope: ChangeScope,
        newVersion: Bool = false,
        fence epoch: Int64? = nil,
        _ mutate: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        if case .endpoints(let names) = scope, !newVersion, epoch == nil {
            return try await commitGrouped(CommitGroup.Member(cause: cause, names: names, mutate: mutate))
        }
        await takeCommitTurn()
        defer { endCommitTurn() }
        return try await commitInTurn(
            cause: { _ in cause }, touching: scope, newVersion: newVersion, fence: epoch, mutate)
    }

    /// Commits a change to named endpoints together with the others that wait for the commit
    /// turn with it: one transaction and at most one new version for all of them, each in a
    /// savepoint of its own, so that one refused does not refuse the others. Under a burst of
    /// writes, the work per version (the checksum, storing and publishing it) is shared; a
    /// write that finds no commit running is committed alone, at once.
    private func commitGrouped<T: Sendable>(_ member: CommitGroup.Member) async throws -> T {
        if let group = openGroup {
            let answer = try await withCheckedThrowingContinuation { group.join(member, answer: $0) }
            return CommitGroup.cast(answer)
        }
        let group = CommitGroup(leader: member)
        openGroup = group
        await takeCommitTurn()
        // Writes that come from here on wait for the next turn.
        openGroup = nil
        defer { endCommitTurn() }
        let members = group.members
        let outcomes: [Result<any Sendable, any Error>]
        do {
            outcomes = try await commitInTurn(
                cause: { CommitGroup.cause(of: members, outcomes: $0) }, touching: .endpoints(group.names)
            ) { db in
                try CommitGroup.run(members, db)
            }
        } catch {
            group.answer(with: .failure(error))
            throw error
        }
        group.answer(with: .success(outcomes))
        return CommitGroup.cast(try outcomes[0].get())
    }

    /// A commit that has the commit turn: `mutate` and the new version, in one transaction.
    private func commitInTurn<T: Sendable>(
        cause causeOf: @escaping @Sendable (T) -> String,
        touching scope: ChangeScope,
        newVersion: Bool = false,
        fence epoch: Int64? = nil,
        _ mutate: @escaping @Sendable (any StoreTransaction) throws -> T
    ) async throws -> T {
        let health = self.health.all
        let history = self.history
        // After a commit that failed once it had changed the content, the content is rebuilt.
        let scope = contentStale ? .everything : scope
        // Moved into the box, the content is changed in place rather than copied.
        let working = WorkingContent(contentStale ? SnapshotContent(current) : content)
        content = SnapshotContent()
        // The version `content` is the content of; a change can be stored as a delta from it only.
        let baseVersion = contentStale ? nil : contentVersion
        cachedRecords = nil
        recordsGeneration += 1
        defer {
            cachedRecords = nil
            recordsGeneration += 1
        }
        let previous = current.version
        let chain = self.chain
        let settings = self.settings
        // Forgotten until the transaction tells: a failed one may have stored part of them.
        self.chain = nil
        self.settings = nil
        let outcome: Stored<T>
        do {
            outcome = try await store.writeTransaction { db in
                if let epoch { try db.fence(epoch: epoch) }
                let result = try mutate(db)
                return try working.withContent { next in
                    try Self.store(
                        &next, db, result: result, scope: scope, health: health, newVersion: newVersion,
                        cause: causeOf(result), baseVersion: baseVersion, previous: previous, history: history,
                        chain: chain,
                        settings: settings)
                }
            }
            contentStale = false
        } catch {
            let (kept, changed) = working.take()
            content = kept
            if changed { contentStale = true }
            throw error
        }
        let (result, next, snapshot, change) = (outcome.result, outcome.content, outcome.snapshot, outcome.change)
        self.chain = outcome.chain
        self.settings = outcome.settings
        content = next
        if let snapshot {
            contentVersion = snapshot.version
        } else if scope == .everything {
            // Rebuilt without a change, the content may order its seqs unlike the stored snapshot.
            contentVersion = nil
        }
        if let snapshot, snapshot.version > current.version {
            current = snapshot
            // The change is from the version published before, when it is known.
            if let change {
                let table = self.health
                healthDifference.apply(change) { table[$0] }
            } else {
                healthDifference = HealthDifference(snapshot: snapshot, health: self.health.all)
            }
            logger.info(
                "published snapshot",
                metadata: ["orch.snapshot.version": "\(snapshot.version)", "cause": "\(snapshot.cause)"])
            await publisher.publish(snapshot, seqs: next.seqs, change: change)
            // A flip that came while the snapshot was built is not in it.
            await publishHealth()
        }
        return result
    }

    /// The part of a commit that runs in its transaction after `mutate`: updates `next` (the
    /// content before the change) to the content after it and stores a new version when the
    /// configuration changed (or `newVersion`); answers what ``commit`` publishes.
    private static func store<T: Sendable>(
        _ next: inout SnapshotContent, _ db: any StoreTransaction, result: T, scope: ChangeScope,
        health: [String: EndpointHealth], newVersion: Bool, cause: String, baseVersion: Int?, previous: Int,
        history: Int, chain knownChain: SnapshotRecord.Chain?, settings knownSettings: SnapshotBuilder.Settings?
    ) throws -> Stored<T> {
        let newest = try SnapshotRecord.newestVersion(db) ?? 0
        // Another control plane sharing the store committed since the version this one knows:
        // what it kept in memory is of an older version, so the content is rebuilt from the
        // store and stored whole.
        let behind = newest != previous
        let scope = behind ? .everything : scope
        let (changed, delta, settings) = try SnapshotBuilder.update(
            &next, db, touching: scope, health: health, settings: behind ? nil : knownSettings)
        let knownChain = behind ? nil : knownChain
        // Health is left out of the comparison: flips travel as health updates, and a
        // snapshot is stored for configuration changes only (it carries the health of its time).
        guard changed || newest == 0 || newVersion else {
            return Stored(
                result: result, content: next, snapshot: nil, change: nil, chain: knownChain, settings: settings)
        }
        let snapshot = next.snapshot(version: newest + 1, createdAt: Timestamp.string(), cause: cause)
        // A change is stored as such on top of the chain since a whole snapshot of the same
        // content, while the chain is short (``SnapshotRecord/Chain``).
        let encoded = delta.map { Snapshot.canonicalJSON($0) }
        var chain = try knownChain ?? SnapshotRecord.Chain.read(db)
        if let encoded, var current = chain, newest == baseVersion,
            current.takes(encoded.count, at: snapshot.version)
        {
            try SnapshotRecord.insert(db, snapshot, delta: encoded)
            current.changeBytes += encoded.count
            current.newest = snapshot.version
            chain = current
        } else {
            let body = next.canonicalJSON(of: snapshot)
            try SnapshotRecord.insert(db, snapshot, body: body, seqs: next.seqs)
            chain = .init(base: snapshot.version, baseBytes: body.count, changeBytes: 0, newest: snapshot.version)
        }
        try SnapshotRecord.prune(db, keeping: history)
        // The change is what the replicas get when it starts from the version they serve.
        return Stored(
            result: result, content: next, snapshot: snapshot,
            change: baseVersion == previous && newest == previous ? delta : nil, chain: chain, settings: settings)
    }

    /// Waits until every earlier commit ended. Not cancellable: a turn asked for is always given.
    private func takeCommitTurn() async {
        guard committing else {
            committing = true
            return
        }
        await withCheckedContinuation { waitingCommits.append($0) }
    }

    private func endCommitTurn() {
        if waitingCommits.isEmpty {
            committing = false
        } else {
            waitingCommits.removeFirst().resume()
        }
    }
}

/// The registry's content while a commit's transaction changes it in place on the store's
/// writer: the only reference to it, so nothing is copied. Remembers whether it was changed, so
/// that a failed transaction leaves no content the store does not have.
private final class WorkingContent: Sendable {
    private let state: Mutex<(content: SnapshotContent, changed: Bool)>

    init(_ content: SnapshotContent) {
        state = Mutex((content, false))
    }

    func withContent<R>(_ body: (inout SnapshotContent) throws -> R) throws -> R {
        try state.withLock { state in
            state.changed = true
            return try body(&state.content)
        }
    }

    /// The content, and whether a transaction changed it.
    func take() -> (SnapshotContent, Bool) {
        state.withLock { state in
            let taken = (state.content, state.changed)
            state.content = SnapshotContent()
            return taken
        }
    }
}

/// What a commit's transaction answers: the mutation's result, the content after it, the
/// version it stored (if any) and its change, and what the next commit may reuse.
private struct Stored<T: Sendable>: Sendable {
    var result: T
    var content: SnapshotContent
    var snapshot: Snapshot?
    var change: SnapshotDelta?
    var chain: SnapshotRecord.Chain?
    var settings: SnapshotBuilder.Settings
}

/// The probes' verdicts: by endpoint, and the unhealthy upstreams of pools.
package struct ProbedHealth: Sendable, Equatable, Codable {
    package var endpoints: [String: EndpointHealth]
    package var unhealthyUpstreams: [String: [String]]

    package init(endpoints: [String: EndpointHealth] = [:], unhealthyUpstreams: [String: [String]] = [:]) {
        self.endpoints = endpoints
        self.unhealthyUpstreams = unhealthyUpstreams
    }
}
