/// Helpers for raw (percent-encoded) path segments.
public enum PathSegment {
    /// Whether a raw segment is `.` or `..`, also when percent-encoded (`%2e`, `%2E%2e`).
    public static func isDotSegment<S: StringProtocol>(_ segment: S) -> Bool {
        // The longest spelling of a dot segment is `%2e%2e`.
        guard segment.utf8.count <= 6 else { return false }
        let decoded = percentDecoded(segment)
        return decoded == "." || decoded == ".."
    }

    /// The segment with `%XX` escapes decoded; malformed escapes are kept as written.
    public static func percentDecoded<S: StringProtocol>(_ segment: S) -> String {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        var bytes: [UInt8] = []
        var utf8 = Array(segment.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
