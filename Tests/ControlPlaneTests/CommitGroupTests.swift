import Foundation
import GRDB
import Logging
import Shared
import Synchronization
import TestSupport
import Testing

@testable import ControlPlane

/// Writes that wait for the commit turn together are committed together: one transaction and
/// one version for all of them, each refused or accepted on its own.
@Suite struct CommitGroupTests {
    static let logger = Logger(label: "test.commit-group")

    static func endpoint(_ name: String) -> EndpointConfig {
        EndpointConfig(name: name, url: "http://127.0.0.1:9/\(name)")
    }

    /// Five writes while `hold` keeps the store from committing: three registrations, one
    /// registration of a file-owned endpoint's URL, one removal of an endpoint that does not
    /// exist. The first takes the commit turn alone; the other four wait for it together.
    static func groupedWrites(
        _ registry: EndpointRegistry, store: any ConfigStore, hold: () async throws -> Void,
        release: () async throws -> Void
    ) async throws {
        _ = try await registry.apply(
            try GatewayConfig.parse(yaml: "endpoints:\n  - name: f\n    url: http://127.0.0.1:9/f\n"), cause: "file")
        let before = await registry.current
        try await hold()
        let answers = Answers()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["b", "c", "d"] {
                group.addTask { await answers.attempt(name) { try await registry.register(Self.endpoint(name)) } }
            }
            group.addTask {
                await answers.attempt("dup") {
                    try await registry.register(EndpointConfig(name: "dup", url: "http://127.0.0.1:9/f"))
                }
            }
            group.addTask { await answers.attempt("ghost") { try await registry.remove("ghost") } }
            _ = try await eventually("four writes waiting together", timeout: 60) {
                await registry.changesWaitingTogether == 4 ? true : nil
            }
            try await release()
            try await group.waitForAll()
        }

