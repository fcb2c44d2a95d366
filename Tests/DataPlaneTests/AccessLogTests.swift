import Foundation
import Shared
import TestSupport
import Testing

/// The access log of a real replica: one JSON line per completed request, written to a file,
/// to stdout by default, or nowhere with `--access-log off`.
@Suite(.endToEnd, .serialized) struct AccessLogTests {
    @Test func everyRequestIsOneLineInTheFile() async throws {
        try await withReplica(arguments: { ["--access-log", $0.file("access.log").path] }) { replica, _ in
            var expected: [String: (status: Int, endpoint: String?, method: String)] = [:]
            for index in 0..<12 {
                let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/item/\(index)?q=1"))
                #expect(response.status == 200)
                expected[try #require(response.headers.first(name: "x-request-id"))] = (200, "svc", "GET")
            }
            for _ in 0..<4 {
                let response = try await TestHTTP.request(
                    .POST, replica.url("/orchestrator/svc/upload"), body: Data(repeating: 65, count: 1000))
                #expect(response.status == 200)
                expected[try #require(response.headers.first(name: "x-request-id"))] = (200, "svc", "POST")
            }
            for _ in 0..<3 {
                let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/nowhere/x"))
                #expect(response.status == 404)
                expected[try #require(response.headers.first(name: "x-request-id"))] = (404, nil, "GET")
            }
            let chosen = try await TestHTTP.request(
                .GET, replica.url("/orchestrator/svc/mine"), headers: [("X-Request-ID", "client-chosen-1")])
            expected[try #require(chosen.headers.first(name: "x-request-id"))] = (200, "svc", "GET")
            #expect(expected.count == 20)

            let file = replica.directory.file("access.log")
            let lines = try await eventually("20 access-log lines", timeout: 30) { () -> [[String: Any]]? in
                let lines = Self.jsonLines((try? String(contentsOf: file, encoding: .utf8)) ?? "")
                return lines.count >= 20 ? lines : nil
            }
            #expect(lines.count == 20)
            let byID = Dictionary(grouping: lines) { $0["request_id"] as? String ?? "" }
            for (id, request) in expected {
                let matching = byID[id] ?? []
                #expect(matching.count == 1, "request \(id) logged \(matching.count) times")
                guard let line = matching.first else { continue }
                #expect(line["status"] as? Int == request.status)
                #expect(line["method"] as? String == request.method)
                #expect(line["endpoint"] as? String == request.endpoint)
                #expect(line["replica"] as? String == replica.replicaID)
                #expect(line["client"] as? String == "127.0.0.1")
                #expect(line["protocol"] as? String == "http1")
                #expect(line["tls"] as? Bool == false)
                #expect((line["duration_ms"] as? Double ?? -1) >= 0)
                #expect((line["bytes_out"] as? Int ?? 0) > 0)
                if request.endpoint == nil {
                    #expect(line["upstream_status"] is NSNull)
                    #expect(line["upstream_duration_ms"] is NSNull)
                } else {
                    #expect(line["upstream_status"] as? Int == 200)
                    #expect((line["upstream_duration_ms"] as? Double ?? -1) >= 0)
                }
                let time = line["time"] as? String ?? ""
                #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "time \(time)")
            }
            let uploads = lines.filter { $0["method"] as? String == "POST" }
            #expect(uploads.allSatisfy { $0["bytes_in"] as? Int == 1000 })
            #expect(lines.contains { ($0["path"] as? String)?.hasPrefix("/orchestrator/svc/item/0?q=") == true })
        }
    }

    @Test func offWritesNothingWhileTheDefaultWritesToStdout() async throws {
        try await withReplica(arguments: { _ in ["--access-log", "off"] }) { off, upstream in
            let standard = try await DataPlaneHarness.start(
                cachedSnapshot: .testing(version: 1, [.testing("svc", url: upstream.baseURL + "/api")]),
                replicaID: "stdout-replica")
            defer { standard.stop() }
            var ids: [String] = []
            for _ in 0..<5 {
                #expect(try await TestHTTP.request(.GET, off.url("/orchestrator/svc/x")).status == 200)
                let response = try await TestHTTP.request(.GET, standard.url("/orchestrator/svc/x"))
                ids.append(try #require(response.headers.first(name: "x-request-id")))
            }
            // The default replica logged its requests to stdout by now ...
            _ = try await eventually("stdout access-log lines", timeout: 30) { () -> Bool? in
                let stdout = (try? String(contentsOf: standard.process.stdoutURL, encoding: .utf8)) ?? ""
                let logged = Set(Self.jsonLines(stdout).compactMap { $0["request_id"] as? String })
                return ids.allSatisfy(logged.contains) ? true : nil
            }
            // ... while the one with the log off wrote no line at all.
            let output =
                ((try? String(contentsOf: off.process.stdoutURL, encoding: .utf8)) ?? "")
                + ((try? String(contentsOf: off.process.stderrURL, encoding: .utf8)) ?? "")
            #expect(!output.contains("\"request_id\""))
            #expect(!FileManager.default.fileExists(atPath: off.directory.file("off").path))
        }
    }

    @Test func stdoutHoldsOnlyTheAccessLogsJSONLines() async throws {
        try await withReplica(arguments: { _ in ["--access-log", "stdout"] }) { replica, _ in
            var ids: Set<String> = []
            for path in ["/orchestrator/svc/a", "/orchestrator/nowhere", "/health"] {
                let response = try await TestHTTP.request(.GET, replica.url(path))
                ids.insert(try #require(response.headers.first(name: "x-request-id")))
            }
            let stdout = try await eventually("the three lines on stdout", timeout: 30) { () -> String? in
                let text = (try? String(contentsOf: replica.process.stdoutURL, encoding: .utf8)) ?? ""
                let logged = Set(Self.jsonLines(text).compactMap { $0["request_id"] as? String })
                return ids.isSubset(of: logged) ? text : nil
            }
            for line in stdout.split(separator: "\n") {
                #expect(
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any],
                    "not a JSON line on stdout: \(line)")
            }
            #expect(replica.process.errorOutput.contains("listening on 127.0.0.1:\(replica.port)"))
        }
    }

    @Test func aLogFileIsCreatedOwnerOnlyAndReopenedOnSIGHUP() async throws {
        try await withReplica(arguments: { ["--access-log", $0.file("access.log").path] }) { replica, _ in
            let path = replica.directory.file("access.log").path
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode & 0o777 == 0o600)
            let before = try #require(
                try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/before")).headers.first(
                    name: "x-request-id"))
            _ = try await eventually("the first line", timeout: 30) { () -> Bool? in
                ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains(before) ? true : nil
            }
            // What logrotate does: rename the file away, then SIGHUP.
            let rotated = path + ".1"
            #expect(rename(path, rotated) == 0)
            replica.process.signal(SIGHUP)
            let after = try await eventually("a line in a new file after SIGHUP", timeout: 30) { () -> String? in
                guard FileManager.default.fileExists(atPath: path) else { return nil }
                let response = try await TestHTTP.request(.GET, replica.url("/orchestrator/svc/after"))
                let id = try #require(response.headers.first(name: "x-request-id"))
                return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").isEmpty ? nil : id
            }
            _ = try await eventually("the new line in the new file", timeout: 30) { () -> Bool? in
                ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").contains(after) ? true : nil
            }
            #expect(replica.process.isRunning)
            let old = (try? String(contentsOfFile: rotated, encoding: .utf8)) ?? ""
            #expect(old.contains(before))
            #expect(!old.contains(after))
            let newMode = try #require(
                try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(newMode & 0o777 == 0o600)
        }
    }

    @Test func anEmptyAccessLogValueIsRefused() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let process = try ChildProcess(
            TestBinaries.url("orch-data-plane"), arguments: ["--access-log", ""], environment: [:],
            directory: directory.url, name: "data-plane")
        defer { process.stop() }
        #expect(process.waitForExit(timeout: 30).map { $0 != 0 } == true)
        let stderr = (try? String(contentsOf: process.stderrURL, encoding: .utf8)) ?? ""
        #expect(stderr.contains("--access-log"))
    }

