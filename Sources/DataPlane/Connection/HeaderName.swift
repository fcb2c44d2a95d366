/// Header-name and field-token comparisons on the hot path, without the allocations of
/// `lowercased()`, `split` or `[canonicalForm:]`.
extension StringProtocol {
    /// Whether this is `lowercaseName` in any letter case. `lowercaseName` must be lower-case ASCII.
    @inline(__always)
    func isHeaderName(_ lowercaseName: StaticString) -> Bool {
        let utf8 = self.utf8
        guard utf8.count == lowercaseName.utf8CodeUnitCount else { return false }
        var expected = lowercaseName.utf8Start
        for byte in utf8 {
            guard byte.foldedASCII == expected.pointee else { return false }
            expected += 1
        }
        return true
    }

    /// Whether this and `other` are the same ASCII text in any letter case.
    func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        let left = self.utf8
        let right = other.utf8
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { $0.foldedASCII == $1.foldedASCII }
    }

    /// Whether any comma-separated element of this field value (`Connection`,
    /// `Transfer-Encoding`), trimmed of spaces and tabs, satisfies `predicate`. An empty element
    /// between commas is passed on too (a strict reader refuses it), one after a last comma is not.
    func containsHeaderToken(where predicate: (Substring) -> Bool) -> Bool {
        let text = Substring(self)
        let utf8 = text.utf8
        var start = utf8.startIndex
        while start < utf8.endIndex {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
            let token = text[start..<end].trimmingASCIISpaces()
            if predicate(token) { return true }
            start = end < utf8.endIndex ? utf8.index(after: end) : end
        }
        return false
    }

    /// The text without leading and trailing spaces and tabs (the optional white space of HTTP).
    func trimmingASCIISpaces() -> Substring {
        let text = Substring(self)
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start].isOptionalWhiteSpace { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)].isOptionalWhiteSpace { end = utf8.index(before: end) }
        return text[start..<end]
    }
}

extension UInt8 {
    /// The byte with ASCII upper-case letters folded to lower case.
    @inline(__always)
    var foldedASCII: UInt8 { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self }

    /// A space or a tab.
    @inline(__always)
    var isOptionalWhiteSpace: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") }
}
