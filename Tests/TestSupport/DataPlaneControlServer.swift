import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import Shared

/// The control plane's end of the snapshot socket, for data-plane tests: listens on a real Unix
/// socket, accepts replicas, and lets a test send frames and read what replicas say.
public final class DataPlaneControlServer: @unchecked Sendable {
    private let channel: any Channel
    private let connections: AsyncStream<ReplicaConnection>
    private var iterator: AsyncStream<ReplicaConnection>.AsyncIterator

    public static func start(path: String) async throws -> DataPlaneControlServer {
        let (stream, continuation) = AsyncStream.makeStream(of: ReplicaConnection.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let (frames, frameContinuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldLength: .four)))
                    try pipeline.addHandler(LengthFieldPrepender(lengthFieldLength: .four))
                    try pipeline.addHandler(FrameCollector(continuation: frameContinuation))
                    continuation.yield(ReplicaConnection(channel: channel, frames: frames))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        return DataPlaneControlServer(channel: channel, connections: stream)
    }

    private init(channel: any Channel, connections: AsyncStream<ReplicaConnection>) {
        self.channel = channel
        self.connections = connections
        self.iterator = connections.makeAsyncIterator()
    }

    /// The next replica that connects.
    public func accept(timeout: Double = 30) async throws -> ReplicaConnection {
        let box = IteratorBox(iterator)
        let connection = try await withTimeout(timeout, "a replica connection") { await box.next() }
        iterator = box.iterator
        guard let connection else { throw TimedOut(description: "control server closed") }
        return connection
    }

    /// Stops listening and closes the socket (connections stay open until closed).
    public func stop() async {
        try? await channel.close()
    }
}

/// One replica's connection to the test control server.
public final class ReplicaConnection: @unchecked Sendable {
    let channel: any Channel
    var iterator: AsyncStream<ByteBuffer>.AsyncIterator

    init(channel: any Channel, frames: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.iterator = frames.makeAsyncIterator()
    }

    /// Sends a control-plane message.
    public func send(_ message: ControlPlaneMessage) async throws {
        try await sendRaw(message.encoded())
    }

    /// Sends raw bytes as one frame.
    public func sendRaw(_ data: Data) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: data))
    }

    /// The heartbeats the replica sent, oldest first: kept aside, as they travel beside
    /// everything else on their own clock.
    public private(set) var heartbeats: [DataPlaneMessage.Heartbeat] = []

    /// The next message from the replica that is not a heartbeat.
    public func receive(timeout: Double = 30) async throws -> DataPlaneMessage {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let box = IteratorBox(iterator)
            let frame = try await withTimeout(max(0.1, deadline.timeIntervalSinceNow), "a message from the replica") {
                await box.next()
            }
            iterator = box.iterator
            guard let frame else { throw TimedOut(description: "replica closed the connection") }
            let message = try JSONDecoder().decode(DataPlaneMessage.self, from: Data(frame.readableBytesView))
            if case .heartbeat(let heartbeat) = message {
                heartbeats.append(heartbeat)
                continue
            }
            return message
        }
    }

    /// The next message that is not a periodic report.
    public func receiveSkippingReports(timeout: Double = 30) async throws -> DataPlaneMessage {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let message = try await receive(timeout: max(0.1, deadline.timeIntervalSinceNow))
            if case .report = message { continue }
            return message
        }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Lets an iterator be advanced inside a task and handed back.
private final class IteratorBox<Element: Sendable>: @unchecked Sendable {
    var iterator: AsyncStream<Element>.AsyncIterator
    init(_ iterator: AsyncStream<Element>.AsyncIterator) { self.iterator = iterator }
    func next() async -> Element? { await iterator.next() }
}

/// Runs `body`, failing with ``TimedOut`` after `seconds`.
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async -> T) async throws
    -> T
{
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            throw TimedOut(description: "no \(what) within \(seconds)s")
        }
        let value = try await group.next()!
        group.cancelAll()
        return value
    }
}
