import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Shared

/// The HTTP client the control plane probes upstreams with: no redirects followed, no cookies
/// kept, nothing decompressed.
enum ProbeClient {
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        // A refused connection is a failed probe at once, not retried until the probe's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A one-line description of a probe failure in an operator's words: `connection refused`,
    /// `request timeout`, `cannot resolve host 'x'`, `connection closed before a response`.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "request timeout"
            }
            if error == .remoteConnectionClosed { return "connection closed before a response" }
            return "\(error)".replacingOccurrences(of: "\n", with: " ")
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve host '\(error.host)'"
            }
            if let first = error.connectionErrors.first { return describe(first.error) }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            return describeErrno(error.errnoCode)
        case let error as ChannelError:
            if case .connectTimeout = error { return "request timeout" }
            return "\(error)"
        default:
            return "\(error)".replacingOccurrences(of: "\n", with: " ")
        }
    }

    static func describeErrno(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case EHOSTUNREACH, ENETUNREACH: "host unreachable"
        case ETIMEDOUT: "connection timed out"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}

/// Where an endpoint is probed.
enum ProbeTarget {
    /// The endpoint's base URL with `health_check_path` appended below its base path (a path
    /// starting with `/` still stays below the base path), or the base URL itself.
    static func url(_ base: EndpointURL, healthCheckPath: String?) -> String {
        let origin = "\(base.scheme)://\(base.authority)"
        guard let healthCheckPath else { return origin + base.target(rest: nil, query: nil) }
        var path = Substring(healthCheckPath)
        while path.first == "/" { path = path.dropFirst() }
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var target = base.path.hasSuffix("/") ? base.path : base.path + "/"
        target += parts.first ?? ""
        if parts.count > 1 { target += "?" + parts[1] }
        return origin + target
    }
}
