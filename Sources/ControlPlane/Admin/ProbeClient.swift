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
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A short description of a probe failure: `Request timeout`, `Connection error: ...`.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "Request timeout"
            }
            return "Connection error: \(error)"
        }
        if error is NIOConnectionError || error is IOError { return "Connection error: \(error)" }
        return "\(error)"
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
