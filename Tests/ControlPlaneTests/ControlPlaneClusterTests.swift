import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

/// Control planes sharing one PostgreSQL database, end to end: a real server in a temporary
/// directory, real control planes with `--database`, real remote data planes over mutual TLS.
@Suite(.endToEnd, .enabled(if: PostgresServer.shouldRun, PostgresServer.skipReason))
struct ControlPlaneClusterTests {
    /// A database, two control planes on it (cp-one, cp-two) listening for data planes, and the
    /// cluster's certificates. ``stop()`` stops everything, data planes included.
    final class Deployment: @unchecked Sendable {
        let database: PostgresServer
        let certificates: RemoteDataPlaneTests.Cluster
        /// An echo server for the endpoints the tests register.
        let upstream: UpstreamServer
        private(set) var planes: [ControlPlaneHarness] = []
        private(set) var edges: [DataPlaneHarness] = []

        init(database: PostgresServer, certificates: RemoteDataPlaneTests.Cluster, upstream: UpstreamServer) {
            self.database = database
            self.certificates = certificates
            self.upstream = upstream
        }

        /// Starts the database and the two control planes, all with `config` and `leaseTTL`.
        static func start(config: String? = nil, leaseTTL: Int = 3) async throws -> Deployment {
            let database = try await PostgresServer.start()
            let certificates: RemoteDataPlaneTests.Cluster
            do {
                certificates = try RemoteDataPlaneTests.Cluster()
            } catch {
                database.stop()
                throw error
            }
            let upstream: UpstreamServer
            do {
                upstream = try await UpstreamServer.start(.echo)
            } catch {
                database.stop()
                certificates.directory.remove()
                throw error
            }
            let deployment = Deployment(database: database, certificates: certificates, upstream: upstream)
            do {
                for node in ["cp-one", "cp-two"] {
                    deployment.planes.append(
                        try await ControlPlaneHarness.start(
                            config: config,
                            arguments: deployment.certificates.controlPlaneArguments(
                                node: node,
                                extra: ["--database", deployment.database.url, "--lease-ttl", String(leaseTTL)])))
                }
            } catch {
                deployment.stop()
                throw error
            }
            return deployment
        }

        /// Starts a remote data plane dialing `planes` in that order.
        @discardableResult
        func edge(_ id: String, dialing planes: [ControlPlaneHarness]) async throws -> DataPlaneHarness {
            let ports = try planes.map { try #require($0.clusterPort) }
            let edge = try await certificates.dataPlane(id, ports: ports, issued: try certificates.client(id))
            edges.append(edge)
            return edge
        }

        func stop() {
            for edge in edges { edge.stop() }
            for plane in planes { plane.stop() }
            database.stop()
            certificates.directory.remove()
            Task { [upstream] in await upstream.stop() }
        }
    }

    static func cluster(_ plane: ControlPlaneHarness) async throws -> ClusterStatus {
        try await plane.admin(.GET, "/cluster").decode(ClusterStatus.self)
    }

    /// The plane that leads, once one does.
    static func leader(of deployment: Deployment) async throws -> ControlPlaneHarness {
        try await eventually("a control plane leads", timeout: 60) { () -> ControlPlaneHarness? in
            for plane in deployment.planes where try await cluster(plane).role == "leader" { return plane }
            return nil
        }
    }

