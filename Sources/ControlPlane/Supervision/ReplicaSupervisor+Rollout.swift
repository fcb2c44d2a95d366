import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension ReplicaSupervisor {
    /// The running or last rollout.
    package var rollout: RolloutStatus {
        state.withLock { $0.rollout }
    }

    /// Starts replacing every replica, one slot at a time, with a new process of the executable as
    /// it is on disk now; `replicas` also changes the replica count. Returns the initial status.
    ///
    /// For each slot: start the new replica on the shared socket, wait until it is connected and
    /// has acknowledged the current snapshot, then drain the old one (`drain` message, else SIGTERM;
    /// SIGKILL after the drain timeout and a margin). A new replica that exits or is not ready in
    /// ``Configuration/readyTimeout`` is killed and the rollout fails, leaving the rest untouched.
    ///
    /// - Throws: ``RolloutRefusal`` when there is nothing to roll or a rollout is running.
    package func startRollout(replicas: Int? = nil) throws(RolloutRefusal) -> RolloutStatus {
        guard configuration.replicaCount > 0 else { throw .notSupervising }
        return try state.withLock { state throws(RolloutRefusal) -> RolloutStatus in
            guard !state.stopping, state.addSlot != nil else { throw .stopping }
            guard state.rollout.state != .running else { throw .alreadyRunning }
            let current = state.slots.filter { !state.removedSlots.contains($0.slot) }.count
            let target = replicas ?? current
            state.rollout = RolloutStatus(
                state: .running, startedAt: Date(), finishedAt: nil, replaced: 0,
                total: max(current, target), error: nil, steps: [])
            state.rolloutTask = Task { await self.roll(from: current, to: target) }
            return state.rollout
        }
    }

    private func roll(from current: Int, to target: Int) async {
        logger.info("rollout started", metadata: ["orch.replicas": "\(current) -> \(target)"])
        do {
            for slot in 1...max(current, target) {
                if slot > target {
                    try await remove(slot: slot)
                } else {
                    try await replace(slot: slot, existing: slot <= current)
                }
                state.withLock { $0.rollout.replaced += 1 }
            }
            if target < current {
                state.withLock { state in
                    state.slots.removeLast(current - target)
                    for slot in (target + 1)...current { state.removedSlots.remove(slot) }
                    writeRegistryLogging(state.slots)
                }
            }
            finish(error: nil)
        } catch {
            finish(error: error.description)
        }
    }

    private func finish(error: String?) {
        let status = state.withLock { state in
            state.rollout.state = error == nil ? .succeeded : .failed
            state.rollout.error = error
            state.rollout.finishedAt = Date()
            return state.rollout
        }
        if let error {
            logger.error("rollout failed", metadata: ["orch.error": "\(error)"])
        } else {
            logger.info("rollout succeeded", metadata: ["orch.replaced": "\(status.replaced)"])
        }
    }

    /// Starts a replica for `slot`, waits until it is ready, then retires the slot's old replica.
    private func replace(slot: Int, existing: Bool) async throws(RolloutFailure) {
        let pid = try await startReady(slot: slot)
        let handOver = state.withLock { state -> (old: pid_t?, taken: Bool) in
            state.starting.remove(pid)
            guard existing else {
                var status = ReplicaProcessStatus(slot: slot)
                status.pid = pid
                status.state = .running
                status.startedAt = Date()
                state.slots.append(status)
                state.addSlot?.yield((slot, pid))
                state.rollout.steps.append(.init(slot: slot, oldPid: nil, newPid: pid))
                writeRegistryLogging(state.slots)
                return (nil, true)
            }
            // A slot whose replica died meanwhile is restarting with the new executable already.
            guard let old = state.slots[slot - 1].pid else { return (nil, false) }
            state.replacements[old] = pid
            state.slots[slot - 1].pid = pid
            state.slots[slot - 1].state = .running
            state.slots[slot - 1].startedAt = Date()
            state.slots[slot - 1].restarts += 1
            state.rollout.steps.append(.init(slot: slot, oldPid: old, newPid: pid))
            writeRegistryLogging(state.slots)
            return (old, true)
        }
        guard handOver.taken else {
            _ = abandon(pid, kill: true)
            logger.info("rollout: slot restarted on its own meanwhile", metadata: ["orch.replica.slot": "\(slot)"])
            return
        }
        logger.info(
            "rollout: replica ready",
            metadata: [
                "orch.replica.slot": "\(slot)", "orch.replica.pid": "\(pid)",
                "orch.replica.old_pid": "\(handOver.old.map { "\($0)" } ?? "-")",
            ])
        if let old = handOver.old { try await retire(old) }
    }

    /// Drains the replica of a slot removed by scaling down.
    private func remove(slot: Int) async throws(RolloutFailure) {
        let old = state.withLock { state -> pid_t? in
            state.removedSlots.insert(slot)
            state.rollout.steps.append(.init(slot: slot, oldPid: state.slots[slot - 1].pid, newPid: nil))
            return state.slots[slot - 1].pid
        }
        if let old { try await retire(old) }
    }

    /// Asks `pid` to drain and waits until its slot task has reaped it; SIGKILL after the drain
    /// timeout plus the margin.
    private func retire(_ pid: pid_t) async throws(RolloutFailure) {
        let seconds = configuration.drainTimeout.seconds
        var asked = 0
        if let publisher, let id = await publisher.replicaId(pid: Int(pid)) {
            asked = await publisher.drain(replicaId: id, deadlineSeconds: seconds)
        }
        // SIGTERM only when the message could not be sent: the replica drains on either, and a
        // signal arriving after a drain it already began is one request, but there is no need
        // to rely on that.
        if asked == 0 { signal(pid, SIGTERM) }
        let clock = ContinuousClock()
        let killAt = clock.now.advanced(by: configuration.drainTimeout + configuration.killMargin)
        var killed = false
        while state.withLock({ $0.retiredExits.removeValue(forKey: pid) }) == nil {
            if !killed && clock.now >= killAt {
                signal(pid, SIGKILL)
                killed = true
                logger.warning(
                    "rollout: replica did not drain in time; sent SIGKILL", metadata: ["orch.replica.pid": "\(pid)"])
            }
            do { try await Task.sleep(for: .milliseconds(50)) } catch { throw RolloutFailure("cancelled") }
        }
    }

    /// Signals a retiring replica unless its slot task has already reaped it.
    private func signal(_ pid: pid_t, _ signal: Int32) {
        state.withLock { state in
            if state.replacements[pid] != nil || state.slots.contains(where: { $0.pid == pid }) { kill(pid, signal) }
        }
    }

    /// Starts a replica of the executable as it is on disk now and waits until it has acknowledged
    /// the current snapshot; kills and reaps it when it exits or times out first.
    private func startReady(slot: Int) async throws(RolloutFailure) -> pid_t {
        let pid = try state.withLock { state throws(RolloutFailure) -> pid_t in
            guard !state.stopping else { throw RolloutFailure("the control plane is shutting down") }
            guard let sockets = state.inheritedSockets else {
                let missing = state.missingListeners
                throw RolloutFailure(
                    "the adopted replicas have not handed over the \(missing.map(\.rawValue).joined(separator: " and "))"
                        + " socket\(missing.count > 1 ? "s" : "") yet")
            }
            do {
                let pid = try ProcessSpawner.spawn(
                    .init(
                        executable: configuration.executable.path, arguments: configuration.arguments,
                        environment: configuration.environment(from: ProcessInfo.processInfo.environment, slot: slot),
                        inheritedSockets: sockets, outputPath: configuration.outputPath))
                state.starting.insert(pid)
                return pid
            } catch {
                throw RolloutFailure("\(error)")
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: configuration.readyTimeout)
        while true {
            let version = await publisher?.currentVersion ?? 0
            if hasExited(pid) {
                let exit = abandon(pid, kill: false)
                throw RolloutFailure("replica pid \(pid) exited with \(exit) before acknowledging version \(version)")
            }
            if await publisher?.isReady(pid: Int(pid)) ?? true { return pid }
            if clock.now >= deadline || isStopping {
                _ = abandon(pid, kill: true)
                throw RolloutFailure(
                    isStopping
                        ? "the control plane is shutting down"
                        : "replica pid \(pid) not ready after \(configuration.readyTimeout.secondsText) s (version \(version) not acknowledged)"
                )
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Kills (optionally) and reaps a replica that never joined a slot.
    private func abandon(_ pid: pid_t, kill shouldKill: Bool) -> ProcessExit {
        if shouldKill { kill(pid, SIGKILL) }
        let exit = ProcessExit.reap(pid)
        state.withLock { _ = $0.starting.remove(pid) }
        return exit
    }

    /// Whether child `pid` has exited (it is not reaped).
    private func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return result == 0 && info.si_signo == SIGCHLD
    }
}

/// Why a rollout stopped; the text is shown as the rollout's `error`.
struct RolloutFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
