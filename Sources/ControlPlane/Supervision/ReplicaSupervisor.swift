import Foundation
import Logging
import NIOCore
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
///
/// Every decision is the ``ReplicaSupervisionStateMachine``'s. This type only executes: it feeds
/// the machine events under its lock, queues the actions the machine returns in that order, and
/// `run()` carries them out one after the other, outside the lock: spawning, signalling, reaping,
/// writing `replicas.json`, timers, and the watchers that report exits and readiness.
package final class ReplicaSupervisor: Service, Sendable {
    typealias Machine = ReplicaSupervisionStateMachine<ContinuousClock.Instant>

    package let configuration: Configuration
    let logger: Logger
    /// Tells when a replica holds the current snapshot (rollouts wait for it); `nil`: at once.
    let publisher: SnapshotPublisher?
    let state: Mutex<State>

    struct State: ~Copyable {
        var machine: Machine
        /// Actions returned by the machine and not taken by `run()` yet, in order.
        var pending: [Machine.Action] = []
        /// `run()` waiting for actions.
        var waiter: CheckedContinuation<[Machine.Action], Never>?
        /// Replicas whose readiness a rollout waits for.
        var readinessWatched: Set<pid_t> = []
        /// Sockets received from an adopted replica (or bound late), by descriptor; closed when
        /// the supervisor ends.
        var receivedSockets: [Int32: ListeningSocket] = [:]
    }

    package init(
        configuration: Configuration, publisher: SnapshotPublisher? = nil,
        logger: Logger = Logger(label: "orch.controlplane")
    ) {
        self.configuration = configuration
        self.publisher = publisher
        self.logger = logger
        self.state = Mutex(State(machine: Machine(settings: configuration.machineSettings)))
    }

    /// The replicas as of now, in slot order.
    package var replicas: [ReplicaProcessStatus] {
        state.withLock { $0.machine.replicas }
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
        if configuration.adopted.isEmpty { warnAboutSurvivors() }
        // The start's actions are queued in the same critical section as the event, ahead of any
        // later one; none runs before the loop below. The first write of replicas.json is taken
        // out and made here, because it must succeed: a control plane that cannot keep the file
        // does not start replicas.
        let (firstRegistry, wakeUp) = state.withLock { state -> ([ReplicaRegistryFile.Entry]?, WakeUp?) in
            var actions = state.machine.handle(.start(adopted: configuration.adopted), at: Self.now())
            var entries: [ReplicaRegistryFile.Entry]?
            if let index = actions.firstIndex(where: { if case .writeRegistry = $0 { true } else { false } }),
                case .writeRegistry(let first) = actions[index]
            {
                entries = first
                actions.remove(at: index)
            }
            return (entries, Self.enqueue(actions, in: &state))
        }
        wakeUp?.resume()  // nobody waits yet: the loop below has not started
        if let firstRegistry { try writeRegistry(firstRegistry) }
        logger.info(
            "starting data-plane replicas",
            metadata: ["orch.replicas": "\(configuration.replicaCount)", "orch.executable": "\(executable)"])
        // Shutdown is an event like any other: cancellation does not cut the work short, so the
        // replicas are still signalled, waited for and reaped.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    await self.execute(in: &group)
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.handle(.shutdownRequested)
            }
        } onCancel: {
            self.handle(.shutdownRequested)
        }
        state.withLock { state in
            for socket in state.receivedSockets.values { socket.close() }
            state.receivedSockets = [:]
        }
        logger.info("all data-plane replicas stopped")
    }

    /// Feeds `event` to the machine and queues the actions it returns; returns them.
    @discardableResult
    func handle(_ event: Machine.Event) -> [Machine.Action] {
        let (actions, wakeUp) = state.withLock { state in
            let actions = state.machine.handle(event, at: Self.now())
            return (actions, Self.enqueue(actions, in: &state))
        }
        wakeUp?.resume()
        return actions
    }

    /// `run()` waiting for actions, and the actions to hand it.
    struct WakeUp {
        let waiter: CheckedContinuation<[Machine.Action], Never>
        let batch: [Machine.Action]

        /// Call after releasing the lock: resuming a task takes the runtime's lock on that task,
        /// which `Task.cancel()` holds while it runs `run()`'s cancellation handler, and that
        /// handler takes ours.
        func resume() {
            waiter.resume(returning: batch)
        }
    }

    /// Queues actions for `run()`; returns the wake-up to deliver once the lock is released, when
    /// `run()` is waiting.
    static func enqueue(_ actions: [Machine.Action], in state: inout State) -> WakeUp? {
        guard !actions.isEmpty else { return nil }
        state.pending += actions
        guard let waiter = state.waiter else { return nil }
        state.waiter = nil
        let batch = state.pending
        state.pending = []
        return WakeUp(waiter: waiter, batch: batch)
    }

    static func now() -> Machine.Time {
        Machine.Time(instant: ContinuousClock.now, date: Date())
    }

    /// Carries out the queued actions, in order, until the machine says supervision is over. The
    /// wait for actions does not end on cancellation (shutdown needs the actions that follow).
    private func execute(in group: inout DiscardingTaskGroup) async {
        while true {
            let batch = await withCheckedContinuation { (continuation: CheckedContinuation<[Machine.Action], Never>) in
                let ready = state.withLock { state -> [Machine.Action]? in
                    guard !state.pending.isEmpty else {
                        state.waiter = continuation
                        return nil
                    }
                    defer { state.pending = [] }
                    return state.pending
                }
                // Resumed outside the lock (see `WakeUp.resume()`).
                if let ready { continuation.resume(returning: ready) }
            }
            for action in batch {
                if case .finished = action { return }
                await execute(action, in: &group)
            }
        }
    }

    private func execute(_ action: Machine.Action, in group: inout DiscardingTaskGroup) async {
        switch action {
        case .spawn(let slot, let generation, let sockets):
            let replicas = state.withLock { $0.machine.plannedReplicaCount }
            let environment = configuration.environment(
                from: ProcessInfo.processInfo.environment, slot: slot,
                eventLoops: replicas > 1 ? ProcessLayout.eventLoops(cores: System.coreCount, sharedBy: replicas) : nil)
            do {
                let pid = try ProcessSpawner.spawn(
                    .init(
                        executable: configuration.executable.path, arguments: configuration.arguments,
                        environment: environment, inheritedSockets: sockets, outputPath: configuration.outputPath))
                handle(.spawned(generation: generation, pid: pid))
            } catch {
                handle(.spawnFailed(generation: generation, error: error))
            }
        case .watchExit(let pid, let adopted):
            watchExit(pid, adopted: adopted)
        case .reap(let pid):
            _ = ProcessExit.reap(pid)
        case .signal(let pid, let signal):
            kill(pid, signal)
        case .drain(let pid, let deadline):
            var asked = 0
            if let publisher, let id = await publisher.replicaId(pid: Int(pid)) {
                asked = await publisher.drain(replicaId: id, deadlineSeconds: deadline.seconds)
            }
            if asked == 0 { handle(.drainNotDelivered(pid: pid)) }
        case .watchReadiness(let pid):
            state.withLock { _ = $0.readinessWatched.insert(pid) }
            group.addTask { await self.watchReadiness(pid) }
        case .stopWatchingReadiness(let pid):
            state.withLock { _ = $0.readinessWatched.remove(pid) }
        case .scheduleTimer(let timer, let deadline):
            let delay = ContinuousClock.now.duration(to: deadline)
            // A dispatch timer, not a sleeping task: cancellation of `run()` must not cut short
            // the SIGKILL deadline of a shutdown.
            DispatchQueue.global().asyncAfter(deadline: .now() + max(delay.seconds, 0)) {
                self.handle(.timerFired(timer))
            }
        case .writeRegistry(let entries):
            do {
                try writeRegistry(entries)
            } catch {
                logger.error("cannot write replicas.json", metadata: ["orch.error": "\(error)"])
            }
        case .closeListener(let fd):
            closeListener(fd)
        case .log(let note):
            log(note)
        case .finished:
            break
        }
    }

    /// Reports the exit of `pid`, waited for on a thread of its own: a child with a blocking wait
    /// that does not reap it, an adopted replica through its pidfd.
    private func watchExit(_ pid: pid_t, adopted: Bool) {
        let thread = Thread {
            let exit: ProcessExit
            if adopted {
                ProcessExitWatch.blockUntilExited(pid)
                exit = .unknown
            } else {
                exit = ProcessExit.waitUntilExited(pid)
            }
            self.handle(.replicaExited(pid: pid, exit: exit))
        }
        thread.name = "orch-wait-\(pid)"
        thread.stackSize = 64 * 1024
        thread.start()
    }

    /// Reports the readiness of `pid` now and on every change of the replica directory, until it
    /// is ready or no longer watched.
    private func watchReadiness(_ pid: pid_t) async {
        guard let publisher else {
            handle(.replicaReadiness(pid: pid, ready: true, version: 0))
            return
        }
        for await readiness in await publisher.readiness(pid: Int(pid)) {
            guard state.withLock({ $0.readinessWatched.contains(pid) }) else { return }
            handle(.replicaReadiness(pid: pid, ready: readiness.ready, version: readiness.version))
            if readiness.ready { return }
        }
    }

    private func closeListener(_ fd: Int32) {
        let socket = state.withLock { $0.receivedSockets.removeValue(forKey: fd) }
        socket?.close()
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

    private func writeRegistry(_ entries: [ReplicaRegistryFile.Entry]) throws {
        try ReplicaRegistryFile.write(
            entries, proxy: configuration.proxyAddress, proxyTLS: configuration.proxyTLSAddress,
            to: ReplicaRegistryFile.url(dataDirectory: configuration.dataDirectory))
    }
}
