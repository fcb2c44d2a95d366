import Logging
import NIOConcurrencyHelpers
import NIOSSL
import Shared

/// A replica's server certificates: loads the contexts of the snapshot's `tls:` section, watches
/// their files (``poll()``, once a second, and on every snapshot) and swaps in new contexts when
/// they change. Connections accepted on the TLS listener take ``contexts`` as they are at that
/// moment; open connections keep theirs. A load that fails keeps the previous contexts and logs
/// a warning. The decisions are ``TLSReloadStateMachine``'s; reading files and the clock are
/// injected so that tests can drive it.
package final class TLSCertificateStore: Sendable {
    private struct State {
        var machine = TLSReloadStateMachine()
        var contexts: TLSContexts?
        /// Increases with every load decided; a load finishing late does not replace a newer one.
        var generation = 0
        var installedGeneration = 0
        /// A refused connection has been logged since the contexts went missing.
        var refusalLogged = false
    }

    private let state = NIOLockedValueBox(State())
    private let stamp: @Sendable (String) -> TLSFileStamp?
    private let load: @Sendable (TLSSettings) throws -> TLSContexts
    private let logger: Logger

    /// - Parameters:
    ///   - stamp: reads a file's stamp (``TLSFileStamp/read(_:)``).
    ///   - load: builds the contexts of a `tls:` section (``TLSContexts/load(_:)``).
    package init(
        logger: Logger,
        stamp: @escaping @Sendable (String) -> TLSFileStamp? = { TLSFileStamp.read($0) },
        load: @escaping @Sendable (TLSSettings) throws -> TLSContexts = { try TLSContexts.load($0) }
    ) {
        self.logger = logger
        self.stamp = stamp
        self.load = load
    }

    /// The contexts new TLS connections use; `nil` until a `tls:` section loaded.
    package var contexts: TLSContexts? { state.withLockedValue { $0.contexts } }

    /// A snapshot was installed: loads its `tls:` section if it differs from the current one
    /// or its files changed. Returns once the load (if any) is done.
    package func snapshotInstalled(_ settings: TLSSettings?) {
        let stamps = settings.map { $0.files.map(stamp) } ?? []
        let (action, generation) = state.withLockedValue { state in
            Self.decided(state.machine.snapshotInstalled(settings, stamps: stamps), &state)
        }
        run(action, generation: generation, cause: "snapshot")
    }

    /// Checks the files of the current settings; loads them when they changed (and held still
    /// since the previous check).
    package func poll() {
        guard let files = state.withLockedValue({ $0.machine.settings?.files }) else { return }
        let stamps = files.map(stamp)
        let (action, generation) = state.withLockedValue { state in
            Self.decided(state.machine.polled(stamps: stamps), &state)
        }
        run(action, generation: generation, cause: "file change")
    }

    /// Whether a TLS connection refused for want of certificates should be logged: once until
    /// certificates load.
    package func shouldLogRefusal() -> Bool {
        state.withLockedValue { state in
            defer { state.refusalLogged = true }
            return !state.refusalLogged
        }
    }

    private static func decided(
        _ action: TLSReloadStateMachine.Action, _ state: inout State
    ) -> (TLSReloadStateMachine.Action, Int) {
        if action != .none { state.generation += 1 }
        return (action, state.generation)
    }

    private func run(_ action: TLSReloadStateMachine.Action, generation: Int, cause: String) {
        switch action {
        case .none:
            return
        case .unload:
            install(nil, generation: generation)
            logger.notice("TLS certificates dropped: the snapshot has no tls section")
        case .load(let settings):
            let loaded: TLSContexts
            do {
                loaded = try load(settings)
            } catch {
                let kept = contexts != nil
                logger.warning(
                    kept
                        ? "cannot load the TLS certificates; keeping the previous ones"
                        : "cannot load the TLS certificates; TLS connections are refused until they load",
                    metadata: ["error": "\(error)", "cause": "\(cause)"])
                return
            }
            if install(loaded, generation: generation) {
                logger.info(
                    "TLS certificates loaded",
                    metadata: [
                        "certificates": "\(loaded.contexts.count)", "cause": "\(cause)",
                        "names": "\(loaded.names.map { $0.joined(separator: ",") }.joined(separator: " "))",
                    ])
            }
        }
    }

    /// Makes `contexts` current unless a newer load already did.
    @discardableResult
    private func install(_ contexts: TLSContexts?, generation: Int) -> Bool {
        state.withLockedValue { state in
            guard generation > state.installedGeneration else { return false }
            state.installedGeneration = generation
            state.contexts = contexts
            if contexts != nil { state.refusalLogged = false }
            return true
        }
    }
}
