#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open descriptors. Each client connection takes one and each upstream
/// connection another, so the soft limit (often 1024) is raised to the hard one at start, as
/// nginx's `worker_rlimit_nofile` does; `max_connections` beyond what it allows would fail in
/// `accept` instead of waiting in the kernel's queue.
package enum DescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit now in force.
    @discardableResult
    package static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
