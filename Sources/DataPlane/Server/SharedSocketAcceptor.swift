import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts connections on a listening socket that other replica processes share (inherited
/// through `LISTEN_FDS`), on a thread of its own, and hands each one to an event loop.
///
/// Why not NIO's server channel: when several processes wait on one listening socket with
/// epoll, every one of them is woken for each new connection and all but one find nothing to
/// accept. NIO treats such an empty wake-up as impossible (an assertion in debug builds). Here a
/// losing `accept` is simply `EAGAIN`. The cost is one thread hop per connection, never per request.
package final class SharedSocketAcceptor: Sendable {
    private let descriptor: Int32
    private let group: any EventLoopGroup
    private let initializer: @Sendable (any Channel) -> EventLoopFuture<Void>
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let connections: ConnectionTracker

    private struct State {
        var stopping = false
        /// The accept thread runs.
        var accepting = false
        /// Accepted sockets not yet registered with an event loop (and the connection tracker).
        var adopting = 0
        var stopWaiters: [CheckedContinuation<Void, Never>] = []

        /// The waiters to resume when nothing is accepted or being adopted any more.
        mutating func takeWaitersIfSettled() -> [CheckedContinuation<Void, Never>] {
            guard !accepting, adopting == 0 else { return [] }
            defer { stopWaiters = [] }
            return stopWaiters
        }
    }

    package init(
        descriptor: Int32, group: any EventLoopGroup, connections: ConnectionTracker, logger: Logger,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) {
        self.descriptor = descriptor
        self.connections = connections
        self.group = group
        self.logger = logger
        self.initializer = initializer
    }

    /// The address the shared socket is bound to, as `host:port`.
    package var localAddress: String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let named = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo(
                    $0, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                    NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard named == 0 else { return nil }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let port = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return hostText.contains(":") ? "[\(hostText)]:\(port)" : "\(hostText):\(port)"
    }

    /// Starts accepting on a dedicated thread.
    package func start() {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        state.withLockedValue { $0.accepting = true }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "orch-acceptor"
        thread.start()
    }

    /// Stops accepting new connections and returns once the accept thread has ended (within
    /// about 100 ms) and every connection it accepted is registered with the connection tracker,
    /// so that a drain sees them all. The shared socket stays open for the other replicas.
    package func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let settled = state.withLockedValue { state -> Bool in
                state.stopping = true
                guard state.accepting || state.adopting > 0 else { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if settled { continuation.resume() }
        }
    }

    private var isStopping: Bool { state.withLockedValue { $0.stopping } }

    private func acceptLoop() {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !isStopping {
            poller.revents = 0
            let ready = poll(&poller, 1, 100)
            guard ready > 0 else { continue }
            while !isStopping {
                // At the connection limit, leave new connections in the kernel's queue (or to
                // the other replicas) until one closes.
                if connections.isFull {
                    usleep(10_000)
                    break
                }
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    switch errno {
                    case EAGAIN, EWOULDBLOCK: break  // another replica took it
                    case EINTR, ECONNABORTED: continue
                    default:
                        logger.warning("accept failed", metadata: ["errno": "\(errno)"])
                        usleep(10_000)  // EMFILE and friends: let connections close
                    }
                    break
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                adopt(client)
            }
        }
        let waiters = state.withLockedValue { state in
            state.accepting = false
            return state.takeWaitersIfSettled()
        }
        waiters.forEach { $0.resume() }
    }

    private func adopt(_ client: Int32) {
        let loop = group.next()
        let initializer = initializer
        state.withLockedValue { $0.adopting += 1 }
        let adopted = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in initializer(channel) }
            .withConnectedSocket(client)
        adopted.whenComplete { [logger, state] result in
            if case .failure(let error) = result {
                logger.debug("could not adopt an accepted connection", metadata: ["error": "\(error)"])
            }
            let waiters = state.withLockedValue { state in
                state.adopting -= 1
                return state.takeWaitersIfSettled()
            }
            waiters.forEach { $0.resume() }
        }
    }
}
