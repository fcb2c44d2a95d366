import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server for a test: `initdb` into a temporary directory, `pg_ctl start`
/// on a free port of 127.0.0.1 (trust authentication, user `orch`, database `orchestrator`), and
/// `pg_ctl stop` plus removal on ``stop()``. As root, the server runs as the `postgres` user
/// (`initdb` refuses root).
public final class PostgresServer: @unchecked Sendable {
    /// The directory holding the cluster (`data/`), its log and its Unix socket.
    public let directory: URL
    public private(set) var port: Int
    let bin: URL

    /// `postgres://orch@127.0.0.1:PORT/orchestrator?sslmode=disable`.
    public var url: String { "postgres://orch@127.0.0.1:\(port)/orchestrator?sslmode=disable" }

    /// Where `initdb` and `pg_ctl` are: `ORCH_PG_BIN`, else the newest `/usr/lib/postgresql/N/bin`.
    public static var binDirectory: URL? {
        if let explicit = ProcessInfo.processInfo.environment["ORCH_PG_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
        guard let newest = versions.max() else { return nil }
        let bin = URL(fileURLWithPath: "\(root)/\(newest)/bin")
        return FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) ? bin : nil
    }

    static var runsAsRoot: Bool { geteuid() == 0 }

    /// Whether the PostgreSQL suites run: the server binaries are installed, or the run demands
    /// them anyway (`ORCH_REQUIRE_POSTGRES=1`, as `.ci/run` sets, makes a missing install a failure).
    public static var shouldRun: Bool {
        ProcessInfo.processInfo.environment["ORCH_REQUIRE_POSTGRES"] == "1" || binDirectory != nil
    }

    /// Why a PostgreSQL suite is skipped.
    public static let skipReason: Comment =
        "PostgreSQL is not installed (apt-get install postgresql; ORCH_REQUIRE_POSTGRES=1 makes this a failure)"

    /// Initialises and starts a server.
    public static func start() async throws -> PostgresServer {
        guard let bin = binDirectory else {
            throw TimedOut(description: "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb)")
        }
        let directory = try TestDirectory(prefix: "orch-pg").url
        let server = PostgresServer(directory: directory, bin: bin)
        do {
            if runsAsRoot {
                try server.run("/bin/chown", ["postgres:postgres", directory.path], asServer: false)
                try server.run("/bin/chmod", ["0700", directory.path], asServer: false)
            }
            try server.run(
                bin.appendingPathComponent("initdb").path,
                ["-D", server.dataDirectory, "-U", "orch", "--auth=trust", "-E", "UTF8", "--no-sync"])
            try await server.startServer()
            try server.psql("CREATE DATABASE orchestrator", database: "postgres")
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    init(directory: URL, bin: URL) {
        self.directory = directory
        self.bin = bin
        port = 0
    }

    var dataDirectory: String { directory.appendingPathComponent("data").path }

    /// `pg_ctl start` on a free port, trying another port if one was taken meanwhile.
    private func startServer() async throws {
        var lastError: (any Error)?
        for _ in 0..<5 {
            port = try Self.freePort()
            do {
                try resume()
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TimedOut(description: "PostgreSQL did not start")
    }

    private var options: [String] {
        [
            "-o",
            "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
        ]
    }

    /// Restarts the server on the same port (`pg_ctl restart -m fast`): every connection is cut.
    public func restart() throws {
        try pgCtl(["restart", "-m", "fast", "-w", "-t", "60"] + options)
    }

    /// Stops the server now (`-m immediate`), keeping its files, until ``resume()``.
    public func halt() throws {
        try pgCtl(["stop", "-m", "immediate", "-w", "-t", "60"])
    }

    /// Starts a halted server again on the same port.
    public func resume() throws {
        try pgCtl(["start", "-w", "-t", "60", "-l", directory.appendingPathComponent("server.log").path] + options)
    }

    /// Stops the server and removes its directory. Safe to call twice, and from `defer`.
    public func stop() {
        if FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") {
            try? pgCtl(["stop", "-m", "immediate", "-w", "-t", "60"])
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `sql` with `psql` as `orch` and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String = "orchestrator") throws -> String {
        try run(
            bin.appendingPathComponent("psql").path,
            [
                "-h", "127.0.0.1", "-p", String(port), "-U", "orch", "-d", database, "-v", "ON_ERROR_STOP=1", "-At",
                "-c", sql,
            ]
        )
    }

    private func pgCtl(_ arguments: [String]) throws {
        try run(bin.appendingPathComponent("pg_ctl").path, ["-D", dataDirectory] + arguments)
    }

    /// Runs a command to its end (as the `postgres` user when root and `asServer`); returns stdout.
    /// Spawned and awaited directly (`posix_spawn`, `waitpid`): `pg_ctl start` leaves the server
    /// running with descriptors it inherited, and Foundation's `Process` waits for those to close.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String], asServer: Bool = true) throws -> String {
        let (path, full) =
            Self.runsAsRoot && asServer
            ? ("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments) : (executable, arguments)
        let output = directory.deletingLastPathComponent().appendingPathComponent(
            "\(directory.lastPathComponent)-\(UUID().uuidString.prefix(8))")
        let outPath = output.path + ".out"
        let errPath = output.path + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([path] + full).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        // Exited normally with 0: WIFEXITED and WEXITSTATUS by hand (Glibc's macros are not imported).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let log = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw TimedOut(
                description: "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments) failed: \(log)")
        }
        return stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A port of 127.0.0.1 free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
