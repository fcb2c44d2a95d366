import Foundation

/// ISO 8601 timestamps in UTC, second precision: `2026-11-26T14:02:38Z`.
public enum Timestamp {
    /// The text of `date`, as `Date.ISO8601FormatStyle()` writes it (its fraction of a second
    /// dropped). Written by hand for 1970 to 9999: a replica's report holds three per endpoint,
    /// and the format style's calendar took a good part of writing one.
    public static func string(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // Other years through the format style (four digits, and its calendar before 1970).
        guard seconds >= 0, seconds < 253_402_300_800 else { return date.formatted(Date.ISO8601FormatStyle()) }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        appendDateTime(secondsSinceEpoch: Int64(seconds), to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `yyyy-MM-ddTHH:mm:ss` in UTC, for a time `seconds` after the epoch (or before it,
    /// in the proleptic Gregorian calendar), with no time zone.
    package static func appendDateTime(secondsSinceEpoch seconds: Int64, to out: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        appendDigits(year, count: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &out)
    }

    /// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's
    /// `civil_from_days`).
    package static func civilDate(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Appends the last `count` decimal digits of `value` (at least 0), with leading zeros.
    package static func appendDigits(_ value: Int, count: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
