import Logging
import PostgresNIO
import ServiceLifecycle
import Shared

/// What a control plane on a shared PostgreSQL database runs besides the rest: the connection
/// pool, the store on it, the leader election, the revision watcher that catches up with other
/// control planes' commits, the health share, and the leader's duties.
struct ClusterRuntime: Sendable {
    let client: PostgresClient
    let store: PostgresStore
    let election: LeaderElection
    /// Runs ``client``; cancelled by ``stop()``.
    private let pool: Task<Void, Never>

    /// Connects, migrates the schema (waiting up to 30 s for the database), and prepares the
    /// store and the election of `node`.
    static func start(
        _ location: DatabaseURL.PostgresLocation, node: String, leaseTTL: Duration, logger: Logger
    ) async throws -> ClusterRuntime {
        let place = "\(location.database) on \(location.host):\(location.port)"
        // A database that is starting, or away for a moment, gets 30 s; a refusal for good ends
        // the start at once, with the server's reason.
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                try await DatabaseProbe.check(location, logger: logger)
                break
            } catch {
                guard !error.permanent, ContinuousClock.now < deadline else {
                    throw ControlPlaneError("cannot use the database \(place): \(error.description)")
                }
                logger.warning("cannot reach the database yet", metadata: ["error": "\(error.description)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
        let client = PostgresClient(configuration: location.configuration(), backgroundLogger: logger)
        let pool = Task { await client.run() }
        do {
            try await TimeLimit.within(.seconds(30)) {
                try await ClusterSchema.migrate(client, logger: logger)
            }
        } catch {
            pool.cancel()
            let reason = (error as? PSQLError).map { DatabaseProbe.failure($0).description } ?? "\(error)"
            throw ControlPlaneError("cannot prepare the database \(place): \(reason)")
        }
        let lease = LeaderLease(node: node, ttl: leaseTTL)
        return ClusterRuntime(
            client: client, store: PostgresStore(client: client, lease: lease, logger: logger),
            election: LeaderElection(lease: lease, client: client, adminAddress: "", logger: logger), pool: pool)
    }

    func stop() {
        pool.cancel()
    }

    /// Makes `registry`, `source` and `checker` follow the cluster, and answers the services
    /// that keep them in step with it.
    func services(
        registry: EndpointRegistry, source: ConfigSource, checker: HealthChecker, logger: Logger
    ) async -> [any Service] {
        let election = self.election
        await registry.follow(leadership: { election.leadingEpoch })
        await checker.probe(while: { election.leadingEpoch != nil })
        let known = await registry.current.version
        let watcher = RevisionWatcher(
            client: client, after: Int64(known), logger: logger,
            newest: { [client] in
                let rows = try await client.query("SELECT COALESCE(MAX(version), 0) FROM snapshot", logger: logger)
                for try await newest in rows.decode(Int64.self) { return newest }
                return 0
            },
            changed: { _ in
                // Until it worked: the watcher hands each revision on once.
                while !Task.isCancelled {
                    do {
                        try await registry.catchUp()
                        return
                    } catch {
                        logger.warning("cannot read the newest snapshot", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            })
        return [
            election, watcher,
            ClusterHealthShare(client: client, election: election, registry: registry, logger: logger),
            LeaderDuties(election: election, source: source),
        ]
    }
}

/// Applies the config file whenever this control plane starts leading: the leader applies it
/// for the whole cluster, and the file watcher only for as long as it leads.
struct LeaderDuties: Service {
    let election: LeaderElection
    let source: ConfigSource

    func run() async throws {
        let roles = election.roleChanges()
        await cancelWhenGracefulShutdown {
            var led = false
            for await role in roles {
                let leads = role != .follower
                if leads && !led { await source.load(cause: "leading the cluster", force: true) }
                led = leads
            }
        }
    }
}
