import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

extension ReplicaSupervisor {
    /// Sends `signal` to every replica running in a slot or starting for one; returns how many.
    /// The pids are read under the lock and signalled after it is released.
    @discardableResult
    package func signalReplicas(_ signal: Int32) -> Int {
        let pids = state.withLock { state in
            Array(Set(state.slots.compactMap(\.pid)).union(state.starting).union(state.replacements.values))
        }
        for pid in pids { kill(pid, signal) }
        return pids.count
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
