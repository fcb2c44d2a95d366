import Shared
import Testing

@Suite struct GatewayConfigTests {
    static let seedConfig = """
        endpoints:
          - url: "https://api.yourcompany.com/users"
            name: "user_service"
            methods: ["GET", "POST", "PUT", "DELETE"]
            auth_type: "bearer"
            timeout: 30

          - url: "https://API.yourcompany.com"
            name: "order_service"
            version: "v1"
            methods: ["GET", "POST"]
            auth_type: "bearer"
            timeout: 45

        circuit_breaker:
          failure_threshold: 5
          reset_timeout: 60

        health_check:
          enabled: true
          interval: 30
          timeout: 10
        """

    @Test func seedSchemaLoads() throws {
        let config = try GatewayConfig.parse(yaml: Self.seedConfig)
        #expect(config.endpoints.map(\.name) == ["user_service", "order_service"])
        #expect(config.endpoints[1].url == "https://api.yourcompany.com/")
        #expect(config.endpoints[1].version == "v1")
        #expect(config.endpoints[0].timeout == 30)
        #expect(config.circuitBreaker.failureThreshold == 5)
        #expect(config.circuitBreaker.halfOpenMaxCalls == 3)
        #expect(config.healthCheck.interval == 30)
    }

    @Test func emptyDocumentIsEmptyConfig() throws {
        #expect(try GatewayConfig.parse(yaml: "").endpoints.isEmpty)
        #expect(try GatewayConfig.parse(yaml: "# only a comment\n").endpoints.isEmpty)
    }

    @Test func unknownKeyIsReportedWithItsLine() {
        let yaml = """
            endpoints:
              - name: a
                url: http://example.com
                colour: blue
            """
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(error?.issues.first?.field == "endpoints[0].colour")
        #expect(error?.issues.first?.line == 4)
        #expect(error?.issues.first?.message.contains("unknown key") == true)
    }

    @Test func duplicateNameIsReportedOnTheSecondEntry() {
        let yaml = """
            endpoints:
              - name: a
                url: http://one.example.com
              - name: a
                url: http://two.example.com
            """
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(error?.issues.count == 1)
        #expect(error?.issues.first?.field == "endpoints[1].name")
        #expect(error?.issues.first?.line == 4)
        #expect(error?.description.contains("duplicate name 'a'") == true)
    }

    @Test func duplicateURLIsReported() {
        let yaml = """
            endpoints:
              - {name: a, url: "http://one.example.com/x"}
              - {name: b, url: "HTTP://ONE.example.com/x"}
            """
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(error?.issues.first?.field == "endpoints[1].url")
    }

    @Test func syntaxErrorCarriesALine() {
        let yaml = "endpoints:\n  - name: a\n    url: [unclosed\n"
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        #expect(error?.issues.first?.line != nil)
        #expect(error?.issues.first?.message.contains("invalid YAML") == true)
    }

    @Test func syntaxErrorsAreOneLineEach() {
        for yaml in [
            "endpoints:\n  - name: a\n    url: [unclosed\n", "endpoints:\n  - name: a\n    url: http://x/\n  bad\n",
            "a: b\n  c: d\n", "endpoints: {\n",
        ] {
            let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
            for issue in error?.issues ?? [] {
                #expect(!issue.message.contains("\n"), "\(issue.message)")
                #expect(issue.message.hasPrefix("invalid YAML: "), "\(issue.message)")
            }
            #expect(!(error?.description.contains("\n") ?? true), "\(String(describing: error))")
        }
    }

    @Test func everyErrorIsReportedAtOnce() {
        let yaml = """
            endpoints:
              - url: ftp://example.com
                methods: [GET, GET, FETCH]
                timeout: 0.5
                version: V1
            log_level: loud
            circuit_breaker:
              failure_threshold: 0
            """
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: yaml) }
        let fields = Set(error?.issues.compactMap(\.field) ?? [])
        #expect(
            fields.isSuperset(of: [
                "endpoints[0].name", "endpoints[0].url", "endpoints[0].methods", "endpoints[0].timeout",
                "endpoints[0].version", "log_level", "circuit_breaker.failure_threshold",
            ]))
    }

    @Test func topLevelMustBeAMapping() {
        let error = #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: "- a\n- b\n") }
        #expect(error?.issues.first?.message.contains("mapping") == true)
    }

    @Test func nullEndpointsIsAnError() {
        #expect(throws: ValidationError.self) { try GatewayConfig.parse(yaml: "endpoints:\n") }
    }

    @Test func perEndpointPoliciesOverrideGlobalKeys() throws {
        let yaml = """
            endpoints:
              - name: a
                url: http://a.example.com
                circuit_breaker: {failure_threshold: 2, failure_statuses: ["5xx", 429]}
                health_check: {interval: 1}
            circuit_breaker: {reset_timeout: 7}
            """
        let config = try GatewayConfig.parse(yaml: yaml)
        let policy = try #require(config.endpoints[0].circuitBreaker).applied(to: config.circuitBreaker)
        #expect(policy.failureThreshold == 2)
        #expect(policy.resetTimeout == 7)
        #expect(policy.isFailure(status: 503))
        #expect(policy.isFailure(status: 429))
        #expect(!policy.isFailure(status: 404))
        let probe = try #require(config.endpoints[0].healthCheck).applied(to: config.healthCheck)
        #expect(probe.interval == 1)
        #expect(probe.unhealthyThreshold == 3)
    }

    @Test func lenientBooleansAndNumericStrings() throws {
        let config = try GatewayConfig.parse(
            yaml: "endpoints:\n  - {name: a, url: 'http://a', disabled: 'yes', timeout: '45'}\n")
        #expect(config.endpoints[0].disabled)
        #expect(config.endpoints[0].timeout == 45)
    }
}
