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
                channel.eventLoop.makeCompletedFuture { try Self.framed(channel) }
            }
        guard chmod(path, 0o600) == 0 else {
            try? await bound.channel.close()
            throw ControlPlaneError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    package func run() async throws {
        try await withGracefulShutdownHandler {
            try await bound.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await self.converse(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            bound.channel.close(promise: nil)
        }
    }

    private func converse(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = await Self.peerCredentials(of: connection.channel)
        if let peer, !peer.isSameUser {
            logger.warning(
                "control socket peer runs as another user, closing",
                metadata: ["peer.pid": "\(peer.pid)", "peer.uid": "\(peer.uid)"])
            try? await connection.executeThenClose { _, _ in }
            return
        }
        let conversation = ReplicaConversation(publisher: publisher, logger: logger, helloTimeout: helloTimeout)
        await conversation.run(connection, peer: .local(pid: peer.flatMap { $0.pid > 0 ? Int($0.pid) : nil }))
    }
}

extension ControlSocketServer {
    /// Adds the protocol's framing (a 4-byte length, frames of at most ``maximumControlFrameSize``)
    /// to `channel`'s pipeline and wraps it for async use: the control socket's and the cluster
    /// port's connections alike.
    static func framed(_ channel: any Channel) throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(
            ByteToMessageHandler(
                LengthFieldBasedFrameDecoder(lengthFieldLength: .four), maximumBufferSize: maximumControlFrameSize + 4))
        try pipeline.addHandler(LengthFieldPrepender(lengthFieldLength: .four))
        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
    }

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
