import Shared

/// A set of upstream indices, `0..<64`, held in one `UInt64`: the upstreams a request already
/// tried, handed to ``UpstreamBalancer/pick(avoiding:now:using:)`` without allocating.
package struct UpstreamIndexSet: Sendable, Hashable, ExpressibleByArrayLiteral {
    package private(set) var bits: UInt64 = 0

    package init() {}

    package init(arrayLiteral indices: Int...) {
        for index in indices { insert(index) }
    }

    package var isEmpty: Bool { bits == 0 }

    package func contains(_ index: Int) -> Bool { bits & (1 << UInt64(index)) != 0 }

    package mutating func insert(_ index: Int) {
        precondition((0..<64).contains(index), "upstream index \(index) is outside 0..<64")
        bits |= 1 << UInt64(index)
    }

    package mutating func remove(_ index: Int) {
        guard (0..<64).contains(index) else { return }
        bits &= ~(1 << UInt64(index))
    }
}

/// Chooses the upstream instance of an endpoint that serves a request, as pure state: a value
/// owned by one event loop and mutated in place. Time and randomness come from the caller, so
/// every choice is unit-tested with made-up instants and a seeded generator.
///
/// - Eligibility: the caller reports, through ``setEligible(_:_:now:)``, which upstreams may take
///   traffic (healthy and breaker not open). Ineligible upstreams leave the rotation, unless fewer
///   than half are eligible: then the balancer panics (as Envoy does) and spreads over all of them.
/// - Slow start: an upstream that becomes eligible again starts at 10 % of its weight and ramps
///   linearly to 100 % over `slowStart`. Upstreams eligible from the start take full weight.
/// - In-flight requests: ``pick(avoiding:now:using:)`` leaves the counts alone; the caller reports
///   ``started(_:)`` when a request goes to the picked upstream and ``finished(_:)`` when it ends.
///
/// At most ``maximumUpstreams`` upstreams: sets of them are bitmasks, so a pick allocates nothing.
package struct UpstreamBalancer<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// How picks are spread: the endpoint's `load_balancing`. For `least_request`, of two
    /// distinct candidates drawn at random the one with the lower `(inFlight + 1) / weight`
    /// wins; ties go to the higher weight, then to the first drawn.
    package typealias Policy = LoadBalancing

    /// The most upstreams one balancer takes.
    package static var maximumUpstreams: Int { 64 }

    package let policy: Policy
    /// The configured weights, clamped to 1...100.
    package let weights: [Int]
    /// How long an upstream that became eligible again takes to reach its full weight (zero: off).
    package let slowStart: Duration
    /// Requests in flight per upstream, as reported by ``started(_:)`` and ``finished(_:)``.
    package private(set) var inFlight: [Int]

    private let everyUpstream: UInt64
    private var eligible: UInt64
    /// Upstreams still in slow start, and since when each is eligible (`nil` for the others).
    private var ramping: UInt64 = 0
    private var eligibleSince: [Instant?]
    /// Smooth round robin's running weights, in thousandths like ``effectiveWeight(_:now:)``.
    private var currentWeights: [Int]

    /// A balancer whose upstreams are all eligible, at full weight, with nothing in flight.
    /// `weights` holds one weight per upstream, 1 to ``maximumUpstreams`` of them.
    package init(weights: [Int], policy: Policy, slowStart: Duration = .zero) {
        precondition(
            (1...Self.maximumUpstreams).contains(weights.count),
            "a balancer takes 1 to \(Self.maximumUpstreams) upstreams, not \(weights.count)")
        self.policy = policy
        self.weights = weights.map { min(max($0, 1), 100) }
        self.slowStart = max(slowStart, .zero)
        inFlight = Array(repeating: 0, count: weights.count)
        everyUpstream = UInt64.max >> UInt64(Self.maximumUpstreams - weights.count)
        eligible = everyUpstream
        eligibleSince = Array(repeating: nil, count: weights.count)
        currentWeights = Array(repeating: 0, count: weights.count)
    }

    /// The number of upstreams.
    package var count: Int { weights.count }

    /// Whether fewer than half of the upstreams are eligible, so that picks ignore eligibility.
    package var isPanicking: Bool { eligible.nonzeroBitCount * 2 < weights.count }

    package func isEligible(_ index: Int) -> Bool { eligible & (1 << UInt64(index)) != 0 }

    /// Records whether an upstream may take traffic. Becoming eligible again starts its slow start
    /// at `now`; reporting the state it already has changes nothing.
    package mutating func setEligible(_ index: Int, _ isEligible: Bool, now: Instant) {
        let bit: UInt64 = 1 << UInt64(index)
        guard (eligible & bit != 0) != isEligible else { return }
        if isEligible {
            eligible |= bit
            currentWeights[index] = 0
            if slowStart > .zero {
                ramping |= bit
                eligibleSince[index] = now
            }
        } else {
            eligible &= ~bit
            ramping &= ~bit
            eligibleSince[index] = nil
        }
    }

    /// A request went to upstream `index`.
    package mutating func started(_ index: Int) {
        inFlight[index] += 1
    }

    /// A request to upstream `index` ended, however it ended.
    package mutating func finished(_ index: Int) {
        inFlight[index] = max(0, inFlight[index] - 1)
    }

    /// Takes over the state of the balancer this one replaces after a configuration change. For
    /// every old upstream that `newIndex` maps to an index here: its in-flight count, its
    /// eligibility and its slow start, if one is under way and this balancer has one. Upstreams
    /// nothing maps to keep the state `init` gave them. Requests started on `old` are then
    /// finished here under their new index; those to upstreams that were dropped need no call.
    package mutating func carryOver(from old: UpstreamBalancer, newIndex: (_ oldIndex: Int) -> Int?) {
        for oldIndex in 0..<old.count {
            guard let index = newIndex(oldIndex), weights.indices.contains(index) else { continue }
            let bit: UInt64 = 1 << UInt64(index)
            inFlight[index] = old.inFlight[oldIndex]
            eligible = old.isEligible(oldIndex) ? eligible | bit : eligible & ~bit
            if slowStart > .zero, let since = old.eligibleSince[oldIndex] {
                ramping |= bit
                eligibleSince[index] = since
            } else {
                ramping &= ~bit
                eligibleSince[index] = nil
            }
        }
    }

    /// Chooses the upstream for a request. `tried` holds the upstreams earlier attempts of the
    /// request went to: they are passed over while another candidate remains. Does not count the
    /// request as in flight (see ``started(_:)``).
    package mutating func pick(
        avoiding tried: UpstreamIndexSet = UpstreamIndexSet(), now: Instant,
        using random: inout some RandomNumberGenerator
    ) -> Int {
        if weights.count == 1 { return 0 }
        if ramping != 0 { endSlowStarts(now: now) }
        let pool = isPanicking ? everyUpstream : eligible
        var candidates = pool & ~tried.bits
        if candidates == 0 { candidates = pool }
        if candidates & (candidates - 1) == 0 { return candidates.trailingZeroBitCount }
        switch policy {
        case .roundRobin: return pickRoundRobin(candidates, now: now)
        case .leastRequest: return pickLeastRequest(candidates, now: now, using: &random)
        case .random: return pickRandom(candidates, now: now, using: &random)
        }
    }

    /// nginx's smooth weighted round robin over the candidates.
    private mutating func pickRoundRobin(_ candidates: UInt64, now: Instant) -> Int {
        var total = 0
        var best = -1
        var rest = candidates
        while rest != 0 {
            let index = rest.trailingZeroBitCount
            rest &= rest - 1
            let weight = effectiveWeight(index, now: now)
            currentWeights[index] += weight
            total += weight
            if best < 0 || currentWeights[index] > currentWeights[best] { best = index }
        }
        currentWeights[best] -= total
        return best
    }

    private func pickLeastRequest(
        _ candidates: UInt64, now: Instant, using random: inout some RandomNumberGenerator
    ) -> Int {
        let count = candidates.nonzeroBitCount
        let firstRank = Int.random(in: 0..<count, using: &random)
        var secondRank = Int.random(in: 0..<(count - 1), using: &random)
        if secondRank >= firstRank { secondRank += 1 }
        let first = Self.member(firstRank, of: candidates)
        let second = Self.member(secondRank, of: candidates)
        let firstWeight = effectiveWeight(first, now: now)
        let secondWeight = effectiveWeight(second, now: now)
        // (inFlight + 1) / weight, compared without dividing.
        let firstLoad = (inFlight[first] + 1) * secondWeight
        let secondLoad = (inFlight[second] + 1) * firstWeight
        if firstLoad != secondLoad { return firstLoad < secondLoad ? first : second }
        return secondWeight > firstWeight ? second : first
    }

    private func pickRandom(_ candidates: UInt64, now: Instant, using random: inout some RandomNumberGenerator)
        -> Int
    {
        var total = 0
        var rest = candidates
        while rest != 0 {
            total += effectiveWeight(rest.trailingZeroBitCount, now: now)
            rest &= rest - 1
        }
        var point = Int.random(in: 0..<total, using: &random)
        rest = candidates
        while true {
            let index = rest.trailingZeroBitCount
            point -= effectiveWeight(index, now: now)
            rest &= rest - 1
            if point < 0 || rest == 0 { return index }
        }
    }

    /// The weight of an upstream for a pick, in thousandths so that slow start ramps smoothly:
    /// from 10 % of the configured weight when it became eligible, linearly to 100 %.
    private func effectiveWeight(_ index: Int, now: Instant) -> Int {
        guard ramping & (1 << UInt64(index)) != 0, let since = eligibleSince[index] else {
            return weights[index] * 1000
        }
        let progress = min(max(since.duration(to: now) / slowStart, 0), 1)
        return weights[index] * (100 + Int(900 * progress))
    }

    private mutating func endSlowStarts(now: Instant) {
        var rest = ramping
        while rest != 0 {
            let index = rest.trailingZeroBitCount
            rest &= rest - 1
            if let since = eligibleSince[index], since.duration(to: now) < slowStart { continue }
            ramping &= ~(1 << UInt64(index))
            eligibleSince[index] = nil
        }
    }

    /// The index of the `rank`-th (from 0) set bit of `mask`.
    private static func member(_ rank: Int, of mask: UInt64) -> Int {
        var mask = mask
        for _ in 0..<rank { mask &= mask - 1 }
        return mask.trailingZeroBitCount
    }
}
