import Foundation
import Logging
import ServiceLifecycle
import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps ``Configuration/replicaCount`` `orch-data-plane` replicas running on one shared
/// listening socket (see ``ListeningSocket``), started like systemd socket activation: fd 3,
/// `LISTEN_FDS=1`, `LISTEN_FDNAMES=proxy`; with a TLS listener also fd 4, `LISTEN_FDS=2`,
/// `LISTEN_FDNAMES=proxy:proxy-tls`.
///
/// - A replica that exits is logged with its status and restarted after a backoff delay
///   (``RestartBackoff``).
/// - `run()` returns after graceful shutdown or cancellation: every replica gets SIGTERM, then
///   SIGKILL if it is still running after the drain timeout plus a margin; all are reaped.
/// - Replicas do not die with the control plane: after a `kill -9` of this process they keep
///   serving (they lead their own process groups and get no parent-death signal).
/// - `<dataDir>/replicas.json` always lists the running replicas (``ReplicaRegistryFile``).
package final class ReplicaSupervisor: Service, Sendable {
    package let configuration: Configuration
    let logger: Logger
    /// Tells when a replica holds the current snapshot (rollouts wait for it); `nil`: never.
    let publisher: SnapshotPublisher?
    let state: Mutex<State>

    struct State: ~Copyable {
        var slots: [ReplicaProcessStatus]
        var stopping = false
        var killTask: Task<Void, Never>?
        /// Old pid → the ready replica that takes over its slot once the old one has exited.
        var replacements: [pid_t: pid_t] = [:]
        /// Slots removed by scaling down: their task ends when their replica exits.
        var removedSlots: Set<Int> = []
        /// Retired replicas that have exited, with their status (rollouts wait on them).
        var retiredExits: [pid_t: ProcessExit] = [:]
        /// Replicas a rollout started that are not in a slot yet.
        var starting: Set<pid_t> = []
        /// Adds a slot task: (slot, pid of its ready replica).
        var addSlot: AsyncStream<(Int, pid_t)>.Continuation?
        /// The socket replicas inherit; -1 until an adopted replica hands it over.
        var listenSocket: Int32
        /// The TLS socket replicas inherit after it; `nil`: none; -1 until an adopted replica
        /// hands it over.
        var tlsListenSocket: Int32?
        /// Sockets received from an adopted replica (or bound late), closed when the supervisor ends.
        var receivedSockets: [ListeningSocket] = []

        /// The descriptors a replica inherits, from fd 3 on; `nil` while one of them has not been
        /// handed over yet.
        var inheritedSockets: [Int32]? {
            guard listenSocket >= 0 else { return nil }
            guard let tlsListenSocket else { return [listenSocket] }
            return tlsListenSocket >= 0 ? [listenSocket, tlsListenSocket] : nil
        }

        /// The listeners still awaited from adopted replicas.
        var missingListeners: [InheritedListener] {
            (listenSocket < 0 ? [.proxy] : []) + (tlsListenSocket.map { $0 < 0 ? [.proxyTLS] : [] } ?? [])
        }
        var rollout = RolloutStatus()
        var rolloutTask: Task<Void, Never>?
    }

    package init(
        configuration: Configuration, publisher: SnapshotPublisher? = nil,
        logger: Logger = Logger(label: "orch.controlplane")
    ) {
        self.configuration = configuration
        self.publisher = publisher
        self.logger = logger
        self.state = Mutex(
            State(
                slots: (0..<max(configuration.replicaCount, 0)).map { ReplicaProcessStatus(slot: $0 + 1) },
                listenSocket: configuration.listenSocket, tlsListenSocket: configuration.tlsListenSocket))
    }

    /// The replicas as of now, in slot order.
    package var replicas: [ReplicaProcessStatus] {
        state.withLock { $0.slots }
    }

    /// Starts the replicas and keeps them running until graceful shutdown or cancellation, then
    /// stops them all.
    ///
    /// With ``Configuration/replicaCount`` 0 it only waits for shutdown (the executable need not exist).
    ///
    /// - Throws: ``SupervisionError`` when the data-plane executable is missing.
    package func run() async throws {
        guard configuration.replicaCount > 0 else {
            logger.info("no data-plane replicas to supervise")
            try? await gracefulShutdown()
            return
        }
        let executable = configuration.executable.path
        guard access(executable, X_OK) == 0 else { throw SupervisionError.executableNotFound(executable) }
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        let adopted = adopt()
        if adopted.isEmpty { warnAboutSurvivors() }
        try writeRegistry(state.withLock { $0.slots })
        logger.info(
            "starting data-plane replicas",
            metadata: ["orch.replicas": "\(configuration.replicaCount)", "orch.executable": "\(executable)"])
        let (addedSlots, addSlot) = AsyncStream<(Int, pid_t)>.makeStream()
        state.withLock { $0.addSlot = addSlot }
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    for slot in 1...self.configuration.replicaCount {
                        group.addTask { await self.supervise(slot: slot, adopted: adopted[slot]) }
                    }
                    for await (slot, pid) in addedSlots {
                        group.addTask { await self.supervise(slot: slot, replica: pid) }
                    }
                }
            } onCancel: {
                self.beginShutdown()
            }
        }
        let slots = state.withLock { state in
            state.killTask?.cancel()
            state.rolloutTask?.cancel()
            for socket in state.receivedSockets { socket.close() }
            // Every slot task has returned, so every replica has been reaped.
            for index in state.slots.indices { state.slots[index].state = .stopped }
            return state.slots
        }
        try? writeRegistry(slots)
        logger.info("all data-plane replicas stopped")
    }

    /// Runs one slot: start, wait for the exit, back off, start again, until shutdown. A slot
    /// added by a rollout starts with its already running `replica`; a replica a rollout replaced
    /// hands the slot over to its successor instead of being restarted.
    private func supervise(slot: Int, replica: pid_t? = nil, adopted: pid_t? = nil) async {
        var next = replica
        var adopted = adopted
        var backoff = RestartBackoff<ContinuousClock.Instant>(
            initial: configuration.restartDelay, maximum: configuration.maximumRestartDelay,
            resetAfter: configuration.restartResetAfter)
        let clock = ContinuousClock()
        var logger = self.logger
        logger[metadataKey: "orch.replica.slot"] = "\(slot)"
        // A successor is always watched and reaped, even during shutdown.
        while next != nil || !isStopping {
            let startedAt = clock.now
            backoff.started(at: startedAt)
            let pid: pid_t
            if let successor = next {
                pid = successor
                next = nil
                await ProcessExit.waitForExit(pid)
            } else if let survivor = adopted {
                pid = survivor
                adopted = nil
                await Self.waitForExit(adoptedReplica: pid)
            } else {
                guard let sockets = await listenSockets(logger: logger) else { return }
                do {
                    pid = try ProcessSpawner.spawn(
                        .init(
                            executable: configuration.executable.path,
                            arguments: configuration.arguments,
                            environment: configuration.environment(
                                from: ProcessInfo.processInfo.environment, slot: slot),
                            inheritedSockets: sockets, outputPath: configuration.outputPath))
                } catch {
                    let delay = backoff.exited(at: clock.now)
                    recordStartFailure(slot: slot, error: error)
                    logger.error(
                        "cannot start data-plane replica",
                        metadata: ["orch.error": "\(error)", "orch.restart_in_ms": "\(Int(delay.seconds * 1000))"])
                    do { try await Task.sleep(for: delay) } catch { return }
                    continue
                }
                register(pid: pid, slot: slot, logger: logger)
                await ProcessExit.waitForExit(pid)
            }
            switch retire(pid: pid, slot: slot) {
            case .replacedBy(let successor):
                next = successor
                continue
            case .removed:
                return
            case .notRetired:
                break
            }
            let exit = recordExit(pid: pid, slot: slot)
            let ran = startedAt.duration(to: clock.now)
            if isStopping {
                logger.info(
                    "data-plane replica stopped", metadata: ["orch.replica.pid": "\(pid)", "orch.exit": "\(exit)"])
                return
            }
            let delay = backoff.exited(at: clock.now)
            logger.error(
                "data-plane replica exited; restarting",
                metadata: [
                    "orch.replica.pid": "\(pid)", "orch.exit": "\(exit)",
                    "orch.ran_s": "\(ran.seconds.formatted(.number.precision(.fractionLength(1))))",
                    "orch.restart_in_ms": "\(Int(delay.seconds * 1000))",
                ])
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    var isStopping: Bool {
        state.withLock { $0.stopping } || Task.isCancelled
    }

    /// Records a started replica. A replica started while shutdown began is told to stop at once.
    private func register(pid: pid_t, slot: Int, logger: Logger) {
        let stopping = state.withLock { state in
            let started = state.slots[slot - 1].state != .pending
            state.slots[slot - 1].pid = pid
            state.slots[slot - 1].state = .running
            state.slots[slot - 1].startedAt = Date()
            state.slots[slot - 1].lastError = nil
            if started { state.slots[slot - 1].restarts += 1 }
            if state.stopping { kill(pid, SIGTERM) }
            writeRegistryLogging(state.slots)
            return state.stopping
        }
        logger.info(
            "data-plane replica started",
            metadata: ["orch.replica.pid": "\(pid)", "orch.replica.restarts": "\(replicas[slot - 1].restarts)"])
        if stopping { logger.debug("replica started during shutdown; sent SIGTERM") }
    }

    private enum Retirement {
        case notRetired
        case replacedBy(pid_t)
        case removed
    }

    /// Reaps an exited replica that a rollout retired, and says what the slot does next.
    private func retire(pid: pid_t, slot: Int) -> Retirement {
        state.withLock { state in
            if let successor = state.replacements.removeValue(forKey: pid) {
                state.retiredExits[pid] = ProcessExit.reap(pid)
                return .replacedBy(successor)
            }
            if state.removedSlots.contains(slot) {
                state.retiredExits[pid] = ProcessExit.reap(pid)
                state.slots[slot - 1].pid = nil
                state.slots[slot - 1].state = .stopped
                writeRegistryLogging(state.slots)
                return .removed
            }
            return .notRetired
        }
    }

    /// Forgets an exited replica's pid, then reaps it: a pid is never signalled after it may
    /// have been reused.
    private func recordExit(pid: pid_t, slot: Int) -> ProcessExit {
        state.withLock { state in
            state.slots[slot - 1].pid = nil
            let exit = ProcessExit.reap(pid)
            state.slots[slot - 1].lastExit = exit
            state.slots[slot - 1].lastExitAt = Date()
            state.slots[slot - 1].state = state.stopping ? .stopped : .restarting
            writeRegistryLogging(state.slots)
            return exit
        }
    }

    private func recordStartFailure(slot: Int, error: SupervisionError) {
        state.withLock { state in
            // A failed start counts as a (re)start attempt for the restart counter.
            if state.slots[slot - 1].state != .pending { state.slots[slot - 1].restarts += 1 }
            state.slots[slot - 1].state = state.stopping ? .stopped : .restarting
            state.slots[slot - 1].lastError = error.description
        }
    }

    /// SIGTERM to every replica; SIGKILL to those still running after the drain timeout + margin.
    private func beginShutdown() {
        let grace = configuration.drainTimeout + configuration.killMargin
        let pids = state.withLock { state -> [pid_t]? in
            guard !state.stopping else { return nil }
            state.stopping = true
            state.addSlot?.finish()
            let pids = state.slots.compactMap(\.pid) + state.starting + state.replacements.keys
            for pid in pids { kill(pid, SIGTERM) }
            state.killTask = Task { [self] in
                do { try await Task.sleep(for: grace) } catch { return }
                killRemaining()
            }
            return pids
        }
        guard let pids else { return }
        logger.info(
            "stopping data-plane replicas",
            metadata: ["orch.replica.pids": "\(pids)", "orch.kill_after_s": "\(grace.secondsText)"])
    }

    private func killRemaining() {
        let pids = state.withLock { state -> [pid_t] in
            let pids = state.slots.compactMap(\.pid) + state.starting + state.replacements.keys
            for pid in pids { kill(pid, SIGKILL) }
            return pids
        }
        if !pids.isEmpty {
            logger.warning(
                "data-plane replicas did not drain in time; sent SIGKILL", metadata: ["orch.replica.pids": "\(pids)"])
        }
    }

    /// Replicas a previous control plane left running (it was killed) keep serving on their own
    /// socket; this one does not manage them, so say so before their record is replaced.
    private func warnAboutSurvivors() {
        let url = ReplicaRegistryFile.url(dataDirectory: configuration.dataDirectory)
        let survivors = ((try? ReplicaRegistryFile.read(from: url)) ?? []).filter { kill($0.pid, 0) == 0 }
        if !survivors.isEmpty {
            logger.warning(
                "replicas started by a previous control plane are still running; stop them by hand",
                metadata: ["orch.replica.pids": "\(survivors.map(\.pid))"])
        }
    }

    private func writeRegistry(_ slots: [ReplicaProcessStatus]) throws {
        try ReplicaRegistryFile.write(
            ReplicaRegistryFile.entries(slots), proxy: configuration.proxyAddress,
            proxyTLS: configuration.proxyTLSAddress,
            to: ReplicaRegistryFile.url(dataDirectory: configuration.dataDirectory))
    }

    func writeRegistryLogging(_ slots: [ReplicaProcessStatus]) {
        do {
            try writeRegistry(slots)
        } catch {
            logger.error("cannot write replicas.json", metadata: ["orch.error": "\(error)"])
        }
    }
}