    static func register(_ plane: ControlPlaneHarness, _ name: String, url: String, extra: String = "")
        async throws -> TestResponse
    {
        try await plane.admin(.POST, "/registry/endpoints", json: #"{"name": "\#(name)", "url": "\#(url)"\#(extra)}"#)
    }

    /// Waits until every one of `edges` serves `name`.
    static func served(_ name: String, by edges: [DataPlaneHarness], timeout: Double = 30) async throws {
        _ = try await eventually("\(name) served by every data plane", timeout: timeout) { () -> Bool? in
            for edge in edges where !(try await RemoteDataPlaneTests.serves(edge, "/orchestrator/\(name)/x")) {
                return nil
            }
            return true
        }
    }

    static func connected(_ id: String, to plane: ControlPlaneHarness) async throws -> Bool {
        try await RemoteDataPlaneTests.listing(plane).dataplanes.contains { $0.replicaId == id && $0.connected }
    }

    @Test func aWriteThroughEitherControlPlaneIsServedByEveryDataPlaneAndShownByTheOther() async throws {
        // The file's endpoint is on a closed port: only the leader applies the file and probes it,
        // and every control plane's data planes learn both.
        let config = """
            health_check:
              interval: 0.3
              timeout: 1
            endpoints:
              - name: filed
                url: http://127.0.0.1:9/filed
                health_check_path: /health
            """
        let deployment = try await Deployment.start(config: config)
        defer { deployment.stop() }
        let upstream = deployment.upstream
        let (one, two) = (deployment.planes[0], deployment.planes[1])
        let first = try await deployment.edge("edge-a", dialing: [one, two])
        let second = try await deployment.edge("edge-b", dialing: [two, one])
        _ = try await eventually("edge-a on cp-one and edge-b on cp-two", timeout: 30) { () -> Bool? in
            let first = try await Self.connected("edge-a", to: one)
            let second = try await Self.connected("edge-b", to: two)
            return first && second ? true : nil
        }

        for (plane, other, name) in [(one, two, "alpha"), (two, one, "beta")] {
            let answer = try await Self.register(plane, name, url: upstream.baseURL + "/" + name)
            try #require(answer.status == 200, "\(answer.text)")
            try await Self.served(name, by: [first, second])
            #expect(try await other.admin(.GET, "/registry/endpoints/\(name)").status == 200)
        }

        // The leader's file and the leader's probes, on both control planes and both data planes.
        for plane in [one, two] {
            _ = try await eventually("filed is unhealthy on \(plane.adminURL)", timeout: 30) { () -> Bool? in
                let details = try await plane.admin(.GET, "/registry/endpoints/filed").decode(EndpointDetails.self)
                return details.owner == "file" && details.health == "unhealthy" ? true : nil
            }
        }
        for edge in [first, second] {
            _ = try await eventually("filed refused as unhealthy by \(edge.replicaID)", timeout: 30) { () -> Bool? in
                let answer = try await TestHTTP.request(
                    .GET, edge.url("/orchestrator/filed/x"), headers: [("Connection", "close")])
                return answer.status == 503 && answer.text.contains("Endpoint is unhealthy") ? true : nil
            }
        }
        let follower = try await Self.cluster(one).role == "follower" ? one : two
        let reload = try await follower.admin(.POST, "/config/reload")
        #expect(reload.status == 409 && reload.detail?.contains("leader") == true, "\(reload.text)")

        // One history: the same versions with the same bytes on both.
        let version = try await RemoteDataPlaneTests.listing(one).currentVersion
        _ = try await eventually("cp-two publishes version \(version)", timeout: 30) { () -> Bool? in
            try await RemoteDataPlaneTests.listing(two).currentVersion == version ? true : nil
        }
        let bodies = try await [one, two].asyncMap { try await $0.admin(.GET, "/snapshots/\(version)").body }
        #expect(bodies[0] == bodies[1])
        #expect(try await one.admin(.GET, "/snapshots").text == two.admin(.GET, "/snapshots").text)

        // Both list both members, and agree on the one leader.
        let views = try await [one, two].asyncMap { try await Self.cluster($0) }
        for view in views {
            #expect(view.store == "postgres" && Set(view.members.map(\.node)) == ["cp-one", "cp-two"], "\(view)")
            #expect(view.members.filter(\.leader).count == 1, "\(view)")
        }
        #expect(views[0].leader?.node == views[1].leader?.node && views[0].leader?.epoch == views[1].leader?.epoch)
        #expect(Set(views.map(\.role)) == ["leader", "follower"])
        let status = try await two.orchctl("status")
        #expect(status.status == 0, "\(status)")
        #expect(
            status.stdout.contains("Cluster") && status.stdout.contains("cp-one") && status.stdout.contains("cp-two"))
    }

