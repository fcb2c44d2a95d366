import Foundation
import Logging
import ServiceLifecycle
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// After a restart that adopted running replicas: gets the proxy's listening sockets (the
/// plaintext one, and the TLS one when the replicas have it) back from one of them, so that
/// replicas can be restarted and rolled again.
///
/// A `Service` of the control plane's group that returns once it is done (the group is told to
/// ignore that), and ends early with graceful shutdown.
struct ListenerRecovery: Service {
    let supervisor: ReplicaSupervisor
    let publisher: SnapshotPublisher
    /// The Unix socket path the replica sends the descriptors to.
    let path: String
    /// The address the adopted replicas serve.
    let expected: HostPort
    /// The TLS address the adopted replicas serve, when this control plane has a TLS listener.
    let expectedTLS: HostPort?
    /// How long to keep asking before giving up.
    let timeout: Duration
    let logger: Logger

    init(
        supervisor: ReplicaSupervisor, publisher: SnapshotPublisher, path: String, expected: HostPort,
        expectedTLS: HostPort? = nil, timeout: Duration, logger: Logger
    ) {
        self.supervisor = supervisor
        self.publisher = publisher
        self.path = path
        self.expected = expected
        self.expectedTLS = expectedTLS
        self.timeout = timeout
        self.logger = logger
    }

    /// Asks connected replicas for the sockets until the supervisor has every one it needs or
    /// `timeout` passes. A TLS socket that no replica hands over is bound anew at the end, which
    /// works when no adopted replica holds the address.
    func run() async {
        await cancelWhenGracefulShutdown { await recover() }
    }

    private func recover() async {
        let handOver: ListenerHandOver
        do {
            handOver = try ListenerHandOver(path: path)
        } catch {
            logger.error(
                "cannot receive the proxy socket from the adopted replicas", metadata: ["orch.error": "\(error)"])
            return
        }
        defer { handOver.close() }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        // Woken when a replica that can hand over connects (or goes away).
        let wakeup = Wakeup()
        let holders = await publisher.listenerHolders()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in holders { wakeup.wake() }
            }
            await ask(through: handOver, until: deadline, wakeup: wakeup)
            group.cancelAll()
        }
        guard !Task.isCancelled else { return }
        let missing = supervisor.missingListeners
        if missing == [.proxyTLS], let expectedTLS, bindTLS(expectedTLS) { return }
        guard !missing.isEmpty else { return }
        logger.error(
            "the adopted replicas did not hand over the proxy socket; they keep serving, but one that exits cannot be restarted and rollouts are refused (see docs/user-guide/replicas.md)",
            metadata: [
                "orch.timeout_s": "\(timeout.secondsText)", "orch.listeners": "\(missing.map(\.rawValue))",
            ])
    }

    /// Asks connected replicas for the sockets until the supervisor has them all or `deadline`
    /// passes; waits for a replica that can hand over to connect when none is, and half a second
    /// between attempts that did not bring everything.
    private func ask(through handOver: ListenerHandOver, until deadline: ContinuousClock.Instant, wakeup: Wakeup) async
    {
        while ContinuousClock.now < deadline && !Task.isCancelled {
            let missing = supervisor.missingListeners
            if missing.isEmpty { return }
            guard
                let replica = await publisher.requestListener(path: path, preferringTLS: missing.contains(.proxyTLS))
            else {
                await wakeup.wait(until: deadline)
                continue
            }
            do {
                adopt(try await handOver.receiveAsync(timeout: .seconds(5)), from: replica)
            } catch {
                logger.warning(
                    "replica did not hand over a usable proxy socket",
                    metadata: ["orch.replica": "\(replica)", "orch.error": "\(error)"])
            }
            if supervisor.missingListeners.isEmpty { return }
            try? await Task.sleep(until: min(ContinuousClock.now.advanced(by: .milliseconds(500)), deadline))
        }
    }

    /// Checks and passes on what one replica sent.
    private func adopt(_ received: ListenerHandOver.Received, from replica: String) {
        if let fd = received.proxy {
            do {
                supervisor.listenerArrived(try ListeningSocket(adopting: fd, expected: expected), as: .proxy)
            } catch {
                logger.warning(
                    "replica handed over an unusable proxy socket",
                    metadata: ["orch.replica": "\(replica)", "orch.error": "\(error)"])
            }
        }
        if let fd = received.proxyTLS {
            guard let expectedTLS else {
                // The replicas serve TLS, but this control plane runs without a TLS listener:
                // the replicas it starts get none.
                close(fd)
                logger.notice(
                    "the adopted replicas serve a TLS socket, but --proxy-tls-address is not set; replicas started from now on serve plaintext only",
                    metadata: ["orch.replica": "\(replica)"])
                return
            }
            do {
                supervisor.listenerArrived(try ListeningSocket(adopting: fd, expected: expectedTLS), as: .proxyTLS)
            } catch {
                logger.warning(
                    "replica handed over an unusable TLS proxy socket",
                    metadata: ["orch.replica": "\(replica)", "orch.error": "\(error)"])
            }
        } else if supervisor.missingListeners.contains(.proxyTLS) {
            logger.warning("replica handed over no TLS proxy socket", metadata: ["orch.replica": "\(replica)"])
        }
    }

    /// Binds the TLS address here when no adopted replica handed its socket over.
    private func bindTLS(_ address: HostPort) -> Bool {
        do {
            supervisor.listenerArrived(try ListeningSocket(address: address), as: .proxyTLS)
            logger.warning(
                "no adopted replica handed over the TLS proxy socket; bound it anew",
                metadata: ["orch.proxy_tls": "\(address)"])
            return true
        } catch {
            logger.error(
                "no adopted replica handed over the TLS proxy socket and it cannot be bound anew",
                metadata: ["orch.proxy_tls": "\(address)", "orch.error": "\(error)"])
            return false
        }
    }
}
