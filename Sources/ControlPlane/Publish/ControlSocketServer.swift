import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Shared

/// Listens on the control socket (mode 0600) and runs one conversation per data-plane replica:
/// `hello` first, then snapshots out and `ack`/`nack`/`report` in.
package struct ControlSocketServer: Service {
    let path: String
    let publisher: SnapshotPublisher
    let logger: Logger
    /// How long a new connection has to say `hello`.
    let helloTimeout: Duration
    private let bound: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    /// Binds the socket now, so that replicas can connect as soon as the control plane starts.
    package init(
        path: String, publisher: SnapshotPublisher, logger: Logger, helloTimeout: Duration = .seconds(10)
    ) async throws {
        self.helloTimeout = helloTimeout
        self.path = path
        self.publisher = publisher
        self.logger = logger
        bound = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(
                            LengthFieldBasedFrameDecoder(lengthFieldLength: .four),
                            maximumBufferSize: maximumControlFrameSize + 4))
                    try channel.pipeline.syncOperations.addHandler(LengthFieldPrepender(lengthFieldLength: .four))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        guard chmod(path, 0o600) == 0 else {
            try? await bound.channel.close()
            throw ControlPlaneError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    package func run() async throws {
        let counter = ConnectionCounter()
        try await withGracefulShutdownHandler {
            try await bound.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        let id = counter.next()
                        group.addTask { await self.converse(connection, id: id) }
                    }
                }
            }
        } onGracefulShutdown: {
            bound.channel.close(promise: nil)
        }
    }

    private func converse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, id: UInt64) async {
        let outbox = ReplicaOutbox()
        let peer = await Self.peerCredentials(of: connection.channel)
        if let peer, !peer.isSameUser {
            logger.warning(
                "control socket peer runs as another user, closing",
                metadata: ["peer.pid": "\(peer.pid)", "peer.uid": "\(peer.uid)"])
            try? await connection.channel.close()
            return
        }
        let peerPid = peer.flatMap { $0.pid > 0 ? Int($0.pid) : nil }
        let said = NIOLockedValueBox(false)
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Three writers on one connection: snapshots and health updates (only the newest
                    // of each waits) and the other messages. Each frame is written whole, so they
                    // never interleave.
                    for stream in outbox.streams {
                        group.addTask {
                            for await message in stream {
                                try await outbound.write(ByteBuffer(bytes: message.encoded()))
                            }
                            // The publisher finished the outbox: keep the conversation until the
                            // other side ends it.
                            try await Self.untilCancelled()
                        }
                    }
                    group.addTask {
                        var greeted = false
                        for try await var frame in inbound {
                            let data = Data(frame.readBytes(length: frame.readableBytes) ?? [])
                            let message: DataPlaneMessage
                            do {
                                message = try NodeDecoder.decode(DataPlaneMessage.self, fromJSON: data)
                            } catch {
                                logger.warning(
                                    "malformed message on control socket, closing", metadata: ["error": "\(error)"])
                                return
                            }
                            if let problem = message.boundsProblem {
                                logger.warning(
                                    "out-of-range message on control socket, closing", metadata: ["error": "\(problem)"]
                                )
                                return
                            }
                            if case .hello(var hello) = message, !greeted {
                                // The kernel knows who is on the other end; the message only says.
                                if let peerPid, hello.pid != peerPid {
                                    logger.warning(
                                        "hello names another pid than the socket's peer; using the peer's",
                                        metadata: ["said": "\(hello.pid)", "peer": "\(peerPid)"])
                                    hello.pid = peerPid
                                }
                                greeted = true
                                said.withLockedValue { $0 = true }
                                await publisher.connected(id, hello: hello, outbox: outbox)
                            } else if greeted {
                                await publisher.received(id, message)
                            } else {
                                logger.warning("control socket peer did not say hello first, closing")
                                return
                            }
                        }
                    }
                    // A peer that says nothing is not left holding a connection.
                    group.addTask { [helloTimeout] in
                        try await Task.sleep(for: helloTimeout)
                        guard said.withLockedValue({ $0 }) else {
                            logger.warning("control socket peer said no hello within \(helloTimeout), closing")
                            return
                        }
                        try await Self.untilCancelled()
                    }
                    // Whichever side ends first ends the conversation.
                    try await group.next()
                    group.cancelAll()
                    outbox.finish()
                }
            }
        } catch {
            logger.debug("control socket connection ended", metadata: ["error": "\(error)"])
        }
        outbox.finish()
        await publisher.disconnected(id)
    }
}

extension ControlSocketServer {
    /// Suspends until the task is cancelled: a conversation task whose work is done but whose
    /// ending must not end the conversation.
    static func untilCancelled() async throws {
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    /// The peer of a Unix socket connection (`SO_PEERCRED`), if the system says.
    static func peerCredentials(of channel: any Channel) async -> PeerCredentials? {
        #if canImport(Glibc)
            guard let provider = channel as? any SocketOptionProvider else { return nil }
            return try? await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
            ).get()
        #else
            return nil
        #endif
    }
}

/// Hands out connection ids.
private final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0
    func next() -> UInt64 {
        lock.withLock {
            value += 1; return value
        }
    }
}
