import Foundation
import Logging
import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension ReplicaSupervisor {
    /// Hands the supervisor a proxy socket an adopted replica sent back (or, for a TLS socket
    /// no adopted replica had, one bound late); once every socket replicas inherit is here, slots
    /// waiting to restart a replica start it. A socket that is not awaited is closed; the
    /// supervisor closes the others when it ends.
    package func listenerArrived(_ socket: ListeningSocket, as listener: InheritedListener = .proxy) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            switch listener {
            case .proxy:
                guard state.listenSocket < 0 else { return false }
                state.listenSocket = socket.fileDescriptor
            case .proxyTLS:
                guard state.tlsListenSocket == -1 else { return false }
                state.tlsListenSocket = socket.fileDescriptor
            }
            state.receivedSockets.append(socket)
            return true
        }
        if accepted {
            logger.info(
                "proxy socket received from an adopted replica",
                metadata: ["orch.proxy": "\(socket.address)", "orch.listener": "\(listener.rawValue)"])
        } else {
            socket.close()
        }
    }

    /// Whether replicas can be started (every socket they inherit is bound here or was handed over).
    package var hasListenSocket: Bool {
        state.withLock { $0.inheritedSockets != nil }
    }

    /// The sockets adopted replicas still have to hand over before a replica can be started.
    package var missingListeners: [InheritedListener] {
        state.withLock { $0.missingListeners }
    }

    /// Puts the surviving replicas of ``Configuration/adopted`` into their slots; returns them by slot.
    func adopt() -> [Int: pid_t] {
        var adopted: [Int: pid_t] = [:]
        var ignored: [Int32] = []
        state.withLock { state in
            for entry in configuration.adopted {
                guard (1...state.slots.count).contains(entry.slot), adopted[entry.slot] == nil else {
                    ignored.append(entry.pid)
                    continue
                }
                adopted[entry.slot] = entry.pid
                state.slots[entry.slot - 1].pid = entry.pid
                state.slots[entry.slot - 1].state = .running
                state.slots[entry.slot - 1].startedAt = (try? Date(entry.startedAt, strategy: .iso8601)) ?? Date()
                state.slots[entry.slot - 1].restarts = entry.restarts
            }
        }
        if !adopted.isEmpty {
            logger.info(
                "adopted data-plane replicas left running by a previous control plane",
                metadata: ["orch.replica.pids": "\(adopted.sorted { $0.key < $1.key }.map(\.value))"])
        }
        if !ignored.isEmpty {
            logger.warning(
                "surviving replicas beyond the replica count are not supervised; stop them by hand",
                metadata: ["orch.replica.pids": "\(ignored)"])
        }
        return adopted
    }

    /// Waits until a replica that is not this process's child has exited (a liveness check every
    /// 250 ms; such a process cannot be waited for).
    static func waitForExit(adoptedReplica pid: pid_t) async {
        while SurvivingReplicas.isAlive(pid) {
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The sockets to start a replica on, from fd 3 on; waits (logging once) while an adopted
    /// replica has not handed them over yet. `nil` when shutdown began meanwhile.
    func listenSockets(logger: Logger) async -> [Int32]? {
        var logged = false
        while true {
            let (sockets, stopping) = state.withLock { ($0.inheritedSockets, $0.stopping) }
            if let sockets { return sockets }
            if stopping || Task.isCancelled { return nil }
            if !logged {
                logger.error("cannot restart the replica until an adopted replica hands over the proxy socket")
                logged = true
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
