import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

extension LoadGenerator {
    /// Runs `connections` workers, each with its own persistent connection, until stopped.
    func sendKeepAlive(connections: Int) async -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<connections {
                group.addTask { [self] in await keepAliveWorker(worker, of: connections, start: start) }
            }
        }
        return (clock.now - start).seconds
    }

    /// One client: request after request over one connection per host, opening a new one only
    /// when the server closed the last (`Connection: close`, or a failure), or when it was idle
    /// longer than the configured idle timeout. Request `n` of all workers goes to target
    /// `n % targets.count`; with a rate, it is due at `start + n / rate`.
    private func keepAliveWorker(_ worker: Int, of workers: Int, start: ContinuousClock.Instant) async {
        let clock = ContinuousClock()
        let interval = configuration.requestsPerSecond.map { Duration.nanoseconds(Int64(1e9 / $0)) }
        let idleLimit = configuration.idleTimeoutSeconds.map { Duration.milliseconds(Int64($0 * 1000)) }
        var open: [String: (connection: KeepAliveConnection, idleSince: ContinuousClock.Instant)] = [:]
        defer { for (connection, _) in open.values { connection.close() } }
        var round = 0
        while !isStopping {
            let index = round * workers + worker
            round += 1
            if let interval {
                let due = start + interval * index
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                if isStopping { break }
            }
            let endpoint = endpoints[index % endpoints.count]
            var reusable = open.removeValue(forKey: endpoint.address)
            if let idleLimit, let idle = reusable, clock.now - idle.idleSince >= idleLimit {
                idle.connection.close()
                reusable = nil
            }
            let started = clock.now
            var connection = reusable?.connection
            let outcome: LoadOutcome
            var errorText: String?
            var closing = false
            do {
                if connection == nil {
                    connection = try await KeepAliveConnection.open(
                        host: endpoint.host, port: endpoint.port, group: MultiThreadedEventLoopGroup.singleton,
                        connectTimeout: min(requestTimeout, .seconds(5)))
                }
                let response = try await connection!.exchange(endpoint.request, timeout: requestTimeout)
                outcome = .response(status: response.status)
                closing = !response.keepAlive
                if response.keepAlive {
                    open[endpoint.address] = (connection!, clock.now)
                } else {
                    connection?.close()
                }
            } catch {
                connection?.close()
                outcome = LoadErrorKind.classify(error)
                errorText = String(describing: error)
            }
            recorder.record(
                target: endpoint.name, outcome: outcome, seconds: (clock.now - started).seconds, error: errorText,
                closing: closing)
            // A refused connection fails at once: do not spin on it when there is no pace.
            if interval == nil, outcome == .connectError { try? await Task.sleep(for: .milliseconds(10)) }
        }
    }
}

/// A target as the keep-alive mode sends to it: where to connect and the request to write.
struct KeepAliveEndpoint: Sendable {
    let name: String
    let host: String
    let port: Int
    let request: HTTPRequestHead
    /// `host:port`: requests to one address share a connection.
    var address: String { "\(host):\(port)" }

    init?(_ target: LoadTarget) {
        guard let components = URLComponents(string: target.url), components.scheme == "http",
            let host = components.host, !host.isEmpty
        else { return nil }
        let port = components.port ?? 80
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let uri = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
        let hostHeader = host.contains(":") ? "[\(host)]" : host
        var request = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        request.headers.add(name: "Host", value: components.port == nil ? hostHeader : "\(hostHeader):\(port)")
        self.name = target.name
        self.host = host
        self.port = port
        self.request = request
    }
}