        let refusals = await answers.refusals
        #expect(refusals.keys.sorted() == ["dup", "ghost"])
        #expect((refusals["dup"] as? RegistryError)?.kind == .conflict, "\(String(describing: refusals["dup"]))")
        #expect(refusals["ghost"] as? RegistryError == .notFound("ghost"))
        // The one committed alone, and the four together: two versions at most.
        let current = await registry.current
        #expect(current.version > before.version && current.version <= before.version + 2)
        #expect(current.endpoints.map(\.name).sorted() == ["b", "c", "d", "f"])
        // The group's version names each of its accepted changes: at least two of the three.
        #expect(current.cause.components(separatedBy: "; ").count >= 2, "\(current.cause)")
        #expect(current.cause.contains("api: register") && !current.cause.contains("dup"), "\(current.cause)")
        let stored = try await store.readTransaction { db in try SnapshotRecord.find(db, version: current.version) }
        #expect(stored == current)
        #expect(current.checksum == Snapshot.checksum(of: current.endpoints, proxy: current.proxy, tls: current.tls))
        let records = try await store.readTransaction { db in try EndpointRecord.all(db).map(\.name) }
        #expect(records.sorted() == ["b", "c", "d", "f"])
        // The state before the writes is still one rollback away.
        let restored = try await registry.rollback(to: before.version)
        #expect(restored.endpoints.map(\.name) == before.endpoints.map(\.name))
    }

    /// A registry on a SQLite store in `directory`.
    static func sqliteRegistry(_ directory: TestDirectory) async throws -> (Store, EndpointRegistry) {
        let store = try Store(path: directory.file("store.sqlite").path)
        let registry = try await EndpointRegistry(
            store: store, configPath: directory.file("config.yaml").path,
            publisher: SnapshotPublisher(logger: Self.logger), logger: Self.logger)
        return (store, registry)
    }

    /// Keeps the store's writer busy from `hold` to `release`: a write that took the commit turn
    /// meanwhile holds it, and later ones wait for it.
    final class WriterHold: Sendable {
        private let gate = DispatchSemaphore(value: 0)
        private let entered = DispatchSemaphore(value: 0)
        private let holding = Mutex<Task<Void, any Error>?>(nil)

        func hold(_ store: Store) async throws {
            let (gate, entered) = (gate, entered)
            holding.withLock {
                $0 = Task {
                    try await store.write { _ in
                        entered.signal()
                        gate.wait()
                    }
                }
            }
            _ = try await eventually("the writer held", timeout: 60) {
                entered.wait(timeout: .now()) == .success ? true : nil
            }
        }

        func release() async throws {
            gate.signal()
            try await holding.withLock { $0 }?.value
        }
    }

    @Test func writesWaitingForTheCommitTurnShareOneVersionAndARefusedOneRefusesNoOther() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (store, registry) = try await Self.sqliteRegistry(directory)
        let writer = WriterHold()
        try await Self.groupedWrites(
            registry, store: store, hold: { try await writer.hold(store) }, release: { try await writer.release() })
    }

    @Test func aGroupWhoseTransactionFailsAnswersTheFailureToEveryWriteAndLeavesNothing() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let (store, registry) = try await Self.sqliteRegistry(directory)
        try await registry.register(Self.endpoint("a"))
        let before = await registry.current
        // Storing the version fails, as on a full disk.
        try await store.write { db in
            try db.execute(
                sql: "CREATE TRIGGER refuse BEFORE INSERT ON snapshot BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        let writer = WriterHold()
        try await writer.hold(store)
        let answers = Answers()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["b", "c", "d"] {
                group.addTask { await answers.attempt(name) { try await registry.register(Self.endpoint(name)) } }
            }
            _ = try await eventually("two writes waiting together", timeout: 60) {
                await registry.changesWaitingTogether == 2 ? true : nil
            }
            try await writer.release()
            try await group.waitForAll()
        }
        let refusals = await answers.refusals
        #expect(refusals.keys.sorted() == ["b", "c", "d"])
        #expect(refusals.values.allSatisfy { "\($0)".contains("disk full") }, "\(refusals)")
        try await store.write { db in try db.execute(sql: "DROP TRIGGER refuse") }

        #expect(await registry.current == before)
        try await registry.register(Self.endpoint("e"))
        let current = await registry.current
        #expect(current.endpoints.map(\.name) == ["a", "e"])
        let stored = try await store.readTransaction { db in try SnapshotRecord.find(db, version: current.version) }
        #expect(stored == current)
        #expect(try await registry.records().map(\.name) == ["a", "e"])
    }

    @Test func aChangeInASavepointThatFailsLeavesNothingAndTheTransactionGoesOn() async throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.file("store.sqlite").path)
        struct Refused: Error {}
        try await store.writeTransaction { db in
            #expect(throws: Refused.self) {
                try db.withSavepoint {
                    try db.save(
                        EndpointRecord(
                            config: Self.endpoint("lost"), owner: .api, status: .active, registeredAt: "t", seq: 1))
                    throw Refused()
                }
            }
            let kept = try db.withSavepoint {
                try db.save(
                    EndpointRecord(
                        config: Self.endpoint("kept"), owner: .api, status: .active, registeredAt: "t", seq: 2))
                return "kept"
            }
            #expect(kept == "kept")
        }
        #expect(try await store.readTransaction { db in try db.allEndpoints().map(\.name) } == ["kept"])
    }

    @Test func theCauseOfAGroupNamesTheAcceptedChangesTheFirstThreeInFull() {
        let members = (1...5).map { CommitGroup.Member(cause: "api: register s\($0)", names: ["s\($0)"]) { _ in () } }
        struct Refused: Error {}
        let accepted: [CommitGroup.Outcome] = [
            .success(()), .failure(Refused()), .success(()), .success(()), .success(()),
        ]
        #expect(
            CommitGroup.cause(of: members, outcomes: accepted)
                == "api: register s1; api: register s3; api: register s4 and 1 more")
        let one: [CommitGroup.Outcome] = [.failure(Refused()), .success(()), .failure(Refused())]
        #expect(CommitGroup.cause(of: Array(members.prefix(3)), outcomes: one) == "api: register s2")
        #expect(CommitGroup.cause(of: [members[0]], outcomes: [.failure(Refused())]) == "api: register s1")
    }
}

/// The refusals concurrent writes answered, by name.
private actor Answers {
    private(set) var refusals: [String: any Error] = [:]

    private func refuse(_ name: String, _ error: any Error) {
        refusals[name] = error
    }

    nonisolated func attempt(_ name: String, _ write: @Sendable () async throws -> Void) async {
        do {
            try await write()
        } catch {
            await refuse(name, error)
        }
    }
}
