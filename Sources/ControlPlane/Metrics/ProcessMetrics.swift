import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The standard `process_*` figures of the control plane, read from the kernel the way the
/// Prometheus client libraries do: neither swift-metrics 2.13 nor swift-prometheus 2.4 collects
/// them (that lives in swift-metrics-extras' SystemMetrics, not among our dependencies).
struct ProcessMetrics: Sendable, Equatable {
    var cpuSeconds: Double
    var residentBytes: Double
    var virtualBytes: Double
    var openDescriptors: Double
    var maximumDescriptors: Double

    static func read() -> ProcessMetrics {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        let statm = ((try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { Double($0) }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return ProcessMetrics(
            cpuSeconds: cpu, residentBytes: statm.count > 1 ? statm[1] * page : 0,
            virtualBytes: statm.first.map { $0 * page } ?? 0, openDescriptors: Double(open),
            maximumDescriptors: Double(limit.rlim_cur))
    }
}
