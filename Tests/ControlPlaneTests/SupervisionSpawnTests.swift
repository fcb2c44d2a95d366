import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ControlPlane

#if canImport(Glibc)
    import Glibc
#endif

/// `ProcessSpawner` and `ProcessExit` with real child processes (`/bin/sh`).
@Suite(.endToEnd) struct SupervisionSpawnTests {
    /// Runs `script` with `sh -c`, waits for it and returns its exit and what it wrote to `out`.
    func run(
        _ script: String, socket: Int32? = nil, environment: [String: String] = [:]
    ) async throws -> (exit: ProcessExit, output: String) {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let out = directory.file("out").path
        let pid = try ProcessSpawner.spawn(
            .init(
                executable: "/bin/sh", arguments: ["-c", script],
                environment: environment.merging(["OUT": out, "PATH": "/usr/bin:/bin"]) { $1 },
                inheritedSocket: socket))
        await ProcessExit.waitForExit(pid)
        let exit = ProcessExit.reap(pid)
        return (exit, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    @Test func theSocketBecomesDescriptorThreeInTheChild() async throws {
        let socket = try ListeningSocket("127.0.0.1:0")
        defer { socket.close() }
        // The same socket shows as the same `socket:[inode]` link in both processes.
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(socket.fileDescriptor)")
        let result = try await run("readlink /proc/self/fd/3 > \"$OUT\"", socket: socket.fileDescriptor)
        #expect(result.exit == .exited(0))
        #expect(result.output == link + "\n")
    }

    @Test func theEnvironmentIsExactlyWhatWasGiven() async throws {
        let result = try await run(
            "echo \"$LISTEN_FDS $LISTEN_FDNAMES ${LISTEN_PID-unset} ${HOME-unset}\" > \"$OUT\"",
            environment: ["LISTEN_FDS": "1", "LISTEN_FDNAMES": "proxy"])
        #expect(result.output == "1 proxy unset unset\n")
    }

    @Test func otherDescriptorsAreNotInherited() async throws {
        // Opened without close-on-exec, so only the spawner's own closing keeps it from the child.
        let leaked = open("/dev/null", O_RDONLY)
        try #require(leaked > 3)
        defer { close(leaked) }
        let socket = try ListeningSocket("127.0.0.1:0")
        defer { socket.close() }
        let result = try await run(
            "for fd in 0 3 \(leaked); do if [ -e /proc/self/fd/$fd ]; then echo \"$fd open\"; else echo \"$fd closed\"; fi; done > \"$OUT\"",
            socket: socket.fileDescriptor)
        #expect(result.output == "0 open\n3 open\n\(leaked) closed\n")
    }

    @Test func outputCanGoToAFileInsteadOfOurs() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let log = directory.file("replica.log")
        try "earlier\n".write(to: log, atomically: false, encoding: .utf8)
        let pid = try ProcessSpawner.spawn(
            .init(
                executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2"], environment: [:],
                inheritedSocket: nil, outputPath: log.path))
        await ProcessExit.waitForExit(pid)
        #expect(ProcessExit.reap(pid) == .exited(0))
        #expect(try String(contentsOf: log, encoding: .utf8) == "earlier\nout\nerr\n")
    }

    @Test func stdinIsDevNull() async throws {
        let result = try await run("readlink /proc/self/fd/0 > \"$OUT\"")
        #expect(result.output == "/dev/null\n")
    }

    @Test func ignoredAndBlockedSignalsAreResetInTheChild() async throws {
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        let result = try await run("exec grep -E '^Sig(Blk|Ign)' /proc/self/status > \"$OUT\"")
        let masks = Dictionary(
            uniqueKeysWithValues: result.output.split(separator: "\n").compactMap { line -> (String, UInt64)? in
                let parts = line.split(separator: ":\t")
                guard parts.count == 2, let mask = UInt64(parts[1], radix: 16) else { return nil }
                return (String(parts[0]), mask)
            })
        // Signals 1-31; glibc keeps its internal real-time signals (32, 33) to itself.
        let standard: UInt64 = 0x7fff_ffff
        #expect(masks["SigBlk"].map { $0 & standard } == 0)
        #expect(masks["SigIgn"].map { $0 & standard } == 0)
    }

    @Test func theChildLeadsItsOwnProcessGroup() async throws {
        let pid = try ProcessSpawner.spawn(
            .init(executable: "/bin/sleep", arguments: ["30"], environment: [:], inheritedSocket: nil))
        defer {
            kill(pid, SIGKILL)
            _ = ProcessExit.reap(pid)
        }
        #expect(getpgid(pid) == pid)
        #expect(getpgid(pid) != getpgrp())
    }

    @Test func exitCodesAndSignalsAreReported() async throws {
        #expect(try await run("exit 7").exit == .exited(7))
        #expect(try await run("true").exit.isSuccess)
        let killed = try await run("kill -KILL $$").exit
        #expect(killed == .signaled(SIGKILL))
        #expect(killed.description == "signal 9 (SIGKILL)")
        #expect(ProcessExit.exited(3).description == "exit status 3")
    }

    @Test func aMissingExecutableIsAClearError() {
        #expect {
            try ProcessSpawner.spawn(
                .init(executable: "/nonexistent/orch-data-plane", arguments: [], environment: [:], inheritedSocket: nil)
            )
        } throws: { error in
            "\(error)" == "cannot start /nonexistent/orch-data-plane: No such file or directory"
        }
    }

    @Test func theExitOfAProcessThatIsNotOurChildIsNoticed() async throws {
        // `sleep` is started in the background by a shell that exits at once, so it is
        // re-parented away from us, as an adopted replica is.
        let started = try await run("sleep 120 > /dev/null 2>&1 & echo $! > \"$OUT\"")
        let pid = try #require(pid_t(started.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        #expect(SurvivingReplicas.isAlive(pid))
        let exited = Mutex(false)
        let watcher = Thread {
            ProcessExitWatch.blockUntilExited(pid)
            exited.withLock { $0 = true }
        }
        watcher.start()
        #expect(!exited.withLock { $0 })
        kill(pid, SIGTERM)
        _ = try await eventually("the watch returns after the exit") { exited.withLock { $0 } ? true : nil }
    }
}
