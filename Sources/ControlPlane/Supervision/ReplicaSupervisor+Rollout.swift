import Foundation
import Logging
import Synchronization

extension ReplicaSupervisor {
    /// The running or last rollout.
    package var rollout: RolloutStatus {
        state.withLock { $0.machine.rollout }
    }

    /// Starts replacing every replica, one slot at a time, with a new process of the executable as
    /// it is on disk now; `replicas` also changes the replica count. Returns the initial status.
    ///
    /// For each slot: start the new replica on the shared socket, wait until it is connected and
    /// has acknowledged the current snapshot, then drain the old one (`drain` message, else SIGTERM;
    /// SIGKILL after the drain timeout and a margin). A new replica that exits or is not ready in
    /// ``Configuration/readyTimeout`` is killed and the rollout fails, leaving the rest untouched.
    /// The steps are ``ReplicaSupervisionStateMachine/requestRollout(replicas:at:)``'s.
    ///
    /// - Throws: ``RolloutRefusal`` when there is nothing to roll or a rollout is running.
    package func startRollout(replicas: Int? = nil) throws(RolloutRefusal) -> RolloutStatus {
        let (status, wakeUp) = try state.withLock { state throws(RolloutRefusal) -> (RolloutStatus, WakeUp?) in
            let actions = try state.machine.requestRollout(replicas: replicas, at: Self.now())
            return (state.machine.rollout, Self.enqueue(actions, in: &state))
        }
        wakeUp?.resume()
        return status
    }
}
