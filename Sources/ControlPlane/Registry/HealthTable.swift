import Foundation
import Shared

/// Current probe results by endpoint name, readable from inside a store transaction so that a
/// snapshot always carries the newest health, whichever change committed first.
final class HealthTable: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: EndpointHealth] = [:]

    var all: [String: EndpointHealth] { lock.withLock { values } }

    subscript(name: String) -> EndpointHealth? {
        get { lock.withLock { values[name] } }
        set { lock.withLock { values[name] = newValue } }
    }
}
