import AdminAPI
import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Remote data planes end to end: real control planes listening with `--cluster-address`, real
/// `orch-data-plane --control-plane` processes, certificates made at test time.
@Suite(.endToEnd) struct RemoteDataPlaneTests {
    /// A cluster CA with the control plane's certificate (for 127.0.0.1) and data-plane certificates.
    struct Cluster {
        let directory: TestDirectory
        let authority: TestCertificateAuthority
        let caFile: String
        let server: TestCertificateAuthority.Issued

        /// `serverNames`: the DNS names of the control plane's certificate; it also names
        /// 127.0.0.1 unless `namesLoopback` is false.
        init(serverNames: [String] = ["localhost"], namesLoopback: Bool = true) throws {
            directory = try TestDirectory(prefix: "orch-cluster")
            authority = try TestCertificateAuthority(commonName: "Orchestrator Cluster CA")
            caFile = try authority.write(to: directory)
            server = try authority.issue(
                "control-plane", in: directory, commonName: "control-plane", dnsNames: serverNames,
                ipAddresses: namesLoopback ? ["127.0.0.1"] : [])
        }

        func client(_ name: String, notValidAfter: Date = Date().addingTimeInterval(86_400)) throws
            -> TestCertificateAuthority.Issued
        {
            try authority.issue(
                name, in: directory, commonName: name, dnsNames: [name],
                notValidBefore: notValidAfter.addingTimeInterval(-2 * 86_400), notValidAfter: notValidAfter)
        }

        /// The control plane's cluster flags, listening on a free port.
        func controlPlaneArguments(node: String, extra: [String] = []) -> [String] {
            [
                "--cluster-address", "127.0.0.1:0", "--cluster-cert", server.certFile, "--cluster-key",
                server.keyFile, "--cluster-ca", caFile, "--node-name", node,
            ] + extra
        }

        /// Starts a data plane dialing `ports` on 127.0.0.1 with the certificate `issued`.
        func dataPlane(
            _ id: String, ports: [Int], issued: TestCertificateAuthority.Issued, ca: String? = nil
        ) async throws -> DataPlaneHarness {
            try await DataPlaneHarness.start(
                arguments: [
                    "--control-plane", ports.map { "127.0.0.1:\($0)" }.joined(separator: ","),
                    "--cert", issued.certFile, "--key", issued.keyFile, "--ca", ca ?? caFile,
                    "--heartbeat-interval", "1",
                ], replicaID: id)
        }
    }

    static func listing(_ control: ControlPlaneHarness) async throws -> DataPlaneListing {
        try await control.admin(.GET, "/dataplanes").decode(DataPlaneListing.self)
    }

