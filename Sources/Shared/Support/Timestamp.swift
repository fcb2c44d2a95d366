import Foundation

/// ISO 8601 timestamps in UTC, second precision: `2026-11-26T14:02:38Z`.
public enum Timestamp {
    /// The text of `date`, as `Date.ISO8601FormatStyle()` writes it (its fraction of a second
    /// dropped). Written by hand for 1970 to 9999: a replica's report holds three per endpoint,
    /// and the format style's calendar took a good part of writing one.
    public static func string(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // Other years through the format style (four digits, and its calendar before 1970).
        guard seconds >= 0, seconds < 253_402_300_800 else {
            return date.formatted(Date.ISO8601FormatStyle())
        }
        let total = Int(seconds)
        let days = total / 86_400
        let inDay = total - days * 86_400
        let (year, month, day) = civil(daysSinceEpoch: days)
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int, _ digits: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(inDay / 3600, 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(inDay / 60 % 60, 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(inDay % 60, 2, at: 17)
            buffer[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    /// The Gregorian date `days` (at least 0) after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
