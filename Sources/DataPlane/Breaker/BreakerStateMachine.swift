import Shared

/// The circuit breaker of one endpoint in one replica, as pure state: every event takes the
/// current instant and returns what the caller must do. No clocks, locks or I/O, so every
/// transition is unit-tested with made-up instants.
///
/// - closed → open: `failure_threshold` consecutive failures (or, in failure-rate mode, the
///   failure share of the last `window` calls reaching `failure_rate_threshold` once
///   `minimum_calls` were seen).
/// - open → half-open: `reset_timeout` after opening (not after the last failure).
/// - half-open: at most `half_open_max_calls` trials in flight; `half_open_max_calls` successes
///   close it, any failure opens it again.
package struct BreakerStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    package enum State: Sendable, Equatable {
        case closed
        case open(since: Instant)
        case halfOpen
    }

    /// The answer to "may this request go upstream?".
    package enum Admission: Sendable, Equatable {
        /// Go ahead. `trial` is the half-open phase the request is a trial of (`nil` when closed):
        /// hand it back to ``record(_:trial:now:)``.
        case allowed(trial: UInt64?)
        /// Refuse without touching the upstream; the client may retry after this long.
        case rejected(retryAfter: Duration)
    }

    /// How one admitted request ended.
    package enum Outcome: Sendable, Equatable {
        case success
        case failure
        /// Neither (the client went away first): only frees a trial slot.
        case ignored
    }

    package private(set) var state: State = .closed
    package private(set) var policy: BreakerPolicy
    package private(set) var consecutiveFailures = 0
    package private(set) var trialsInFlight = 0
    package private(set) var trialSuccesses = 0
    /// Counts half-open phases, so that a late trial of an earlier phase cannot decide this one.
    private var phase: UInt64 = 0
    /// Outcomes of the last `window` calls, for failure-rate mode (true = failure).
    private var recent: [Bool] = []
    private var recentNext = 0

    package init(policy: BreakerPolicy) {
        self.policy = policy
    }

    /// Name of the state as the admin API shows it.
    package var stateName: String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }

    /// Adopts a new policy from a snapshot; the state is kept, counters that the policy bounds
    /// are judged by the new values from the next event on.
    package mutating func update(policy: BreakerPolicy) {
        if policy.window != self.policy.window || policy.failureRateThreshold != self.policy.failureRateThreshold {
            recent.removeAll()
            recentNext = 0
        }
        self.policy = policy
    }

    /// Decides whether a request may go upstream now. Returns the transition it caused, if any
    /// (open → half-open when the reset timeout has passed).
    package mutating func admit(now: Instant) -> (Admission, State?) {
        var transition: State?
        if case .open(let since) = state {
            let reopenAt = since.advanced(by: .milliseconds(Int64(policy.resetTimeout * 1000)))
            if now < reopenAt {
                return (.rejected(retryAfter: now.duration(to: reopenAt)), nil)
            }
            state = .halfOpen
            phase &+= 1
            trialsInFlight = 0
            trialSuccesses = 0
            transition = state
        }
        switch state {
        case .closed:
            return (.allowed(trial: nil), transition)
        case .halfOpen:
            guard trialsInFlight < policy.halfOpenMaxCalls else {
                return (.rejected(retryAfter: .seconds(1)), transition)
            }
            trialsInFlight += 1
            return (.allowed(trial: phase), transition)
        case .open:
            return (.rejected(retryAfter: .seconds(1)), transition)
        }
    }

    /// Records how an admitted request ended. Returns the new state when it changed.
    package mutating func record(_ outcome: Outcome, trial: UInt64?, now: Instant) -> State? {
        if let trial {
            // A trial admitted in an earlier half-open phase no longer decides anything.
            guard case .halfOpen = state, trial == phase else { return nil }
            trialsInFlight = max(0, trialsInFlight - 1)
            switch outcome {
            case .success:
                trialSuccesses += 1
                consecutiveFailures = 0
                if trialSuccesses >= policy.halfOpenMaxCalls { return close() }
                return nil
            case .failure:
                consecutiveFailures += 1
                return open(now: now)
            case .ignored:
                return nil
            }
        }
        guard case .closed = state else { return nil }
        switch outcome {
        case .success:
            consecutiveFailures = 0
            remember(failure: false)
            // In failure-rate mode the window is judged after every call.
            return policy.failureRateThreshold != nil && shouldOpen ? open(now: now) : nil
        case .failure:
            consecutiveFailures += 1
            remember(failure: true)
            return shouldOpen ? open(now: now) : nil
        case .ignored:
            return nil
        }
    }

    /// Closes the breaker whatever its state (operator reset).
    package mutating func reset() -> State? {
        if case .closed = state {
            consecutiveFailures = 0
            return nil
        }
        return close()
    }

    private var shouldOpen: Bool {
        if let threshold = policy.failureRateThreshold {
            guard recent.count >= policy.minimumCalls else { return false }
            let failures = recent.filter { $0 }.count
            return Double(failures) / Double(recent.count) >= threshold
        }
        return consecutiveFailures >= policy.failureThreshold
    }

    private mutating func remember(failure: Bool) {
        guard policy.failureRateThreshold != nil else { return }
        if recent.count < policy.window {
            recent.append(failure)
        } else {
            recent[recentNext] = failure
            recentNext = (recentNext + 1) % policy.window
        }
    }

    private mutating func open(now: Instant) -> State {
        state = .open(since: now)
        trialsInFlight = 0
        trialSuccesses = 0
        return state
    }

    private mutating func close() -> State {
        state = .closed
        consecutiveFailures = 0
        trialsInFlight = 0
        trialSuccesses = 0
        recent.removeAll()
        recentNext = 0
        return state
    }
}
