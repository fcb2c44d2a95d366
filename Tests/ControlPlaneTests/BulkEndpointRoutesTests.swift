import AdminAPI
import Foundation
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// `PUT /registry/endpoints` and `POST /registry/endpoints:batch`, in-process: one transaction,
/// one snapshot version, all or nothing.
@Suite struct BulkEndpointRoutesTests {
    static func endpoint(_ name: String, _ url: String, timeout: Int? = nil) -> String {
        #"{"name": "\#(name)", "url": "\#(url)""# + (timeout.map { #", "timeout": \#($0)"# } ?? "") + "}"
    }

    /// Registers API-owned endpoints one by one.
    static func register(_ admin: InProcessAdmin, _ endpoints: [(String, String)]) async throws {
        for (name, url) in endpoints {
            let answer = try await admin.send(.post, "/registry/endpoints", body: endpoint(name, url))
            try #require(answer.status == 200, "\(answer.text)")
        }
    }

    static func names(_ admin: InProcessAdmin) async throws -> [String: EndpointRecord] {
        Dictionary(uniqueKeysWithValues: try await admin.registry.records().map { ($0.name, $0) })
    }

    @Test func putReplacesTheAPIOwnedSetInOneVersionAndLeavesFileEndpoints() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        try await admin.load("endpoints:\n  - name: filed\n    url: http://127.0.0.1:9/filed\n")
        try await Self.register(admin, [("a", "http://127.0.0.1:9/a"), ("b", "http://127.0.0.1:9/b")])
        let before = await admin.version

        let body =
            #"{"endpoints": [\#(Self.endpoint("b", "http://127.0.0.1:9/b2")), \#(Self.endpoint("c", "http://127.0.0.1:9/c"))]}"#
        let answer = try await admin.send(.put, "/registry/endpoints", body: body)
        #expect(answer.status == 200, "\(answer.text)")
        let result = try answer.decode(ImportResult.self)
        #expect(result == ImportResult(added: ["c"], updated: ["b"], removed: ["a"]))

