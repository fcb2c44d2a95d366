import Shared

/// Decides what one replica's connection is sent next, so that at most one snapshot frame is in
/// flight per replica and later versions coalesce: the frame for the newest version is built
/// when the previous one is answered, from what the replica then serves. A replica that takes
/// deltas and serves a version this control plane sent it (as a base or a delta) gets the change
/// since that version when the change log still covers it; any other gets the whole snapshot.
///
/// Pure: events in, frames out. ``SnapshotFanOut`` keeps one per connection.
struct SnapshotSender: Sendable, Equatable {
    /// What the replica serves and can build a delta on.
    struct Served: Sendable, Equatable {
        var version: Int
        var checksum: String
    }

    enum Frame: Sendable, Equatable {
        /// The whole snapshot (with seqs when the replica takes deltas).
        case whole(version: Int)
        /// The change from `from` to `version`.
        case delta(from: Int, version: Int)
    }

    let takesDeltas: Bool
    /// The frame sent and not answered yet.
    private(set) var inFlight: (frame: Frame, checksum: String)?
    /// The version the replica last acknowledged (whole or delta).
    private(set) var delivered: Int?
    /// What the replica serves as a base for deltas: a whole-with-seqs or delta frame it acknowledged.
    private(set) var served: Served?
    /// A whole snapshot it refused: not sent again until a newer version.
    private(set) var refused: Int?
    /// The next frame is whole, even of a version the replica has (`POST /router/refresh`).
    private(set) var forceWhole = false

    init(takesDeltas: Bool) {
        self.takesDeltas = takesDeltas
    }

    static func == (lhs: SnapshotSender, rhs: SnapshotSender) -> Bool {
        lhs.takesDeltas == rhs.takesDeltas && lhs.inFlight?.frame == rhs.inFlight?.frame
            && lhs.inFlight?.checksum == rhs.inFlight?.checksum && lhs.delivered == rhs.delivered
            && lhs.served == rhs.served && lhs.refused == rhs.refused && lhs.forceWhole == rhs.forceWhole
    }

    /// The frame to send now for `current` (version and checksum), if any: none while one is in
    /// flight, when the replica has it already, or when it refused this very version.
    /// `canDelta(from)` says whether the change log covers `from` to `current`.
    mutating func next(current: Served?, canDelta: (Int) -> Bool) -> Frame? {
        guard let current, inFlight == nil,
            forceWhole || (delivered != current.version && refused != current.version)
        else { return nil }
        let frame: Frame
        if !forceWhole, takesDeltas, let served, served.version < current.version, canDelta(served.version) {
            frame = .delta(from: served.version, version: current.version)
        } else {
            frame = .whole(version: current.version)
        }
        inFlight = (frame, current.checksum)
        forceWhole = false
        return frame
    }

    /// The replica acknowledged `version`.
    mutating func acknowledged(_ version: Int) {
        guard let inFlight, Self.version(of: inFlight.frame) == version else {
            // An answer to nothing this sender has in flight (a resend's, a previous session's).
            delivered = version
            return
        }
        self.inFlight = nil
        delivered = version
        served = takesDeltas ? Served(version: version, checksum: inFlight.checksum) : nil
    }

    /// The replica refused `version`: a refused delta is followed by the whole snapshot, a refused
    /// whole one is not sent again.
    mutating func refused(_ version: Int) {
        guard let inFlight, Self.version(of: inFlight.frame) == version else { return }
        self.inFlight = nil
        served = nil
        if case .whole = inFlight.frame { refused = version }
    }

    /// Sends the whole current snapshot next, whatever the replica has (`POST /router/refresh`).
    mutating func resendWhole() {
        forceWhole = true
        refused = nil
    }

    private static func version(of frame: Frame) -> Int {
        switch frame {
        case .whole(let version), .delta(_, let version): version
        }
    }
}