    @Test func theControlPlanePassesItsAccessLogToItsReplicas() async throws {
        try await withSupervisedGateway(replicas: 1) { _, path, url in
            let id = try await eventually("a proxied request", timeout: 60) { () -> String? in
                let response = try await TestHTTP.request(.GET, url, headers: [("Connection", "close")])
                return response.status == 200 ? response.headers.first(name: "x-request-id") : nil
            }
            let line = try await eventually("its access-log line", timeout: 30) { () -> [String: Any]? in
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                return Self.jsonLines(text).first { $0["request_id"] as? String == id }
            }
            #expect(line["endpoint"] as? String == "svc")
            #expect(line["status"] as? Int == 200)
        }
    }

    @Test func aSIGHUPToTheControlPlaneReopensEverySupervisedReplicasFile() async throws {
        try await withSupervisedGateway(replicas: 2) { control, path, url in
            _ = try await eventually("a first line", timeout: 60) { () -> Bool? in
                _ = try? await TestHTTP.request(.GET, url, headers: [("Connection", "close")])
                return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").isEmpty ? nil : true
            }
            #expect(rename(path, path + ".1") == 0)
            control.process.signal(SIGHUP)
            // Both replicas write to the new file: requests over new connections reach either.
            let replicas = try await eventually("lines of both replicas in the new file", timeout: 60) {
                () -> Set<String>? in
                _ = try? await TestHTTP.request(.GET, url, headers: [("Connection", "close")])
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                let ids = Set(Self.jsonLines(text).compactMap { $0["replica"] as? String })
                return ids.count == 2 ? ids : nil
            }
            #expect(replicas.count == 2)
            #expect(control.process.isRunning)
            #expect(control.replicaPids.count == 2)
        }
    }

