import Shared

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock time for access-log lines, formatted by hand as ISO 8601 UTC with milliseconds
/// (`2026-11-27T01:02:03.456Z`): no `Date`, no formatter, no allocation per line.
package enum AccessLogClock {
    /// Milliseconds since the Unix epoch, from `clock_gettime(CLOCK_REALTIME)`.
    package static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Appends `milliseconds` since the epoch as ISO 8601 UTC.
    package static func appendISO8601(_ milliseconds: Int64, to out: inout [UInt8]) {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        Timestamp.appendDateTime(secondsSinceEpoch: seconds, to: &out)
        out.append(UInt8(ascii: "."))
        Timestamp.appendDigits(Int(milliseconds - seconds * 1000), count: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }
}
