import Synchronization

/// How many replicas the control plane has connected, as it last said (``ControlPlaneMessage/replicas(count:)``):
/// what a rate limit with `scope: gateway` is divided by. 1 until it says otherwise (a replica
/// alone, or a control plane from before the message).
package final class GatewayReplicaCount: Sendable {
    private let count = Atomic<Int>(1)

    package init() {}

    package var value: Int { count.load(ordering: .relaxed) }

    package func set(_ value: Int) {
        count.store(max(1, value), ordering: .relaxed)
    }
}
