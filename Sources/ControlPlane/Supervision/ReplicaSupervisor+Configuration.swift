import Foundation
import Logging
import Shared

extension ReplicaSupervisor {
    /// What the supervisor starts and how.
    ///
    /// Wiring in `orch-control-plane`:
    /// ```swift
    /// let socket = try ListeningSocket(options.proxyAddress)          // bound once, kept open
    /// let supervisor = ReplicaSupervisor(
    ///     configuration: .init(
    ///         executable: dataPlaneExecutable,                       // sibling of this executable
    ///         replicaCount: options.replicas,
    ///         listenSocket: socket.fileDescriptor,
    ///         controlSocketPath: dataDir.appendingPathComponent("control.sock").path,
    ///         dataDirectory: dataDir,
    ///         logLevel: logger.logLevel),
    ///     logger: logger)
    /// // add `supervisor` to the ServiceGroup after the snapshot publisher; close `socket` after the group ends.
    /// ```
    package struct Configuration: Sendable {
        /// The `orch-data-plane` executable.
        package var executable: URL
        /// Replicas to keep running (0 starts none).
        package var replicaCount: Int
        /// The listening socket every replica inherits as fd 3; owned by the caller and kept open.
        package var listenSocket: Int32
        /// The TLS listening socket every replica inherits as fd 4 (`--proxy-tls-address`), owned
        /// by the caller and kept open; `nil`: replicas get no TLS socket; -1: adopted replicas
        /// hold it and have not handed it over yet.
        package var tlsListenSocket: Int32?
        /// The control socket replicas connect to (`--control-socket`).
        package var controlSocketPath: String
        /// Where `replicas.json` is kept.
        package var dataDirectory: URL
        /// The replicas' snapshot cache (`--cache-dir`); shared by all of them.
        package var cacheDirectory: URL
        /// Passed to each replica as `--log-level`.
        package var logLevel: Logger.Level
        /// How long a replica may drain after SIGTERM (`--drain-timeout`).
        package var drainTimeout: Duration
        /// Extra time after ``drainTimeout`` before a replica that has not exited gets SIGKILL.
        package var killMargin: Duration
        /// Restart delay after the first unexpected exit; doubles with each further one.
        package var restartDelay: Duration
        /// Longest restart delay.
        package var maximumRestartDelay: Duration
        /// A replica that ran this long before dying is restarted after ``restartDelay`` again.
        package var restartResetAfter: Duration
        /// A file the replicas' stdout and stderr are appended to; `nil` (the default): they
        /// share this process's.
        package var outputPath: String?
        /// Passed to each replica as `--access-log` when set (else `ORCH_ACCESS_LOG` or stdout applies).
        package var accessLog: String?
        /// Replicas a previous control plane left running, adopted into their slots instead of
        /// starting new ones (``SurvivingReplicas``). Without ``listenSocket`` (-1) a slot whose
        /// adopted replica exits waits for ``ReplicaSupervisor/listenerArrived(_:as:)``.
        package var adopted: [ReplicaRegistryFile.Entry] = []
        /// The proxy address the replicas serve, recorded in `replicas.json`.
        package var proxyAddress: String?
        /// The TLS proxy address the replicas serve, recorded in `replicas.json`.
        package var proxyTLSAddress: String?
        /// How long a rollout waits for a new replica to connect and acknowledge the current snapshot.
        package var readyTimeout: Duration

        package init(
            executable: URL,
            replicaCount: Int,
            listenSocket: Int32,
            controlSocketPath: String,
            dataDirectory: URL,
            cacheDirectory: URL? = nil,
            logLevel: Logger.Level = .info,
            drainTimeout: Duration = .seconds(30),
            killMargin: Duration = .seconds(2),
            restartDelay: Duration = .milliseconds(100),
            maximumRestartDelay: Duration = .seconds(10),
            restartResetAfter: Duration = .seconds(30),
            outputPath: String? = nil,
            accessLog: String? = nil,
            readyTimeout: Duration = .seconds(30),
            adopted: [ReplicaRegistryFile.Entry] = [],
            proxyAddress: String? = nil,
            tlsListenSocket: Int32? = nil,
            proxyTLSAddress: String? = nil
        ) {
            self.accessLog = accessLog
            self.executable = executable
            self.replicaCount = replicaCount
            self.listenSocket = listenSocket
            self.controlSocketPath = controlSocketPath
            self.dataDirectory = dataDirectory
            self.cacheDirectory = cacheDirectory ?? dataDirectory.appendingPathComponent("cache")
            self.logLevel = logLevel
            self.drainTimeout = drainTimeout
            self.killMargin = killMargin
            self.restartDelay = restartDelay
            self.maximumRestartDelay = maximumRestartDelay
            self.restartResetAfter = restartResetAfter
            self.outputPath = outputPath
            self.readyTimeout = readyTimeout
            self.adopted = adopted
            self.proxyAddress = proxyAddress
            self.tlsListenSocket = tlsListenSocket
            self.proxyTLSAddress = proxyTLSAddress
        }

        /// The sockets every replica inherits, in descriptor order from fd 3.
        package var listeners: [InheritedListener] {
            tlsListenSocket == nil ? [.proxy] : [.proxy, .proxyTLS]
        }

        /// Variables of the control plane's environment its replicas do not inherit.
        package static let controlPlaneOnlyVariables = ["ORCH_ADMIN_TOKEN", "ORCH_ADMIN_URL"]

        /// The data plane's arguments for a supervised replica.
        var arguments: [String] {
            [
                "--control-socket", controlSocketPath,
                "--cache-dir", cacheDirectory.path,
                "--supervised",
                "--log-level", logLevel.rawValue,
                "--drain-timeout", drainTimeout.secondsText,
            ] + (accessLog.map { ["--access-log", $0] } ?? [])
        }

        /// This process's environment with the socket-activation variables of the inherited
        /// sockets (`LISTEN_FDS=1`, `LISTEN_FDNAMES=proxy`; with a TLS socket `LISTEN_FDS=2`,
        /// `LISTEN_FDNAMES=proxy:proxy-tls`) and the replica's slot (`ORCH_REPLICA_SLOT`, an
        /// environment variable rather than a flag so that an older data-plane binary still
        /// starts). Variables that would make a replica bind its own socket or share an id are
        /// removed, and so are the control plane's own secrets (``controlPlaneOnlyVariables``):
        /// a replica never needs the admin token.
        ///
        /// With `eventLoops`, a replica started without `ORCH_EVENT_LOOPS` in `parent` gets that
        /// many event loops (``ProcessLayout/eventLoops(cores:sharedBy:)``).
        func environment(from parent: [String: String], slot: Int, eventLoops: Int? = nil) -> [String: String] {
            var environment = parent
            environment["ORCH_REPLICA_SLOT"] = String(slot)
            if let eventLoops, (parent["ORCH_EVENT_LOOPS"] ?? "").isEmpty {
                environment["ORCH_EVENT_LOOPS"] = String(eventLoops)
            }
            for key in [
                "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "ORCH_LISTEN", "ORCH_LISTEN_TLS", "ORCH_REPLICA_ID",
            ] + Self.controlPlaneOnlyVariables {
                environment[key] = nil
            }
            environment["LISTEN_FDS"] = String(listeners.count)
            environment["LISTEN_FDNAMES"] = InheritedListener.fileDescriptorNames(listeners)
            return environment
        }
    }
}

extension ReplicaSupervisor.Configuration {
    /// What the supervision state machine needs of this configuration.
    var machineSettings: ReplicaSupervisionStateMachine<ContinuousClock.Instant>.Settings {
        .init(
            replicaCount: replicaCount, restartDelay: restartDelay, maximumRestartDelay: maximumRestartDelay,
            restartResetAfter: restartResetAfter, drainTimeout: drainTimeout, killMargin: killMargin,
            readyTimeout: readyTimeout, listenSocket: listenSocket, tlsListenSocket: tlsListenSocket)
    }
}

extension Duration {
    /// Seconds as a command-line argument: `30`, `2.5`.
    var secondsText: String {
        components.attoseconds == 0 ? String(components.seconds) : String(seconds)
    }
}
