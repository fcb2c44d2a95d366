import NIOCore

/// What a connection remembers of its request in progress for the metrics and the access log.
struct RequestRecord {
    var start = NIODeadline.uptimeNanoseconds(0)
    var method = ""
    /// The request target as received (path and query).
    var path = ""
    /// The status sent to the client.
    var status = 0
    var upstreamStatus: Int?
    var upstreamStart: NIODeadline?
    var upstreamEnd: NIODeadline?
    /// An upstream error was already counted for this request.
    var upstreamFailed = false
    var bytesIn = 0
    var bytesOut = 0
    /// Why the gateway answered itself or cut the response (the access log's `reason`).
    var reason: ResponseReason?

    init() {}

    init(start: NIODeadline, method: String, path: String) {
        self.start = start
        self.method = method
        self.path = path
    }
}
