import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Replicas a previous control plane started that still run (it was killed, they were not):
/// the entries of `replicas.json` whose process is alive, not a zombie, and runs the data plane.
package enum SurvivingReplicas {
    /// The surviving entries of `<dataDirectory>/replicas.json`, in slot order; `executable` is
    /// the configured data-plane path (a replica's `argv[0]`).
    package static func find(dataDirectory: URL, executable: String) -> [ReplicaRegistryFile.Entry] {
        let url = ReplicaRegistryFile.url(dataDirectory: dataDirectory)
        let entries = (try? ReplicaRegistryFile.read(from: url)) ?? []
        return entries.filter { isDataPlane($0.pid, executable: executable) }.sorted { $0.slot < $1.slot }
    }

    /// Whether `pid` is a live, non-zombie process started as a supervised data plane.
    package static func isDataPlane(_ pid: Int32, executable: String) -> Bool {
        guard pid > 0, isAlive(pid),
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
        else { return false }
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let first = arguments.first else { return false }
        let runsDataPlane =
            first == executable || URL(fileURLWithPath: first).lastPathComponent == "orch-data-plane"
            || URL(fileURLWithPath: first).lastPathComponent == URL(fileURLWithPath: executable).lastPathComponent
        return runsDataPlane && arguments.contains("--supervised")
    }

    /// `kill(pid, 0)` succeeds and `/proc/PID/stat` does not say zombie (`Z`) or dead (`X`).
    package static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}
