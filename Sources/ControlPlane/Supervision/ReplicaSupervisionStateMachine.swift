import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Every supervision decision, with no I/O, no lock and no clock: the replica slots, restarts with
/// their backoff, adopted replicas, rollouts and shutdown. Each ``Event`` (and
/// ``requestRollout(replicas:at:)``) returns the ``Action``s to carry out, in order;
/// ``ReplicaSupervisor`` feeds the events and carries the actions out after releasing its lock.
/// Time comes in with each event (``Time``), so tests drive it with made-up instants.
///
/// A pid is never signalled after its exit was reported: the machine forgets a process when
/// ``Event/replicaExited(pid:exit:)`` arrives and only then asks for it to be reaped
/// (``Action/reap(_:)``), after every signal it asked for earlier.
struct ReplicaSupervisionStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// The timings and sockets the machine works with.
    struct Settings: Sendable {
        var replicaCount: Int
        var restartDelay: Duration = .milliseconds(100)
        var maximumRestartDelay: Duration = .seconds(10)
        var restartResetAfter: Duration = .seconds(30)
        var drainTimeout: Duration = .seconds(30)
        var killMargin: Duration = .seconds(2)
        var readyTimeout: Duration = .seconds(30)
        /// The socket replicas inherit as fd 3; -1 until an adopted replica hands it over.
        var listenSocket: Int32
        /// The TLS socket replicas inherit as fd 4; `nil`: none; -1 until handed over.
        var tlsListenSocket: Int32? = nil
    }

    /// When an event happened: a monotonic instant for delays, a wall-clock date for what
    /// `/dataplanes` and `/dataplanes/rollout` show.
    struct Time: Sendable {
        var instant: Instant
        var date: Date
    }

    /// Something that happened to the supervisor or one of its processes.
    enum Event: Sendable {
        /// Supervision begins; `adopted` are the replicas a previous control plane left running.
        case start(adopted: [ReplicaRegistryFile.Entry])
        /// ``Action/spawn(slot:generation:sockets:)`` started `pid`.
        case spawned(generation: Int, pid: pid_t)
        /// ``Action/spawn(slot:generation:sockets:)`` failed.
        case spawnFailed(generation: Int, error: SupervisionError)
        /// A process asked to be watched (``Action/watchExit(_:adopted:)``) has exited; a child
        /// is not reaped yet.
        case replicaExited(pid: pid_t, exit: ProcessExit)
        /// What the replica directory says about a replica a rollout waits for: whether it is
        /// connected and holds `version`, the current snapshot's.
        case replicaReadiness(pid: pid_t, ready: Bool, version: Int)
        /// ``Action/drain(_:deadline:)`` found no connection to the replica to send `drain` on.
        case drainNotDelivered(pid: pid_t)
        /// A timer scheduled with ``Action/scheduleTimer(_:at:)`` is due.
        case timerFired(Timer)
        /// A listening socket replicas inherit arrived (from an adopted replica, or bound late).
        case listenerArrived(InheritedListener, fileDescriptor: Int32)
        /// Pass `signal` on to every replica (SIGHUP: reopen access logs).
        case forwardSignal(Int32)
        /// Graceful shutdown or cancellation: stop every replica.
        case shutdownRequested
    }

    /// What a timer is for.
    enum Timer: Hashable, Sendable {
        /// The restart backoff of a slot is over.
        case restart(slot: Int)
        /// The replicas had their drain timeout plus the margin to stop: SIGKILL to the rest.
        case stopDeadline
        /// A rollout's new replica had ``Settings/readyTimeout`` to become ready.
        case readyDeadline(pid: pid_t)
        /// A retired replica had its drain timeout plus the margin to exit.
        case drainDeadline(pid: pid_t)
    }

    /// What the executor does, in order.
    enum Action: Sendable, Equatable {
        /// Start the data plane for `slot` on `sockets` (from fd 3 on); answer with
        /// ``Event/spawned(generation:pid:)`` or ``Event/spawnFailed(generation:error:)``.
        case spawn(slot: Int, generation: Int, sockets: [Int32])
        /// Report ``Event/replicaExited(pid:exit:)`` when `pid` exits; an adopted replica is not
        /// this process's child (its status is unknown, it is never reaped).
        case watchExit(pid_t, adopted: Bool)
        /// Reap the exited child `pid`.
        case reap(pid_t)
        case signal(pid_t, Int32)
        /// Ask the replica to drain over its connection (else report
        /// ``Event/drainNotDelivered(pid:)``).
        case drain(pid_t, deadline: Duration)
        /// Report ``Event/replicaReadiness(pid:ready:version:)`` now and whenever it may have changed.
        case watchReadiness(pid_t)
        case stopWatchingReadiness(pid_t)
        /// Report ``Event/timerFired(_:)`` at `at` (not earlier; a timer the machine no longer
        /// wants is ignored when it fires).
        case scheduleTimer(Timer, at: Instant)
        /// Replace `replicas.json` with these entries.
        case writeRegistry([ReplicaRegistryFile.Entry])
        /// Close a socket that arrived but is not wanted.
        case closeListener(Int32)
        case log(Note)
        /// Every replica has stopped and been reaped: supervision is over.
        case finished
    }

    /// What an operator reads in the log.
    enum Note: Sendable, Equatable {
        case adopted([pid_t])
        case survivorsIgnored([pid_t])
        case started(slot: Int, pid: pid_t, restarts: Int, duringShutdown: Bool)
        case startFailed(slot: Int, error: String, restartIn: Duration)
        case waitingForListener(slot: Int)
        case stopped(slot: Int, pid: pid_t, exit: ProcessExit)
        case exited(slot: Int, pid: pid_t, exit: ProcessExit, ran: Duration, restartIn: Duration)
        case stopping([pid_t], killAfter: Duration)
        case killedAfterGrace([pid_t])
        case rolloutStarted(from: Int, to: Int)
        case rolloutReplicaReady(slot: Int, pid: pid_t, oldPid: pid_t?)
        case rolloutSlotRestartedMeanwhile(slot: Int)
        case rolloutKilledRetired(pid_t)
        case rolloutSucceeded(replaced: Int)
        case rolloutFailed(String)
    }

    /// One replica slot.
    struct Slot: Sendable {
        enum Phase: Sendable, Equatable {
            /// Not started yet.
            case idle
            /// A spawn is out.
            case spawning(generation: Int)
            case running(pid_t)
            /// Waiting for its restart timer.
            case restarting
            /// Waiting for an adopted replica to hand the sockets over.
            case waitingForListener
            case stopped
        }

        var status: ReplicaProcessStatus
        var phase: Phase = .idle
        var backoff: RestartBackoff<Instant>
        /// When the slot's current process started (for the log's `ran`).
        var startedAt: Instant?
        /// Removed by a rollout that scales down.
        var removed = false
    }

    /// A process the machine watches.
    private struct Process: Sendable {
        enum Role: Sendable, Equatable {
            /// The replica of a slot.
            case slot(Int)
            /// Started by a rollout, not ready yet.
            case candidate
            /// Replaced (or removed) by a rollout, draining.
            case retiring(slot: Int)
            /// Killed without joining a slot; only reaped.
            case abandoned
        }

        var role: Role
        /// Not this process's child (left by a previous control plane).
        var adopted: Bool
    }

    private enum SpawnPurpose: Sendable {
        case slot(Int)
        case candidate(slot: Int)
    }

    /// Where a rollout stands.
    private struct Plan: Sendable {
        enum Step: Sendable, Equatable {
            case none
            case spawning(generation: Int)
            case awaitingReady(pid_t)
            case retiring(pid_t)
        }

        var current: Int
        var target: Int
        var slot = 1
        var step = Step.none
        /// The snapshot version the new replica has to acknowledge, as last reported.
        var version = 0
    }

    let settings: Settings
    private(set) var slots: [Slot]
    private var processes: [pid_t: Process] = [:]
    private var spawns: [Int: SpawnPurpose] = [:]
    private var nextGeneration = 1
    /// Armed timers and when they are due.
    private var timers: [Timer: Instant] = [:]
    private(set) var started = false
    private(set) var stopping = false
    private(set) var finished = false
    private(set) var rollout = RolloutStatus()
    private var plan: Plan?
    private(set) var listenSocket: Int32
    private(set) var tlsListenSocket: Int32?

    /// The replicas the machine keeps running once a rollout in progress is done: what a replica
    /// started now shares the machine with.
    var plannedReplicaCount: Int { plan?.target ?? slots.count }

    init(settings: Settings) {
        self.settings = settings
        self.listenSocket = settings.listenSocket
        self.tlsListenSocket = settings.tlsListenSocket
        self.slots = (0..<max(settings.replicaCount, 0)).map { index in
            Slot(
                status: ReplicaProcessStatus(slot: index + 1),
                backoff: RestartBackoff(
                    initial: settings.restartDelay, maximum: settings.maximumRestartDelay,
                    resetAfter: settings.restartResetAfter))
        }
    }

    /// The slots as `/dataplanes` shows them.
    var replicas: [ReplicaProcessStatus] { slots.map(\.status) }

    /// The descriptors a replica inherits, from fd 3 on; `nil` while one has not been handed over.
    var inheritedSockets: [Int32]? {
        guard listenSocket >= 0 else { return nil }
        guard let tlsListenSocket else { return [listenSocket] }
        return tlsListenSocket >= 0 ? [listenSocket, tlsListenSocket] : nil
    }

    /// The listeners still awaited from adopted replicas.
    var missingListeners: [InheritedListener] {
        (listenSocket < 0 ? [.proxy] : []) + (tlsListenSocket.map { $0 < 0 ? [.proxyTLS] : [] } ?? [])
    }

    /// What `replicas.json` lists now.
    var registryEntries: [ReplicaRegistryFile.Entry] { ReplicaRegistryFile.entries(replicas) }

    mutating func handle(_ event: Event, at time: Time) -> [Action] {
        guard !finished else {
            switch event {
            // Supervision is over (or shut down before it began); a socket that still arrives
            // is not wanted.
            case .listenerArrived(_, let fd): return [.closeListener(fd)]
            case .start: return [.finished]
            default: return []
            }
        }
        switch event {
        case .start(let adopted): return start(adopted: adopted, at: time)
        case .spawned(let generation, let pid): return spawned(generation: generation, pid: pid, at: time)
        case .spawnFailed(let generation, let error): return spawnFailed(generation: generation, error: error, at: time)
        case .replicaExited(let pid, let exit): return exited(pid: pid, exit: exit, at: time)
        case .replicaReadiness(let pid, let ready, let version):
            return readiness(pid: pid, ready: ready, version: version, at: time)
        case .drainNotDelivered(let pid):
            guard processes[pid] != nil else { return [] }
            // SIGTERM only when the message could not be sent: the replica drains on either.
            return [.signal(pid, SIGTERM)]
        case .timerFired(let timer): return fired(timer, at: time)
        case .listenerArrived(let listener, let fd): return listenerArrived(listener, fd: fd, at: time)
        case .forwardSignal(let signal):
            let pids = Set(slots.compactMap(\.status.pid)).union(processes.filter { $0.value.role == .candidate }.keys)
            return pids.sorted().map { .signal($0, signal) }
        case .shutdownRequested: return shutdown(at: time)
        }
    }

    // MARK: Slots

    private mutating func start(adopted: [ReplicaRegistryFile.Entry], at time: Time) -> [Action] {
        guard !started else { return [] }
        started = true
        var actions: [Action] = []
        var adoptedPids: [pid_t] = []
        var ignored: [pid_t] = []
        for entry in adopted {
            let index = entry.slot - 1
            guard slots.indices.contains(index), slots[index].status.pid == nil else {
                ignored.append(entry.pid)
                continue
            }
            adoptedPids.append(entry.pid)
            slots[index].status.pid = entry.pid
            slots[index].status.state = .running
            slots[index].status.startedAt = (try? Date(entry.startedAt, strategy: .iso8601)) ?? time.date
            slots[index].status.restarts = entry.restarts
            slots[index].phase = .running(entry.pid)
            slots[index].startedAt = time.instant
            slots[index].backoff.started(at: time.instant)
            processes[entry.pid] = Process(role: .slot(entry.slot), adopted: true)
            actions.append(.watchExit(entry.pid, adopted: true))
        }
        if !adoptedPids.isEmpty { actions.append(.log(.adopted(adoptedPids))) }
        if !ignored.isEmpty { actions.append(.log(.survivorsIgnored(ignored))) }
        actions.append(.writeRegistry(registryEntries))
        for index in slots.indices where slots[index].phase == .idle {
            actions += startReplica(slot: index + 1)
        }
        return actions
    }

    /// Starts the replica of `slot` when the sockets are there, else waits for them.
    private mutating func startReplica(slot: Int) -> [Action] {
        let index = slot - 1
        guard !stopping else {
            slots[index].phase = .stopped
            return []
        }
        guard let sockets = inheritedSockets else {
            let logged = slots[index].phase == .waitingForListener
            slots[index].phase = .waitingForListener
            return logged ? [] : [.log(.waitingForListener(slot: slot))]
        }
        let generation = nextGeneration
        nextGeneration += 1
        spawns[generation] = .slot(slot)
        slots[index].phase = .spawning(generation: generation)
        return [.spawn(slot: slot, generation: generation, sockets: sockets)]
    }

    private mutating func spawned(generation: Int, pid: pid_t, at time: Time) -> [Action] {
        guard let purpose = spawns.removeValue(forKey: generation) else { return [] }
        switch purpose {
        case .slot(let slot):
            let index = slot - 1
            guard slots.indices.contains(index), !slots[index].removed else {
                // The slot went away (scaled down) while its replica was starting.
                processes[pid] = Process(role: .abandoned, adopted: false)
                return [.watchExit(pid, adopted: false), .signal(pid, SIGTERM)]
            }
            processes[pid] = Process(role: .slot(slot), adopted: false)
            if slots[index].status.state != .pending { slots[index].status.restarts += 1 }
            slots[index].status.pid = pid
            slots[index].status.state = .running
            slots[index].status.startedAt = time.date
            slots[index].status.lastError = nil
            slots[index].phase = .running(pid)
            slots[index].startedAt = time.instant
            slots[index].backoff.started(at: time.instant)
            var actions: [Action] = [.watchExit(pid, adopted: false)]
            // A replica started while shutdown began is told to stop at once.
            if stopping { actions.append(.signal(pid, SIGTERM)) }
            actions.append(.writeRegistry(registryEntries))
            actions.append(
                .log(
                    .started(
                        slot: slot, pid: pid, restarts: slots[index].status.restarts, duringShutdown: stopping)))
            return actions
        case .candidate:
            guard !stopping, plan?.step == .spawning(generation: generation) else {
                processes[pid] = Process(role: .abandoned, adopted: false)
                var actions: [Action] = [.watchExit(pid, adopted: false), .signal(pid, SIGKILL)]
                if plan != nil { actions += failRollout("the control plane is shutting down", at: time) }
                return actions
            }
            processes[pid] = Process(role: .candidate, adopted: false)
            plan?.step = .awaitingReady(pid)
            let deadline = time.instant.advanced(by: settings.readyTimeout)
            timers[.readyDeadline(pid: pid)] = deadline
            return [
                .watchExit(pid, adopted: false), .watchReadiness(pid),
                .scheduleTimer(.readyDeadline(pid: pid), at: deadline),
            ]
        }
    }

    private mutating func spawnFailed(generation: Int, error: SupervisionError, at time: Time) -> [Action] {
        guard let purpose = spawns.removeValue(forKey: generation) else { return [] }
        switch purpose {
        case .slot(let slot):
            let index = slot - 1
            guard slots.indices.contains(index) else { return finishIfDone(at: time) }
            // A failed start counts as a (re)start attempt for the restart counter.
            if slots[index].status.state != .pending { slots[index].status.restarts += 1 }
            slots[index].status.state = stopping ? .stopped : .restarting
            slots[index].status.lastError = error.description
            guard !stopping, !slots[index].removed else {
                slots[index].phase = .stopped
                return finishIfDone(at: time)
            }
            let delay = slots[index].backoff.exited(at: time.instant)
            return [.log(.startFailed(slot: slot, error: error.description, restartIn: delay))]
                + restart(slot: slot, after: delay, at: time)
        case .candidate:
            guard plan?.step == .spawning(generation: generation) else { return finishIfDone(at: time) }
            return failRollout(error.description, at: time) + finishIfDone(at: time)
        }
    }

    private mutating func restart(slot: Int, after delay: Duration, at time: Time) -> [Action] {
        let deadline = time.instant.advanced(by: delay)
        slots[slot - 1].phase = .restarting
        timers[.restart(slot: slot)] = deadline
        return [.scheduleTimer(.restart(slot: slot), at: deadline)]
    }

    private mutating func exited(pid: pid_t, exit: ProcessExit, at time: Time) -> [Action] {
        guard let process = processes.removeValue(forKey: pid) else { return [] }
        // Forgotten first, reaped after: the pid is never signalled once it may be reused. A
        // process that is not this one's child cannot be reaped (and its pid may already be
        // a child's).
        var actions: [Action] = process.adopted ? [] : [.reap(pid)]
        switch process.role {
        case .slot(let slot):
            let index = slot - 1
            slots[index].status.pid = nil
            slots[index].status.lastExit = exit
            slots[index].status.lastExitAt = time.date
            if stopping || slots[index].removed {
                slots[index].status.state = .stopped
                slots[index].phase = .stopped
                actions.append(.writeRegistry(registryEntries))
                actions.append(.log(.stopped(slot: slot, pid: pid, exit: exit)))
            } else {
                slots[index].status.state = .restarting
                let ran = slots[index].startedAt.map { $0.duration(to: time.instant) } ?? .zero
                let delay = slots[index].backoff.exited(at: time.instant)
                actions.append(.writeRegistry(registryEntries))
                actions.append(.log(.exited(slot: slot, pid: pid, exit: exit, ran: ran, restartIn: delay)))
                actions += restart(slot: slot, after: delay, at: time)
            }
        case .candidate:
            timers[.readyDeadline(pid: pid)] = nil
            actions.append(.stopWatchingReadiness(pid))
            actions += failRollout(
                "replica pid \(pid) exited with \(exit) before acknowledging version \(plan?.version ?? 0)", at: time)
        case .retiring(let slot):
            timers[.drainDeadline(pid: pid)] = nil
            let index = slot - 1
            if slots.indices.contains(index), slots[index].removed {
                slots[index].status.pid = nil
                slots[index].status.state = .stopped
                slots[index].phase = .stopped
                actions.append(.writeRegistry(registryEntries))
            }
            if plan?.step == .retiring(pid) { actions += advanceRollout(at: time) }
        case .abandoned:
            break
        }
        return actions + finishIfDone(at: time)
    }

    private mutating func fired(_ timer: Timer, at time: Time) -> [Action] {
        guard let deadline = timers[timer] else { return [] }
        // A timer that fires a little early (clocks differ) is scheduled again.
        guard deadline <= time.instant else { return [.scheduleTimer(timer, at: deadline)] }
        timers[timer] = nil
        switch timer {
        case .restart(let slot):
            guard slots.indices.contains(slot - 1), slots[slot - 1].phase == .restarting else { return [] }
            return startReplica(slot: slot)
        case .stopDeadline:
            // Every process still here, abandoned ones too: shutdown waits for all of them.
            let pids = processes.keys.sorted()
            guard !pids.isEmpty else { return [] }
            return pids.map { .signal($0, SIGKILL) } + [.log(.killedAfterGrace(pids))]
        case .readyDeadline(let pid):
            guard plan?.step == .awaitingReady(pid) else { return [] }
            processes[pid]?.role = .abandoned
            return [.signal(pid, SIGKILL), .stopWatchingReadiness(pid)]
                + failRollout(
                    "replica pid \(pid) not ready after \(settings.readyTimeout.secondsText) s (version \(plan?.version ?? 0) not acknowledged)",
                    at: time)
        case .drainDeadline(let pid):
            guard case .retiring? = processes[pid]?.role else { return [] }
            return [.signal(pid, SIGKILL), .log(.rolloutKilledRetired(pid))]
        }
    }

    private mutating func listenerArrived(_ listener: InheritedListener, fd: Int32, at time: Time) -> [Action] {
        guard !stopping else { return [.closeListener(fd)] }
        switch listener {
        case .proxy:
            guard listenSocket < 0 else { return [.closeListener(fd)] }
            listenSocket = fd
        case .proxyTLS:
            guard tlsListenSocket == -1 else { return [.closeListener(fd)] }
            tlsListenSocket = fd
        }
        guard inheritedSockets != nil else { return [] }
        var actions: [Action] = []
        for index in slots.indices where slots[index].phase == .waitingForListener {
            actions += startReplica(slot: index + 1)
        }
        return actions
    }

    // MARK: Shutdown

    private mutating func shutdown(at time: Time) -> [Action] {
        guard !stopping else { return [] }
        stopping = true
        var actions: [Action] = []
        for index in slots.indices {
            switch slots[index].phase {
            case .restarting, .waitingForListener, .idle:
                timers[.restart(slot: index + 1)] = nil
                slots[index].phase = .stopped
            case .spawning, .running, .stopped:
                break
            }
        }
        if case .awaitingReady(let pid)? = plan?.step {
            processes[pid]?.role = .abandoned
            timers[.readyDeadline(pid: pid)] = nil
            actions += [.signal(pid, SIGKILL), .stopWatchingReadiness(pid)]
            actions += failRollout("the control plane is shutting down", at: time)
        }
        guard started else {
            finished = true
            return actions
        }
        let pids = processes.filter { $0.value.role != .abandoned }.keys.sorted()
        actions += pids.map { .signal($0, SIGTERM) }
        let grace = settings.drainTimeout + settings.killMargin
        let deadline = time.instant.advanced(by: grace)
        timers[.stopDeadline] = deadline
        actions.append(.scheduleTimer(.stopDeadline, at: deadline))
        actions.append(.log(.stopping(pids, killAfter: grace)))
        return actions + finishIfDone(at: time)
    }

    /// Once shutting down with every process reaped and no start outstanding: the end.
    private mutating func finishIfDone(at time: Time) -> [Action] {
        guard stopping, !finished, processes.isEmpty, spawns.isEmpty else { return [] }
        finished = true
        timers = [:]
        var actions: [Action] = []
        if plan != nil { actions += failRollout("the control plane is shutting down", at: time) }
        for index in slots.indices {
            slots[index].status.state = .stopped
            slots[index].phase = .stopped
        }
        return actions + [.writeRegistry(registryEntries), .finished]
    }

    // MARK: Rollout

    /// Starts replacing every replica, one slot at a time; `replicas` also changes the count.
    /// ``rollout`` is the status to answer with.
    ///
    /// For each slot: start the new replica, wait until it is ready (``Event/replicaReadiness(pid:ready:version:)``),
    /// hand it the slot and drain the old one until it exits (SIGKILL after the drain timeout and
    /// the margin). A new replica that exits or is not ready in ``Settings/readyTimeout`` is
    /// killed and the rollout fails, leaving the rest untouched.
    mutating func requestRollout(replicas: Int?, at time: Time) throws(RolloutRefusal) -> [Action] {
        guard settings.replicaCount > 0 else { throw .notSupervising }
        guard started, !stopping, !finished else { throw .stopping }
        guard rollout.state != .running else { throw .alreadyRunning }
        let current = slots.count
        let target = replicas ?? current
        rollout = RolloutStatus(
            state: .running, startedAt: time.date, finishedAt: nil, replaced: 0, total: max(current, target),
            error: nil, steps: [])
        plan = Plan(current: current, target: target)
        return [.log(.rolloutStarted(from: current, to: target))] + beginRolloutSlot(at: time)
    }

    /// Works on the plan's slot: removes it (scaling down) or starts its new replica.
    private mutating func beginRolloutSlot(at time: Time) -> [Action] {
        while let current = plan {
            let slot = current.slot
            guard slot <= max(current.current, current.target) else { return completeRollout(at: time) }
            guard slot > current.target else { return startCandidate(slot: slot, at: time) }
            // Scaling down: drain the slot's replica, or stop its restarts.
            let index = slot - 1
            slots[index].removed = true
            let old = slots[index].status.pid
            rollout.steps.append(.init(slot: slot, oldPid: old, newPid: nil))
            if let old {
                processes[old]?.role = .retiring(slot: slot)
                plan?.step = .retiring(old)
                return retire(old, at: time)
            }
            timers[.restart(slot: slot)] = nil
            // A replica still starting is stopped once it has (``spawned(generation:pid:at:)``).
            if case .spawning = slots[index].phase {
            } else {
                slots[index].phase = .stopped
                slots[index].status.state = .stopped
            }
            rollout.replaced += 1
            plan?.slot += 1
            plan?.step = Plan.Step.none
        }
        return []
    }

    private mutating func startCandidate(slot: Int, at time: Time) -> [Action] {
        guard !stopping else { return failRollout("the control plane is shutting down", at: time) }
        guard let sockets = inheritedSockets else {
            let missing = missingListeners
            return failRollout(
                "the adopted replicas have not handed over the \(missing.map(\.rawValue).joined(separator: " and "))"
                    + " socket\(missing.count > 1 ? "s" : "") yet", at: time)
        }
        let generation = nextGeneration
        nextGeneration += 1
        spawns[generation] = .candidate(slot: slot)
        plan?.step = .spawning(generation: generation)
        return [.spawn(slot: slot, generation: generation, sockets: sockets)]
    }

    private mutating func readiness(pid: pid_t, ready: Bool, version: Int, at time: Time) -> [Action] {
        guard let current = plan, current.step == .awaitingReady(pid) else { return [] }
        plan?.version = version
        guard ready else { return [] }
        timers[.readyDeadline(pid: pid)] = nil
        return [.stopWatchingReadiness(pid)] + handOver(slot: current.slot, to: pid, at: time)
    }

    /// Gives `slot` to its ready new replica and retires the old one.
    private mutating func handOver(slot: Int, to pid: pid_t, at time: Time) -> [Action] {
        guard let current = plan else { return [] }
        let index = slot - 1
        guard slot <= current.current else {
            // Scaling up: a new slot.
            var added = Slot(
                status: ReplicaProcessStatus(slot: slot),
                backoff: RestartBackoff(
                    initial: settings.restartDelay, maximum: settings.maximumRestartDelay,
                    resetAfter: settings.restartResetAfter))
            added.status.pid = pid
            added.status.state = .running
            added.status.startedAt = time.date
            added.phase = .running(pid)
            added.startedAt = time.instant
            added.backoff.started(at: time.instant)
            slots.append(added)
            processes[pid]?.role = .slot(slot)
            rollout.steps.append(.init(slot: slot, oldPid: nil, newPid: pid))
            return [.writeRegistry(registryEntries), .log(.rolloutReplicaReady(slot: slot, pid: pid, oldPid: nil))]
                + advanceRollout(at: time)
        }
        guard let old = slots[index].status.pid else {
            // A slot whose replica died meanwhile is restarting with the new executable already.
            processes[pid]?.role = .abandoned
            return [.signal(pid, SIGKILL), .log(.rolloutSlotRestartedMeanwhile(slot: slot))] + advanceRollout(at: time)
        }
        processes[old]?.role = .retiring(slot: slot)
        processes[pid]?.role = .slot(slot)
        slots[index].status.pid = pid
        slots[index].status.state = .running
        slots[index].status.startedAt = time.date
        slots[index].status.restarts += 1
        slots[index].phase = .running(pid)
        slots[index].startedAt = time.instant
        slots[index].backoff.started(at: time.instant)
        rollout.steps.append(.init(slot: slot, oldPid: old, newPid: pid))
        plan?.step = .retiring(old)
        return [.writeRegistry(registryEntries), .log(.rolloutReplicaReady(slot: slot, pid: pid, oldPid: old))]
            + retire(old, at: time)
    }

    /// Asks `pid` to drain; SIGKILL after the drain timeout plus the margin.
    private mutating func retire(_ pid: pid_t, at time: Time) -> [Action] {
        let deadline = time.instant.advanced(by: settings.drainTimeout + settings.killMargin)
        timers[.drainDeadline(pid: pid)] = deadline
        return [.drain(pid, deadline: settings.drainTimeout), .scheduleTimer(.drainDeadline(pid: pid), at: deadline)]
    }

    private mutating func advanceRollout(at time: Time) -> [Action] {
        rollout.replaced += 1
        plan?.slot += 1
        plan?.step = Plan.Step.none
        return beginRolloutSlot(at: time)
    }

    private mutating func completeRollout(at time: Time) -> [Action] {
        guard let current = plan else { return [] }
        plan = nil
        var actions: [Action] = []
        if current.target < current.current {
            slots.removeLast(current.current - current.target)
            actions.append(.writeRegistry(registryEntries))
        }
        rollout.state = .succeeded
        rollout.finishedAt = time.date
        return actions + [.log(.rolloutSucceeded(replaced: rollout.replaced))]
    }

    private mutating func failRollout(_ error: String, at time: Time) -> [Action] {
        plan = nil
        rollout.state = .failed
        rollout.error = error
        rollout.finishedAt = time.date
        return [.log(.rolloutFailed(error))]
    }
}
