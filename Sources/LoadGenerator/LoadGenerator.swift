import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An open-loop load client: sends requests at a steady rate, spread round-robin over its targets,
/// and counts every outcome, so a test or a benchmark can say exactly how many requests failed.
///
/// Requests start on schedule whether or not earlier ones have finished (up to `maxInFlight`), so
/// a stall in the server shows up as latency and errors, not as a quietly lower rate.
public final class LoadGenerator: Sendable {
    /// What to send and how fast.
    public struct Configuration: Sendable {
        public var targets: [LoadTarget]
        /// Requests per second over all targets.
        public var requestsPerSecond: Double
        /// The most requests in flight at once; further ticks wait for one to finish.
        public var maxInFlight: Int
        /// How long one request may take, connect to last body byte.
        public var requestTimeoutSeconds: Double
        /// How long the client keeps an unused connection open. Shorter than the gateway's drain
        /// timeout, so that a draining replica never has to close an idle connection the client
        /// may be reusing at that very moment (the usual rule for keep-alive: the client gives up
        /// on an idle connection before the server does).
        public var idleTimeoutSeconds: Double

        public init(
            targets: [LoadTarget],
            requestsPerSecond: Double,
            maxInFlight: Int = 256,
            requestTimeoutSeconds: Double = 30,
            idleTimeoutSeconds: Double = 1
        ) {
            self.targets = targets
            self.requestsPerSecond = requestsPerSecond
            self.maxInFlight = maxInFlight
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
        }
    }

    private let configuration: Configuration
    private let requestTimeout: TimeAmount
    private let client: HTTPClient
    private let recorder = LoadRecorder()
    private let stopping = NIOLockedValueBox(false)
    private let run = NIOLockedValueBox<Task<Double, Never>?>(nil)

    /// Starts sending at once.
    public static func start(_ configuration: Configuration) -> LoadGenerator {
        precondition(!configuration.targets.isEmpty, "a load run needs at least one target")
        precondition(configuration.requestsPerSecond > 0, "the request rate must be positive")
        let generator = LoadGenerator(configuration: configuration)
        let task = Task { await generator.send() }
        generator.run.withLockedValue { $0 = task }
        return generator
    }

    private init(configuration: Configuration) {
        self.configuration = configuration
        let requestTimeout = TimeAmount.milliseconds(Int64(configuration.requestTimeoutSeconds * 1000))
        self.requestTimeout = requestTimeout
        var clientConfiguration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5), read: requestTimeout),
            decompression: .disabled
        )
        clientConfiguration.connectionPool = .init(
            idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)),
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
        try? await client.shutdown()
        return recorder.summary(durationSeconds: duration)
    }

    /// Runs for `seconds`, then stops and returns the summary.
    public func run(forSeconds seconds: Double) async -> LoadSummary {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        return await stop()
    }

    private func send() async -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.nanoseconds(Int64(1e9 / configuration.requestsPerSecond))
        await withTaskGroup(of: Void.self) { group in
            var index = 0
            var inFlight = 0
            while !stopping.withLockedValue({ $0 }) {
                let due = start + interval * index
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                if stopping.withLockedValue({ $0 }) { break }
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
        do {
            let request = HTTPClientRequest(url: target.url)
            let response = try await client.execute(request, timeout: requestTimeout)
            _ = try await response.body.collect(upTo: 64 * 1024 * 1024)
            outcome = .response(status: Int(response.status.code))
        } catch {
            outcome = LoadErrorKind.classify(error)
            errorText = String(describing: error)
        }
        recorder.record(target: target.name, outcome: outcome, seconds: (clock.now - started).seconds, error: errorText)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
