import Foundation
import Logging
import Shared

/// What ``ControlPlane/startSupervision(directory:socketPath:publisher:)`` set up.
struct SupervisionSetup {
    let supervisor: ReplicaSupervisor
    /// The sockets bound here, closed when the control plane ends.
    let sockets: [ListeningSocket]
    /// The proxy address the replicas serve.
    let proxyText: String
    /// The TLS proxy address the replicas serve; `nil` without `--proxy-tls-address`.
    let proxyTLSText: String?
    /// The TLS address adopted replicas hold and are to hand over (``ListenerRecovery``).
    let awaitedTLS: HostPort?
}

extension ControlPlane {
    /// Binds the proxy address (and the TLS proxy address, with `--proxy-tls-address`) once, when
    /// replicas are wanted, and prepares the supervisor that hands those sockets to every replica
    /// it starts. When replicas a previous control plane started still run, they are adopted and
    /// the addresses they hold are not bound (they hand them over later); a TLS address they do
    /// not hold (they were started without one) is bound here.
    func startSupervision(
        directory: DataDirectory, socketPath: String, publisher: SnapshotPublisher
    ) throws -> SupervisionSetup {
        var sockets: [ListeningSocket] = []
        var proxyText = settings.proxyAddress.description
        var proxyTLSText = settings.proxyTLSAddress?.description
        var tlsSocket: Int32? = proxyTLSText == nil ? nil : -1
        var awaitedTLS: HostPort?
        let dataDirectory = URL(fileURLWithPath: directory.path)
        var adopted: [ReplicaRegistryFile.Entry] = []
        var listenSocket: Int32 = -1
        if settings.replicas > 0 {
            adopted = SurvivingReplicas.find(dataDirectory: dataDirectory, executable: settings.dataPlaneBinary)
            let url = ReplicaRegistryFile.url(dataDirectory: dataDirectory)
            if adopted.isEmpty {
                let socket = try Self.bind(proxyText, for: "the proxy")
                sockets.append(socket)
                listenSocket = socket.fileDescriptor
                proxyText = socket.address.description
            } else {
                proxyText = ReplicaRegistryFile.proxyAddress(from: url) ?? proxyText
            }
            if let requested = proxyTLSText {
                if !adopted.isEmpty, let held = ReplicaRegistryFile.proxyTLSAddress(from: url) {
                    proxyTLSText = held
                    awaitedTLS = try HostPort(listening: held)
                } else {
                    let socket = try Self.bind(requested, for: "the TLS proxy")
                    sockets.append(socket)
                    tlsSocket = socket.fileDescriptor
                    proxyTLSText = socket.address.description
                }
            }
        }
        let supervisor = ReplicaSupervisor(
            configuration: .init(
                executable: URL(fileURLWithPath: settings.dataPlaneBinary),
                replicaCount: settings.replicas,
                listenSocket: listenSocket,
                controlSocketPath: socketPath,
                dataDirectory: URL(fileURLWithPath: directory.path),
                logLevel: settings.logLevel,
                drainTimeout: .milliseconds(Int64(settings.drainTimeout * 1000)), accessLog: settings.accessLog,
                readyTimeout: .milliseconds(Int64(Self.readyTimeoutSeconds * 1000)),
                adopted: adopted, proxyAddress: proxyText, tlsListenSocket: tlsSocket, proxyTLSAddress: proxyTLSText),
            publisher: publisher, logger: logger)
        return SupervisionSetup(
            supervisor: supervisor, sockets: sockets, proxyText: proxyText, proxyTLSText: proxyTLSText,
            awaitedTLS: awaitedTLS)
    }

    /// Listens on `text` for `purpose` (`the proxy`, `the TLS proxy`).
    private static func bind(_ text: String, for purpose: String) throws -> ListeningSocket {
        let address = try HostPort(listening: text)
        do {
            return try ListeningSocket(address: address)
        } catch {
            throw ControlPlaneError("cannot listen on \(address) for \(purpose): \(error)")
        }
    }

    /// With adopted replicas and sockets still to come from them: the service that gets them back.
    func listenerRecovery(
        _ supervision: SupervisionSetup, publisher: SnapshotPublisher, directory: DataDirectory
    ) throws -> ListenerRecovery? {
        guard settings.replicas > 0, !supervision.supervisor.hasListenSocket else { return nil }
        let recovery = ListenerRecovery(
            supervisor: supervision.supervisor, publisher: publisher, path: directory.file("listener.sock"),
            expected: try HostPort(listening: supervision.proxyText), expectedTLS: supervision.awaitedTLS,
            timeout: .milliseconds(Int64(Self.adoptTimeoutSeconds * 1000)), logger: logger)
        return recovery
    }
}
