import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for a process that is not our child (an adopted replica) to exit.
///
/// It cannot be waited for with `waitpid`, so it is watched through a pidfd (Linux 5.3), which
/// becomes readable when the process exits; where `pidfd_open` is missing, it is checked every
/// 250 ms instead.
package enum ProcessExitWatch {
    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32

    /// glibc 2.36 exports `pidfd_open` without a header to import it from.
    private static let pidfdOpen = cLibraryFunction("pidfd_open", as: PidfdOpen.self)

    /// Blocks the calling thread until `pid` has exited (or is a zombie).
    package static func blockUntilExited(_ pid: pid_t) {
        if let descriptor = openPidfd(pid) {
            defer { close(descriptor) }
            // The pidfd names the process it was opened for even if the pid is reused later;
            // checking again after opening it covers an exit just before.
            guard SurvivingReplicas.isAlive(pid) else { return }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(&poller, 1, -1)
                if ready > 0 { return }
                if ready < 0 && errno == EINTR { continue }
                break
            }
        }
        while SurvivingReplicas.isAlive(pid) { usleep(250_000) }
    }

    private static func openPidfd(_ pid: pid_t) -> Int32? {
        guard let pidfdOpen else { return nil }
        let descriptor = pidfdOpen(pid, 0)
        return descriptor >= 0 ? descriptor : nil
    }
}
