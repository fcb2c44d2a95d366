import NIOCore
import Shared

extension LoopStates {
    /// Makes `snapshot` the route table of every event loop; returns once all of them serve it.
    /// Requests already in flight keep the table they started with.
    package func install(_ snapshot: Snapshot) async throws {
        let routes = ProxyRoutes(snapshot: snapshot)
        _ = try await forEach { state in state.routes = routes }.get()
    }

    /// Whether every loop has a route table.
    package func holdSnapshot() async throws -> Bool {
        try await forEach { state in state.routes != nil }.get().allSatisfy { $0 }
    }

    /// Responses completed by all loops since start.
    package func requestsServed() async throws -> Int {
        try await forEach { state in state.requestsServed }.get().reduce(0, +)
    }
}
