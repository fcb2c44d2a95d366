import Foundation
import Shared
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// Every transition of ``ReplicaSupervisionStateMachine``, with made-up instants and pids: no
/// process, no clock, no file.
@Suite struct ReplicaSupervisionStateMachineTests {
    typealias Machine = ReplicaSupervisionStateMachine<FakeInstant>
    typealias Action = Machine.Action

    // MARK: Starting and restarting

    @Test func startSpawnsEverySlotAndRecordsEachReplica() {
        var harness = Harness(replicas: 2)
        #expect(
            harness.handle(.start(adopted: [])) == [
                .writeRegistry([]), .spawn(slot: 1, generation: 1, sockets: [3]),
                .spawn(slot: 2, generation: 2, sockets: [3]),
            ])
        let actions = harness.handle(.spawned(generation: 1, pid: 101))
        #expect(actions.first == .watchExit(101, adopted: false))
        #expect(actions.contains(.writeRegistry([harness.entry(pid: 101, slot: 1)])))
        #expect(actions.contains(.log(.started(slot: 1, pid: 101, restarts: 0, duringShutdown: false))))
        _ = harness.handle(.spawned(generation: 2, pid: 102))
        #expect(harness.machine.replicas.map(\.state) == [.running, .running])
        #expect(harness.machine.replicas.map(\.pid) == [101, 102])
        // A generation answered twice (or never asked for) changes nothing.
        #expect(harness.handle(.spawned(generation: 2, pid: 999)).isEmpty)
    }

    @Test func anExitedReplicaIsReapedAndRestartedAfterAGrowingDelay() {
        var harness = Harness(replicas: 1)
        harness.started([101])
        harness.advance(.seconds(1))
        let exit = harness.handle(.replicaExited(pid: 101, exit: .exited(3)))
        #expect(exit.first == .reap(101))
        #expect(exit.contains(.writeRegistry([])))
        #expect(
            exit.contains(
                .log(.exited(slot: 1, pid: 101, exit: .exited(3), ran: .seconds(1), restartIn: .milliseconds(100)))))
        #expect(exit.last == .scheduleTimer(.restart(slot: 1), at: harness.now + .milliseconds(100)))
        #expect(harness.machine.replicas[0].state == .restarting)
        #expect(harness.machine.replicas[0].lastExit == .exited(3))

        // Fired a little early (clocks differ): scheduled again, nothing started.
        harness.advance(.milliseconds(50))
        #expect(
            harness.handle(.timerFired(.restart(slot: 1)))
                == [.scheduleTimer(.restart(slot: 1), at: harness.now + .milliseconds(50))])
        harness.advance(.milliseconds(50))
        #expect(harness.handle(.timerFired(.restart(slot: 1))) == [.spawn(slot: 1, generation: 2, sockets: [3])])
        // A timer that fired already is not acted on twice.
        #expect(harness.handle(.timerFired(.restart(slot: 1))).isEmpty)
        _ = harness.handle(.spawned(generation: 2, pid: 102))
        #expect(harness.machine.replicas[0].restarts == 1)

        // Dies at once again: twice the delay.
        let second = harness.handle(.replicaExited(pid: 102, exit: .signaled(SIGKILL)))
        #expect(second.last == .scheduleTimer(.restart(slot: 1), at: harness.now + .milliseconds(200)))
    }

    @Test func aReplicaThatRanLongEnoughIsRestartedAfterTheInitialDelay() {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = harness.handle(.replicaExited(pid: 101, exit: .exited(1)))
        harness.advance(.milliseconds(100))
        _ = harness.handle(.timerFired(.restart(slot: 1)))
        _ = harness.handle(.spawned(generation: 2, pid: 102))
        harness.advance(.seconds(31))
        let actions = harness.handle(.replicaExited(pid: 102, exit: .exited(1)))
        #expect(actions.last == .scheduleTimer(.restart(slot: 1), at: harness.now + .milliseconds(100)))
    }

    @Test func aFailedStartIsRecordedAndRetriedAfterTheBackoff() {
        var harness = Harness(replicas: 1)
        _ = harness.handle(.start(adopted: []))
        let error = SupervisionError.spawnFailed("/dp", errno: ENOENT)
        let actions = harness.handle(.spawnFailed(generation: 1, error: error))
        #expect(
            actions == [
                .log(.startFailed(slot: 1, error: error.description, restartIn: .milliseconds(100))),
                .scheduleTimer(.restart(slot: 1), at: harness.now + .milliseconds(100)),
            ])
        #expect(harness.machine.replicas[0].state == .restarting)
        #expect(harness.machine.replicas[0].lastError == error.description)
        #expect(harness.machine.replicas[0].restarts == 0)
        harness.advance(.milliseconds(100))
        _ = harness.handle(.timerFired(.restart(slot: 1)))
        _ = harness.handle(.spawned(generation: 2, pid: 101))
        #expect(harness.machine.replicas[0].restarts == 1)
        #expect(harness.machine.replicas[0].lastError == nil)
    }

    @Test func signalsArePassedOnToSlotReplicasAndRolloutReplicas() {
        var harness = Harness(replicas: 2)
        harness.started([101, 102])
        _ = try? harness.requestRollout()
        _ = harness.handle(.spawned(generation: 3, pid: 201))
        #expect(
            harness.handle(.forwardSignal(SIGHUP)) == [
                .signal(101, SIGHUP), .signal(102, SIGHUP), .signal(201, SIGHUP),
            ])
    }

    // MARK: Shutdown

    @Test func shutdownSendsSIGTERMThenSIGKILLAfterTheGraceAndFinishesOnceAllAreReaped() {
        var harness = Harness(replicas: 2)
        harness.started([101, 102])
        let actions = harness.handle(.shutdownRequested)
        let grace = Duration.seconds(32)
        #expect(
            actions == [
                .signal(101, SIGTERM), .signal(102, SIGTERM), .scheduleTimer(.stopDeadline, at: harness.now + grace),
                .log(.stopping([101, 102], killAfter: grace)),
            ])
        #expect(harness.handle(.shutdownRequested).isEmpty)
        let first = harness.handle(.replicaExited(pid: 101, exit: .signaled(SIGTERM)))
        #expect(
            first == [
                .reap(101), .writeRegistry([harness.entry(pid: 102, slot: 2)]),
                .log(.stopped(slot: 1, pid: 101, exit: .signaled(SIGTERM))),
            ])
        harness.advance(grace)
        #expect(
            harness.handle(.timerFired(.stopDeadline)) == [.signal(102, SIGKILL), .log(.killedAfterGrace([102]))])
        let last = harness.handle(.replicaExited(pid: 102, exit: .signaled(SIGKILL)))
        #expect(last.suffix(2) == [.writeRegistry([]), .finished])
        #expect(harness.machine.replicas.map(\.state) == [.stopped, .stopped])
        #expect(harness.machine.replicas.map(\.lastExit) == [.signaled(SIGTERM), .signaled(SIGKILL)])
        // Nothing is signalled any more, whatever arrives late.
        #expect(harness.handle(.timerFired(.stopDeadline)).isEmpty)
        #expect(harness.handle(.forwardSignal(SIGHUP)).isEmpty)
    }

    @Test func aReplicaStartedWhileShutdownBeganIsToldToStopAtOnce() {
        var harness = Harness(replicas: 1)
        _ = harness.handle(.start(adopted: []))
        let stopping = harness.handle(.shutdownRequested)
        #expect(!stopping.contains(.finished))  // the spawn is still out
        let actions = harness.handle(.spawned(generation: 1, pid: 101))
        #expect(actions.prefix(2) == [.watchExit(101, adopted: false), .signal(101, SIGTERM)])
        #expect(actions.contains(.log(.started(slot: 1, pid: 101, restarts: 0, duringShutdown: true))))
        #expect(harness.handle(.replicaExited(pid: 101, exit: .signaled(SIGTERM))).last == .finished)
    }

    @Test func shutdownDuringABackoffFinishesAtOnceAndCancelsTheRestart() {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = harness.handle(.replicaExited(pid: 101, exit: .exited(1)))
        #expect(harness.handle(.shutdownRequested).last == .finished)
        harness.advance(.seconds(1))
        #expect(harness.handle(.timerFired(.restart(slot: 1))).isEmpty)
        #expect(harness.machine.replicas[0].state == .stopped)
    }

    @Test func shutdownBeforeStartEndsSupervisionBeforeItBegins() {
        var harness = Harness(replicas: 1)
        #expect(harness.handle(.shutdownRequested).isEmpty)
        #expect(harness.handle(.start(adopted: [])) == [.finished])
    }

    // MARK: Adoption and listeners

    @Test func survivingReplicasAreAdoptedIntoTheirSlotsAndNeverReaped() {
        var harness = Harness(replicas: 2)
        let adopted = [
            ReplicaRegistryFile.Entry(pid: 501, slot: 2, startedAt: "2026-11-26T14:02:38Z", restarts: 4),
            ReplicaRegistryFile.Entry(pid: 502, slot: 3, startedAt: "2026-11-26T14:02:38Z", restarts: 0),
        ]
        let actions = harness.handle(.start(adopted: adopted))
        #expect(
            actions == [
                .watchExit(501, adopted: true), .log(.adopted([501])), .log(.survivorsIgnored([502])),
                .writeRegistry([.init(pid: 501, slot: 2, startedAt: "2026-11-26T14:02:38Z", restarts: 4)]),
                .spawn(slot: 1, generation: 1, sockets: [3]),
            ])
        #expect(harness.machine.replicas[1].restarts == 4)
        let exit = harness.handle(.replicaExited(pid: 501, exit: .unknown))
        #expect(!exit.contains(.reap(501)))
        #expect(exit.last == .scheduleTimer(.restart(slot: 2), at: harness.now + .milliseconds(100)))
    }

    @Test func aSlotWaitsForTheListenerAnAdoptedReplicaHandsOver() {
        var harness = Harness(replicas: 1, listenSocket: -1, tlsListenSocket: -1)
        #expect(harness.machine.missingListeners == [.proxy, .proxyTLS])
        _ = harness.handle(
            .start(adopted: [.init(pid: 501, slot: 1, startedAt: "2026-11-26T14:02:38Z", restarts: 0)]))
        _ = harness.handle(.replicaExited(pid: 501, exit: .unknown))
        harness.advance(.milliseconds(100))
        #expect(harness.handle(.timerFired(.restart(slot: 1))) == [.log(.waitingForListener(slot: 1))])
        #expect(harness.handle(.listenerArrived(.proxy, fileDescriptor: 7)).isEmpty)
        #expect(harness.machine.missingListeners == [.proxyTLS])
        // A second plaintext socket is not wanted.
        #expect(harness.handle(.listenerArrived(.proxy, fileDescriptor: 8)) == [.closeListener(8)])
        #expect(
            harness.handle(.listenerArrived(.proxyTLS, fileDescriptor: 9)) == [
                .spawn(slot: 1, generation: 1, sockets: [7, 9])
            ])
        #expect(harness.machine.inheritedSockets == [7, 9])
    }

    @Test func aSocketArrivingDuringShutdownIsClosed() {
        var harness = Harness(replicas: 1, listenSocket: -1)
        harness.started([])
        _ = harness.handle(.shutdownRequested)
        #expect(harness.handle(.listenerArrived(.proxy, fileDescriptor: 7)) == [.closeListener(7)])
    }

    // MARK: Rollouts

    @Test func aRolloutReplacesEachSlotOnceItsNewReplicaIsReady() throws {
        var harness = Harness(replicas: 2)
        harness.started([101, 102])
        #expect(
            try harness.requestRollout() == [
                .log(.rolloutStarted(from: 2, to: 2)), .spawn(slot: 1, generation: 3, sockets: [3]),
            ])
        #expect(harness.machine.rollout.state == .running)
        #expect(harness.machine.rollout.total == 2)
        #expect(throws: RolloutRefusal.alreadyRunning) { try harness.requestRollout() }

        #expect(
            harness.handle(.spawned(generation: 3, pid: 201)) == [
                .watchExit(201, adopted: false), .watchReadiness(201),
                .scheduleTimer(.readyDeadline(pid: 201), at: harness.now + .seconds(30)),
            ])
        #expect(harness.handle(.replicaReadiness(pid: 201, ready: false, version: 7)).isEmpty)
        let ready = harness.handle(.replicaReadiness(pid: 201, ready: true, version: 7))
        #expect(
            ready == [
                .stopWatchingReadiness(201),
                .writeRegistry([harness.entry(pid: 201, slot: 1, restarts: 1), harness.entry(pid: 102, slot: 2)]),
                .log(.rolloutReplicaReady(slot: 1, pid: 201, oldPid: 101)), .drain(101, deadline: .seconds(30)),
                .scheduleTimer(.drainDeadline(pid: 101), at: harness.now + .seconds(32)),
            ])
        // The ready deadline no longer matters.
        harness.advance(.seconds(30))
        #expect(harness.handle(.timerFired(.readyDeadline(pid: 201))).isEmpty)
        // The retiring replica exits: reaped, the slot keeps its new replica, the next slot begins.
        #expect(
            harness.handle(.replicaExited(pid: 101, exit: .exited(0))) == [
                .reap(101), .spawn(slot: 2, generation: 4, sockets: [3]),
            ])
        #expect(harness.machine.replicas[0].state == .running)
        #expect(harness.machine.rollout.replaced == 1)
        _ = harness.handle(.spawned(generation: 4, pid: 202))
        _ = harness.handle(.replicaReadiness(pid: 202, ready: true, version: 7))
        #expect(
            harness.handle(.replicaExited(pid: 102, exit: .exited(0))) == [
                .reap(102), .log(.rolloutSucceeded(replaced: 2)),
            ])
        #expect(harness.machine.rollout.state == .succeeded)
        #expect(harness.machine.rollout.finishedAt == harness.date)
        #expect(
            harness.machine.rollout.steps == [
                .init(slot: 1, oldPid: 101, newPid: 201), .init(slot: 2, oldPid: 102, newPid: 202),
            ])
        #expect(harness.machine.replicas.map(\.pid) == [201, 202])
        // The new replicas are supervised like any other: one that dies is restarted.
        let exit = harness.handle(.replicaExited(pid: 201, exit: .exited(1)))
        #expect(exit.last == .scheduleTimer(.restart(slot: 1), at: harness.now + .milliseconds(100)))
    }

    @Test func aRetiringReplicaIsSentSIGTERMWithoutAConnectionAndSIGKILLAfterTheDeadline() throws {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = try harness.requestRollout()
        _ = harness.handle(.spawned(generation: 2, pid: 201))
        _ = harness.handle(.replicaReadiness(pid: 201, ready: true, version: 1))
        #expect(harness.handle(.drainNotDelivered(pid: 101)) == [.signal(101, SIGTERM)])
        harness.advance(.seconds(32))
        #expect(
            harness.handle(.timerFired(.drainDeadline(pid: 101))) == [
                .signal(101, SIGKILL), .log(.rolloutKilledRetired(101)),
            ])
        _ = harness.handle(.replicaExited(pid: 101, exit: .signaled(SIGKILL)))
        #expect(harness.machine.rollout.state == .succeeded)
        // Once it exited, it is never signalled again.
        #expect(harness.handle(.drainNotDelivered(pid: 101)).isEmpty)
    }

    @Test func aNewReplicaThatExitsBeforeItIsReadyFailsTheRolloutAndKeepsTheOldOnes() throws {
        var harness = Harness(replicas: 2)
        harness.started([101, 102])
        _ = try harness.requestRollout()
        _ = harness.handle(.spawned(generation: 3, pid: 201))
        _ = harness.handle(.replicaReadiness(pid: 201, ready: false, version: 7))
        let error = "replica pid 201 exited with exit status 1 before acknowledging version 7"
        #expect(
            harness.handle(.replicaExited(pid: 201, exit: .exited(1))) == [
                .reap(201), .stopWatchingReadiness(201), .log(.rolloutFailed(error)),
            ])
        #expect(harness.machine.rollout.state == .failed)
        #expect(harness.machine.rollout.error == error)
        #expect(harness.machine.rollout.replaced == 0)
        #expect(harness.machine.replicas.map(\.pid) == [101, 102])
        // Another rollout may start.
        #expect(throws: Never.self) { try harness.requestRollout() }
    }

    @Test func aNewReplicaNotReadyInTimeIsKilledAndTheRolloutFails() throws {
        var harness = Harness(replicas: 1, readyTimeout: .seconds(2))
        harness.started([101])
        _ = try harness.requestRollout()
        _ = harness.handle(.spawned(generation: 2, pid: 201))
        harness.advance(.seconds(2))
        let error = "replica pid 201 not ready after 2 s (version 0 not acknowledged)"
        #expect(
            harness.handle(.timerFired(.readyDeadline(pid: 201))) == [
                .signal(201, SIGKILL), .stopWatchingReadiness(201), .log(.rolloutFailed(error)),
            ])
        // Readiness arriving late changes nothing; the killed replica is only reaped.
        #expect(harness.handle(.replicaReadiness(pid: 201, ready: true, version: 0)).isEmpty)
        #expect(harness.handle(.replicaExited(pid: 201, exit: .signaled(SIGKILL))) == [.reap(201)])
        #expect(harness.machine.replicas.map(\.pid) == [101])
    }

    @Test func aSlotThatRestartedOnItsOwnKeepsItsReplicaAndTheRolloutMovesOn() throws {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = try harness.requestRollout()
        _ = harness.handle(.spawned(generation: 2, pid: 201))
        _ = harness.handle(.replicaExited(pid: 101, exit: .exited(1)))  // restarting
        #expect(
            harness.handle(.replicaReadiness(pid: 201, ready: true, version: 1)) == [
                .stopWatchingReadiness(201), .signal(201, SIGKILL), .log(.rolloutSlotRestartedMeanwhile(slot: 1)),
                .log(.rolloutSucceeded(replaced: 1)),
            ])
        #expect(harness.handle(.replicaExited(pid: 201, exit: .signaled(SIGKILL))) == [.reap(201)])
    }

    @Test func aRolloutScalesUpThenDown() throws {
        var harness = Harness(replicas: 1)
        harness.started([101])
        #expect(harness.machine.plannedReplicaCount == 1)
        _ = try harness.requestRollout(replicas: 2)
        #expect(harness.machine.rollout.total == 2)
        // Replicas started from now on share the machine with the rollout's count.
        #expect(harness.machine.plannedReplicaCount == 2)
        _ = harness.handle(.spawned(generation: 2, pid: 201))
        _ = harness.handle(.replicaReadiness(pid: 201, ready: true, version: 1))
        #expect(
            harness.handle(.replicaExited(pid: 101, exit: .exited(0))) == [
                .reap(101), .spawn(slot: 2, generation: 3, sockets: [3]),
            ])
        _ = harness.handle(.spawned(generation: 3, pid: 202))
        let added = harness.handle(.replicaReadiness(pid: 202, ready: true, version: 1))
        #expect(
            added == [
                .stopWatchingReadiness(202),
                .writeRegistry([harness.entry(pid: 201, slot: 1, restarts: 1), harness.entry(pid: 202, slot: 2)]),
                .log(.rolloutReplicaReady(slot: 2, pid: 202, oldPid: nil)), .log(.rolloutSucceeded(replaced: 2)),
            ])
        #expect(harness.machine.replicas.count == 2)

        #expect(harness.machine.plannedReplicaCount == 2)

        // Down to one: slot 1 is replaced, slot 2 drained and removed.
        _ = try harness.requestRollout(replicas: 1)
        #expect(harness.machine.rollout.total == 2)
        #expect(harness.machine.plannedReplicaCount == 1)
        _ = harness.handle(.spawned(generation: 4, pid: 301))
        _ = harness.handle(.replicaReadiness(pid: 301, ready: true, version: 1))
        #expect(
            harness.handle(.replicaExited(pid: 201, exit: .exited(0))) == [
                .reap(201), .drain(202, deadline: .seconds(30)),
                .scheduleTimer(.drainDeadline(pid: 202), at: harness.now + .seconds(32)),
            ])
        let removed = harness.handle(.replicaExited(pid: 202, exit: .exited(0)))
        #expect(
            removed == [
                .reap(202), .writeRegistry([harness.entry(pid: 301, slot: 1, restarts: 2)]),
                .writeRegistry([harness.entry(pid: 301, slot: 1, restarts: 2)]), .log(.rolloutSucceeded(replaced: 2)),
            ])
        #expect(harness.machine.replicas.map(\.pid) == [301])
        #expect(harness.machine.rollout.steps.last == .init(slot: 2, oldPid: 202, newPid: nil))
        #expect(harness.machine.plannedReplicaCount == 1)
    }

    @Test func aNewReplicaThatCannotBeStartedFailsTheRollout() throws {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = try harness.requestRollout()
        let error = SupervisionError.spawnFailed("/dp", errno: EACCES)
        #expect(harness.handle(.spawnFailed(generation: 2, error: error)) == [.log(.rolloutFailed(error.description))])
        #expect(harness.machine.rollout.error == error.description)
        #expect(harness.machine.replicas.map(\.pid) == [101])
    }

    @Test func scalingDownARestartingSlotStopsItsRestart() throws {
        var harness = Harness(replicas: 2)
        harness.started([101, 102])
        _ = harness.handle(.replicaExited(pid: 102, exit: .exited(1)))  // slot 2 backs off
        _ = try harness.requestRollout(replicas: 1)
        _ = harness.handle(.spawned(generation: 3, pid: 201))
        _ = harness.handle(.replicaReadiness(pid: 201, ready: true, version: 1))
        // Slot 1's old replica exits; slot 2 has no replica to drain: done at once.
        #expect(
            harness.handle(.replicaExited(pid: 101, exit: .exited(0))) == [
                .reap(101), .writeRegistry([harness.entry(pid: 201, slot: 1, restarts: 1)]),
                .log(.rolloutSucceeded(replaced: 2)),
            ])
        #expect(harness.machine.rollout.steps.last == .init(slot: 2, oldPid: nil, newPid: nil))
        harness.advance(.seconds(1))
        #expect(harness.handle(.timerFired(.restart(slot: 2))).isEmpty)
        #expect(harness.machine.replicas.count == 1)
    }

    @Test func aReplicaStartingInASlotThatWasScaledAwayIsStopped() throws {
        var harness = Harness(replicas: 2)
        harness.started([101, 102])
        _ = harness.handle(.replicaExited(pid: 102, exit: .exited(1)))
        harness.advance(.milliseconds(100))
        #expect(harness.handle(.timerFired(.restart(slot: 2))) == [.spawn(slot: 2, generation: 3, sockets: [3])])
        _ = try harness.requestRollout(replicas: 1)
        _ = harness.handle(.spawned(generation: 4, pid: 201))
        _ = harness.handle(.replicaReadiness(pid: 201, ready: true, version: 1))
        _ = harness.handle(.replicaExited(pid: 101, exit: .exited(0)))
        #expect(harness.machine.rollout.state == .succeeded)
        // The spawn that was out when slot 2 went away: that replica is told to stop, then reaped.
        #expect(
            harness.handle(.spawned(generation: 3, pid: 302)) == [
                .watchExit(302, adopted: false), .signal(302, SIGTERM),
            ])
        #expect(harness.machine.replicas.map(\.pid) == [201])
        // One that ignores SIGTERM still gets the shutdown's SIGKILL: shutdown waits for it too.
        _ = harness.handle(.shutdownRequested)
        harness.advance(.seconds(32))
        #expect(
            harness.handle(.timerFired(.stopDeadline)) == [
                .signal(201, SIGKILL), .signal(302, SIGKILL), .log(.killedAfterGrace([201, 302])),
            ])
        _ = harness.handle(.replicaExited(pid: 201, exit: .signaled(SIGKILL)))
        #expect(
            harness.handle(.replicaExited(pid: 302, exit: .signaled(SIGKILL))) == [
                .reap(302), .writeRegistry([]), .finished,
            ])
    }

    @Test func rolloutsAreRefusedWhenTheyCannotRun() throws {
        var none = Harness(replicas: 0)
        #expect(throws: RolloutRefusal.notSupervising) { try none.requestRollout() }
        var notStarted = Harness(replicas: 1)
        #expect(throws: RolloutRefusal.stopping) { try notStarted.requestRollout() }
        var stopping = Harness(replicas: 1)
        stopping.started([101])
        _ = stopping.handle(.shutdownRequested)
        #expect(throws: RolloutRefusal.stopping) { try stopping.requestRollout() }
    }

    @Test func aRolloutFailsWhileTheAdoptedReplicasStillHoldTheSockets() throws {
        var harness = Harness(replicas: 1, listenSocket: -1, tlsListenSocket: -1)
        _ = harness.handle(
            .start(adopted: [.init(pid: 501, slot: 1, startedAt: "2026-11-26T14:02:38Z", restarts: 0)]))
        let error = "the adopted replicas have not handed over the proxy and proxy-tls sockets yet"
        #expect(try harness.requestRollout() == [.log(.rolloutStarted(from: 1, to: 1)), .log(.rolloutFailed(error))])
        #expect(harness.machine.rollout.state == .failed)
    }

    @Test func shutdownDuringARolloutKillsTheNewReplicaAndFailsIt() throws {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = try harness.requestRollout()
        _ = harness.handle(.spawned(generation: 2, pid: 201))
        let actions = harness.handle(.shutdownRequested)
        #expect(
            actions.prefix(3) == [
                .signal(201, SIGKILL), .stopWatchingReadiness(201),
                .log(.rolloutFailed("the control plane is shutting down")),
            ])
        #expect(actions.contains(.signal(101, SIGTERM)))
        #expect(!actions.contains(.signal(201, SIGTERM)))
        _ = harness.handle(.replicaExited(pid: 201, exit: .signaled(SIGKILL)))
        #expect(harness.handle(.replicaExited(pid: 101, exit: .signaled(SIGTERM))).last == .finished)
    }

    @Test func aRolloutReplicaStartedAsShutdownBeganIsKilled() throws {
        var harness = Harness(replicas: 1)
        harness.started([101])
        _ = try harness.requestRollout()
        _ = harness.handle(.shutdownRequested)
        #expect(
            harness.handle(.spawned(generation: 2, pid: 201)) == [
                .watchExit(201, adopted: false), .signal(201, SIGKILL),
                .log(.rolloutFailed("the control plane is shutting down")),
            ])
        _ = harness.handle(.replicaExited(pid: 101, exit: .signaled(SIGTERM)))
        #expect(harness.handle(.replicaExited(pid: 201, exit: .signaled(SIGKILL))).last == .finished)
    }
}

