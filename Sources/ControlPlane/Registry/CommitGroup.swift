/// Changes to named endpoints committed together, in one transaction and at most one new
/// version (see `EndpointRegistry.commitGrouped`): the first leads the commit, the others joined
/// it while it waited for the commit turn and wait for its answer.
final class CommitGroup {
    /// One change: what it does in the transaction, what it touches and why.
    struct Member: Sendable {
        let cause: String
        let names: Set<String>
        let mutate: @Sendable (any StoreTransaction) throws -> any Sendable

        init<T: Sendable>(
            cause: String, names: Set<String>, mutate: @escaping @Sendable (any StoreTransaction) throws -> T
        ) {
            self.cause = cause
            self.names = names
            self.mutate = { try mutate($0) }
        }
    }

    typealias Outcome = Result<any Sendable, any Error>

    private(set) var members: [Member]
    /// The answers owed to the members after the leader, in order.
    private var waiting: [CheckedContinuation<any Sendable, any Error>] = []

    init(leader: Member) {
        members = [leader]
    }

    /// Every endpoint a member touches: what the new version re-reads.
    var names: Set<String> { members.reduce(into: []) { $0.formUnion($1.names) } }

    func join(_ member: Member, answer: CheckedContinuation<any Sendable, any Error>) {
        members.append(member)
        waiting.append(answer)
    }

    /// Answers every member but the leader: its own outcome, or the failure of the whole commit.
    func answer(with commit: Result<[Outcome], any Error>) {
        for (index, continuation) in waiting.enumerated() {
            switch commit {
            case .success(let outcomes): continuation.resume(with: outcomes[index + 1])
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
        waiting = []
    }

    /// Runs the members' changes in `db`, in order. Alone, a change is the transaction itself;
    /// together, each runs in a savepoint, so a refused one leaves nothing and the others go on.
    /// A savepoint that could not be undone fails the whole transaction.
    static func run(_ members: [Member], _ db: any StoreTransaction) throws -> [Outcome] {
        guard members.count > 1 else { return [.success(try members[0].mutate(db))] }
        return try members.map { member in
            do {
                return .success(try db.withSavepoint { try member.mutate(db) })
            } catch let lost as SavepointLost {
                throw lost.reason
            } catch {
                return .failure(error)
            }
        }
    }

    /// The new version's cause: that of each change that went through, the first three named.
    static func cause(of members: [Member], outcomes: [Outcome]) -> String {
        let causes = zip(members, outcomes).compactMap { member, outcome in
            if case .success = outcome { member.cause } else { nil }
        }
        guard causes.count > 1 else { return causes.first ?? members[0].cause }
        let named = causes.prefix(3).joined(separator: "; ")
        return causes.count > 3 ? "\(named) and \(causes.count - 3) more" : named
    }

    /// A member's answer as the type its change answers.
    static func cast<T>(_ answer: any Sendable) -> T {
        guard let typed = answer as? T else { preconditionFailure("a change answers its own type") }
        return typed
    }
}
