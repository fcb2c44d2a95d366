/// One replica slot of the control plane's supervisor, as `/dataplanes` shows it.
package struct SupervisedReplica: Codable, Sendable, Equatable {
    /// 1-based; a restarted replica keeps its slot.
    package var slot: Int
    /// `pending`, `running`, `restarting` or `stopped`.
    package var state: String
    @NullEncoded package var pid: Int32?
    @NullEncoded package var startedAt: String?
    package var restarts: Int
    /// How the last process of this slot ended (`exit status 1`, `signal 9 (SIGKILL)`).
    @NullEncoded package var lastExit: String?
    @NullEncoded package var lastExitAt: String?
    /// Why the last start failed, when it did.
    @NullEncoded package var lastError: String?

    package init(
        slot: Int, state: String, pid: Int32? = nil, startedAt: String? = nil, restarts: Int, lastExit: String? = nil,
        lastExitAt: String? = nil, lastError: String? = nil
    ) {
        self.slot = slot
        self.state = state
        self.pid = pid
        self.startedAt = startedAt
        self.restarts = restarts
        self.lastExit = lastExit
        self.lastExitAt = lastExitAt
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case slot
        case state
        case pid
        case startedAt = "started_at"
        case restarts
        case lastExit = "last_exit"
        case lastExitAt = "last_exit_at"
        case lastError = "last_error"
    }
}
