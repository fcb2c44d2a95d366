import NIOCore
import NIOHTTP2
import Shared

/// How an HTTP/2 client connection is bounded: what the proxy announces in its SETTINGS and what
/// NIOHTTP2 enforces against the known floods. Pure: the snapshot's `proxy:` limits in,
/// NIOHTTP2's configuration out.
package enum HTTP2Limits {
    /// Streams a client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`); more are refused.
    package static let maximumConcurrentStreams = 100
    /// RST_STREAM frames a client may send per ``resetWindow`` before the connection is closed
    /// with GOAWAY (`ENHANCE_YOUR_CALM`): the rapid-reset attack (CVE-2023-44487) opens and
    /// cancels streams without limit, each costing the server a request.
    package static let maximumResets = 100
    package static let resetWindow = TimeAmount.seconds(10)

    /// `SETTINGS_MAX_HEADER_LIST_SIZE`: `max_header_bytes` plus room for the target
    /// (`max_uri_bytes`) and HPACK's 32 bytes per field, so that a head within the limits is
    /// never refused by HPACK and the exact limits answer 431 or 414 as on HTTP/1.1.
    package static func maximumHeaderListSize(_ limits: ProxyLimits) -> Int {
        limits.maxHeaderBytes + limits.maxURIBytes + 32 * (limits.maxHeaders + 4)
    }

    /// The connection's settings and flood limits.
    package static func connection(_ limits: ProxyLimits) -> NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maximumConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: maximumHeaderListSize(limits)),
        ]
        return configuration
    }

    /// Each stream's settings, with the reset-rate cap.
    package static var stream: NIOHTTP2Handler.StreamConfiguration {
        var configuration = NIOHTTP2Handler.StreamConfiguration()
        configuration.streamResetFrameRateLimit.maximumCount = maximumResets
        configuration.streamResetFrameRateLimit.windowLength = resetWindow
        return configuration
    }
}
