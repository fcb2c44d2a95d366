import Foundation
import Shared

/// Where a rolling replacement of the replicas stands, as `/dataplanes/rollout` shows it.
package struct RolloutStatus: Sendable, Equatable {
    package enum State: String, Sendable {
        /// No rollout has run since the control plane started.
        case idle
        case running
        case succeeded
        case failed
    }

    /// One replaced (or added, or removed) replica.
    package struct Step: Sendable, Equatable {
        package var slot: Int
        /// The retired process; `nil` when the slot was added by scaling up.
        package var oldPid: Int32?
        /// Its replacement; `nil` when the slot was removed by scaling down.
        package var newPid: Int32?
    }

    package var state: State = .idle
    package var startedAt: Date?
    package var finishedAt: Date?
    /// Slots done so far.
    package var replaced = 0
    /// Slots to do: every existing slot plus any added, plus any removed.
    package var total = 0
    /// Why the rollout failed.
    package var error: String?
    package var steps: [Step] = []
}

/// Why a rollout cannot start.
package enum RolloutRefusal: Error, Sendable, Equatable {
    /// The control plane runs with `--replicas 0`.
    case notSupervising
    /// Another rollout is in progress.
    case alreadyRunning
    /// The control plane is shutting down.
    case stopping
}
