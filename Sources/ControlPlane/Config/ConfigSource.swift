import AdminAPI
import Foundation
import Logging
import Shared

/// The config file as the control plane last read it: loads it, applies valid changes to the
/// registry, and remembers the last error for `/config/status`.
package actor ConfigSource {
    /// Outcome of one load.
    package enum LoadResult: Sendable {
        case applied(GatewayConfig, SyncResult)
        /// The file is absent: no file-owned endpoints.
        case missing(SyncResult)
        case invalid(ValidationError)
        /// The file's content is the same as last applied.
        case unchanged
        /// This control plane follows its cluster's leader, which applies the file.
        case notLeader
    }

    package let path: String
    let registry: EndpointRegistry
    let logger: Logger
    /// Whether the control plane has a TLS listener: then a document must have a `tls:` section
    /// whose files load (``TLSFileCheck``), and an absent file is refused like an invalid one.
    package let requiresTLS: Bool
    /// The last successfully applied document, if any.
    package private(set) var config: GatewayConfig?
    package private(set) var lastError: ValidationError?
    package private(set) var lastReloadTime: String?
    package private(set) var fileHash: String?
    package var watching = false
    /// Loads applied (or found the file absent) and loads rejected since start, for `/metrics`.
    package private(set) var reloadsSucceeded = 0
    package private(set) var reloadsFailed = 0
    /// The text seen by the last load, valid or not (`.some(nil)`: the file was absent).
    private var lastSeenText: String??
    /// Whether the last load that applied found the file absent.
    private var appliedAbsence = false

    /// What the serving state should be as far as the file decides: the last applied document,
    /// an empty one when the file was absent, `nil` while nothing was ever applied.
    package var applied: GatewayConfig? { config ?? (appliedAbsence ? GatewayConfig() : nil) }

    package init(path: String, registry: EndpointRegistry, logger: Logger, requiresTLS: Bool = false) {
        self.path = path
        self.registry = registry
        self.logger = logger
        self.requiresTLS = requiresTLS
    }

    package func setWatching(_ value: Bool) { watching = value }

    /// Reads the file and applies it when valid. With `force`, applies even if unchanged.
    @discardableResult
    package func load(cause: String, force: Bool = false) async -> LoadResult {
        // In a cluster, the leader applies the file for every control plane.
        guard await registry.leads else { return .notLeader }
        let text: String?
        do {
            text = try Self.read(path)
        } catch {
            return record(.invalid(ValidationError(field: nil, "cannot read \(path): \(error.localizedDescription)")))
        }
        if !force, let lastSeenText, lastSeenText == text { return .unchanged }
        lastSeenText = .some(text)
        guard let text else {
            if requiresTLS {
                return record(
                    .invalid(
                        ValidationError(
                            field: "tls", "\(path) is absent, and the control plane serves TLS (--proxy-tls-address)")))
            }
            do {
                let result = try await registry.apply(GatewayConfig(), cause: "\(cause): \(path) absent")
                config = nil
                fileHash = nil
                appliedAbsence = true
                return record(.missing(result))
            } catch {
                return record(.invalid(Self.asValidationError(error)))
            }
        }
        do {
            let parsed = try GatewayConfig.parse(yaml: text)
            if requiresTLS { try TLSFileCheck.validate(parsed.tls, document: text) }
            let result = try await registry.apply(parsed, cause: cause)
            config = parsed
            appliedAbsence = false
            fileHash = Snapshot.fnv1a(text.utf8)
            return record(.applied(parsed, result))
        } catch {
            return record(.invalid(Self.asValidationError(error)))
        }
    }

    private func record(_ result: LoadResult) -> LoadResult {
        lastReloadTime = Timestamp.string()
        switch result {
        case .applied(let config, let sync):
            lastError = nil
            reloadsSucceeded += 1
            logger.info(
                "config applied",
                metadata: [
                    "path": "\(path)", "endpoints": "\(config.endpoints.count)", "added": "\(sync.added)",
                    "updated": "\(sync.updated)", "removed": "\(sync.removed)",
                ])
        case .missing(let sync):
            lastError = nil
            reloadsSucceeded += 1
            logger.info(
                "config file absent: no file-owned endpoints",
                metadata: ["path": "\(path)", "removed": "\(sync.removed)"])
        case .invalid(let error):
            lastError = error
            reloadsFailed += 1
            logger.error(
                "config rejected, previous state keeps serving", metadata: ["path": "\(path)", "error": "\(error)"])
        case .unchanged, .notLeader:
            break
        }
        return result
    }

    /// The file's text, or `nil` when it does not exist. Refuses files over 10 MiB.
    static func read(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let url = URL(fileURLWithPath: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= 10 * 1024 * 1024 else { throw ControlPlaneError("file is larger than 10 MiB") }
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func asValidationError(_ error: any Error) -> ValidationError {
        if let error = error as? ValidationError { return error }
        return ValidationError(field: nil, "\(error)")
    }
}
