import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A load client that counts every outcome, so a test or a benchmark can say exactly how many
/// requests failed. Two ways to send (``Mode``):
///
/// - keep-alive (the default): a few persistent connections, each sending its next request as
///   soon as it has the previous response (or at its share of ``Configuration/requestsPerSecond``),
///   reused until the server closes them, with no idle timeout of their own: the way Python's
///   `http.client`, curl and wrk behave. A request written on a connection the server is closing
///   at that moment fails and is counted, as it would be for those clients.
/// - open loop: requests start on schedule whether or not earlier ones have finished (up to
///   `maxInFlight`), through AsyncHTTPClient's connection pool, so a stall in the server shows up
///   as latency and errors, not as a quietly lower rate.
public final class LoadGenerator: Sendable {
    /// How requests go out.
    public enum Mode: Sendable, Equatable {
        /// `connections` persistent HTTP/1.1 connections (`http://` targets), requests back to back.
        case keepAlive(connections: Int)
        /// Requests on schedule at ``Configuration/requestsPerSecond`` through a connection pool.
        case openLoop
    }

    /// What to send and how fast.
    public struct Configuration: Sendable {
        public var targets: [LoadTarget]
        /// Requests per second over all targets: the schedule of an open loop (required there); in
        /// keep-alive mode a pace, `nil` for back to back.
        public var requestsPerSecond: Double?
        /// The most requests in flight at once in an open loop; further ticks wait for one to finish.
        public var maxInFlight: Int
        /// How long one request may take, connect to last body byte.
        public var requestTimeoutSeconds: Double
        /// How long the client keeps an unused connection before closing it itself. `nil` (the
        /// default): no limit, a connection is used until the server closes it, as most clients do.
        /// A value below the gateway's drain timeout means a draining replica never has to close
        /// an idle connection the client may be reusing at that very moment.
        public var idleTimeoutSeconds: Double?
        public var mode: Mode

        public init(
            targets: [LoadTarget],
            requestsPerSecond: Double? = nil,
            maxInFlight: Int = 256,
            requestTimeoutSeconds: Double = 30,
            idleTimeoutSeconds: Double? = nil,
            mode: Mode = .keepAlive(connections: 8)
        ) {
            self.targets = targets
            self.requestsPerSecond = requestsPerSecond
            self.maxInFlight = maxInFlight
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.mode = mode
        }
    }

    /// AsyncHTTPClient's pool has no "never" for its idle timeout; a deadline this far out
    /// saturates to the distant future, so the timer never fires.
    static let unlimitedIdleTimeout = TimeAmount.nanoseconds(.max)

    let configuration: Configuration
    let requestTimeout: TimeAmount
    /// The pooled client of an open loop.
    private let client: HTTPClient?
    /// The keep-alive mode's targets, parsed once.
    let endpoints: [KeepAliveEndpoint]
    let recorder = LoadRecorder()
    private let stopping = NIOLockedValueBox(false)
    private let run = NIOLockedValueBox<Task<Double, Never>?>(nil)

    /// Starts sending at once.
    public static func start(_ configuration: Configuration) -> LoadGenerator {
        precondition(!configuration.targets.isEmpty, "a load run needs at least one target")
        precondition((configuration.requestsPerSecond ?? 1) > 0, "the request rate must be positive")
        switch configuration.mode {
        case .openLoop:
            precondition(configuration.requestsPerSecond != nil, "an open loop needs a request rate")
        case .keepAlive(let connections):
            precondition(connections > 0, "keep-alive mode needs at least one connection")
            precondition(
                configuration.targets.allSatisfy { KeepAliveEndpoint($0) != nil },
                "keep-alive mode takes http:// targets")
        }
        let generator = LoadGenerator(configuration: configuration)
        let task = Task { await generator.send() }
        generator.run.withLockedValue { $0 = task }
        return generator
    }

    private init(configuration: Configuration) {
        self.configuration = configuration
        let requestTimeout = TimeAmount.milliseconds(Int64(configuration.requestTimeoutSeconds * 1000))
        self.requestTimeout = requestTimeout
        guard configuration.mode == .openLoop else {
            self.client = nil
            self.endpoints = configuration.targets.compactMap(KeepAliveEndpoint.init)
            return
        }
        self.endpoints = []
        var clientConfiguration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5), read: requestTimeout),
            decompression: .disabled
        )
        clientConfiguration.connectionPool = .init(
            idleTimeout: configuration.idleTimeoutSeconds.map { .milliseconds(Int64($0 * 1000)) }
                ?? Self.unlimitedIdleTimeout,
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxInFlight
        )
        clientConfiguration.httpVersion = .http1Only
        self.client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
    }

    /// Counts so far, while the run goes on.
    public func snapshot() -> LoadSummary {
        recorder.summary(durationSeconds: 0)
    }

    /// Stops sending, waits for the requests in flight, and returns what happened.
    public func stop() async -> LoadSummary {
        stopping.withLockedValue { $0 = true }
        let task = run.withLockedValue { $0 }
        let duration = await task?.value ?? 0
        try? await client?.shutdown()
        return recorder.summary(durationSeconds: duration)
    }

    /// Runs for `seconds`, then stops and returns the summary.
    public func run(forSeconds seconds: Double) async -> LoadSummary {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        return await stop()
    }

    var isStopping: Bool { stopping.withLockedValue { $0 } }

    private func send() async -> Double {
        switch configuration.mode {
        case .openLoop: await sendOpenLoop()
        case .keepAlive(let connections): await sendKeepAlive(connections: connections)
        }
    }

    private func sendOpenLoop() async -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.nanoseconds(Int64(1e9 / (configuration.requestsPerSecond ?? 1)))
        await withTaskGroup(of: Void.self) { group in
            var index = 0
            var inFlight = 0
            while !isStopping {
                let due = start + interval * index
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                if isStopping { break }
                if inFlight >= configuration.maxInFlight {
                    await group.next()
                    inFlight -= 1
                }
                let target = configuration.targets[index % configuration.targets.count]
                index += 1
                inFlight += 1
                group.addTask { [self] in await self.request(target) }
            }
            await group.waitForAll()
        }
        return (clock.now - start).seconds
    }

    private func request(_ target: LoadTarget) async {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: LoadOutcome
        var errorText: String?
        var closing = false
        do {
            let request = HTTPClientRequest(url: target.url)
            guard let client else { preconditionFailure("an open loop has a client") }
            let response = try await client.execute(request, timeout: requestTimeout)
            _ = try await response.body.collect(upTo: 64 * 1024 * 1024)
            outcome = .response(status: Int(response.status.code))
            closing = response.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
        } catch {
            outcome = LoadErrorKind.classify(error)
            errorText = String(describing: error)
        }
        recorder.record(
            target: target.name, outcome: outcome, seconds: (clock.now - started).seconds, error: errorText,
            closing: closing)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
