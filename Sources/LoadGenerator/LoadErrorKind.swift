import AsyncHTTPClient
import NIOCore
import NIOPosix

/// Sorts client errors into the kinds a load report distinguishes.
enum LoadErrorKind {
    static func classify(_ error: any Error) -> LoadOutcome {
        if error is KeepAliveConnection.ClosedWithoutResponse { return .reset }
        if error is KeepAliveConnection.ResponseTimeout { return .timeout }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return .connectError
            case .readTimeout, .deadlineExceeded, .writeTimeout: return .timeout
            case .remoteConnectionClosed: return .reset
            default: return .otherError
            }
        }
        if error is NIOConnectionError { return .connectError }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return .connectError
            case .ioOnClosedChannel, .outputClosed, .eof, .alreadyClosed: return .reset
            default: return .otherError
            }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return .connectError
            case ECONNRESET, EPIPE: return .reset
            default: return .otherError
            }
        }
        return .otherError
    }
}
