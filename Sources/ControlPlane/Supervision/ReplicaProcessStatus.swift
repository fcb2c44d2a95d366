import Foundation
import Shared

/// What the supervisor knows about one replica slot, for the admin API's `/dataplanes`.
package struct ReplicaProcessStatus: Sendable, Equatable {
    /// Where the slot stands.
    package enum State: String, Sendable {
        /// Not started yet.
        case pending
        /// The process is running as ``ReplicaProcessStatus/pid``.
        case running
        /// It exited or could not be started; it is started again after a backoff delay.
        case restarting
        /// Shut down with the supervisor.
        case stopped
    }

    /// 1-based slot number; a restarted replica keeps its slot.
    package var slot: Int
    package var state: State
    /// The running process, `nil` when none runs in this slot.
    package var pid: Int32?
    /// When the current (or last) process of this slot was started.
    package var startedAt: Date?
    /// How many times this slot has been restarted after its first start.
    package var restarts: Int
    /// How the last process of this slot ended.
    package var lastExit: ProcessExit?
    package var lastExitAt: Date?
    /// Why the last start failed, when it did.
    package var lastError: String?

    init(slot: Int) {
        self.slot = slot
        self.state = .pending
        self.restarts = 0
    }
}
