import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended.
package enum ProcessExit: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// It called `exit` with this code.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// Someone else reaped it, so its status is unknown.
    case unknown

    /// Decodes a `waitpid` status word (the `WIFEXITED`/`WTERMSIG` macros are not imported).
    package init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// `exit status 1`, `signal 9 (SIGKILL)`.
    package var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "signal \(signal)" + (Self.signalNames[signal].map { " (\($0))" } ?? "")
        case .unknown: "unknown status"
        }
    }

    /// Whether the process ended with exit status 0.
    package var isSuccess: Bool { self == .exited(0) }

    private static let signalNames: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
        SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM",
    ]

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension ProcessExit {
    /// Blocks the calling thread until child `pid` has exited, without reaping it, so that the
    /// pid cannot be reused while the caller still may signal it; returns how it ended. Call
    /// ``reap(_:)`` next.
    @discardableResult
    package static func waitUntilExited(_ pid: pid_t) -> ProcessExit {
        var info = siginfo_t()
        while true {
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0 { return ProcessExit(childInfo: info) }
            if errno != EINTR { return .unknown }
        }
    }

    /// Decodes what `waitid` says about an exited child (`CLD_EXITED`: an exit code; `CLD_KILLED`,
    /// `CLD_DUMPED`: a signal).
    init(childInfo info: siginfo_t) {
        let status = info._sifields._sigchld.si_status
        switch info.si_code {
        case Int32(CLD_EXITED): self = .exited(status)
        case Int32(CLD_KILLED), Int32(CLD_DUMPED): self = .signaled(status)
        default: self = .unknown
        }
    }

    /// Reaps an exited child and returns its status.
    package static func reap(_ pid: pid_t) -> ProcessExit {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { return ProcessExit(waitStatus: status) }
            if result < 0 && errno == EINTR { continue }
            return .unknown
        }
    }

    /// Waits for child `pid` to exit on a dedicated thread (a blocking wait, no polling) and
    /// returns when it has exited; it is not reaped yet.
    package static func waitForExit(_ pid: pid_t) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                waitUntilExited(pid)
                continuation.resume()
            }
            thread.name = "orch-wait-\(pid)"
            thread.stackSize = 64 * 1024
            thread.start()
        }
    }
}
