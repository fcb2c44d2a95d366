/// Turns the growth of a replica's latency histogram between two reports into observations a
/// swift-prometheus histogram can record: the registry's histograms only take single values,
/// while replicas report bucket counts and a sum. Every observation lands in its own bucket, and
/// the values add up to the reported sum (within the buckets' bounds), so `_bucket`, `_count`
/// and `_sum` all match what the replica measured.
enum HistogramReplay {
    /// `(value, times)` pairs to record. `bucketDeltas` has one entry per bucket of
    /// `upperBounds` plus the last, unbounded one; `sumDelta` is the growth of the sum.
    static func observations(bucketDeltas: [Int], sumDelta: Double, upperBounds: [Double]) -> [(Double, Int)] {
        let total = bucketDeltas.reduce(0, +)
        guard total > 0 else { return [] }
        let lower = { (index: Int) in index == 0 ? 0 : upperBounds[index - 1] }
        var floor = 0.0
        var width = 0.0
        for (index, count) in bucketDeltas.enumerated() where count > 0 && index < upperBounds.count {
            floor += Double(count) * lower(index)
            width += Double(count) * (upperBounds[index] - lower(index))
        }
        let unbounded = bucketDeltas.count > upperBounds.count ? bucketDeltas[upperBounds.count] : 0
        // Where inside its bucket every bounded observation sits (0 = lower bound, 1 = upper).
        var position = 1.0
        var overflowValue = 0.0
        let fit = { (rest: Double) in width > 0 ? Swift.min(1, Swift.max(rest / width, 1e-9)) : 1 }
        if unbounded > 0 {
            // Observations above the last bound share what the bounded ones (at mid-bucket) leave;
            // when that is too little, they sit just above the bound and the bounded ones give way.
            let last = (upperBounds.last ?? 0).nextUp
            position = width > 0 ? 0.5 : 1
            overflowValue = (sumDelta - floor - position * width) / Double(unbounded)
            if overflowValue < last {
                overflowValue = last
                position = fit(sumDelta - floor - last * Double(unbounded))
            }
        } else {
            position = fit(sumDelta - floor)
        }
        var result: [(Double, Int)] = []
        for (index, count) in bucketDeltas.enumerated() where count > 0 {
            if index < upperBounds.count {
                let low = lower(index)
                let value = Swift.max(low + position * (upperBounds[index] - low), low.nextUp)
                result.append((Swift.min(value, upperBounds[index]), count))
            } else {
                result.append((overflowValue, count))
            }
        }
        return result
    }
}
