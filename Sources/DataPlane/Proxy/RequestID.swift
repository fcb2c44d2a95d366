/// The `X-Request-ID` a request carries through the proxy.
package enum RequestID {
    /// The client's id when it is sane (1-128 characters of `[A-Za-z0-9._:-]`), else a new UUID.
    package static func choose(clientValue: String?) -> String {
        var random = SystemRandomNumberGenerator()
        return choose(clientValue: clientValue, random: &random)
    }

    /// As ``choose(clientValue:)``, drawing a new id from `random`.
    package static func choose(clientValue: String?, random: inout some RandomNumberGenerator) -> String {
        if let clientValue, isSane(clientValue) { return clientValue }
        return generate(using: &random)
    }

    /// A random (version 4) UUID in lower-case text, without Foundation's formatting cost.
    package static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        return generate(using: &random)
    }

    /// A version 4 UUID from `generator`.
    package static func generate(using generator: inout some RandomNumberGenerator) -> String {
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC << 60)) | (0x8 << 60)  // RFC 4122 variant
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ word: UInt64, nibbles: ClosedRange<Int>) {
                for nibble in nibbles.reversed() {
                    if index == 8 || index == 13 || index == 18 || index == 23 {
                        buffer[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    buffer[index] = digits.utf8Start[Int((word >> UInt64(nibble * 4)) & 0xF)]
                    index += 1
                }
            }
            put(high, nibbles: 0...15)
            put(low, nibbles: 0...15)
            return index
        }
    }

    package static func isSane(_ value: String) -> Bool {
        let bytes = value.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }
}
