import Foundation

/// The `X-Request-ID` a request carries through the proxy.
package enum RequestID {
    /// The client's id when it is sane (1-128 characters of `[A-Za-z0-9._:-]`), else a new UUID.
    package static func choose(clientValue: String?) -> String {
        if let clientValue, isSane(clientValue) { return clientValue }
        return UUID().uuidString.lowercased()
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
