import Shared

/// What the control plane has yet to send one replica. Snapshots, health updates and the other
/// messages travel in three streams: at most one snapshot waits (a newer one replaces it, since
/// each snapshot is whole), at most one health update (each is complete for its snapshot), and at
/// most ``maximumControlMessages`` others. A replica that stops reading therefore
/// costs one snapshot and a few small messages, not a full snapshot for every change since.
struct ReplicaOutbox: Sendable {
    /// Drains, breaker resets and listener requests waiting; beyond this the oldest are kept
    /// and new ones dropped (each is also visible in the replica's state, and a stuck replica
    /// cannot act on them anyway).
    static let maximumControlMessages = 64

    let snapshots: AsyncStream<ControlPlaneMessage>
    let health: AsyncStream<ControlPlaneMessage>
    let control: AsyncStream<ControlPlaneMessage>
    private let snapshotInput: AsyncStream<ControlPlaneMessage>.Continuation
    private let healthInput: AsyncStream<ControlPlaneMessage>.Continuation
    private let controlInput: AsyncStream<ControlPlaneMessage>.Continuation

    init() {
        (snapshots, snapshotInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (health, healthInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (control, controlInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(Self.maximumControlMessages))
    }

    /// Every stream, for the connection's writers.
    var streams: [AsyncStream<ControlPlaneMessage>] { [snapshots, health, control] }

    /// Queues `message` for the replica.
    func send(_ message: ControlPlaneMessage) {
        switch message {
        case .snapshot, .base, .delta: snapshotInput.yield(message)
        case .health: healthInput.yield(message)
        default: controlInput.yield(message)
        }
    }

    /// Ends every stream: the writers stop once they have sent what is queued.
    func finish() {
        snapshotInput.finish()
        healthInput.finish()
        controlInput.finish()
    }
}