        #expect(await admin.version == before + 1)
        let stored = try await Self.names(admin)
        #expect(Set(stored.keys) == ["filed", "b", "c"])
        #expect(stored["b"]?.config.url == "http://127.0.0.1:9/b2")
        #expect(stored["filed"]?.owner == .file)
        #expect(await admin.registry.current.cause == "api: replace all (2 endpoints)")
    }

    @Test func anUnchangedPutMakesNoVersion() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        try await Self.register(admin, [("a", "http://127.0.0.1:9/a")])
        let before = await admin.version
        let answer = try await admin.send(
            .put, "/registry/endpoints", body: #"{"endpoints": [\#(Self.endpoint("a", "http://127.0.0.1:9/a"))]}"#)
        #expect(try answer.decode(ImportResult.self).unchanged == ["a"])
        #expect(await admin.version == before)
    }

    @Test func aPutNamingAFileEndpointChangesNothing() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        try await admin.load("endpoints:\n  - name: filed\n    url: http://127.0.0.1:9/filed\n")
        try await Self.register(admin, [("a", "http://127.0.0.1:9/a")])
        let before = await admin.version
        for body in [
            #"{"endpoints": [\#(Self.endpoint("filed", "http://127.0.0.1:9/other"))]}"#,
            #"{"endpoints": [\#(Self.endpoint("new", "http://127.0.0.1:9/filed"))]}"#,
        ] {
            let answer = try await admin.send(.put, "/registry/endpoints", body: body)
            #expect(answer.status == 409, "\(answer.text)")
            #expect(answer.detail?.contains("'filed' is defined in") == true, "\(answer.text)")
        }
        #expect(await admin.version == before)
        #expect(Set(try await Self.names(admin).keys) == ["filed", "a"])
    }

    @Test func badBodiesNameTheField() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let cases: [(path: String, body: String, field: String)] = [
            ("/registry/endpoints", #"{"endpoints": [{"name": "a", "url": "ftp://x"}]}"#, "endpoints[0].url"),
            ("/registry/endpoints", #"{}"#, "endpoints"),
            ("/registry/endpoints", #"{"endpoints": [], "extra": 1}"#, "extra"),
            (
                "/registry/endpoints",
                #"{"endpoints": [\#(Self.endpoint("a", "http://h/1")), \#(Self.endpoint("a", "http://h/2"))]}"#,
                "endpoints[1].name"
            ),
            ("/registry/endpoints:batch", #"{"upsert": [{"name": "a"}]}"#, "upsert[0].url"),
            ("/registry/endpoints:batch", #"{"remove": ["a", 3]}"#, "remove[1]"),
            ("/registry/endpoints:batch", #"{}"#, "upsert"),
        ]
        for (path, body, field) in cases {
            let method: HTTPRequest.Method = path.hasSuffix(":batch") ? .post : .put
            let answer = try await admin.send(method, path, body: body)
            #expect(answer.status == 422, "\(body): \(answer.text)")
            let detail = try answer.decode(ErrorBody.self)
            guard case .issues(let issues) = detail.detail else {
                Issue.record("\(body): no field issues in \(answer.text)")
                continue
            }
            #expect(issues.contains { $0.field == field }, "\(body): \(answer.text)")
        }
        #expect(await admin.version == 1)
    }

    @Test func aBatchUpsertsAndRemovesInOneVersion() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        try await Self.register(
            admin, [("a", "http://127.0.0.1:9/a"), ("b", "http://127.0.0.1:9/b"), ("c", "http://127.0.0.1:9/c")])
        let before = await admin.version
        // `d` takes the URL of `c`, which the same batch removes; `a` changes its URL.
        let body = """
            {"upsert": [\(Self.endpoint("a", "http://127.0.0.1:9/a2", timeout: 5)), \
            \(Self.endpoint("d", "http://127.0.0.1:9/c"))], "remove": ["c"]}
            """
        let answer = try await admin.send(.post, "/registry/endpoints:batch", body: body)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(try answer.decode(ImportResult.self) == ImportResult(added: ["d"], updated: ["a"], removed: ["c"]))
        #expect(await admin.version == before + 1)
        let stored = try await Self.names(admin)
        #expect(Set(stored.keys) == ["a", "b", "d"])
        #expect(stored["a"]?.config.timeout == 5)
        #expect(await admin.registry.current.endpoints.map(\.config.name).sorted() == ["a", "b", "d"])
    }

    @Test func aRefusedBatchChangesNothing() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        try await Self.register(admin, [("a", "http://127.0.0.1:9/a"), ("b", "http://127.0.0.1:9/b")])
        let before = await admin.version
        let cases: [(body: String, status: Int, detail: String)] = [
            (
                #"{"upsert": [\#(Self.endpoint("n", "http://127.0.0.1:9/n"))], "remove": ["missing"]}"#, 404,
                "Endpoint not found: missing"
            ),
            (
                #"{"upsert": [\#(Self.endpoint("n", "http://127.0.0.1:9/b"))]}"#, 400,
                "URL 'http://127.0.0.1:9/b' already registered with different ID 'b'"
            ),
            (
                #"{"upsert": [\#(Self.endpoint("a", "http://127.0.0.1:9/a3"))], "remove": ["a"]}"#, 422,
                "'a' is both upserted and removed in one batch"
            ),
        ]
        for (body, status, detail) in cases {
            let answer = try await admin.send(.post, "/registry/endpoints:batch", body: body)
            #expect(answer.status == status, "\(body): \(answer.text)")
            #expect(answer.detail == detail, "\(body): \(answer.text)")
        }
        #expect(await admin.version == before)
        #expect(Set(try await Self.names(admin).keys) == ["a", "b"])
    }

    @Test func aDryRunSaysWhatWouldHappenAndChangesNothing() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        try await Self.register(admin, [("a", "http://127.0.0.1:9/a")])
        let before = await admin.version
        let put = try await admin.send(
            .put, "/registry/endpoints?dry_run=true", body: #"{"endpoints": [\#(Self.endpoint("b", "http://h/b"))]}"#)
        #expect(try put.decode(ImportResult.self) == ImportResult(added: ["b"], removed: ["a"], dryRun: true))
        let batch = try await admin.send(
            .post, "/registry/endpoints:batch?dry_run=true", body: #"{"remove": ["a"]}"#)
        #expect(try batch.decode(ImportResult.self) == ImportResult(removed: ["a"], dryRun: true))
        #expect(await admin.version == before)
        #expect(Set(try await Self.names(admin).keys) == ["a"])
    }

    @Test func thousandsOfEndpointsGoInOneVersion() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let count = 3000
        let list = (0..<count).map { Self.endpoint("svc\($0)", "http://127.0.0.1:9/svc\($0)") }
        let answer = try await admin.send(
            .put, "/registry/endpoints", body: #"{"endpoints": [\#(list.joined(separator: ","))]}"#)
        #expect(answer.status == 200, "\(answer.text.prefix(300))")
        #expect(try answer.decode(ImportResult.self).added.count == count)
        #expect(await admin.version == 2)
        #expect(await admin.registry.current.endpoints.count == count)
    }

    @Test func theImportRouteTakesAJSONDocumentAsWellAsYAML() async throws {
        let admin = try await InProcessAdmin()
        defer { admin.remove() }
        let answer = try await admin.send(
            .post, "/registry/import?prune=true",
            body: #"{"endpoints": [\#(Self.endpoint("a", "http://127.0.0.1:9/a", timeout: 7))]}"#)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(try answer.decode(ImportResult.self).added == ["a"])
        #expect(try await Self.names(admin)["a"]?.config.timeout == 7)
    }
}