/// A monotonic instant that only moves when a test says so.
struct FakeInstant: InstantProtocol {
    var offset: Duration

    func advanced(by duration: Duration) -> FakeInstant { FakeInstant(offset: offset + duration) }
    func duration(to other: FakeInstant) -> Duration { other.offset - offset }
    static func < (lhs: FakeInstant, rhs: FakeInstant) -> Bool { lhs.offset < rhs.offset }
    static func + (lhs: FakeInstant, rhs: Duration) -> FakeInstant { lhs.advanced(by: rhs) }
}

/// A machine with a fake clock: `handle` feeds an event at the current instant.
private struct Harness {
    typealias Machine = ReplicaSupervisionStateMachine<FakeInstant>

    var machine: Machine
    var now = FakeInstant(offset: .seconds(1000))
    let date = Date(timeIntervalSince1970: 1_795_000_000)

    init(
        replicas: Int, listenSocket: Int32 = 3, tlsListenSocket: Int32? = nil, readyTimeout: Duration = .seconds(30)
    ) {
        machine = Machine(
            settings: .init(
                replicaCount: replicas, readyTimeout: readyTimeout, listenSocket: listenSocket,
                tlsListenSocket: tlsListenSocket))
    }

    mutating func handle(_ event: Machine.Event) -> [Machine.Action] {
        machine.handle(event, at: .init(instant: now, date: date))
    }

    mutating func requestRollout(replicas: Int? = nil) throws(RolloutRefusal) -> [Machine.Action] {
        try machine.requestRollout(replicas: replicas, at: .init(instant: now, date: date))
    }

    mutating func advance(_ duration: Duration) {
        now = now.advanced(by: duration)
    }

    /// Starts supervision and has slot n's replica start as `pids[n - 1]`.
    mutating func started(_ pids: [pid_t]) {
        _ = handle(.start(adopted: []))
        for (index, pid) in pids.enumerated() { _ = handle(.spawned(generation: index + 1, pid: pid)) }
    }

    func entry(pid: pid_t, slot: Int, restarts: Int = 0) -> ReplicaRegistryFile.Entry {
        .init(pid: pid, slot: slot, startedAt: Timestamp.string(date), restarts: restarts)
    }
}
