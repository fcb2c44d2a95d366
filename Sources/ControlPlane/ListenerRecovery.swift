import Foundation
import Logging
import Shared

/// After a restart that adopted running replicas: gets the proxy's listening socket back from
/// one of them, so that replicas can be restarted and rolled again.
struct ListenerRecovery {
    let supervisor: ReplicaSupervisor
    let publisher: SnapshotPublisher
    /// The Unix socket path the replica sends the descriptor to.
    let path: String
    /// The address the adopted replicas serve.
    let expected: ListenAddress
    /// How long to keep asking before giving up.
    let timeout: Duration
    let logger: Logger

    /// Asks connected replicas for the socket until one sends a valid one or `timeout` passes.
    func run() async {
        let handOver: ListenerHandOver
        do {
            handOver = try ListenerHandOver(path: path)
        } catch {
            logger.error(
                "cannot receive the proxy socket from the adopted replicas", metadata: ["orch.error": "\(error)"])
            return
        }
        defer { handOver.close() }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline && !Task.isCancelled {
            if let replica = await publisher.requestListener(path: path) {
                do {
                    let fd = try await handOver.receiveAsync(timeout: .seconds(5))
                    supervisor.listenerArrived(try ListeningSocket(adopting: fd, expected: expected))
                    return
                } catch {
                    logger.warning(
                        "replica did not hand over a usable proxy socket",
                        metadata: ["orch.replica": "\(replica)", "orch.error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
        guard !Task.isCancelled else { return }
        logger.error(
            "the adopted replicas did not hand over the proxy socket; they keep serving, but one that exits cannot be restarted and rollouts are refused (see docs/user-guide/replicas.md)",
            metadata: ["orch.timeout_s": "\(timeout.secondsText)"])
    }
}
