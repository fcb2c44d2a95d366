import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Shared
import Synchronization

/// One conversation with a data-plane replica, on the control socket or a cluster connection:
/// `hello` first, then snapshots out and `ack`/`nack`/`report`/`heartbeat` in.
struct ReplicaConversation: Sendable {
    /// Who is on the other end, as the transport knows it.
    enum Peer: Sendable {
        /// On the Unix socket: the peer's pid, when the kernel says.
        case local(pid: Int?)
        /// Over mutual TLS: its address and the channel, whose verified client certificate names it.
        case remote(address: String, channel: any Channel)
    }

    let publisher: SnapshotPublisher
    let logger: Logger
    /// How long a new connection has to say `hello`.
    let helloTimeout: Duration
    /// For remote replicas: the certificate names accepted (`--cluster-allowed-names`); `nil`
    /// accepts any certificate the cluster CA signed.
    var allowedNames: Set<String>? = nil

    /// How long a remote replica may say nothing before its connection is closed: replicas
    /// report every second, so only a replica whose machine or network is gone stays silent.
    var silenceLimit: Duration = .seconds(60)

    private static let connectionCounter = Atomic<UInt64>(0)

    /// A connection id no other conversation of this process has.
    static func nextConnectionID() -> UInt64 {
        connectionCounter.add(1, ordering: .relaxed).newValue
    }

    /// Runs the conversation to its end. `greetedOrEnded` is called once: when the peer's
    /// hello was answered (accepted or refused), or when the connection ended before.
    func run(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, peer: Peer,
        greetedOrEnded: @escaping @Sendable () -> Void = {}
    ) async {
        let state = NIOLockedValueBox(HelloState.waiting)
        // The state leaves `.waiting` once: that departure is what `greetedOrEnded` hears of.
        let settle: @Sendable (HelloState) -> Void = { next in
            let left = state.withLockedValue { current -> Bool in
                guard current == .waiting else { return false }
                current = next
                return true
            }
            if left { greetedOrEnded() }
        }
        defer { settle(.closed) }
        let id = Self.nextConnectionID()
        let outbox = ReplicaOutbox()
        let clock = ContinuousClock()
        let lastHeard = NIOLockedValueBox(clock.now)
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
                            try await ControlSocketServer.untilCancelled()
                        }
                    }
                    group.addTask {
                        for try await frame in inbound {
                            lastHeard.withLockedValue { $0 = clock.now }
                            let message: DataPlaneMessage
                            do {
                                message = try frame.withUnsafeReadableBytes {
                                    try DataPlaneMessage.decode(fromJSON: $0)
                                }
                            } catch {
                                logger.warning(
                                    "malformed message from a replica, closing",
                                    metadata: ["error": "\(error)", "peer": "\(peer.description)"])
                                return
                            }
                            if let problem = message.boundsProblem {
                                logger.warning(
                                    "out-of-range message from a replica, closing",
                                    metadata: ["error": "\(problem)", "peer": "\(peer.description)"])
                                return
                            }
                            switch (state.withLockedValue { $0 }, message) {
                            case (.waiting, .hello(let hello)):
                                let names = await peer.certificateNames()
                                switch admit(hello, peer: peer, certificateNames: names) {
                                case .refuse(let hello, let reason):
                                    settle(.refused)
                                    await publisher.refused(hello, address: peer.address, reason: reason)
                                    // Written through the channel to wait until it left, then closed.
                                    try await connection.channel.writeAndFlush(
                                        ByteBuffer(bytes: ControlPlaneMessage.refused(reason: reason).encoded()))
                                    return
                                case .accept(let hello):
                                    settle(.accepted)
                                    await publisher.connected(id, hello: hello, address: peer.address, outbox: outbox)
                                }
                            case (.accepted, _):
                                await publisher.received(id, message)
                            case (.refused, _), (.closed, _):
                                // A refusal ends the conversation: nothing more is read.
                                return
                            case (.waiting, _):
                                logger.warning(
                                    "replica did not say hello first, closing",
                                    metadata: ["peer": "\(peer.description)"])
                                return
                            }
                        }
                    }
                    // A peer that says nothing is not left holding a connection.
                    group.addTask { [helloTimeout] in
                        try await Task.sleep(for: helloTimeout)
                        switch state.withLockedValue({ $0 }) {
                        case .accepted:
                            try await ControlSocketServer.untilCancelled()
                        case .refused, .closed:
                            return
                        case .waiting:
                            logger.warning(
                                "replica said no hello within \(helloTimeout), closing",
                                metadata: ["peer": "\(peer.description)"])
                        }
                    }
                    if case .remote = peer {
                        group.addTask { [silenceLimit] in
                            while true {
                                try await Task.sleep(for: silenceLimit / 4)
                                let silent = clock.now - lastHeard.withLockedValue { $0 }
                                guard silent < silenceLimit else {
                                    logger.warning(
                                        "remote replica said nothing for \(silent), closing",
                                        metadata: ["peer": "\(peer.description)"])
                                    return
                                }
                            }
                        }
                    }
                    // Whichever side ends first ends the conversation.
                    try await group.next()
                    group.cancelAll()
                    outbox.finish()
                }
            }
        } catch {
            if case .remote = peer {
                // Mostly a failed handshake: a certificate from another CA, expired, or none.
                logger.warning(
                    "cluster connection ended", metadata: ["error": "\(error)", "peer": "\(peer.description)"])
            } else {
                logger.debug("control socket connection ended", metadata: ["error": "\(error)"])
            }
        }
        outbox.finish()
        if state.withLockedValue({ $0 }) == .accepted { await publisher.disconnected(id) }
    }

    private enum HelloState {
        case waiting, accepted, refused
        /// The connection ended before a hello was answered.
        case closed
    }

    enum Admission {
        case accept(DataPlaneMessage.Hello)
        case refuse(DataPlaneMessage.Hello, reason: String)
    }

    /// What the control plane makes of a `hello`: what the transport knows replaces what the
    /// message says (the kernel's pid; a remote replica is never supervised and hands over no
    /// socket), and a remote replica must have an allowed certificate name and a compatible version.
    func admit(_ said: DataPlaneMessage.Hello, peer: Peer, certificateNames names: [String]) -> Admission {
        var hello = said
        switch peer {
        case .local(let pid):
            if let pid, hello.pid != pid {
                logger.warning(
                    "hello names another pid than the socket's peer; using the peer's",
                    metadata: ["said": "\(hello.pid)", "peer": "\(pid)"])
                hello.pid = pid
            }
            return .accept(hello)
        case .remote:
            hello.supervised = false
            hello.inheritedListener = nil
            hello.inheritedTLSListener = nil
            if let allowedNames, !names.contains(where: allowedNames.contains) {
                let shown = names.isEmpty ? "no name" : names.joined(separator: ", ")
                return .refuse(hello, reason: "certificate name (\(shown)) is not in --cluster-allowed-names")
            }
            if let reason = ProductVersion.refusal(dataPlane: hello.softwareVersion) {
                return .refuse(hello, reason: reason)
            }
            return .accept(hello)
        }
    }
}

extension ReplicaConversation.Peer: CustomStringConvertible {
    /// The remote address, `nil` on the control socket.
    var address: String? {
        if case .remote(let address, _) = self { return address }
        return nil
    }

    var description: String { address ?? "control socket" }

    /// The names of a remote peer's certificate; none on the control socket.
    func certificateNames() async -> [String] {
        guard case .remote(_, let channel) = self else { return [] }
        return await ClusterListener.certificateNames(of: channel)
    }
}
