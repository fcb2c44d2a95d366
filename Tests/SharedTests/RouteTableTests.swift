import Shared
import Testing

@Suite struct RouteTableTests {
    static func endpoint(_ name: String, _ url: String, version: String? = nil) -> SnapshotEndpoint {
        SnapshotEndpoint(
            config: EndpointConfig(name: name, url: url, version: version), owner: .api, circuitBreaker: .defaults,
            healthCheck: .defaults, health: .unknown, status: .active)
    }

    let table = RouteTable([
        endpoint("users", "http://u.internal/api", version: "v1"),
        endpoint("v1", "http://other.internal/"),
        endpoint("q", "http://q.internal/search?fixed=1"),
    ])

    func resolve(_ path: String) -> (String, String?)? {
        if case .matched(let route, let rest) = table.resolve(Substring(path)) {
            return (route.endpoint.name, rest.map(String.init))
        }
        return nil
    }

    @Test func everyRouteHasItsPositionInTheOrderAsItsSlot() {
        for (position, name) in table.slots.enumerated() {
            #expect(table.routes[name!]?.slot == position)
        }
        #expect(table.slots == ["users", "v1", "q"])
    }

    @Test func anUpdateResolvesLikeATableBuiltWholeFromTheSameEndpoints() {
        let moved = Self.endpoint("q", "http://q2.internal/find")
        let added = Self.endpoint("new", "http://n.internal/")
        let updated = table.updated(upserting: [moved, added], removing: ["v1"])
        let whole = RouteTable([Self.endpoint("users", "http://u.internal/api", version: "v1"), moved, added])
        #expect(Set(updated.routes.keys) == Set(whole.routes.keys))
        for path in ["users/a", "v1/users/b", "v1/x", "q/y", "new/z", "nothing"] {
            #expect(Self.target(updated, path) == Self.target(whole, path), "\(path)")
        }
        #expect(updated.routes["q"]?.url.authority == "q2.internal")
    }

    @Test func anUpdateKeepsSlotsAndGivesAFreedSlotToTheNextNewEndpoint() {
        let replaced = Self.endpoint("users", "http://u.internal/api", version: "v2")
        let updated = table.updated(upserting: [replaced], removing: ["v1"])
        #expect(updated.routes["users"]?.slot == 0)
        #expect(updated.routes["q"]?.slot == 2)
        #expect(updated.slots == ["users", nil, "q"])
        let again = updated.updated(upserting: [Self.endpoint("n", "http://n.internal/")], removing: [String]())
        #expect(again.routes["n"]?.slot == 1)
        #expect(again.slots == ["users", "n", "q"])
        #expect(again.patterns.map(\.pattern) == ["/users", "/v2/users", "/n", "/q"])
    }

    @Test func theVersionedFormFollowsVersionsThatUpdatesAddReplaceAndRemove() {
        let plain = RouteTable([Self.endpoint("a", "http://a.internal/"), Self.endpoint("v1", "http://v.internal/")])
        #expect(Self.target(plain, "v1/a/x") == "v1 a/x v.internal")
        let versioned = plain.updated(
            upserting: [Self.endpoint("a", "http://a.internal/", version: "v1")], removing: [String]())
        #expect(Self.target(versioned, "v1/a/x") == "a x a.internal")
        let added = versioned.updated(
            upserting: [Self.endpoint("b", "http://b.internal/", version: "v2")], removing: [String]())
        let oneLeft = added.updated(upserting: [Self.endpoint("a", "http://a.internal/")], removing: [String]())
        #expect(Self.target(oneLeft, "v1/a/x") == "v1 a/x v.internal")
        #expect(Self.target(oneLeft, "v2/b/y") == "b y b.internal")
        let noneLeft = oneLeft.updated(upserting: [SnapshotEndpoint](), removing: ["b"])
        #expect(Self.target(noneLeft, "v2/b/y") == nil)
        let broken = added.updated(upserting: [Self.endpoint("b", "not a url", version: "v2")], removing: ["a"])
        #expect(Self.target(broken, "v1/a/x") == "v1 a/x v.internal")
        let duplicate = RouteTable([
            Self.endpoint("a", "http://a.internal/", version: "v1"), Self.endpoint("a", "http://a.internal/"),
        ])
        #expect(Self.target(duplicate, "v1/a/x") == nil)
    }

    @Test func anUpdateToAnUnroutableURLRemovesTheRoute() {
        let broken = Self.endpoint("q", "not a url")
        let updated = table.updated(upserting: [broken], removing: [String]())
        #expect(updated.routes["q"] == nil)
        #expect(updated.slots == ["users", "v1", nil])
    }

    /// Where `path` goes in `table`: the endpoint's name, its rest and its base URL's authority.
    static func target(_ table: RouteTable, _ path: String) -> String? {
        guard case .matched(let route, let rest) = table.resolve(Substring(path)) else { return nil }
        return "\(route.endpoint.name) \(rest.map(String.init) ?? "-") \(route.url.authority)"
    }

    @Test func matchesByNameWithSubPath() {
        #expect(resolve("users/a/b")! == ("users", "a/b"))
        #expect(resolve("users")! == ("users", nil))
        #expect(resolve("users/")! == ("users", ""))
    }

    @Test func emptySegmentsAndLeadingSlashesKeepTheirPlace() {
        #expect(resolve("users//x")! == ("users", "/x"))
        #expect(resolve("//users/a")! == ("users", "a"))
        #expect(resolve("users/a/b/c/")! == ("users", "a/b/c/"))
        #expect(resolve("") == nil)
        #expect(resolve("/") == nil)
    }

    @Test func versionedFormWinsOverANameCollision() {
        #expect(resolve("v1/users/x")! == ("users", "x"))
        #expect(resolve("v1/users")! == ("users", nil))
        #expect(resolve("v1/users/")! == ("users", ""))
        #expect(resolve("v1/nothing")! == ("v1", "nothing"))
    }

    @Test func matchingIsBySegmentNotPrefix() {
        #expect(resolve("usersX/a") == nil)
        #expect(resolve("use") == nil)
    }

    @Test(arguments: [
        "users/../admin", "users/%2e%2e/admin", "users/./x", "users/%2E/x", "../users", "users/a/b/..",
        "users/a/.%2e/b",
    ])
    func dotSegmentsAreRejected(path: String) {
        guard case .rejected = table.resolve(Substring(path)) else {
            Issue.record("\(path) was not rejected")
            return
        }
    }

    @Test func upstreamTargetAppendsAndKeepsQueries() {
        let users = table.routes["users"]!.url
        #expect(users.target(rest: "a/b", query: "x=1&x=2") == "/api/a/b?x=1&x=2")
        #expect(users.target(rest: nil, query: nil) == "/api")
        #expect(users.target(rest: "", query: nil) == "/api/")
        let search = table.routes["q"]!.url
        #expect(search.target(rest: "more", query: "a=1&a=2") == "/search/more?fixed=1&a=1&a=2")
        #expect(search.target(rest: nil, query: nil) == "/search?fixed=1")
    }

    @Test func absoluteURLInThePathStaysOnTheEndpointsHost() {
        let (name, rest) = resolve("users/http://evil.example/x")!
        #expect(name == "users")
        let target = table.routes["users"]!.url.target(rest: Substring(rest!), query: nil)
        #expect(target == "/api/http://evil.example/x")
        #expect(table.routes["users"]!.url.authority == "u.internal")
    }
}
