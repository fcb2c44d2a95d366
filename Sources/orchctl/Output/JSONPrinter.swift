import Foundation

/// Re-indents a JSON document two spaces per level, the way `jq .` prints it, without
/// re-encoding anything: every string and number stays byte for byte as the API sent it.
enum JSONPrinter {
    static func pretty(_ data: Data) -> String {
        let bytes = [UInt8](data)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        var depth = 0
        var index = 0

        func newline() {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
        func nextSignificant(after position: Int) -> UInt8? {
            var cursor = position + 1
            while cursor < bytes.count, isWhitespace(bytes[cursor]) { cursor += 1 }
            return cursor < bytes.count ? bytes[cursor] : nil
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                var cursor = index + 1
                while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "\"") {
                    cursor += bytes[cursor] == UInt8(ascii: "\\") ? 2 : 1
                }
                let end = min(cursor, bytes.count - 1)
                out.append(contentsOf: bytes[index...end])
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(byte)
                let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if nextSignificant(after: index) == close {
                    // An empty container stays on one line: `{}` / `[]`.
                    while bytes[index] != close { index += 1 }
                    out.append(close)
                } else {
                    depth += 1
                    newline()
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth = max(0, depth - 1)
                newline()
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline()
            case UInt8(ascii: ":"):
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            default:
                if !isWhitespace(byte) { out.append(byte) }
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Joins several documents into one object, each under its key, bytes kept as they are.
    static func object(_ members: [(key: String, value: Data)]) -> Data {
        var data = Data("{".utf8)
        for (position, member) in members.enumerated() {
            if position > 0 { data.append(contentsOf: Array(",".utf8)) }
            data.append(contentsOf: Array("\"\(member.key)\":".utf8))
            data.append(member.value.isEmpty ? Data("null".utf8) : member.value)
        }
        data.append(contentsOf: Array("}".utf8))
        return data
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
