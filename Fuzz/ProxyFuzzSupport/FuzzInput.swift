import NIOCore

/// How a fuzz input drives a connection. The first byte holds flags; its low three bits say how
/// many splits follow, two bytes each; the rest is the payload. A split cuts the payload at
/// `first / 256` of its length (one write per piece) and chooses, with the low three bits of its
/// second byte, how far the loop's clock moves after that write (``advances``). So libFuzzer's
/// mutations reach read boundaries and timeouts as easily as the bytes themselves.
package struct FuzzInput {
    /// One write and the clock move after it.
    package struct Step {
        package var bytes: ArraySlice<UInt8>
        package var advance: TimeAmount
    }

    /// Clock moves a split can choose: none (most often), a sweep of the connection timers,
    /// and past each of ``ProxyFuzzing/limits``' timeouts and the endpoints' response timeouts.
    package static let advances: [TimeAmount] = [
        .zero, .zero, .zero, .milliseconds(300), .milliseconds(1300), .milliseconds(2300),
        .milliseconds(3300), .milliseconds(5300),
    ]

    package var flags: UInt8
    package var payload: [UInt8]
    package var steps: [Step]

    package init(_ data: UnsafeBufferPointer<UInt8>) {
        flags = data.first ?? 0
        let splitCount = min(Int(flags & 0x07), max(data.count - 1, 0) / 2)
        let splits = Array(data.dropFirst().prefix(2 * splitCount))
        let payload = Array(data.dropFirst(1 + 2 * splitCount))
        self.payload = payload
        var cuts = stride(from: 0, to: splits.count, by: 2).map { index in
            (at: payload.count * Int(splits[index]) / 256, advance: Self.advances[Int(splits[index + 1] & 0x07)])
        }
        cuts.sort { $0.at < $1.at }
        var steps: [Step] = []
        var start = 0
        for cut in cuts {
            steps.append(Step(bytes: payload[start..<cut.at], advance: cut.advance))
            start = cut.at
        }
        steps.append(Step(bytes: payload[start...], advance: .zero))
        self.steps = steps
    }

    /// Whether flag `bit` (0–7 of the first byte) is set.
    package func flag(_ bit: Int) -> Bool {
        flags & (1 << bit) != 0
    }
}
