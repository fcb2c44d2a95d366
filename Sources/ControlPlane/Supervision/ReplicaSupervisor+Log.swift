import Foundation
import Logging

extension ReplicaSupervisor {
    /// Writes what the machine noted to the log.
    func log(_ note: Machine.Note) {
        switch note {
        case .adopted(let pids):
            logger.info(
                "adopted data-plane replicas left running by a previous control plane",
                metadata: ["orch.replica.pids": "\(pids)"])
        case .survivorsIgnored(let pids):
            logger.warning(
                "surviving replicas beyond the replica count are not supervised; stop them by hand",
                metadata: ["orch.replica.pids": "\(pids)"])
        case .started(let slot, let pid, let restarts, let duringShutdown):
            logger.info(
                "data-plane replica started",
                metadata: [
                    "orch.replica.slot": "\(slot)", "orch.replica.pid": "\(pid)",
                    "orch.replica.restarts": "\(restarts)",
                ])
            if duringShutdown { logger.debug("replica started during shutdown; sent SIGTERM") }
        case .startFailed(let slot, let error, let delay):
            logger.error(
                "cannot start data-plane replica",
                metadata: [
                    "orch.replica.slot": "\(slot)", "orch.error": "\(error)",
                    "orch.restart_in_ms": "\(Int(delay.seconds * 1000))",
                ])
        case .waitingForListener(let slot):
            logger.error(
                "cannot restart the replica until an adopted replica hands over the proxy socket",
                metadata: ["orch.replica.slot": "\(slot)"])
        case .stopped(let slot, let pid, let exit):
            logger.info(
                "data-plane replica stopped",
                metadata: ["orch.replica.slot": "\(slot)", "orch.replica.pid": "\(pid)", "orch.exit": "\(exit)"])
        case .exited(let slot, let pid, let exit, let ran, let delay):
            logger.error(
                "data-plane replica exited; restarting",
                metadata: [
                    "orch.replica.slot": "\(slot)", "orch.replica.pid": "\(pid)", "orch.exit": "\(exit)",
                    "orch.ran_s": "\(ran.seconds.formatted(.number.precision(.fractionLength(1))))",
                    "orch.restart_in_ms": "\(Int(delay.seconds * 1000))",
                ])
        case .stopping(let pids, let grace):
            logger.info(
                "stopping data-plane replicas",
                metadata: ["orch.replica.pids": "\(pids)", "orch.kill_after_s": "\(grace.secondsText)"])
        case .killedAfterGrace(let pids):
            logger.warning(
                "data-plane replicas did not drain in time; sent SIGKILL", metadata: ["orch.replica.pids": "\(pids)"])
        case .rolloutStarted(let from, let to):
            logger.info("rollout started", metadata: ["orch.replicas": "\(from) -> \(to)"])
        case .rolloutReplicaReady(let slot, let pid, let old):
            logger.info(
                "rollout: replica ready",
                metadata: [
                    "orch.replica.slot": "\(slot)", "orch.replica.pid": "\(pid)",
                    "orch.replica.old_pid": "\(old.map { "\($0)" } ?? "-")",
                ])
        case .rolloutSlotRestartedMeanwhile(let slot):
            logger.info("rollout: slot restarted on its own meanwhile", metadata: ["orch.replica.slot": "\(slot)"])
        case .rolloutKilledRetired(let pid):
            logger.warning(
                "rollout: replica did not drain in time; sent SIGKILL", metadata: ["orch.replica.pid": "\(pid)"])
        case .rolloutSucceeded(let replaced):
            logger.info("rollout succeeded", metadata: ["orch.replaced": "\(replaced)"])
        case .rolloutFailed(let error):
            logger.error("rollout failed", metadata: ["orch.error": "\(error)"])
        }
    }
}
