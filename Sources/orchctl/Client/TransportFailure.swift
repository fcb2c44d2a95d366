import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// A request that never got an HTTP answer, described in an operator's words (exit 3).
struct TransportFailure {
    let reason: String
    let url: String

    init(_ error: any Error, url: String, timeout: Double) {
        self.url = url
        self.reason = Self.describe(error, timeout: timeout)
    }

    var error: OrchctlError {
        OrchctlError(
            .unreachable,
            "cannot reach the control plane at \(url): \(reason)"
                + " (is orch-control-plane running? set --admin-url or ORCH_ADMIN_URL)")
    }

    static func describe(_ error: any Error, timeout: Double) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve host '\(error.host)'"
            }
            if let first = error.connectionErrors.first { return describe(first.error, timeout: timeout) }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            return describeErrno(error.errnoCode) ?? "\(error)"
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "connection timed out after \(AdminClient.connectTimeout)s"
            case .deadlineExceeded, .readTimeout:
                return "no answer within \(Self.seconds(timeout)) (--timeout to wait longer)"
            case .remoteConnectionClosed: return "the connection was closed before an answer came"
            case .invalidURL, .emptyHost, .emptyScheme: return "the URL is not usable (\(error))"
            default: return "\(error)"
            }
        case let error as ChannelError:
            if case .connectTimeout = error { return "connection timed out after \(AdminClient.connectTimeout)s" }
            return "\(error)"
        default:
            return "\(error)"
        }
    }

    /// `10s`, `2.5s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }

    static func describeErrno(_ code: Int32) -> String? {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case EHOSTUNREACH, ENETUNREACH: "host unreachable"
        case ETIMEDOUT: "connection timed out"
        case EADDRNOTAVAIL: "address not available"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
