import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// A listening TCP socket on 127.0.0.1 with an ephemeral port, and a replica started with it as
/// file descriptor 3 under the `LISTEN_FDS` convention, the way the control plane's supervisor
/// hands its proxy socket to replicas (with `tls`, a second one as fd 4, `LISTEN_FDS=2` and
/// `LISTEN_FDNAMES=proxy:proxy-tls`). Foundation's `Process` cannot pass descriptors, so this
/// spawns with `posix_spawn`.
public final class DataPlaneInheritedSocket: @unchecked Sendable {
    public let port: Int
    /// The port of the TLS socket, when started with `tls`.
    public let tlsPort: Int?
    private let tlsListener: Int32?
    public let pid: pid_t
    public let directory: TestDirectory
    let listener: Int32
    public var stdoutPath: String { directory.file("replica.out").path }
    public var stderrPath: String { directory.file("replica.err").path }

    /// Binds the socket, starts `orch-data-plane` without `--listen`, and returns once it runs.
    /// `directory` lets a test prepare files (say, a fake control plane's socket) first. With
    /// `sharing`, the replica gets that replica's socket instead (as a rollout's new replica does);
    /// its test copy must still be open.
    public static func start(
        cachedSnapshot: Snapshot?, extraEnvironment: [String: String] = [:], directory: TestDirectory? = nil,
        drainTimeout: Double = 2, sharing other: DataPlaneInheritedSocket? = nil, tls: Bool = false
    ) throws -> DataPlaneInheritedSocket {
        let directory = try directory ?? TestDirectory()
        if let cachedSnapshot { try DataPlaneHarness.writeCache(cachedSnapshot, in: directory) }
        let (listener, port) = try other.map { try $0.duplicateListener() } ?? bindListener()
        let tlsSocket: (Int32, Int)? = try tls ? bindListener() : nil
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listener, 3)
        if let tlsSocket { posix_spawn_file_actions_adddup2(&actions, tlsSocket.0, 4) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, directory.file("replica.out").path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(
            &actions, 2, directory.file("replica.err").path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let binary = TestBinaries.url("orch-data-plane").path
        let arguments = [
            binary, "--cache-dir", directory.file("cache").path, "--control-socket", directory.file("cp.sock").path,
            "--replica-id", "inherited", "--log-level", "debug", "--drain-timeout", String(drainTimeout),
        ]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ORCH_") }
        environment["LISTEN_FDS"] = tls ? "2" : "1"
        if tls { environment["LISTEN_FDNAMES"] = "proxy:proxy-tls" }
        environment.merge(extraEnvironment) { $1 }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        guard result == 0 else {
            close(listener)
            if let tlsSocket { close(tlsSocket.0) }
            throw TimedOut(description: "posix_spawn failed: \(String(cString: strerror(result)))")
        }
        return DataPlaneInheritedSocket(
            port: port, pid: pid, directory: directory, listener: listener, tlsListener: tlsSocket?.0,
            tlsPort: tlsSocket?.1)
    }

    private init(
        port: Int, pid: pid_t, directory: TestDirectory, listener: Int32, tlsListener: Int32? = nil,
        tlsPort: Int? = nil
    ) {
        self.port = port
        self.pid = pid
        self.directory = directory
        self.listener = listener
        self.tlsListener = tlsListener
        self.tlsPort = tlsPort
    }

    public var output: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var errorOutput: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    private let listenerClosed = NSLock()
    private var isListenerClosed = false

    /// Closes the test's own copy of the listening socket (the replica keeps its copy). Only
    /// once: a second `close` could hit a descriptor number reused by someone else.
    public func closeListenerInTest() {
        listenerClosed.withLock {
            guard !isListenerClosed else { return }
            isListenerClosed = true
            close(listener)
            if let tlsListener { close(tlsListener) }
        }
    }

    /// A copy of the test's listening socket, for another replica.
    func duplicateListener() throws -> (Int32, Int) {
        try listenerClosed.withLock {
            guard !isListenerClosed else { throw TimedOut(description: "the listening socket is closed in the test") }
            let copy = dup(listener)
            guard copy >= 0 else { throw TimedOut(description: "dup failed") }
            return (copy, port)
        }
    }

    /// The path of the control socket the replica connects to.
    public var controlSocketPath: String { directory.file("cp.sock").path }

    private var exitStatus: Int32?

    /// Sends `signal` to the replica unless it was already reaped.
    public func signal(_ signal: Int32) {
        listenerClosed.withLock {
            if exitStatus == nil { kill(pid, signal) }
        }
    }

    /// Waits up to `timeout` seconds for the replica to exit; returns its exit status (128 +
    /// signal number when a signal ended it), or `nil` if it is still running.
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = reap() { return status }
            if Date() > deadline { return nil }
            usleep(20_000)
        }
    }

    private func reap() -> Int32? {
        listenerClosed.withLock {
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signalled = status & 0x7f
            exitStatus = signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
            return exitStatus
        }
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; reaps the process and removes the directory.
    public func stop(grace: Double = 10) {
        closeListenerInTest()
        defer { directory.remove() }
        if reap() != nil { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(grace)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(20_000)
        }
    }

    static func bindListener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TimedOut(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            close(fd)
            throw TimedOut(description: "bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