    /// A control plane supervising `replicas` replicas with `--access-log` set, routing `svc` to
    /// an echo upstream; `body` gets it, the log's path and a URL on `svc`.
    private func withSupervisedGateway(
        replicas: Int, _ body: (ControlPlaneHarness, String, String) async throws -> Void
    ) async throws {
        let upstream = try await UpstreamServer.start(.echo)
        var failure: (any Error)?
        do {
            let directory = try TestDirectory()
            let path = directory.file("replicas-access.log").path
            let control = try await ControlPlaneHarness.start(
                config: """
                    health_check:
                      enabled: false
                    endpoints:
                      - name: svc
                        url: \(upstream.baseURL)/api
                    """, replicas: replicas, arguments: ["--access-log", path], directory: directory)
            defer { control.stop() }
            try await body(control, path, "http://127.0.0.1:\(control.proxyPort)/orchestrator/svc/x")
        } catch {
            failure = error
        }
        await upstream.stop()
        if let failure { throw failure }
    }

    /// The JSON objects among `text`'s lines (other log lines are skipped).
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// A replica serving a cached snapshot with `svc` routed to an echo upstream.
    private func withReplica(
        arguments: (TestDirectory) -> [String], _ body: (DataPlaneHarness, UpstreamServer) async throws -> Void
    ) async throws {
        let upstream = try await UpstreamServer.start(.echo)
        var failure: (any Error)?
        do {
            let directory = try TestDirectory()
            let replica = try await DataPlaneHarness.start(
                cachedSnapshot: .testing(
                    version: 1,
                    [.testing("svc", url: upstream.baseURL + "/api", methods: ["GET", "POST"])]),
                directory: directory, arguments: arguments(directory))
            do {
                try await body(replica, upstream)
            } catch {
                print(replica.process.logTail)
                failure = error
            }
            replica.stop()
        } catch {
            failure = error
        }
        await upstream.stop()
        if let failure { throw failure }
    }
}
