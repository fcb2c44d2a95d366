/// The `X-Request-ID` a request carries through the proxy.
package enum RequestID {
    /// The client's id when it is sane (1-128 characters of `[A-Za-z0-9._:-]`), else a new one.
    package static func choose(clientValue: String?) -> String {
        var random = SystemRandomNumberGenerator()
        return choose(clientValue: clientValue, random: &random)
    }

    /// As ``choose(clientValue:)``, drawing a new id from `random`.
    package static func choose(clientValue: String?, random: inout some RandomNumberGenerator) -> String {
        if let clientValue, isSane(clientValue) { return clientValue }
        return generate(using: &random)
    }

    /// A new id (see ``generate(using:)``).
    package static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        return generate(using: &random)
    }

    /// Characters of a generated id: Crockford's base 32 (digits and lower-case letters without
    /// `i`, `l`, `o` and `u`), every one of them sane.
    static let alphabet: StaticString = "0123456789abcdefghjkmnpqrstvwxyz"

    /// A new id: 15 characters of base 32 carrying 75 random bits. Fifteen UTF-8 bytes fit in
    /// a Swift string's inline storage, so making one allocates nothing (a UUID's 36 do not), and
    /// the id is unique enough for correlation: among a billion ids the chance of any repeat is
    /// about 1 in 75,000.
    package static func generate(using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return String(unsafeUninitializedCapacity: length) { buffer in
            var bits = high
            for index in 0..<length {
                if index == 12 { bits = low }  // 60 bits from the first word, 15 from the second
                buffer[index] = alphabet.utf8Start[Int(bits & 31)]
                bits >>= 5
            }
            return length
        }
    }

    /// Characters in a generated id.
    package static let length = 15

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
