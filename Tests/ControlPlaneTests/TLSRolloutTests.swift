import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TestSupport
import Testing

/// `orchctl rollout` while clients use the TLS listener, over HTTP/2 and HTTP/1.1: no request
/// fails, on either protocol.
@Suite(.endToEnd, .serialized) struct TLSRolloutTests {
    /// Requests sent back to back by `tasks` concurrent loops of one client until stopped.
    final class Load: Sendable {
        let sent = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let nonHTTP2 = Atomic<Int>(0)
        let errors = Mutex<[String]>([])
        let stopped = Atomic<Bool>(false)

        func run(client: HTTPClient, url: String, tasks: Int, expectHTTP2: Bool) -> Task<Void, Never> {
            Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            while !self.stopped.load(ordering: .relaxed) {
                                do {
                                    let response = try await Self.executeResendingUnsent(client: client, url: url)
                                    _ = try await response.body.collect(upTo: 1 << 20)
                                    if response.status != .ok {
                                        self.record("status \(response.status.code)")
                                    } else if expectHTTP2 && response.version != .http2 {
                                        self.nonHTTP2.add(1, ordering: .relaxed)
                                    }
                                } catch {
                                    self.record("\(error)")
                                }
                                self.sent.add(1, ordering: .relaxed)
                            }
                        }
                    }
                }
            }
        }

        /// Sends a request again when AsyncHTTPClient gave up on it before sending it: a request
        /// it had queued on a connection in the instant that connection received GOAWAY fails with
        /// `cancelled` without reaching the server (async-http-client#505). RFC 9113 (8.7) lets a
        /// client retry such a request, and curl, browsers and Go's client do; a refused stream or
        /// a connection closed under a request is not retried, and fails the test.
        static func executeResendingUnsent(client: HTTPClient, url: String) async throws -> HTTPClientResponse {
            for _ in 0..<3 {
                do {
                    return try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                } catch let error as HTTPClientError where error == .cancelled {
                    continue
                }
            }
            return try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        }

        func record(_ error: String) {
            failed.add(1, ordering: .relaxed)
            errors.withLock { if $0.count < 5 { $0.append(error) } }
        }
    }

    @Test func rolloutUnderTLSLosesNoRequestOverHTTP2OrHTTP1() async throws {
        try await withTLSGateway(replicas: 2, name: "localhost", arguments: ["--drain-timeout", "5"]) {
            gateway, _, authority in
            try await Self.run(gateway: gateway, authority: authority)
        }
    }

    static func run(gateway: ControlPlaneHarness, authority: TestCertificateAuthority) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(try authority.pem.utf8), format: .pem)])
        var http2Configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        http2Configuration.httpVersion = .automatic
        var http1Configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        http1Configuration.httpVersion = .http1Only
        // Clients as most are: kept-alive connections, no idle timeout of their own, no retry.
        http2Configuration.connectionPool = .init(idleTimeout: .hours(1))
        http1Configuration.connectionPool = .init(idleTimeout: .hours(1))
        let http2 = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http2Configuration)
        let http1 = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http1Configuration)
        var failure: (any Error)?
        do {
            let port = try #require(gateway.proxyTLSPort)
            let url = "https://localhost:\(port)/orchestrator/svc/item"
            _ = try await eventually("TLS listener serving", timeout: 60) { () -> Bool? in
                let response = try? await http1.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
                return response?.status == .ok ? true : nil
            }
            let before = try await eventually("two replicas", timeout: 60) { () -> [Int32]? in
                gateway.replicaPids.count == 2 ? gateway.replicaPids.sorted() : nil
            }
            let h2Load = Load()
            let h1Load = Load()
            let h2Task = h2Load.run(client: http2, url: url, tasks: 8, expectHTTP2: true)
            let h1Task = h1Load.run(client: http1, url: url, tasks: 4, expectHTTP2: false)
            _ = try await eventually("load flowing", timeout: 60) { () -> Bool? in
                h2Load.sent.load(ordering: .relaxed) > 50 && h1Load.sent.load(ordering: .relaxed) > 50 ? true : nil
            }

            let rollout = try await gateway.orchctl("rollout")
            #expect(rollout.status == 0, "\(rollout)")
            let sentAfterRollout = h2Load.sent.load(ordering: .relaxed)
            _ = try await eventually("load after the rollout", timeout: 60) { () -> Bool? in
                h2Load.sent.load(ordering: .relaxed) > sentAfterRollout + 50 ? true : nil
            }
            h2Load.stopped.store(true, ordering: .relaxed)
            h1Load.stopped.store(true, ordering: .relaxed)
            await h2Task.value
            await h1Task.value

            let after = gateway.replicaPids.sorted()
            #expect(Set(after).isDisjoint(with: before), "before \(before), after \(after)")
            // AsyncHTTPClient retries no refused stream and no closed connection: a drain must cause neither.
            #expect(
                h2Load.failed.load(ordering: .relaxed) == 0,
                "HTTP/2: \(h2Load.failed.load(ordering: .relaxed)) of \(h2Load.sent.load(ordering: .relaxed)) failed: \(h2Load.errors.withLock { $0 })"
            )
            #expect(
                h1Load.failed.load(ordering: .relaxed) == 0,
                "HTTP/1.1: \(h1Load.failed.load(ordering: .relaxed)) of \(h1Load.sent.load(ordering: .relaxed)) failed: \(h1Load.errors.withLock { $0 })"
            )
            #expect(
                h2Load.nonHTTP2.load(ordering: .relaxed) == 0, "every response of the first client came over HTTP/2")
        } catch {
            failure = error
        }
        try? await http2.shutdown()
        try? await http1.shutdown()
        if let failure { throw failure }
    }
}
