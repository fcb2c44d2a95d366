import ServiceLifecycle

/// Checks the TLS certificate files for changes once per `interval` (``TLSCertificateStore/poll()``)
/// until the replica shuts down.
package struct TLSCertificateWatcher: Service {
    let store: TLSCertificateStore
    let interval: Duration

    package init(store: TLSCertificateStore, interval: Duration = .seconds(1)) {
        self.store = store
        self.interval = interval
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                store.poll()
            }
        }
    }
}

extension TLSCertificateWatcher: CustomStringConvertible {
    /// Short, for service-lifecycle logs.
    package var description: String { "TLSCertificateWatcher" }
}
