import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

extension ReplicaSupervisor {
    /// Sends `signal` to every replica running in a slot or starting for one; returns how many.
    /// The signals are sent by `run()` after the lock is released, in order with every other
    /// action, so never to a pid already reaped.
    @discardableResult
    package func signalReplicas(_ signal: Int32) -> Int {
        handle(.forwardSignal(signal)).count
    }
}

/// Passes SIGHUP on to the supervised replicas, which reopen their access-log files: one
/// `kill -HUP` of the control plane after logrotate renamed the file. SIGHUP no longer ends the
/// control plane.
package struct ReplicaSignalForwarder: Service {
    let supervisor: ReplicaSupervisor
    let logger: Logger

    package init(supervisor: ReplicaSupervisor, logger: Logger) {
        self.supervisor = supervisor
        self.logger = logger
    }

    package func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            let count = supervisor.signalReplicas(SIGHUP)
            logger.info("SIGHUP passed on to the replicas (access logs reopen)", metadata: ["replicas": "\(count)"])
        }
    }
}
