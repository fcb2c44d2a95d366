/// Header-name comparisons on the hot path, without the allocation of `lowercased()`.
extension String {
    /// Whether this is `lowercaseName` in any letter case. `lowercaseName` must be lower-case ASCII.
    @inline(__always)
    func isHeaderName(_ lowercaseName: StaticString) -> Bool {
        let utf8 = self.utf8
        guard utf8.count == lowercaseName.utf8CodeUnitCount else { return false }
        var expected = lowercaseName.utf8Start
        for byte in utf8 {
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            guard folded == expected.pointee else { return false }
            expected += 1
        }
        return true
    }
}
