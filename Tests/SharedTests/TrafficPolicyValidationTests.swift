import Foundation
import Shared
import Testing

/// The fields of upstream pools, retries and rate limits: what is accepted, what is refused and
/// with which field, and how they are written back.
@Suite struct TrafficPolicyValidationTests {
    func validate(_ json: String) throws(ValidationError) -> EndpointConfig {
        try EndpointConfig.validate(try ConfigNode.parseJSON(Data(json.utf8)))
    }

    func issues(_ json: String) -> [ValidationIssue] {
        do {
            _ = try validate(json)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func aPoolIsReadWithWeightsAndItsFirstURLAsTheEndpointsURL() throws {
        let config = try validate(
            #"{"name": "svc", "upstreams": [{"url": "http://A:81/x?q=1", "weight": 3}, {"url": "http://b:82"}],"#
                + #" "load_balancing": "least_request"}"#)
        #expect(
            config.upstreams == [
                UpstreamConfig(url: "http://a:81/x?q=1", weight: 3), UpstreamConfig(url: "http://b:82/"),
            ])
        #expect(config.url == "http://a:81/x?q=1")
        #expect(config.loadBalancing == .leastRequest)
        #expect(config.upstreamPool.count == 2)
    }

    @Test func urlAndUpstreamsTogetherAreRefusedNamingUpstreams() {
        let found = issues(#"{"name": "svc", "url": "http://a", "upstreams": [{"url": "http://b"}]}"#)
        #expect(found.map(\.field) == ["upstreams"])
        #expect(found.first?.message.contains("either url or upstreams") == true)
    }

    @Test func neitherURLNorUpstreamsIsRefused() {
        #expect(issues(#"{"name": "svc"}"#).map(\.field) == ["url"])
    }

    @Test(arguments: [
        (#"[]"#, "upstreams", "at least one"),
        (#"[{"url": "http://a"}, {"url": "http://a/"}]"#, "upstreams", "twice"),
        (#"[{"url": "http://a", "weight": 0}]"#, "upstreams[0].weight", "between 1 and 100"),
        (#"[{"url": "http://a", "weight": 101}]"#, "upstreams[0].weight", "between 1 and 100"),
        (#"[{"url": "ftp://a"}]"#, "upstreams[0].url", "scheme"),
        (#"[{"weight": 2}]"#, "upstreams[0].url", "is required"),
        (#"[{"url": "http://a", "port": 2}]"#, "upstreams[0].port", "unknown key"),
        (#""http://a""#, "upstreams", "must be a list"),
    ])
    func badPoolsNameTheField(upstreams: String, field: String, message: String) {
        let found = issues(#"{"name": "svc", "upstreams": \#(upstreams)}"#)
        #expect(found.first?.field == field, "\(found)")
        #expect(found.first?.message.contains(message) == true, "\(found)")
    }

    @Test func moreThanSixtyFourUpstreamsAreRefused() {
        let list = (0..<65).map { #"{"url": "http://h\#($0)"}"# }.joined(separator: ",")
        #expect(issues(#"{"name": "svc", "upstreams": [\#(list)]}"#).map(\.field) == ["upstreams"])
    }

    @Test func unknownBalancingIsRefused() {
        let found = issues(#"{"name": "svc", "url": "http://a", "load_balancing": "fastest"}"#)
        #expect(found.map(\.field) == ["load_balancing"])
    }

    @Test func retryAndRateLimitAreReadWithTheirDefaults() throws {
        let config = try validate(
            #"{"name": "svc", "url": "http://a", "retry": {"attempts": 2},"#
                + #" "rate_limit": {"requests_per_second": 2.5, "key": "header:X-API-Key"}}"#)
        #expect(config.retry == RetryPolicy(attempts: 2, budgetPercent: 20, minPerSecond: 3))
        let statuses = try validate(
            #"{"name": "svc", "url": "http://a", "retry": {"on": [503, "5xx"], "per_try_timeout": 0.5}}"#)
        #expect(statuses.retry == RetryPolicy(attempts: 1, on: ["503", "5xx"], perTryTimeout: 0.5))
        #expect(config.rateLimit == RateLimitPolicy(requestsPerSecond: 2.5, burst: 3, key: .header("x-api-key")))
        #expect(try validate(#"{"name": "svc", "url": "http://a"}"#).retryPolicy == .defaults)
        let limited = try validate(#"{"name": "svc", "url": "http://a", "upstream_limits": {"max_connections": 10}}"#)
        #expect(limited.upstreamLimits == UpstreamLimits(maxConnections: 10, maxPending: 1024))
    }

    @Test(arguments: [
        (#""retry": {"attempts": 6}"#, "retry.attempts"),
        (#""retry": {"budget_percent": 101}"#, "retry.budget_percent"),
        (#""retry": {"min_per_second": -1}"#, "retry.min_per_second"),
        (#""retry": {"on": ["6xx"]}"#, "retry.on[0]"),
        (#""retry": {"on": 503}"#, "retry.on"),
        (#""retry": {"per_try_timeout": 0}"#, "retry.per_try_timeout"),
        (#""tunnel_idle_timeout": 0"#, "tunnel_idle_timeout"),
        (#""slow_start": -1"#, "slow_start"),
        (#""slow_start": 3601"#, "slow_start"),
        (#""upstream_limits": {"max_connections": 0}"#, "upstream_limits.max_connections"),
        (#""upstream_limits": {"max_pending": -1}"#, "upstream_limits.max_pending"),
        (#""upstream_limits": {"connections": 5}"#, "upstream_limits.connections"),
        (#""rate_limit": {"burst": 5}"#, "rate_limit.requests_per_second"),
        (#""rate_limit": {"requests_per_second": 0}"#, "rate_limit.requests_per_second"),
        (#""rate_limit": {"requests_per_second": 5, "burst": 0}"#, "rate_limit.burst"),
        (#""rate_limit": {"requests_per_second": 5, "key": "cookie"}"#, "rate_limit.key"),
        (#""rate_limit": {"requests_per_second": 5, "key": "header:"}"#, "rate_limit.key"),
        (#""rate_limit": {"requests_per_second": 5, "key": "header:a b"}"#, "rate_limit.key"),
    ])
    func badPoliciesNameTheField(section: String, field: String) {
        let found = issues(#"{"name": "svc", "url": "http://a", \#(section)}"#)
        #expect(found.map(\.field) == [field], "\(found)")
    }

    @Test func aPoolIsWrittenWithoutURLAndReadsBackTheSame() throws {
        let config = try validate(
            #"{"name": "svc", "upstreams": [{"url": "http://a", "weight": 2}, {"url": "http://b"}],"#
                + #" "load_balancing": "random", "retry": {"attempts": 0},"#
                + #" "rate_limit": {"requests_per_second": 5, "burst": 10, "key": "global"}}"#)
        let encoded = try JSONEncoder().encode(config)
        let members = try #require(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(members["url"] == nil)
        #expect(try validate(String(decoding: encoded, as: UTF8.self)) == config)
        #expect(try JSONDecoder().decode(EndpointConfig.self, from: encoded) == config)
    }

    @Test func anEndpointWithoutTheNewSectionsEncodesAsBefore() throws {
        let config = try validate(#"{"name": "svc", "url": "http://a"}"#)
        let members = try #require(
            JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        #expect(
            Set(members.keys)
                == ["name", "url", "version", "methods", "auth_type", "disabled", "health_check_path", "timeout"])
    }
}
