import Foundation
import Shared

/// Where a rolling replacement of the replicas stands, as `/dataplanes/rollout` shows it.
package struct RolloutStatus: Sendable, Equatable, Encodable {
    package enum State: String, Sendable, Encodable {
        /// No rollout has run since the control plane started.
        case idle
        case running
        case succeeded
        case failed
    }

    /// One replaced (or added, or removed) replica.
    package struct Step: Sendable, Equatable, Encodable {
        package var slot: Int
        /// The retired process; `nil` when the slot was added by scaling up.
        package var oldPid: Int32?
        /// Its replacement; `nil` when the slot was removed by scaling down.
        package var newPid: Int32?

        enum CodingKeys: String, CodingKey {
            case slot
            case oldPid = "old_pid"
            case newPid = "new_pid"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(slot, forKey: .slot)
            try container.encode(oldPid, forKey: .oldPid)
            try container.encode(newPid, forKey: .newPid)
        }
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

    enum CodingKeys: String, CodingKey {
        case state
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case replaced, total, error, steps
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(startedAt.map(Timestamp.string), forKey: .startedAt)
        try container.encode(finishedAt.map(Timestamp.string), forKey: .finishedAt)
        try container.encode(replaced, forKey: .replaced)
        try container.encode(total, forKey: .total)
        try container.encode(error, forKey: .error)
        try container.encode(steps, forKey: .steps)
    }
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