    static func register(_ control: ControlPlaneHarness, _ name: String, url: String) async throws {
        let answer = try await control.admin(
            .POST, "/registry/endpoints", json: #"{"name": "\#(name)", "url": "\#(url)"}"#)
        try #require(answer.status == 200, "\(answer.text)")
    }

    static func serves(_ replica: DataPlaneHarness, _ path: String) async throws -> Bool {
        (try? await TestHTTP.request(.GET, replica.url(path), headers: [("Connection", "close")]).status) == 200
    }

    @Test func remoteDataPlanesServeAWriteAndAreListedWithTheirAddressAndHeartbeat() async throws {
        let cluster = try Cluster()
        defer { cluster.directory.remove() }
        let upstream = try await UpstreamServer.start(.echo)
        defer { Task { await upstream.stop() } }
        let control = try await ControlPlaneHarness.start(
            config: nil, arguments: cluster.controlPlaneArguments(node: "cp-one"))
        defer { control.stop() }
        let port = try #require(control.clusterPort)
        let first = try await cluster.dataPlane("edge-a", ports: [port], issued: try cluster.client("edge-a"))
        defer { first.stop() }
        let second = try await cluster.dataPlane("edge-b", ports: [port], issued: try cluster.client("edge-b"))
        defer { second.stop() }

        try await Self.register(control, "svc", url: upstream.baseURL)
        _ = try await eventually("both remote data planes serve the new endpoint", timeout: 30) { () -> Bool? in
            let one = try await Self.serves(first, "/orchestrator/svc/x")
            let other = try await Self.serves(second, "/orchestrator/svc/x")
            return one && other ? true : nil
        }

        let version = try await Self.listing(control).currentVersion
        let checksum = try #require(try await control.admin(.GET, "/snapshots/\(version)").json["checksum"] as? String)
        let listing = try await eventually("both heartbeats carry the current checksum", timeout: 30) {
            () -> DataPlaneListing? in
            let listing = try await Self.listing(control)
            let remote = listing.dataplanes.filter { ["edge-a", "edge-b"].contains($0.replicaId) }
            return remote.count == 2 && remote.allSatisfy({ $0.snapshotChecksum == checksum }) ? listing : nil
        }
        for replica in listing.dataplanes {
            #expect(replica.connected && !replica.supervised && replica.refused == nil, "\(replica)")
            #expect(replica.address?.hasPrefix("127.0.0.1:") == true, "\(replica)")
            #expect(replica.controlPlane == "cp-one")
            #expect(replica.softwareVersion == ProductVersion.string)
            #expect(replica.lastHeartbeat != nil)
            #expect(replica.ackedVersion == listing.currentVersion && !replica.behind)
        }
        // orchctl status shows where each one is.
        let status = try await control.orchctl("status")
        #expect(status.status == 0, "\(status)")
        let rows = status.lines.filter { $0.contains("edge-a") || $0.contains("edge-b") }
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains("127.0.0.1:") && $0.contains(" ok ") }, "\(rows)")
    }

    @Test func certificatesFromAnotherCAOrExpiredAreRefusedAtTheHandshakeAndNeverListed() async throws {
        let cluster = try Cluster()
        defer { cluster.directory.remove() }
        let control = try await ControlPlaneHarness.start(
            config: nil, arguments: cluster.controlPlaneArguments(node: "cp-one"))
        defer { control.stop() }
        let port = try #require(control.clusterPort)

        let stranger = try TestCertificateAuthority(commonName: "Another CA")
        let foreign = try stranger.issue("foreign", in: cluster.directory, commonName: "edge-x", dnsNames: ["edge-x"])
        let expired = try cluster.client("edge-old", notValidAfter: Date().addingTimeInterval(-3600))
        let outsider = try await cluster.dataPlane("edge-x", ports: [port], issued: foreign)
        defer { outsider.stop() }
        let stale = try await cluster.dataPlane("edge-old", ports: [port], issued: expired)
        defer { stale.stop() }

        // Each has tried (and failed) at least twice: the control plane logged both handshakes.
        _ = try await eventually("the control plane ended four cluster handshakes", timeout: 30) { () -> Bool? in
            control.process.errorOutput.components(separatedBy: "cluster connection ended").count > 4 ? true : nil
        }
        let listing = try await Self.listing(control)
        #expect(
            !listing.dataplanes.contains { ["edge-x", "edge-old"].contains($0.replicaId) }, "\(listing.dataplanes)")
        // Neither ever got a snapshot: both still say they have none to serve.
        for replica in [outsider, stale] {
            let health = try await TestHTTP.request(.GET, replica.url("/health"), headers: [("Connection", "close")])
            #expect(health.status == 503)
        }
    }

    @Test func aDataPlaneRefusesAControlPlaneWhoseCertificateDoesNotNameTheAddressDialed() async throws {
        let cluster = try Cluster(serverNames: ["elsewhere.test"], namesLoopback: false)
        defer { cluster.directory.remove() }
        let control = try await ControlPlaneHarness.start(
            config: nil, arguments: cluster.controlPlaneArguments(node: "cp-one"))
        defer { control.stop() }
        let port = try #require(control.clusterPort)
        let edge = try await cluster.dataPlane("edge-a", ports: [port], issued: try cluster.client("edge-a"))
        defer { edge.stop() }

        // It tries, and fails the handshake itself, again and again.
        _ = try await eventually("the data plane failed twice to reach the control plane", timeout: 30) {
            () -> Bool? in
            edge.process.errorOutput.components(separatedBy: "cannot reach the control plane").count > 2 ? true : nil
        }
        #expect(edge.process.errorOutput.contains("failedToValidateHostname"), "\(edge.process.logTail)")
        #expect(!(try await Self.listing(control)).dataplanes.contains { $0.replicaId == "edge-a" })
        let health = try await TestHTTP.request(.GET, edge.url("/health"), headers: [("Connection", "close")])
        #expect(health.status == 503)
    }

    @Test func aNewerDataPlaneOrAnUnlistedCertificateNameIsRefusedWithTheReasonListed() async throws {
        let cluster = try Cluster()
        defer { cluster.directory.remove() }
        let control = try await ControlPlaneHarness.start(
            config: nil,
            arguments: cluster.controlPlaneArguments(
                node: "cp-one", extra: ["--cluster-allowed-names", "edge-a,edge-b"]))
        defer { control.stop() }
        let port = try #require(control.clusterPort)

        func refusal(_ issued: TestCertificateAuthority.Issued, id: String, version: String) async throws -> String? {
            let client = try await ControlSocketClient.connect(
                clusterPort: port, certFile: issued.certFile, keyFile: issued.keyFile, caFile: cluster.caFile)
            try await client.send(
                .hello(.init(replicaId: id, pid: 4242, version: nil, deltas: true, softwareVersion: version)))
            defer { Task { await client.close() } }
            guard case .message(.refused(let reason))? = try await client.receive() else { return nil }
            // The control plane closes the connection after saying why.
            #expect(try await client.receive() == nil)
            return reason
        }

        let major = try #require(ProductVersion.components(ProductVersion.string))
        let newer = "\(major.major).\(major.minor + 1).0"
        let newerReason = try #require(try await refusal(try cluster.client("edge-a"), id: "edge-a", version: newer))
        #expect(newerReason.contains("newer than control plane"))
        let nameReason = try #require(
            try await refusal(try cluster.client("edge-z"), id: "edge-z", version: ProductVersion.string))
        #expect(nameReason.contains("edge-z") && nameReason.contains("--cluster-allowed-names"))

        let listed = try await Self.listing(control).dataplanes
        let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0.replicaId, $0) })
        #expect(byID["edge-a"]?.refused == newerReason && byID["edge-a"]?.connected == false)
        #expect(byID["edge-a"]?.softwareVersion == newer && byID["edge-a"]?.address?.hasPrefix("127.0.0.1:") == true)
        #expect(byID["edge-z"]?.refused == nameReason && byID["edge-z"]?.connected == false)

        // An allowed name of this version is accepted and gets the current snapshot.
        let client = try await ControlSocketClient.connect(
            clusterPort: port, certFile: try cluster.client("edge-b").certFile,
            keyFile: cluster.directory.file("edge-b.key").path, caFile: cluster.caFile)
        defer { Task { await client.close() } }
        try await client.send(.hello(.init(replicaId: "edge-b", pid: 4243, version: nil)))
        _ = try await client.receiveSnapshot()
    }

    @Test func aDataPlaneFailsOverToTheNextControlPlaneAndServesThroughout() async throws {
        let cluster = try Cluster()
        defer { cluster.directory.remove() }
        let upstream = try await UpstreamServer.start(.echo)
        defer { Task { await upstream.stop() } }
        let config = """
            endpoints:
              - name: svc
                url: \(upstream.baseURL)
            """
        let one = try await ControlPlaneHarness.start(
            config: config, arguments: cluster.controlPlaneArguments(node: "cp-one"))
        defer { one.stop() }
        let two = try await ControlPlaneHarness.start(
            config: config, arguments: cluster.controlPlaneArguments(node: "cp-two"))
        defer { two.stop() }
        // The first address refuses connections; the second accepts them and says nothing.
        let dead = try ClosedPort()
        let silent = try ClosedPort(listening: true)
        let ports = [dead.port, silent.port, try #require(one.clusterPort), try #require(two.clusterPort)]
        let edge = try await cluster.dataPlane("edge-a", ports: ports, issued: try cluster.client("edge-a"))
        defer { edge.stop() }

        // The data plane moves on to cp-one (after the silent one's 10 s).
        _ = try await eventually("edge-a connected to cp-one", timeout: 60) { () -> Bool? in
            try await Self.listing(one).dataplanes.contains { $0.replicaId == "edge-a" && $0.connected } ? true : nil
        }
        _ = try await eventually("edge-a serves svc", timeout: 30) { () -> Bool? in
            try await Self.serves(edge, "/orchestrator/svc/x") ? true : nil
        }

        // Requests keep flowing while cp-one dies and the data plane moves to cp-two.
        let failures = Counter()
        let served = Counter()
        let stop = Counter()
        let load = Task {
            while stop.value == 0 {
                if try await Self.serves(edge, "/orchestrator/svc/x") {
                    served.increment()
                } else {
                    failures.increment()
                }
            }
        }
        one.kill9()
        _ = try await eventually("edge-a connected to cp-two", timeout: 30) { () -> Bool? in
            try await Self.listing(two).dataplanes.contains {
                $0.replicaId == "edge-a" && $0.connected && $0.controlPlane == "cp-two"
            } ? true : nil
        }
        try await Self.register(two, "fresh", url: upstream.baseURL + "/fresh")
        _ = try await eventually("edge-a serves what cp-two published", timeout: 30) { () -> Bool? in
            try await Self.serves(edge, "/orchestrator/fresh/x") ? true : nil
        }
        stop.increment()
        _ = await load.result
        #expect(failures.value == 0 && served.value > 0, "failed \(failures.value) of \(served.value + failures.value)")
    }
}

/// Counts from several tasks.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
