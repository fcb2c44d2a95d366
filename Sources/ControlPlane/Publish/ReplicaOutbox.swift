import Shared

/// What the control plane has yet to send one replica. Snapshots and the other messages travel
/// in two streams: at most one snapshot waits (a newer one replaces it, since each snapshot is
/// whole), and at most ``maximumControlMessages`` others. A replica that stops reading therefore
/// costs one snapshot and a few small messages, not a full snapshot for every change since.
struct ReplicaOutbox: Sendable {
    /// Drains, breaker resets and listener requests waiting; beyond this the oldest are kept
    /// and new ones dropped (each is also visible in the replica's state, and a stuck replica
    /// cannot act on them anyway).
    static let maximumControlMessages = 64

    let snapshots: AsyncStream<ControlPlaneMessage>
    let control: AsyncStream<ControlPlaneMessage>
    private let snapshotInput: AsyncStream<ControlPlaneMessage>.Continuation
    private let controlInput: AsyncStream<ControlPlaneMessage>.Continuation

    init() {
        (snapshots, snapshotInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (control, controlInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(Self.maximumControlMessages))
    }

    /// Queues `message` for the replica.
    func send(_ message: ControlPlaneMessage) {
        if case .snapshot = message {
            snapshotInput.yield(message)
        } else {
            controlInput.yield(message)
        }
    }

    /// Ends both streams: the writers stop once they have sent what is queued.
    func finish() {
        snapshotInput.finish()
        controlInput.finish()
    }
}