    @Test func killingTheLeaderHandsTheLeaseOverWhileDataPlanesFailOverWithoutLosingARequest() async throws {
        let ttl = 4
        let config = """
            health_check:
              interval: 0.3
              timeout: 1
            """
        let deployment = try await Deployment.start(config: config, leaseTTL: ttl)
        defer { deployment.stop() }
        let upstream = deployment.upstream
        let leader = try await Self.leader(of: deployment)
        let survivor = try #require(deployment.planes.first { $0 !== leader })
        let before = try #require(try await Self.cluster(leader).leader?.epoch)
        let edges = [
            try await deployment.edge("edge-a", dialing: [leader, survivor]),
            try await deployment.edge("edge-b", dialing: [leader, survivor]),
        ]
        try #require(try await Self.register(leader, "svc", url: upstream.baseURL).status == 200)
        try await Self.served("svc", by: edges)

        let load = SteadyLoad(edges.map { $0.url("/orchestrator/svc/x") })
        load.start()
        let killed = ContinuousClock.now
        leader.kill9()
        let view = try await eventually("the survivor leads", timeout: 60, interval: 0.05) { () -> ClusterStatus? in
            let view = try await Self.cluster(survivor)
            return view.role == "leader" ? view : nil
        }
        let takeover = ContinuousClock.now - killed
        #expect(takeover < .seconds(2 * ttl), "took \(takeover)")
        #expect((view.leader?.epoch ?? 0) > before)

        // Health checks go on: a new endpoint on a closed port is found unhealthy.
        let late = try await Self.register(
            survivor, "late", url: "http://127.0.0.1:9/late", extra: #", "health_check_path": "/health""#)
        try #require(late.status == 200, "\(late.text)")
        _ = try await eventually("the survivor probes late", timeout: 30) { () -> Bool? in
            let details = try await survivor.admin(.GET, "/registry/endpoints/late").decode(EndpointDetails.self)
            return details.health == "unhealthy" ? true : nil
        }
        // The data planes moved to the survivor and serve what it publishes.
        _ = try await eventually("both data planes on the survivor", timeout: 30) { () -> Bool? in
            let first = try await Self.connected("edge-a", to: survivor)
            let second = try await Self.connected("edge-b", to: survivor)
            return first && second ? true : nil
        }
        try #require(try await Self.register(survivor, "after", url: upstream.baseURL + "/after").status == 200)
        try await Self.served("after", by: edges)
        await load.stopExpectingNoFailure()
    }

    @Test func aDatabaseOutageFailsWritesWith503KeepsServingAndBothControlPlanesCatchUp() async throws {
        let deployment = try await Deployment.start()
        defer { deployment.stop() }
        let upstream = deployment.upstream
        let (one, two) = (deployment.planes[0], deployment.planes[1])
        let edges = [
            try await deployment.edge("edge-a", dialing: [one, two]),
            try await deployment.edge("edge-b", dialing: [two, one]),
        ]
        try #require(try await Self.register(one, "svc", url: upstream.baseURL).status == 200)
        try await Self.served("svc", by: edges)

        let load = SteadyLoad(edges.map { $0.url("/orchestrator/svc/x") })
        load.start()
        // Writes through both control planes, all along: what was acknowledged must be kept.
        let writer = Task { () -> (acknowledged: [String], refused: [TestResponse]) in
            var acknowledged: [String] = []
            var refused: [TestResponse] = []
            var index = 0
            while !Task.isCancelled {
                let name = "w\(index)"
                let plane = index % 2 == 0 ? one : two
                if let answer = try? await Self.register(plane, name, url: upstream.baseURL + "/" + name) {
                    if answer.status == 200 { acknowledged.append(name) } else { refused.append(answer) }
                }
                index += 1
                try? await Task.sleep(for: .milliseconds(50))
            }
            return (acknowledged, refused)
        }
        try await Task.sleep(for: .milliseconds(500))
        try deployment.database.halt()
        // While it is down, writes fail with 503 and say why.
        for plane in [one, two] {
            let answer = try await Self.register(plane, "during-\(plane.proxyPort)", url: upstream.baseURL + "/d")
            #expect(answer.status == 503, "\(answer.text)")
            #expect(answer.detail?.contains("database") == true, "\(answer.text)")
        }
        try deployment.database.resume()
        // Writes work again through both, without a restart.
        _ = try await eventually("writes through both control planes work again", timeout: 60) { () -> Bool? in
            let first = try await Self.register(one, "back-one", url: upstream.baseURL + "/b1").status
            let second = try await Self.register(two, "back-two", url: upstream.baseURL + "/b2").status
            return first == 200 && second == 200 ? true : nil
        }
        writer.cancel()
        let (acknowledged, refused) = await writer.value
        #expect(refused.allSatisfy { $0.status == 503 }, "\(refused.map(\.text).prefix(3))")

        // Both control planes catch up on everything acknowledged, and both data planes serve it.
        let expected = Set(acknowledged + ["svc", "back-one", "back-two"])
        for plane in [one, two] {
            _ = try await eventually("every acknowledged write on \(plane.adminURL)", timeout: 60) { () -> Bool? in
                let listed = try await plane.admin(.GET, "/registry/endpoints?limit=1000").decode(EndpointList.self)
                return expected.isSubset(of: Set(listed.endpoints.map(\.endpointId))) ? true : nil
            }
        }
        try await Self.served("back-one", by: edges)
        try await Self.served("back-two", by: edges)
        for name in acknowledged.suffix(3) { try await Self.served(name, by: edges) }
        await load.stopExpectingNoFailure()
    }

    @Test func aDatabaseThatRefusesForGoodStopsTheStartAtOnceWithTheServersReason() async throws {
        let database = try await PostgresServer.start()
        defer { database.stop() }
        let directory = try TestDirectory()
        defer { directory.remove() }
        let wrongName = database.url.replacingOccurrences(of: "/orchestrator?", with: "/nowhere?")
        let process = try ChildProcess(
            TestBinaries.url("orch-control-plane"),
            arguments: [
                "--data-dir", directory.file("data").path, "--config", directory.file("none.yaml").path,
                "--admin-address", "127.0.0.1:0", "--proxy-address", "127.0.0.1:0", "--replicas", "0",
                "--database", wrongName,
            ],
            environment: [:], directory: directory.url, name: "control-plane")
        defer { process.stop() }
        // At once: waiting cannot create the database (the limit is well below the 30 s a
        // database that does not answer yet gets).
        #expect(process.waitForExit(timeout: 20) == 1)
        #expect(process.errorOutput.contains(#"database "nowhere" does not exist"#), "\(process.logTail)")
    }

    @Test func aDroppedNotificationDelaysAChangeOnlyUntilTheReread() async throws {
        let deployment = try await Deployment.start()
        defer { deployment.stop() }
        let upstream = deployment.upstream
        let (one, two) = (deployment.planes[0], deployment.planes[1])
        let edge = try await deployment.edge("edge-b", dialing: [two])
        try #require(try await Self.register(one, "first", url: upstream.baseURL + "/first").status == 200)
        try await Self.served("first", by: [edge])

        // Every listener's connection is cut: the next notification reaches no one.
        let cut = try deployment.database.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'")
        #expect((Int(cut.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 2, "cut \(cut)")
        // A write refused with 503 (the database slower than the store's bound, on a loaded
        // machine) changed nothing and is sent again, as its `Retry-After` asks.
        let second = try await eventually("the second write answered", timeout: 60) { () -> TestResponse? in
            let answer = try await Self.register(one, "second", url: upstream.baseURL + "/second")
            return answer.status == 503 ? nil : answer
        }
        try #require(second.status == 200, "\(second.status) \(second.text)")
        // The re-read (at reconnection, and every 5 s) brings it anyway.
        _ = try await eventually("cp-two shows the change", timeout: 20) { () -> Bool? in
            try await two.admin(.GET, "/registry/endpoints/second").status == 200 ? true : nil
        }
        try await Self.served("second", by: [edge], timeout: 20)
    }
}

/// Requests to a few URLs, one after the other, until stopped; keeps what failed.
final class SteadyLoad: @unchecked Sendable {
    private let urls: [String]
    private let lock = NSLock()
    private var served = 0
    private var failed: [String] = []
    private var stopping = false
    private var task: Task<Void, Never>?

    init(_ urls: [String]) {
        self.urls = urls
    }

    func start() {
        task = Task {
            var index = 0
            // Not cancelled: the request in flight when stopped must end as it would.
            while !lock.withLock({ stopping }) {
                let url = urls[index % urls.count]
                index += 1
                let status = try? await TestHTTP.request(.GET, url, headers: [("Connection", "close")]).status
                lock.withLock {
                    if status == 200 {
                        served += 1
                    } else {
                        failed.append("\(url): \(status.map(String.init) ?? "no answer")")
                    }
                }
            }
        }
    }

    /// Stops, and expects that some requests were served and none failed.
    func stopExpectingNoFailure(sourceLocation: SourceLocation = #_sourceLocation) async {
        lock.withLock { stopping = true }
        await task?.value
        let (served, failed) = lock.withLock { (self.served, self.failed) }
        #expect(
            failed.isEmpty && served > 0, "failed \(failed.count) of \(served + failed.count): \(failed.prefix(3))",
            sourceLocation: sourceLocation)
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
