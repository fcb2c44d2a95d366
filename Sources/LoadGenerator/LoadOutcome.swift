/// How one request ended, as the load generator counts it.
public enum LoadOutcome: Sendable, Hashable {
    /// A complete response with this status code.
    case response(status: Int)
    /// The connection could not be opened.
    case connectError
    /// The connection was closed or reset before the response was complete.
    case reset
    /// No complete response within the request timeout.
    case timeout
    /// Anything else (described in the summary's sample errors).
    case otherError

    /// Whether the request counts as failed: any error and any non-2xx status.
    public var isFailure: Bool {
        if case .response(let status) = self { return !(200..<300).contains(status) }
        return true
    }
}
