import Foundation

/// ISO 8601 timestamps in UTC, second precision: `2026-11-26T14:02:38Z`.
public enum Timestamp {
    public static func string(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
