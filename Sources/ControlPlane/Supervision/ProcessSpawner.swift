import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Starts child processes with `posix_spawn`, the way systemd socket activation starts a service:
/// the listening sockets become the child's fd 3, 4, ..., every other descriptor of this process stays
/// behind, stdin reads `/dev/null`, stdout and stderr are inherited (or appended to a file), signal dispositions and the
/// signal mask are reset to their defaults, and the child leads its own process group (a terminal's
/// Ctrl-C reaches the control plane, which then stops its replicas in order).
///
/// Foundation's `Process` is not used because it may close inherited descriptors.
package enum ProcessSpawner {
    /// What to start.
    package struct Command: Sendable {
        /// Absolute path of the executable.
        package var executable: String
        /// Arguments after `argv[0]` (which is the executable path).
        package var arguments: [String]
        /// The complete environment of the child.
        package var environment: [String: String]
        /// Descriptors to hand over as fd 3, 4, ... in this order.
        package var inheritedSockets: [Int32]
        /// A file stdout and stderr are appended to instead of this process's own.
        package var outputPath: String?

        package init(
            executable: String, arguments: [String], environment: [String: String], inheritedSockets: [Int32],
            outputPath: String? = nil
        ) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.inheritedSockets = inheritedSockets
            self.outputPath = outputPath
        }

        /// A command that inherits at most one socket, as fd 3.
        package init(
            executable: String, arguments: [String], environment: [String: String], inheritedSocket: Int32?,
            outputPath: String? = nil
        ) {
            self.init(
                executable: executable, arguments: arguments, environment: environment,
                inheritedSockets: inheritedSocket.map { [$0] } ?? [], outputPath: outputPath)
        }
    }

    /// The descriptor number the first inherited socket gets in the child (`SD_LISTEN_FDS_START`).
    package static let inheritedDescriptor: Int32 = 3

    /// Starts `command` and returns the child's pid. The caller must reap it (see ``ProcessExit``).
    ///
    /// - Throws: ``SupervisionError`` when the process cannot be started (also when `exec` fails).
    package static func spawn(_ command: Command) throws(SupervisionError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output = command.outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // dup2(3, 3) would keep the close-on-exec flag, and a socket that is fd 4 would be gone
        // once another one was put there before it was copied to its own place. So every socket
        // below the first descriptor after the inherited ones is first copied above them; dup2
        // from the copy then yields a descriptor without the flag.
        let firstClosed = inheritedDescriptor + Int32(command.inheritedSockets.count)
        var temporaryCopies: [Int32] = []
        defer { for copy in temporaryCopies { close(copy) } }
        for (index, socket) in command.inheritedSockets.enumerated() {
            var source = socket
            if socket < firstClosed {
                source = fcntl(socket, F_DUPFD_CLOEXEC, firstClosed)
                guard source >= 0 else { throw .spawnFailed(command.executable, errno: errno) }
                temporaryCopies.append(source)
            }
            posix_spawn_file_actions_adddup2(&actions, source, inheritedDescriptor + Int32(index))
        }
        _ = closeFrom?(&actions, firstClosed)

        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = CStringArray([command.executable] + command.arguments)
        let envp = CStringArray(command.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command.executable, &actions, &attributes, argv.pointers, envp.pointers)
        argv.deallocate()
        envp.deallocate()
        guard result == 0 else { throw .spawnFailed(command.executable, errno: result) }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift does not import;
    /// without it the child still gets only close-on-exec-free descriptors.
    private static let closeFrom = cLibraryFunction(
        "posix_spawn_file_actions_addclosefrom_np",
        as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
}

/// A NULL-terminated array of C strings for `argv`/`envp`.
private struct CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func deallocate() {
        for pointer in pointers { free(pointer) }
    }
}
