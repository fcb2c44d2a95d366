/// A set of HTTP status codes (100-599) as a bitmap: membership is one bit test and copying it
/// retains nothing, so the request path can carry it instead of a policy's strings.
public struct StatusCodeSet: Sendable, Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// The codes `specs` name: exact codes (`"503"`) and classes (`"5xx"`), as a breaker
    /// policy's `failure_statuses` spells them; anything else is ignored.
    public init(specs: [String]) {
        for spec in specs {
            guard let codes = Self.codes(of: spec) else { continue }
            for code in codes { insert(code) }
        }
    }

    /// The codes one spec names: an exact code from 100 to 599 (`"503"`) or a class from `"1xx"`
    /// to `"5xx"`; `nil` when it is neither.
    static func codes(of spec: String) -> ClosedRange<Int>? {
        if let code = Int(spec) { return (100...599).contains(code) ? code...code : nil }
        guard spec.count == 3, spec.hasSuffix("xx"), let digit = Int(spec.prefix(1)), (1...5).contains(digit) else {
            return nil
        }
        return (digit * 100)...(digit * 100 + 99)
    }

    public func contains(_ code: Int) -> Bool {
        guard (0..<640).contains(code) else { return false }
        return withUnsafeBytes(of: words) { $0.load(fromByteOffset: (code / 64) * 8, as: UInt64.self) }
            & (1 << UInt64(code % 64)) != 0
    }

    public mutating func insert(_ code: Int) {
        guard (100...599).contains(code) else { return }
        withUnsafeMutableBytes(of: &words) { bytes in
            let offset = (code / 64) * 8
            let word = bytes.load(fromByteOffset: offset, as: UInt64.self) | (1 << UInt64(code % 64))
            bytes.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
        }
    }

    public static func == (left: StatusCodeSet, right: StatusCodeSet) -> Bool {
        withUnsafeBytes(of: left.words) { leftBytes in
            withUnsafeBytes(of: right.words) { rightBytes in leftBytes.elementsEqual(rightBytes) }
        }
    }
}

extension BreakerPolicy {
    /// The statuses that count as failures, as a set to test against.
    public var failureStatusSet: StatusCodeSet { StatusCodeSet(specs: failureStatuses) }
}
