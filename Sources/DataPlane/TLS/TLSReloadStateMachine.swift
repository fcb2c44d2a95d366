import Shared

/// When a replica (re)loads its TLS certificates. Pure: the `tls:` section of each snapshot and
/// the stamps of its files (``TLSFileStamp``, one per entry of ``TLSSettings/files``, `nil` for a
/// file that cannot be read) come in; whether to load comes out.
///
/// - A snapshot whose section differs from the current one, or whose files changed, loads at
///   once; a snapshot without one unloads (the TLS listener closes new connections).
/// - Between snapshots, the files are polled: a change is loaded once two polls in a row see
///   the same stamps, so that a certificate and key written one after the other (or a file
///   still being written) are read together. With a poll a second, a change is served within
///   about two seconds.
/// - A load that fails keeps the previous certificates; the files are tried again when they
///   change again.
package struct TLSReloadStateMachine: Sendable {
    package enum Action: Equatable, Sendable {
        case none
        /// Load these settings from their files (the stamps were taken before reading them).
        case load(TLSSettings)
        /// The snapshot has no `tls:` section any more: drop the certificates.
        case unload
    }

    /// The settings of the latest snapshot, if it has a `tls:` section.
    package private(set) var settings: TLSSettings?
    /// The stamps of the files last loaded (or tried).
    private var loadedStamps: [TLSFileStamp?] = []
    /// Stamps that differ from the loaded ones, seen by the previous poll.
    private var pendingStamps: [TLSFileStamp?]?

    package init() {}

    /// A snapshot was installed with `settings` as its `tls:` section; `stamps` are its files' now.
    package mutating func snapshotInstalled(_ settings: TLSSettings?, stamps: [TLSFileStamp?]) -> Action {
        guard let settings else {
            defer { reset() }
            return self.settings == nil ? .none : .unload
        }
        guard settings != self.settings || stamps != loadedStamps else { return .none }
        self.settings = settings
        loadedStamps = stamps
        pendingStamps = nil
        return .load(settings)
    }

    /// The periodic check: `stamps` are the current settings' files' now.
    package mutating func polled(stamps: [TLSFileStamp?]) -> Action {
        guard let settings else { return .none }
        if stamps == loadedStamps {
            pendingStamps = nil
            return .none
        }
        guard stamps == pendingStamps else {
            pendingStamps = stamps
            return .none
        }
        loadedStamps = stamps
        pendingStamps = nil
        return .load(settings)
    }

    private mutating func reset() {
        settings = nil
        loadedStamps = []
        pendingStamps = nil
    }
}
