import DataPlaneTesting
import Foundation
import Logging
import NIOCore
import Shared

/// What both fuzz targets share: the proxy's configuration and the way a broken invariant is
/// reported.
package enum ProxyFuzzing {
    /// Limits small enough that short inputs reach them (a long target, many or large headers,
    /// a full pipelining queue), and timeouts short enough that a few clock moves pass each.
    package static let limits = ProxyLimits(
        headerTimeout: 2, bodyTimeout: 3, idleTimeout: 5, sendTimeout: 4, maxURIBytes: 256, maxHeaderBytes: 1024,
        maxHeaders: 16, maxPipelined: 4)

    /// The byte-level tests' endpoints (`/api` takes every method, `/ro` only GET, both on
    /// `upstream.test:8080`), with response timeouts of a few seconds.
    package static let endpoints = [
        EmbeddedProxy.endpoint(
            "svc", url: "http://upstream.test:8080/api", methods: EndpointConfig.allowedMethods, timeout: 3),
        EmbeddedProxy.endpoint("ro", url: "http://upstream.test:8080/ro", methods: ["GET"], timeout: 2),
    ]

    /// Longer than any of the timeouts above: a connection left alone this long has hit one.
    package static let quietPeriod = TimeAmount.seconds(8)

    /// `ORCH_FUZZ_TRACE` is set: each run prints what happened.
    package static let tracing = ProcessInfo.processInfo.environment["ORCH_FUZZ_TRACE"] != nil

    /// Once per process, before the first input: the proxy's logs go nowhere.
    package static func prepare() {
        _ = loggingOff
    }

    private static let loggingOff: Void = LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
}

/// Stops the process with `message` when `condition` does not hold: libFuzzer reports the crash
/// and writes the input to a `crash-…` file.
package func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}

/// Bytes for a message: printable ASCII as is, the rest escaped, at most `limit` of them.
package func escaped(_ bytes: some Collection<UInt8>, limit: Int = 2048) -> String {
    var text = ""
    for byte in bytes.prefix(limit) {
        switch byte {
        case UInt8(ascii: "\r"): text += "\\r"
        case UInt8(ascii: "\n"): text += "\\n"
        case UInt8(ascii: "\\"): text += "\\\\"
        case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return bytes.count > limit ? text + "… (\(bytes.count) bytes)" : text
}
