import Foundation
import Logging
import Shared
import Synchronization

extension ReplicaSupervisor {
    /// Hands the supervisor a proxy socket an adopted replica sent back (or, for a TLS socket
    /// no adopted replica had, one bound late); once every socket replicas inherit is here, slots
    /// waiting to restart a replica start it. A socket that is not awaited is closed; the
    /// supervisor closes the others when it ends.
    package func listenerArrived(_ socket: ListeningSocket, as listener: InheritedListener = .proxy) {
        let fd = socket.fileDescriptor
        let (accepted, wakeUp) = state.withLock { state -> (Bool, WakeUp?) in
            var actions = state.machine.handle(.listenerArrived(listener, fileDescriptor: fd), at: Self.now())
            let refused = actions.contains(.closeListener(fd))
            actions.removeAll { $0 == .closeListener(fd) }
            if !refused { state.receivedSockets[fd] = socket }
            return (!refused, Self.enqueue(actions, in: &state))
        }
        wakeUp?.resume()
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
        state.withLock { $0.machine.inheritedSockets != nil }
    }

    /// The sockets adopted replicas still have to hand over before a replica can be started.
    package var missingListeners: [InheritedListener] {
        state.withLock { $0.machine.missingListeners }
    }
}
