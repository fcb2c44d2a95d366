/// How a request's body is delimited, as read from its head once by ``RequestHeadValidator``
/// and then carried along: the upstream request is framed from it, never from client headers.
package enum RequestFraming: Equatable, Sendable {
    /// Neither `Content-Length` nor `Transfer-Encoding`: no body.
    case none
    /// `Content-Length` (one value, possibly repeated).
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked

    /// Whether body bytes follow the head.
    package var hasBody: Bool {
        switch self {
        case .none: false
        case .length(let length): length > 0
        case .chunked: true
        }
    }
}
